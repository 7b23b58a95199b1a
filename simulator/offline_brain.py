"""The offline brain: an llm.LLM that follows the Script deterministically and calls the agent's tools.

It stands in for OpenAI in tests, the demo and offline simulation. It keeps no
state of its own: every answer is read off the chat context (what the callee
said, which tools ran and what they returned), as a real model would.

It plays only the model's part: what to say and which tool to call. What the
line is and when to act on it (who answered, a full mailbox, the moment to leave
a voicemail) is the call core's to decide; the brain hears it as a real model
does, through the instructions of the reply it is asked for (the core's
BEEP_INSTRUCTIONS / NO_BEEP_INSTRUCTIONS). Like a model following its
instructions, it stays silent over machines: the first words of each new party
go through classify_greeting only to know whether to speak; menus go through
MenuNavigator with the campaign's TargetPolicy (as a model calling
choose_menu_option would; replaying the menus already heard, so loops are seen);
the voicemail message through prepare_message (under 30 seconds).
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from livekit.agents import llm
from livekit.agents.llm import ChatChunk, ChoiceDelta, FunctionToolCall
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS

from application.call.actions import Tool
from application.call.brief import AgentBrief
from application.call.core import VOICEMAIL_INSTRUCTIONS, screener_line
from application.call.phone_tree import is_avoided, menu_policy
from application.ports.clock import Clock
from domain.callee_words import Heard, email_said, heard, self_named
from domain.front_desk import FrontDeskDetails, read_front_desk
from domain.menu_navigator import MenuNavigator, NavAction, TargetPolicy
from domain.menu_reader import read_menu
from domain.person_on_the_line import PersonOnTheLine
from domain.slot_finder import times_said, windows_said
from domain.voicemail import prepare_message
from domain.voicemail_detector import Answerer, classify_greeting, names_the_message_box

# What the agent asks a receptionist who will not connect it (briefly, politely).
FRONT_DESK_QUESTION = ("Who handles the practice's insurance, and when is the best time to reach them? "
                       "Is there a direct line or an extension?")
# What the agent asks before booking when it has no address for the invitation.
EMAIL_QUESTION = "Great. What email address should the invitation go to?"


_PUNCTUATION_SPOKEN = {".": "dot", "_": "underscore", "-": "dash", "+": "plus"}


def spoken_email(address: str) -> str:
    """An email address as said aloud; an unusual local part (digits, dots, dashes) is spelled out."""
    local, _, domain = address.partition("@")
    domain_said = " dot ".join(domain.split("."))
    if local.isalpha():
        return f"{local} at {domain_said}"
    spelled = ", ".join(_PUNCTUATION_SPOKEN.get(ch, ch) for ch in local)
    return f"{local} at {domain_said}, that's {spelled}"


@dataclass
class Reply:
    text: str | None = None
    tools: list[tuple[str, dict]] = field(default_factory=list)


@dataclass
class _Memory:
    """What the chat context says has happened so far."""

    disclosed_to_party: bool = False
    introduced: bool = False
    greeting: list[str] = field(default_factory=list)  # the current party's words before the agent spoke
    menus: list[str] = field(default_factory=list)  # every menu prompt heard, in order
    objections: list[str] = field(default_factory=list)
    objection_counts: dict[str, int] = field(default_factory=dict)
    offers: list[dict] = field(default_factory=list)
    booked: dict | None = None
    email: str | None = None
    asked_front_desk: bool = False  # the agent asked a receptionist how to reach the decision maker
    asked_email: bool = False  # the agent's last words asked where the invitation should go
    chosen: dict | None = None  # the offered time the callee chose (booked once the invitation has an address)
    on_the_line: PersonOnTheLine | None = None  # whom the call seeks and whom the agent is speaking with

    @property
    def with_contact(self) -> bool:
        """The person on the line said they are the one the call is for."""
        return self.on_the_line is not None and self.on_the_line.called_person


class OfflineBrain(llm.LLM):
    def __init__(self, brief: AgentBrief, clock: Clock, contact_zone: ZoneInfo, policy: TargetPolicy | None = None):
        super().__init__()
        self.brief = brief
        self.clock = clock
        self.zone = contact_zone
        self.policy = policy or menu_policy(None, brief.contact)

    @property
    def model(self) -> str:
        return "offline-script"

    @property
    def provider(self) -> str:
        return "docshield"

    def chat(self, *, chat_ctx: llm.ChatContext, tools=None, conn_options=DEFAULT_API_CONNECT_OPTIONS,
             parallel_tool_calls=None, tool_choice=None, extra_kwargs=None) -> llm.LLMStream:
        return _OfflineStream(self, chat_ctx=chat_ctx, tools=tools or [], conn_options=conn_options)

    def answer(self, chat_ctx: llm.ChatContext) -> Reply:
        """The reply to the conversation so far (public so tests can read decisions directly)."""
        items = [i for i in chat_ctx.items if i.type in ("message", "function_call", "function_call_output")]
        memory = self._remember(items)
        if not items:
            return Reply()
        last = items[-1]
        if last.type == "function_call_output":
            return self._after_tool(last, memory)
        if last.type == "message" and last.role in ("system", "developer") \
                and (last.text_content or "") in VOICEMAIL_INSTRUCTIONS:
            return Reply(tools=[(Tool.LEAVE_VOICEMAIL, {})])
        if last.type == "message" and last.role in ("system", "developer"):
            line = screener_line(last.text_content or "")
            if line is not None:
                return Reply(text=line)
        if last.type == "message" and last.role == "user":
            trailing = []
            for item in reversed(items):
                if item.type == "message" and item.role == "user":
                    trailing.append(item.text_content or "")
                else:
                    break
            return self._respond(trailing[0], memory)
        return Reply()

    def _hello(self, name: str) -> str:
        b = self.brief
        return (f"Hi {name}, this is {b.identity.agent_name}, an AI assistant calling for "
                f"{b.identity.company}; this call is recorded. ")

    def _heard(self, said: str, on_the_line: PersonOnTheLine) -> tuple[Heard, str | None]:
        """What the words are; a person naming themself as the one the call is for ("This is Dr. Kent.",
        after the front desk named him) confirms who they are (domain.person_on_the_line decides)."""
        kind, objection = heard(said, self.brief.contact.first_name)
        if kind is Heard.OTHER and on_the_line.called_person and self_named(said):
            return Heard.CONFIRMS_IDENTITY, None
        return kind, objection

    # --- reading the history ----------------------------------------------------------------

    def _remember(self, items: list) -> _Memory:
        contact = self.brief.contact
        memory = _Memory(on_the_line=PersonOnTheLine(sought=contact.sought_name, contact=contact.full_name))
        on_the_line = memory.on_the_line
        for item in items:
            if item.type == "message" and item.role == "assistant":
                text = item.text_content or ""
                memory.greeting = []
                if text == self.brief.lines["greeting"] or text == self.brief.lines["gatekeeper"] \
                        or (on_the_line.addressed_as and text.startswith(self._hello(on_the_line.addressed_as))):
                    memory.disclosed_to_party = True
                if self.brief.addressed("introduction", on_the_line.addressed_as) in text:
                    memory.introduced = True
                if FRONT_DESK_QUESTION in text:
                    memory.asked_front_desk = True
                memory.asked_email = EMAIL_QUESTION in text
            elif item.type == "message" and item.role == "user":
                said = item.text_content or ""
                memory.greeting.append(said)
                if read_menu(said).choices:
                    memory.menus.append(said)
                on_the_line.callee_said(said)
                kind, objection = self._heard(said, on_the_line)
                if kind is Heard.TRANSFER:
                    memory.disclosed_to_party = False  # a new person is about to answer
                elif kind is Heard.OBJECTION:
                    memory.objection_counts[objection] = memory.objection_counts.get(objection, 0) + 1
                    if objection not in memory.objections:
                        memory.objections.append(objection)
                memory.email = email_said(item.text_content or "") or memory.email
                if memory.offers and not memory.booked:
                    memory.chosen = self._chosen_offer(said, memory.offers) or memory.chosen
            elif item.type == "function_call":
                memory.greeting = []  # keys went out: what follows is a new prompt
            elif item.type == "function_call_output" and item.name in (Tool.CHECK_AVAILABILITY, Tool.BOOK_MEETING):
                try:
                    payload = json.loads(item.output)
                except (TypeError, ValueError):
                    continue
                if payload.get("offers"):
                    memory.offers = payload["offers"]
                if payload.get("booked"):
                    memory.booked = payload["booked"]
        return memory

    # --- deciding ---------------------------------------------------------------------------

    def _respond(self, text: str, memory: _Memory) -> Reply:
        machine = self._machine(text, memory)
        if machine is not None:
            return machine
        reply = self._to_a_person(text, memory)
        told = read_front_desk(text)
        if told and not memory.with_contact:
            # What the front desk tells, asked or volunteered ("Dr. Kent is in clinic Tuesdays; try Thursday
            # after two, his extension is 214"), is noted for the next call, whatever the reply.
            reply.tools.insert(0, self._note(told, text))
        return reply

    def _to_a_person(self, text: str, memory: _Memory) -> Reply:
        brief = self.brief
        contact = brief.contact
        on_the_line = memory.on_the_line or PersonOnTheLine(sought=contact.sought_name, contact=contact.full_name)
        kind, objection = self._heard(text, on_the_line)
        who = on_the_line.addressed_as  # the name to address whoever is on the line by, once they said it
        if kind in (Heard.HOLD, Heard.TRANSFER):
            return Reply()  # never talk over hold music or a transfer
        if kind is Heard.OPT_OUT:
            return Reply(text=brief.line("opt_out"), tools=[
                (Tool.ADD_TO_DO_NOT_CALL, {"reason": "asked to be removed during the call"}),
                (Tool.RECORD_OUTCOME, {"outcome": "opted_out", "objections": memory.objections}),
                (Tool.END_CALL, {})])
        if kind is Heard.ROBOT_QUESTION:
            if not memory.with_contact:  # a receptionist asks: the truth, then the request, never the pitch
                return Reply(text=f"Yes, I'm an AI assistant calling for {brief.identity.company}, and this call is "
                                  f"recorded. May I speak with {self._asking_for(on_the_line)}?")
            return Reply(text=brief.line("ai_disclosure"))
        if not memory.disclosed_to_party:
            if kind is Heard.CONFIRMS_IDENTITY and who is not None:
                # "This is Tim." / "Speaking.": Tim (or whoever the front desk put us through to) is on the
                # line. One short hello, then the reason for the call.
                return Reply(text=self._hello(who) + brief.addressed("introduction", who).removeprefix(
                    f"Thanks, {who}. "))
            return Reply(text=brief.line("greeting"))
        if kind is Heard.OTHER and not memory.with_contact and self_named(text):
            # "Lakeside Ortho, this is Amy." after the greeting: the front desk, not the contact. Ask for
            # the contact; never pitch to (or thank by the contact's name) whoever answered.
            return Reply(text=f"Thanks. I'm trying to reach {self._asking_for(on_the_line)} about the practice's "
                              f"malpractice coverage. Could you connect me?")
        if memory.asked_email and memory.chosen is not None and not memory.booked:
            return self._book(memory.chosen, memory)  # with the address just given, or none if they gave none
        told = read_front_desk(text)
        if kind is Heard.BLOCKED and not told and not memory.asked_front_desk:
            return Reply(text="I understand. " + FRONT_DESK_QUESTION)
        if kind is Heard.BLOCKED or memory.asked_front_desk:
            return Reply(text=f"Thank you. Could you let {on_the_line.sought} know that {brief.rep_name} from "
                              f"{brief.identity.company} called about the practice's malpractice coverage, and "
                              f"can be reached at {brief.identity.callback_number}? " + brief.line("closing"),
                         tools=[(Tool.RECORD_OUTCOME, {"outcome": "gatekeeper_blocked",
                                                            "decline_reason": "the receptionist would not connect"}),
                                        (Tool.END_CALL, {})])
        if kind is Heard.CALLBACK:
            said = times_said(text, self.clock.now(), self.zone)
            arguments = {"outcome": "callback_requested", "objections": memory.objections}
            if said:
                arguments["callback_time"] = said[0].isoformat()
            if "callback_time" in arguments:
                return Reply(tools=[(Tool.RECORD_OUTCOME, arguments)])  # the answer says when we may call
            return Reply(text="Of course, we'll call you back then. " + brief.line("closing"),
                         tools=[(Tool.RECORD_OUTCOME, arguments), (Tool.END_CALL, {})])
        if kind is Heard.DECLINE:
            return self._decline(text, memory)
        if memory.offers and not memory.booked:
            chosen = self._chosen_offer(text, memory.offers)
            if chosen is not None:
                if not (memory.email or self._contact_email(memory)):
                    return Reply(text=EMAIL_QUESTION)  # an invitation needs an address: ask before booking
                return self._book(chosen, memory)
        if kind in (Heard.ACCEPT, Heard.NO_SLOT_FITS) or windows_said(text, self.clock.now(), self.zone):
            windows = windows_said(text, self.clock.now(), self.zone)
            arguments = {}
            if windows:
                arguments = {"within_start": windows[0][0].isoformat(), "within_end": windows[0][1].isoformat()}
            return Reply(tools=[(Tool.CHECK_AVAILABILITY, arguments)])
        if kind is Heard.OBJECTION:
            if memory.objection_counts.get(objection, 0) > 1:
                return self._decline(text, memory)  # a second no to the same thing is a no
            return Reply(text=brief.handler(objection))
        if not memory.introduced:
            return Reply(text=brief.addressed("introduction", who))
        return Reply(text=f"Would a short call with {brief.rep_name} be worth it?")

    @staticmethod
    def _note(told: FrontDeskDetails, said: str) -> tuple[str, dict]:
        """The note_front_desk call for what the front desk told (the best time as they said it)."""
        return Tool.NOTE_FRONT_DESK, {k: (v if k != "best_time" else said) for k, v in told.as_dict().items()}

    def _contact_email(self, memory: _Memory) -> str:
        """The contact's address when the contact is the one on the line; someone else is asked for theirs."""
        return self.brief.contact.email if memory.on_the_line is None or memory.on_the_line.is_the_contact else ""

    def _asking_for(self, on_the_line: PersonOnTheLine) -> str:
        """Whom to ask a receptionist for: the person the call seeks (at the known extension), or whom this
        call's front desk just named."""
        contact = self.brief.contact
        return contact.ask_for if on_the_line.sought == contact.sought_name else on_the_line.sought

    def _machine(self, text: str, memory: _Memory) -> Reply | None:
        """The reply when the words come from a machine; None when a person may be speaking.

        A new party's first words are classified (this prompt alone, or with the
        words before it when it alone says too little). Once a person is talking,
        only a greeting that names the tone, a message or the mailbox counts: people
        say "she's not available" too.
        """
        verdict = classify_greeting(text)
        if verdict.answerer is Answerer.UNCERTAIN and len(memory.greeting) > 1:
            verdict = classify_greeting(" ".join(memory.greeting))
        if memory.disclosed_to_party and not names_the_message_box(verdict):
            return None
        if verdict.answerer in (Answerer.VOICEMAIL, Answerer.MAILBOX_FULL, Answerer.CARRIER):
            return Reply()  # never talk over a greeting or an announcement: the call core acts on the line
        if read_menu(text).choices:
            return self._menu(memory)
        if verdict.answerer is Answerer.IVR:
            return Reply()  # an announcement or hold message
        return None

    def _menu(self, memory: _Memory) -> Reply:
        """The navigator's choice for the last menu, after replaying the earlier ones (so loops are seen)."""
        navigator = MenuNavigator(self.policy)
        for earlier in memory.menus[:-1]:
            navigator.reset()
            navigator.hear(earlier, final=True)
        navigator.reset()
        decision = navigator.hear(memory.menus[-1], final=True)
        if is_avoided(decision, self.policy) or decision.action in (NavAction.WAIT, NavAction.STAY_ON_LINE,
                                                                    NavAction.GIVE_UP):
            return Reply()  # let the menu time out to a person rather than take a line to avoid
        if decision.digits:
            return Reply(tools=[(Tool.PRESS_DIGITS, {"digits": decision.digits})])
        return Reply(text=decision.say) if decision.say else Reply()

    def voicemail_message(self) -> str:
        """The script's voicemail line, trimmed to whole sentences that fit in 30 seconds."""
        return prepare_message(self.brief.line("voicemail"), trim=True).text

    def _decline(self, text: str, memory: _Memory) -> Reply:
        return Reply(text=self.brief.line("closing"), tools=[
            (Tool.RECORD_OUTCOME, {"outcome": "declined", "decline_reason": text.strip()[:200],
                                "objections": memory.objections}),
            (Tool.END_CALL, {})])

    @staticmethod
    def _book(chosen: dict, memory: _Memory) -> Reply:
        arguments = {"start": chosen["start"]}
        if memory.email:
            arguments["attendee_email"] = memory.email
        return Reply(tools=[(Tool.BOOK_MEETING, arguments)])

    def _chosen_offer(self, text: str, offers: list[dict]) -> dict | None:
        low = text.lower()
        for offer in offers:
            if offer["spoken"].lower() in low:
                return offer
        said = times_said(text, self.clock.now(), self.zone)
        for offer in offers:
            if any(datetime.fromisoformat(offer["start"]) == moment for moment in said):
                return offer
        return None

    def _after_tool(self, output, memory: _Memory) -> Reply:
        brief = self.brief
        if output.name == Tool.LEAVE_VOICEMAIL:
            return Reply(text=self.voicemail_message(), tools=[(Tool.END_CALL, {})])
        if output.name == Tool.RECORD_OUTCOME:
            try:
                payload = json.loads(output.output)
            except (TypeError, ValueError):
                payload = {}
            if payload.get("moved") and payload.get("spoken"):
                text = (f"I'm not able to call at that time; the nearest time I may call is {payload['spoken']}. "
                        f"I'll call you back then. ")
            elif payload.get("spoken"):
                text = f"Of course, I'll call you back {payload['spoken']}. "
            else:
                text = "Of course, someone will follow up with you. "
            return Reply(text=text + brief.line("closing"), tools=[(Tool.END_CALL, {})])
        if output.name in (Tool.CHECK_AVAILABILITY, Tool.BOOK_MEETING):
            try:
                payload = json.loads(output.output)
            except (TypeError, ValueError):
                payload = {}
            if payload.get("booked"):
                start = datetime.fromisoformat(payload["booked"]["start"])
                spoken = next((o["spoken"] for o in memory.offers if o["start"] == payload["booked"]["start"]),
                              start.astimezone(self.zone).strftime("%A %B %d at %I:%M %p"))
                to = payload["booked"].get("attendee_email") or memory.email or self._contact_email(memory)
                # The address is said back (spelled when unusual) so the callee hears where it goes.
                invite = (f"the invitation is on its way to {spoken_email(to)}" if to
                          else f"{brief.rep_name} will call you at that time")
                return Reply(text=f"You're all set for {spoken}; {invite}. " + brief.line("closing"),
                             tools=[(Tool.RECORD_OUTCOME, {"outcome": "meeting_booked", "objections": memory.objections}),
                                    (Tool.END_CALL, {})])
            if payload.get("offers"):
                slots = ", ".join(o["spoken"] for o in payload["offers"][:-1])
                last = payload["offers"][-1]["spoken"]
                slots = f"{slots} or {last}" if slots else last
                return Reply(text=brief.line("scheduling", slots=slots))
            return Reply(text=f"I'm sorry, {brief.rep_name} has no open time that fits right now; they will email "
                              f"you to find one. " + brief.line("closing"),
                         tools=[(Tool.RECORD_OUTCOME, {"outcome": "callback_requested", "objections": memory.objections,
                                                    "decline_reason": "no free slot"}),
                                (Tool.END_CALL, {})])
        return Reply()


class _OfflineStream(llm.LLMStream):
    async def _run(self) -> None:
        reply = self._llm.answer(self._chat_ctx)
        chunk_id = uuid.uuid4().hex[:12]
        if reply.text:
            self._event_ch.send_nowait(ChatChunk(id=chunk_id, delta=ChoiceDelta(role="assistant", content=reply.text)))
        if reply.tools:
            calls = [FunctionToolCall(name=name, arguments=json.dumps(args), call_id=f"call_{uuid.uuid4().hex[:10]}")
                     for name, args in reply.tools]
            self._event_ch.send_nowait(ChatChunk(id=chunk_id, delta=ChoiceDelta(role="assistant", tool_calls=calls)))
