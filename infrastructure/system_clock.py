from __future__ import annotations

from datetime import datetime, timezone


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FrozenClock:
    """Always the same instant (`CLOCK_FROZEN_AT`): a walkthrough or a test at a chosen hour, simulated calls only."""

    def __init__(self, moment: datetime):
        if moment.tzinfo is None:
            raise ValueError("a frozen time must carry its UTC offset, e.g. 2026-03-10T05:37:00-06:00")
        self.moment = moment.astimezone(timezone.utc)

    def now(self) -> datetime:
        return self.moment
