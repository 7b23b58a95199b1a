"""The outcome event a finished job publishes for the sequencing tool (contracts section 4).

Ids and times only: nothing in it names, numbers or quotes a person.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.meeting import Interval
from domain.outcomes import CallOutcome

EVENT_VERSION = 1


@dataclass(frozen=True)
class ScheduledCall:
    """A follow-up call the worker queued itself (a callback the callee asked for)."""

    step: int
    attempt: int
    at: datetime


@dataclass(frozen=True)
class OutcomeEvent:
    job_id: str | None
    campaign_id: str | None
    step: int | None
    outcome: CallOutcome
    at: datetime
    call_id: str | None = None
    attempt: int = 0
    reached_human: bool = False
    meeting: Interval | None = None
    callback_at: datetime | None = None
    next_step: str | None = None  # already stripped of names, numbers and emails
    scheduled: ScheduledCall | None = None
    deferred_until: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("at", "callback_at", "deferred_until"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"outcome event {name} must be timezone-aware")
