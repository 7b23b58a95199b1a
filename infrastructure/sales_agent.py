"""The production sales agent: a livekit-agents Agent whose tools are the call's actions.

Thin by design: the instructions come from application.call.brief and every
tool delegates to application.call.actions.CallActions. The same class runs in
text mode (simulator, tests) and on a SIP call with a realtime model.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Optional

import uuid

from livekit.agents import Agent, RunContext, StopResponse, ToolError, function_tool, llm
from pydantic import Field

from application.call.brief import AgentBrief
from application.call.actions import CallActions, Tool, ToolRefused
from application.call.phone_tree import PhoneTreeFastPath, menu_policy
from application.book_meeting import SchedulingAnswer
from domain.meeting import Interval
from domain.menu_navigator import MenuNavigator, NavAction, NavDecision
from domain.voicemail_detector import Answerer, classify_greeting as _classify_greeting
from infrastructure import livekit_tool_models

livekit_tool_models.install()  # each tool's argument model is built once, not at every call

_WHAT_TO_DO = {
    Answerer.HUMAN: "a person answered: greet them with the disclosure",
    Answerer.VOICEMAIL: "a voicemail greeting: say nothing until the beep, then leave_voicemail",
    Answerer.MAILBOX_FULL: "the mailbox cannot take a message: record_outcome no_answer and end_call, no message",
    Answerer.IVR: "an automated menu or announcement: stay silent; choose_menu_option tells which key",
    Answerer.SCREENING: "a call-screening assistant: say your name, company and reason for calling, briefly",
    Answerer.CARRIER: "a network announcement: the call cannot go through; end_call",
    Answerer.UNCERTAIN: "not enough words yet: keep listening",
}


def _answer(answer: SchedulingAnswer) -> str:
    return json.dumps({
        "booked": None if answer.booked is None else {
            "start": answer.booked.start.isoformat(), "end": answer.booked.end.isoformat(),
            # Said back to the contact: the address the invitation went to.
            "attendee_email": answer.booked.attendee_email or None},
        "offers": [{"start": o.start.isoformat(), "end": o.end.isoformat(), "spoken": o.spoken} for o in answer.offers],
        "reason": answer.reason,
    })


class SalesAgent(Agent):
    """The agent; also the AgentChannel the worker's fast paths report to (`speak_to_menu`, `note_menu_action`)."""

    def __init__(self, brief: AgentBrief, actions: CallActions, *, fast_path: PhoneTreeFastPath | None = None,
                 **kwargs):
        super().__init__(instructions=brief.instructions, **kwargs)
        self.brief = brief
        self.actions = actions
        self.fast_path = fast_path

    # --- the fast path's channel to the model ----------------------------------------------------

    async def on_user_turn_completed(self, turn_ctx: llm.ChatContext, new_message: llm.ChatMessage) -> None:
        """The fast path already answered this prompt (keys or a menu word): the model stays silent on it."""
        if self.fast_path is not None and self.fast_path.take_answered_prompt():
            raise StopResponse()

    async def speak_to_menu(self, words: str) -> None:
        """Say a speech menu's word now, uninterrupted, outside the model's turn."""
        if self.session.tts is not None:
            self.session.say(words, allow_interruptions=False)
        else:  # a realtime model speaks for itself: no TTS to say the word verbatim
            self.session.generate_reply(instructions=f"Say only the words: {words}", allow_interruptions=False)

    async def note_menu_action(self, decision: NavDecision) -> None:
        """Stop what the model is saying and put the fast path's action in its chat, as if it had called the tool."""
        try:
            self.session.interrupt()
        except RuntimeError:
            pass  # no activity running (text mode between turns): nothing to stop
        chat = self.chat_ctx.copy()
        if decision.digits:
            call_id = f"fastpath_{uuid.uuid4().hex[:10]}"
            chat.items.append(llm.FunctionCall(call_id=call_id, name=Tool.PRESS_DIGITS,
                                               arguments=json.dumps({"digits": decision.digits})))
            chat.items.append(llm.FunctionCallOutput(
                call_id=call_id, name=Tool.PRESS_DIGITS, is_error=False, reply_required=False,
                output=f"pressed {decision.digits} ({decision.reason}); stay silent and listen to the next prompt"))
        elif decision.action is NavAction.STAY_ON_LINE:
            chat.add_message(role="assistant", content="(staying on the line for a person; saying nothing)")
        else:
            return  # a spoken menu word is already in the chat
        await self.update_chat_ctx(chat)

    # --- tools ---------------------------------------------------------------------------------

    @function_tool(name=Tool.PRESS_DIGITS)
    async def press_digits(self, context: RunContext,
                           digits: Annotated[str, Field(description="Keys to press, e.g. '4' or '1#'")]) -> None:
        """Press keys on the phone keypad (DTMF) to choose an option in an automated menu."""
        try:
            await self.actions.press_digits(digits)
        except ToolRefused as exc:
            raise ToolError(str(exc)) from None

    @function_tool(name=Tool.CHOOSE_MENU_OPTION)
    async def choose_menu_option(
        self, context: RunContext,
        prompt_text: Annotated[str, Field(description="The automated menu's words, as heard")],
    ) -> str:
        """Ask the deterministic menu reader which key (or word) leads to the decision maker in this menu."""
        if not prompt_text.strip():
            raise ToolError("prompt_text is empty")
        if self.fast_path is not None:
            decision = self.fast_path.consult(prompt_text)
        else:
            decision = MenuNavigator(menu_policy(None, self.brief.contact)).hear(prompt_text, final=True)
        return json.dumps({"action": decision.action.value, "digits": decision.digits, "say": decision.say,
                           "option": decision.option.phrase if decision.option else None,
                           "reason": decision.reason})

    @function_tool(name=Tool.CLASSIFY_GREETING)
    async def classify_greeting(
        self, context: RunContext,
        words: Annotated[str, Field(description="The first words heard after the call was answered")],
    ) -> str:
        """Tell whether a person, a voicemail box, a full mailbox, a menu, a screener or the carrier answered."""
        verdict = _classify_greeting(words)
        return json.dumps({"answerer": verdict.answerer.value, "cue": verdict.cue,
                           "what_to_do": _WHAT_TO_DO[verdict.answerer]})

    @function_tool(name=Tool.LEAVE_VOICEMAIL)
    async def leave_voicemail(self, context: RunContext) -> str:
        """Call after the voicemail beep, right before saying the voicemail message."""
        return await self.actions.leave_voicemail()

    @function_tool(name=Tool.CHECK_AVAILABILITY)
    async def check_availability(
        self, context: RunContext,
        within_start: Annotated[Optional[str], Field(description="ISO 8601 start of the contact's stated window")] = None,
        within_end: Annotated[Optional[str], Field(description="ISO 8601 end of that window")] = None,
    ) -> str:
        """Find two or three free times on the advisor's calendar to offer the contact."""
        within = None
        if within_start and within_end:
            try:
                within = [Interval(datetime.fromisoformat(within_start), datetime.fromisoformat(within_end))]
            except ValueError as exc:
                raise ToolError(f"bad window: {exc}") from None
        return _answer(await self.actions.check_availability(within))

    @function_tool(name=Tool.BOOK_MEETING)
    async def book_meeting(
        self, context: RunContext,
        start: Annotated[str, Field(description="ISO 8601 start with offset, one of the offered times")],
        attendee_email: Annotated[Optional[str], Field(description="Where to send the invitation")] = None,
    ) -> str:
        """Book the meeting at the time the contact chose and send the invitation."""
        try:
            return _answer(await self.actions.book_meeting(datetime.fromisoformat(start), attendee_email))
        except (ToolRefused, ValueError) as exc:
            raise ToolError(str(exc)) from None

    @function_tool(name=Tool.ADD_TO_DO_NOT_CALL)
    async def add_to_do_not_call(
        self, context: RunContext,
        reason: Annotated[str, Field(description="The contact's words, briefly")] = "asked not to be called",
    ) -> None:
        """Put this number on the do-not-call list when the person asks not to be called again."""
        await self.actions.add_to_do_not_call(reason)

    @function_tool(name=Tool.RECORD_OUTCOME)
    async def record_outcome(
        self, context: RunContext,
        outcome: Annotated[str, Field(description="meeting_booked, declined, callback_requested, voicemail_left, "
                                                  "opted_out, gatekeeper_blocked, ivr_dead_end, wrong_number")],
        decline_reason: Annotated[Optional[str], Field(description="Why they said no")] = None,
        callback_time: Annotated[Optional[str], Field(description="ISO 8601 time they asked to be called back")] = None,
        objections: Annotated[Optional[list[str]], Field(description="Objection kinds heard")] = None,
        next_step: Annotated[Optional[str], Field(description="What a person at DocShield should do next, "
                                                              "e.g. send the information asked for")] = None,
    ) -> str:
        """Record how the call went, before ending it. For a callback the answer says when we may call
        back: offer that time aloud when it differs from the time asked."""
        try:
            return self.actions.record_outcome(outcome, decline_reason=decline_reason, callback_time=callback_time,
                                               objections=objections, next_step=next_step)
        except ToolRefused as exc:
            raise ToolError(str(exc)) from None

    @function_tool
    async def note_front_desk(
        self, context: RunContext,
        decision_maker: Annotated[Optional[str], Field(description="Who decides on the practice's insurance")] = None,
        direct_line: Annotated[Optional[str], Field(description="Their direct phone number")] = None,
        extension: Annotated[Optional[str], Field(description="Their extension at the practice's menu")] = None,
        best_time: Annotated[Optional[str], Field(description="When they are best reached, in the receptionist's "
                                                                "words, e.g. 'Thursdays after two'")] = None,
    ) -> str:
        """Note what the receptionist told (or volunteered) about reaching the decision maker."""
        try:
            return self.actions.note_front_desk(decision_maker=decision_maker, direct_line=direct_line,
                                                extension=extension, best_time=best_time)
        except ToolRefused as exc:
            raise ToolError(str(exc)) from None

    @function_tool(name=Tool.END_CALL)
    async def end_call(self, context: RunContext) -> None:
        """Hang up, after the goodbye has been said."""
        await self.actions.end_call()
