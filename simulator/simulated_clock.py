"""A simulated clock: each simulated call has its own time, which only moves when the call says so.

The time lives in a context variable, so concurrent jobs (each its own asyncio
task) each see their own scenario's time; outside any simulated call it is the
system time.
"""
from __future__ import annotations

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterator


@dataclass
class _Timeline:
    now: datetime


_current: contextvars.ContextVar[_Timeline | None] = contextvars.ContextVar("simulated_time", default=None)


class SimulatedClock:
    def now(self) -> datetime:
        timeline = _current.get()
        return timeline.now if timeline is not None else datetime.now(timezone.utc)

    def advance(self, seconds: float) -> None:
        """Move the current call's time forward (no effect outside a simulated call)."""
        timeline = _current.get()
        if timeline is not None and seconds > 0:
            timeline.now = timeline.now + timedelta(seconds=seconds)

    @contextmanager
    def starting_at(self, moment: datetime) -> Iterator[None]:
        """Run the block (and the tasks it starts) at simulated time `moment`."""
        if moment.tzinfo is None:
            raise ValueError("a simulated time must be timezone-aware")
        token = _current.set(_Timeline(moment.astimezone(timezone.utc)))
        try:
            yield
        finally:
            _current.reset(token)
