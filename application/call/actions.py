"""The sales agent's tools as plain behaviour: each acts through a port and notes what it did.

The LiveKit Agent class only exposes these as function tools; tests and the
simulator see the same effects.
"""
from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from application.book_meeting import CallBooking, SchedulingAnswer, contact_zone
from application.call.progress import CallProgress
from application.call.stages import CallStages
from application.ports.call_controls import CallControls
from application.ports.clock import Clock
from application.ports.compliance import DoNotCallList
from domain.callee_location import to_e164
from domain.calling_policy import CallingPolicy
from domain.campaign import MAX_FOLLOW_UPS_PER_STEP, Campaign
from domain.contact import Contact
from domain.front_desk import FrontDeskDetails, parse_best_time
from domain.meeting import Interval
from domain.outcomes import CallOutcome
from domain.slot_finder import spoken_time

log = logging.getLogger(__name__)

_DTMF = re.compile(r"^[0-9*#]{1,20}\Z")
# What the agent may record itself; compliance and line outcomes are the pipeline's to decide.
AGENT_OUTCOMES = frozenset({CallOutcome.MEETING_BOOKED, CallOutcome.DECLINED, CallOutcome.CALLBACK_REQUESTED,
                            CallOutcome.VOICEMAIL_LEFT, CallOutcome.OPTED_OUT, CallOutcome.GATEKEEPER_BLOCKED,
                            CallOutcome.IVR_DEAD_END, CallOutcome.WRONG_NUMBER, CallOutcome.NO_ANSWER})


def callback_step(callback_at: datetime | None, zone: ZoneInfo) -> str:
    """The next step a person reads for a requested callback, the time on the contact's clock."""
    if callback_at is None:
        return "Call back: the contact asked for a callback without naming a time."
    return f"Call back {spoken_time(callback_at, zone)}, as the contact asked."


class Tool:
    """The names of the agent's tools: SalesAgent exposes them, the offline brain calls them."""

    PRESS_DIGITS = "press_digits"
    CHOOSE_MENU_OPTION = "choose_menu_option"
    CLASSIFY_GREETING = "classify_greeting"
    LEAVE_VOICEMAIL = "leave_voicemail"
    CHECK_AVAILABILITY = "check_availability"
    BOOK_MEETING = "book_meeting"
    ADD_TO_DO_NOT_CALL = "add_to_do_not_call"
    RECORD_OUTCOME = "record_outcome"
    NOTE_FRONT_DESK = "note_front_desk"
    END_CALL = "end_call"


class ToolRefused(ValueError):
    """A tool called with arguments it cannot act on; the message goes back to the model."""


class CallActions:
    def __init__(self, *, progress: CallProgress, controls: CallControls, do_not_call: DoNotCallList,
                 scheduler: CallBooking, clock: Clock, contact: Contact, stages: CallStages | None = None,
                 campaign: Campaign | None = None, policy: CallingPolicy = CallingPolicy(), step: int = 0,
                 attempt: int = 0, max_follow_ups: int = MAX_FOLLOW_UPS_PER_STEP):
        self.step, self.attempt, self.max_follow_ups = step, attempt, max_follow_ups
        self.progress = progress
        self.stages = stages or CallStages()
        self.controls = controls
        self.do_not_call = do_not_call
        self.scheduler = scheduler
        self.clock = clock
        self.contact = contact
        self.campaign = campaign
        self.policy = policy

    async def press_digits(self, digits: str) -> str:
        digits = (digits or "").replace(" ", "")
        if not _DTMF.match(digits):
            raise ToolRefused(f"digits must be 1-20 of 0-9, * and #; got {digits!r}")
        self.progress.pressed(digits)
        self.stages.navigating()
        await self.controls.send_dtmf(digits)
        return f"pressed {digits}"

    async def leave_voicemail(self) -> str:
        self.progress.left_voicemail()
        return "recording: say the voicemail message now, once, then end the call"

    async def check_availability(self, within: list[Interval] | None = None) -> SchedulingAnswer:
        self.progress.pitched = True  # times are offered to someone who took up the offer (domain.pitch)
        with self.stages.stage("booking", action="propose"):
            answer = await self.scheduler.offers(within=within)
        self._follow_up(answer)
        return answer

    async def book_meeting(self, start: datetime, attendee_email: str | None = None) -> SchedulingAnswer:
        if start.tzinfo is None:
            raise ToolRefused("start must carry a UTC offset, e.g. 2026-03-11T09:00:00-05:00")
        self.progress.pitched = True
        with self.stages.stage("booking", action="book"):
            answer = await self.scheduler.book(start, attendee_email=attendee_email or None)
        if answer.booked is not None:
            self.progress.meeting = answer.booked
            self.progress.record(CallOutcome.MEETING_BOOKED)
        self._follow_up(answer)
        return answer

    def _follow_up(self, answer: SchedulingAnswer) -> None:
        # The calendar could not take a meeting the contact wanted: a person books it by hand.
        if answer.follow_up:
            self.progress.follow_up = answer.follow_up
            self.progress.next_step = answer.follow_up

    async def add_to_do_not_call(self, reason: str = "asked not to be called") -> str:
        await self.do_not_call.add(self.contact.phone, reason=reason or "asked not to be called",
                                   source="call", at=self.clock.now())
        self.progress.opted_out = True
        self.progress.record(CallOutcome.OPTED_OUT)
        return "the number is on the do-not-call list"

    def record_outcome(self, outcome: str, *, decline_reason: str | None = None, callback_time: str | None = None,
                       objections: list[str] | None = None, next_step: str | None = None) -> str:
        try:
            parsed = CallOutcome.parse(outcome)
        except ValueError as exc:
            raise ToolRefused(str(exc)) from None
        if parsed not in AGENT_OUTCOMES:
            raise ToolRefused(f"outcome {parsed.value} is decided by the pipeline, not the agent")
        callback_at = None
        if callback_time:
            try:
                callback_at = datetime.fromisoformat(callback_time)
            except ValueError:
                raise ToolRefused(f"callback_time must be ISO 8601, got {callback_time!r}") from None
            if callback_at.tzinfo is None:
                raise ToolRefused("callback_time must carry a UTC offset")
            callback_at = callback_at.astimezone(timezone.utc)
        if parsed is CallOutcome.CALLBACK_REQUESTED and not next_step and self.progress.next_step is None:
            next_step = callback_step(callback_at, contact_zone(self.contact))
        self.progress.record(parsed, decline_reason=decline_reason, callback_at=callback_at,
                             objections=list(objections or ()), next_step=next_step)
        if parsed is CallOutcome.CALLBACK_REQUESTED and callback_at is not None:
            return json.dumps(self._callback_answer(callback_at))
        return f"recorded {parsed.value}"

    def _callback_answer(self, asked: datetime) -> dict:
        """When the worker will call back: the time asked when it is lawful, else the nearest lawful
        minute to it (earlier or later), which the agent must offer aloud (the calling policy that gates
        every call; the worker queues the same minute)."""
        if self.campaign is None:
            return {"recorded": "callback_requested", "callback_at": asked.isoformat(), "moved": False}
        if not self.campaign.may_follow_up(self.step, self.attempt, self.max_follow_ups):
            # The worker queues no call past the follow-ups a step may have: a person follows up (the next step).
            return {"recorded": "callback_requested", "callback_at": None, "moved": False,
                    "say": "We will not place another call ourselves: say that someone will follow up, never "
                           "that you will call back."}
        lawful = self.policy.decide_callback(self.contact, self.campaign, asked, asked_on=self.clock.now(),
                                             on_dnc=False).lawful_callback(asked)
        zone = contact_zone(self.contact)
        if lawful is None:
            return {"recorded": "callback_requested", "callback_at": None, "moved": True,
                    "say": "We cannot call this number back at a set time; a person will follow up."}
        moved = lawful != asked.replace(second=0, microsecond=0)
        answer = {"recorded": "callback_requested", "callback_at": lawful.isoformat(), "moved": moved,
                  "spoken": spoken_time(lawful, zone)}
        if moved:
            answer["say"] = (f"{spoken_time(asked, zone)} is outside the hours we may call; offer "
                             f"{spoken_time(lawful, zone)} instead, the nearest time we may call.")
        return answer

    def note_front_desk(self, *, decision_maker: str | None = None, direct_line: str | None = None,
                        extension: str | None = None, best_time: str | None = None) -> str:
        """Keep what the front desk told (or volunteered) for the next attempt; the words of `best_time`
        become days and hours on the contact's clock."""
        try:
            noted = FrontDeskDetails(
                decision_maker=(decision_maker or "").strip() or None,
                direct_line=to_e164(direct_line) if direct_line else None,
                extension="".join(ch for ch in extension if ch.isdigit()) or None if extension else None,
                best_time=parse_best_time(best_time) if best_time else None)
        except ValueError as exc:
            raise ToolRefused(str(exc)) from None
        if not noted:
            raise ToolRefused("nothing to note: give a name, a direct line, an extension or a best time")
        self.progress.front_desk = (self.progress.front_desk or FrontDeskDetails()).updated_with(noted)
        return "noted for the next call"

    async def end_call(self) -> str:
        self.progress.ended_by_agent = True
        await self.controls.hang_up()
        return "call ended"
