"""What one call attempt produced: the row an operator reads after the call."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from domain.meeting import Meeting
from domain.outcomes import CallOutcome


@dataclass(frozen=True)
class TranscriptLine:
    speaker: str  # "agent", "callee", "system"
    text: str
    at: datetime | None = None


@dataclass
class CallSummary:
    """The structured post-call summary the agent leaves behind."""

    outcome: CallOutcome
    decline_reason: str | None = None
    callback_at: datetime | None = None
    next_step: str | None = None
    objections: list[str] = field(default_factory=list)


@dataclass
class CallRecord:
    call_id: str
    campaign_id: str
    step: int
    outcome: CallOutcome
    started_at: datetime
    ended_at: datetime | None = None
    reached_human: bool = False
    digits: list[str] = field(default_factory=list)
    decline_reason: str | None = None
    callback_at: datetime | None = None
    next_step: str | None = None  # what a person should do next, in words
    objections: list[str] = field(default_factory=list)
    voicemail_left: bool = False
    voicemail_after_beep: bool | None = None
    disclosed_ai: bool = False
    meeting: Meeting | None = None
    transcript_key: str | None = None
    recording_key: str | None = None
    deferred_until: datetime | None = None
    reason: str | None = None  # why a compliance or technical outcome happened
    turn_latencies_ms: list[float] = field(default_factory=list)
    worker_id: str | None = None
    # What the report measures; None where the call did not record it.
    callee_timezone: str | None = None  # the callee's IANA zone (answer rates by local hour)
    decision_maker_reached: bool | None = None
    first_reply_s: float | None = None  # the callee's first words to the agent's first words
    verdict_s: float | None = None  # the answer to the human/machine verdict
    pitched: bool | None = None  # the agent put the offer to a person (domain.pitch)

    @property
    def duration_s(self) -> float | None:
        if self.ended_at is None:
            return None
        return max(0.0, (self.ended_at - self.started_at).total_seconds())
