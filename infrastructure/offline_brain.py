"""The offline brain: an llm.LLM that follows the Script deterministically and calls the agent's tools.

It stands in for OpenAI in tests, the demo and offline simulation. It keeps no
state of its own: every answer is read off the chat context (what the callee
said, which tools ran and what they returned), as a real model would.
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

from application.agent_brief import AgentBrief
from application.ports.clock import Clock
from infrastructure.offline_listening import (Heard, choose_from_menu, email_said, heard, times_said,
                                              windows_said)


@dataclass
class Reply:
    text: str | None = None
    tools: list[tuple[str, dict]] = field(default_factory=list)


@dataclass
class _Memory:
    """What the chat context says has happened so far."""

    disclosed_to_party: bool = False
    introduced: bool = False
    voicemail_greeting: bool = False
    objections: list[str] = field(default_factory=list)
    objection_counts: dict[str, int] = field(default_factory=dict)
    offers: list[dict] = field(default_factory=list)
    booked: dict | None = None
    email: str | None = None


class OfflineBrain(llm.LLM):
    def __init__(self, brief: AgentBrief, clock: Clock, contact_zone: ZoneInfo):
        super().__init__()
        self.brief = brief
        self.clock = clock
        self.zone = contact_zone

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
        if last.type == "message" and last.role == "user":
            trailing = []
            for item in reversed(items):
                if item.type == "message" and item.role == "user":
                    trailing.append(item.text_content or "")
                else:
                    break
            return self._respond(trailing[0], memory)
        return Reply()

    # --- reading the history ----------------------------------------------------------------

    def _remember(self, items: list) -> _Memory:
        memory = _Memory()
        first = self.brief.contact.first_name
        for item in items:
            if item.type == "message" and item.role == "assistant":
                text = item.text_content or ""
                if text == self.brief.lines["greeting"] or text == self.brief.lines["gatekeeper"]:
                    memory.disclosed_to_party = True
                if self.brief.lines["introduction"] in text:
                    memory.introduced = True
            elif item.type == "message" and item.role == "user":
                kind, objection = heard(item.text_content or "", first)
                if kind is Heard.TRANSFER:
                    memory.disclosed_to_party = False  # a new person is about to answer
                elif kind is Heard.VOICEMAIL_GREETING:
                    memory.voicemail_greeting = True
                elif kind is Heard.OBJECTION:
                    memory.objection_counts[objection] = memory.objection_counts.get(objection, 0) + 1
                    if objection not in memory.objections:
                        memory.objections.append(objection)
                memory.email = email_said(item.text_content or "") or memory.email
            elif item.type == "function_call_output" and item.name in ("check_availability", "book_meeting"):
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
        brief = self.brief
        contact = brief.contact
        kind, objection = heard(text, contact.first_name)
        if kind is Heard.BEEP or (kind is Heard.SILENCE and memory.voicemail_greeting):
            return Reply(tools=[("leave_voicemail", {})])
        if kind in (Heard.VOICEMAIL_GREETING, Heard.HOLD, Heard.TRANSFER, Heard.SILENCE):
            return Reply()  # never talk over a greeting, hold music or a transfer
        if kind is Heard.MENU:
            choice = choose_from_menu(text, first_name=contact.first_name, last_name=contact.last_name,
                                      title=contact.title)
            if choice is None:
                return Reply()  # wait for the operator fallback or the menu's repeat
            if choice.digits:
                return Reply(tools=[("press_digits", {"digits": choice.digits})])
            return Reply(text=choice.word)
        if kind is Heard.OPT_OUT:
            return Reply(text=brief.line("opt_out"), tools=[
                ("add_to_do_not_call", {"reason": "asked to be removed during the call"}),
                ("record_outcome", {"outcome": "opted_out", "objections": memory.objections}),
                ("end_call", {})])
        if kind is Heard.ROBOT_QUESTION:
            return Reply(text=brief.line("ai_disclosure"))
        if not memory.disclosed_to_party:
            return Reply(text=brief.line("greeting"))
        if kind is Heard.BLOCKED:
            return Reply(text=f"I understand. Could you let {contact.first_name} know that {brief.rep_name} from "
                              f"{brief.identity.company} called? " + brief.line("closing"),
                         tools=[("record_outcome", {"outcome": "gatekeeper_blocked",
                                                    "decline_reason": "the receptionist would not connect"}),
                                ("end_call", {})])
        if kind is Heard.CALLBACK:
            said = times_said(text, self.clock.now(), self.zone)
            arguments = {"outcome": "callback_requested", "objections": memory.objections}
            if said:
                arguments["callback_time"] = said[0].isoformat()
            return Reply(text="Of course, we'll call you back then. " + brief.line("closing"),
                         tools=[("record_outcome", arguments), ("end_call", {})])
        if kind is Heard.DECLINE:
            return self._decline(text, memory)
        if memory.offers and not memory.booked:
            chosen = self._chosen_offer(text, memory.offers)
            if chosen is not None:
                arguments = {"start": chosen["start"]}
                if memory.email:
                    arguments["attendee_email"] = memory.email
                return Reply(tools=[("book_meeting", arguments)])
        if kind in (Heard.ACCEPT, Heard.NO_SLOT_FITS) or windows_said(text, self.clock.now(), self.zone):
            windows = windows_said(text, self.clock.now(), self.zone)
            arguments = {}
            if windows:
                arguments = {"within_start": windows[0][0].isoformat(), "within_end": windows[0][1].isoformat()}
            return Reply(tools=[("check_availability", arguments)])
        if kind is Heard.OBJECTION:
            if memory.objection_counts.get(objection, 0) > 1:
                return self._decline(text, memory)  # a second no to the same thing is a no
            return Reply(text=brief.handler(objection))
        if not memory.introduced:
            return Reply(text=brief.line("introduction"))
        return Reply(text=f"Would a short call with {brief.rep_name} be worth it?")

    def _decline(self, text: str, memory: _Memory) -> Reply:
        return Reply(text=self.brief.line("closing"), tools=[
            ("record_outcome", {"outcome": "declined", "decline_reason": text.strip()[:200],
                                "objections": memory.objections}),
            ("end_call", {})])

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
        if output.name == "leave_voicemail":
            return Reply(text=brief.line("voicemail"), tools=[("end_call", {})])
        if output.name in ("check_availability", "book_meeting"):
            try:
                payload = json.loads(output.output)
            except (TypeError, ValueError):
                payload = {}
            if payload.get("booked"):
                start = datetime.fromisoformat(payload["booked"]["start"])
                spoken = next((o["spoken"] for o in memory.offers if o["start"] == payload["booked"]["start"]),
                              start.astimezone(self.zone).strftime("%A %B %d at %I:%M %p"))
                return Reply(text=f"You're all set for {spoken}; the invitation is on its way. " + brief.line("closing"),
                             tools=[("record_outcome", {"outcome": "meeting_booked", "objections": memory.objections}),
                                    ("end_call", {})])
            if payload.get("offers"):
                slots = ", ".join(o["spoken"] for o in payload["offers"][:-1])
                last = payload["offers"][-1]["spoken"]
                slots = f"{slots} or {last}" if slots else last
                return Reply(text=brief.line("scheduling", slots=slots))
            return Reply(text=f"I'm sorry, {brief.rep_name} has no open time that fits right now; they will email "
                              f"you to find one. " + brief.line("closing"),
                         tools=[("record_outcome", {"outcome": "callback_requested", "objections": memory.objections,
                                                    "decline_reason": "no free slot"}),
                                ("end_call", {})])
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
