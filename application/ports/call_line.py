"""The phone call itself: dial, navigate, talk, hang up.

The production adapter is LiveKit SIP with the realtime agent; the simulator
walks a scripted practice. Both answer the same request with the same result.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Awaitable, Callable, Protocol

from domain.call_record import TranscriptLine
from domain.campaign import Campaign
from domain.contact import Contact
from domain.front_desk import FrontDeskDetails
from domain.meeting import Meeting
from domain.outcomes import CallOutcome
from domain.script import Script


@dataclass(frozen=True)
class CallRequest:
    call_id: str
    campaign: Campaign
    contact: Contact
    script: Script
    step: int
    final_step: bool
    started_at: datetime
    attempt: int = 0  # > 0: a follow-up the worker queued (a callback the callee asked for)
    callback_asked_at: datetime | None = None  # on a callback: the time the callee asked for


@dataclass
class CallResult:
    outcome: CallOutcome
    ended_at: datetime
    reached_human: bool = False
    digits: list[str] = field(default_factory=list)
    transcript: list[TranscriptLine] = field(default_factory=list)
    voicemail_left: bool = False
    voicemail_after_beep: bool | None = None
    disclosed_ai: bool = False
    meeting: Meeting | None = None
    decline_reason: str | None = None
    callback_at: datetime | None = None
    next_step: str | None = None  # what a person should do next (a follow-up, a callback)
    front_desk: FrontDeskDetails | None = None  # what the front desk told us on this call
    objections: list[str] = field(default_factory=list)
    recording_key: str | None = None
    turn_latencies_ms: list[float] = field(default_factory=list)
    reason: str | None = None
    report: dict = field(default_factory=dict)  # adapter-specific session report, stored with the transcript
    # What the report measures; None where this call did not observe it.
    decision_maker_reached: bool | None = None
    first_reply_s: float | None = None  # the callee's first words to the agent's first words
    verdict_s: float | None = None  # the answer to the human/machine verdict
    pitched: bool | None = None  # the offer was put to a person (None: a line that does not track it)


# Called by the adapter right before the phone actually rings: from then on the
# step must never be dialed again, whatever happens to this worker.
DialingHook = Callable[[], Awaitable[None]]


class CallLine(Protocol):
    async def conduct(self, request: CallRequest, on_dialing: DialingHook) -> CallResult:
        """Place the call and return how it ended.

        Raise application.errors.TransientFault only before on_dialing was awaited;
        after it, report faults as a FAILED result (the phone may have rung)."""
