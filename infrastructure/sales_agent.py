"""The production sales agent: a livekit-agents Agent whose tools are the call's actions.

Thin by design: the instructions come from application.agent_brief and every
tool delegates to application.call_actions.CallActions. The same class runs in
text mode (simulator, tests) and on a SIP call with a realtime model.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Optional

from livekit.agents import Agent, RunContext, ToolError, function_tool
from pydantic import Field

from application.agent_brief import AgentBrief
from application.call_actions import CallActions, ToolRefused
from application.ports.meeting_scheduler import SchedulingAnswer
from domain.meeting import Interval


def _answer(answer: SchedulingAnswer) -> str:
    return json.dumps({
        "booked": None if answer.booked is None else {
            "start": answer.booked.start.isoformat(), "end": answer.booked.end.isoformat()},
        "offers": [{"start": o.start.isoformat(), "end": o.end.isoformat(), "spoken": o.spoken} for o in answer.offers],
        "reason": answer.reason,
    })


class SalesAgent(Agent):
    def __init__(self, brief: AgentBrief, actions: CallActions, **kwargs):
        super().__init__(instructions=brief.instructions, **kwargs)
        self.brief = brief
        self.actions = actions

    @function_tool
    async def press_digits(self, context: RunContext,
                           digits: Annotated[str, Field(description="Keys to press, e.g. '4' or '1#'")]) -> None:
        """Press keys on the phone keypad (DTMF) to choose an option in an automated menu."""
        try:
            await self.actions.press_digits(digits)
        except ToolRefused as exc:
            raise ToolError(str(exc)) from None

    @function_tool
    async def leave_voicemail(self, context: RunContext) -> str:
        """Call after the voicemail beep, right before saying the voicemail message."""
        return await self.actions.leave_voicemail()

    @function_tool
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

    @function_tool
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

    @function_tool
    async def add_to_do_not_call(
        self, context: RunContext,
        reason: Annotated[str, Field(description="The contact's words, briefly")] = "asked not to be called",
    ) -> None:
        """Put this number on the do-not-call list when the person asks not to be called again."""
        await self.actions.add_to_do_not_call(reason)

    @function_tool
    async def record_outcome(
        self, context: RunContext,
        outcome: Annotated[str, Field(description="meeting_booked, declined, callback_requested, voicemail_left, "
                                                  "opted_out, gatekeeper_blocked, ivr_dead_end, wrong_number")],
        decline_reason: Annotated[Optional[str], Field(description="Why they said no")] = None,
        callback_time: Annotated[Optional[str], Field(description="ISO 8601 time they asked to be called back")] = None,
        objections: Annotated[Optional[list[str]], Field(description="Objection kinds heard")] = None,
    ) -> None:
        """Record how the call went, before ending it."""
        try:
            self.actions.record_outcome(outcome, decline_reason=decline_reason, callback_time=callback_time,
                                        objections=objections)
        except ToolRefused as exc:
            raise ToolError(str(exc)) from None

    @function_tool
    async def end_call(self, context: RunContext) -> None:
        """Hang up, after the goodbye has been said."""
        await self.actions.end_call()
