"""A meeting booked on the sales rep's calendar."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# How long the meeting with the rep lasts: the pitch says it and the booking books it (one setting).
MEETING_LENGTH = timedelta(minutes=30)


@dataclass(frozen=True)
class Interval:
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("interval bounds must be timezone-aware")
        if self.end <= self.start:
            raise ValueError(f"interval ends before it starts: {self.start.isoformat()} / {self.end.isoformat()}")

    def overlaps(self, other: "Interval") -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: "Interval") -> bool:
        return self.start <= other.start and other.end <= self.end

    @property
    def minutes(self) -> float:
        return (self.end - self.start).total_seconds() / 60


@dataclass(frozen=True)
class Meeting:
    start: datetime
    end: datetime
    event_id: str
    attendee_email: str = ""
    video_link: str = ""
    calendar_id: str = ""

    @property
    def interval(self) -> Interval:
        return Interval(self.start, self.end)
