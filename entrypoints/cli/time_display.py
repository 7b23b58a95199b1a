"""Durations and instants as an operator reads them: "in 2 h 23 min", "40 s ago"."""
from __future__ import annotations

from datetime import datetime


def duration(seconds: float) -> str:
    """A duration in the two largest units that matter: 45 s, 3 min 5 s, 2 h 23 min, 3 d 4 h."""
    total = int(round(abs(seconds)))
    if total < 60:
        return f"{total} s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def relative(when: datetime, now: datetime) -> str:
    seconds = (when - now).total_seconds()
    return f"in {duration(seconds)}" if seconds >= 0 else f"{duration(seconds)} ago"
