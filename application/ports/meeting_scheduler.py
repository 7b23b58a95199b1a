"""Scheduling during a call, as the sales agent's tools see it: one contact, one rep."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from domain.meeting import Interval, Meeting


@dataclass(frozen=True)
class OfferedSlot:
    start: datetime
    end: datetime
    spoken: str  # how to say it to the contact, in their time zone


@dataclass(frozen=True)
class SchedulingAnswer:
    """What a check or a booking came to; `offers` are the slots to read out next."""

    booked: Meeting | None = None
    offers: list[OfferedSlot] = field(default_factory=list)
    reason: str | None = None
    follow_up: str | None = None  # a person must book by hand


class MeetingScheduler(Protocol):
    async def offers(self, *, within: list[Interval] | None = None) -> SchedulingAnswer:
        """Two or three free slots, spread out, spoken in the contact's zone."""

    async def book(self, start: datetime, *, attendee_email: str | None = None) -> SchedulingAnswer:
        """Book the slot starting at `start` (this call books at most one meeting)."""
