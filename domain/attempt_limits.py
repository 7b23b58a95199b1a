"""How often one contact may be called: per day, per week and in all, counted from the call history.

Only attempts that dialed count (a deferral or a skip rang no phone). "A day"
is the callee's local calendar day; "a week" is any rolling seven days, so the
limit cannot be doubled across a week boundary. Both defer the call; the total
cap for a campaign, once reached, ends the campaign's calling for good.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Iterable, Sequence
from zoneinfo import ZoneInfo

from domain.campaign import CallAttempt

DAY = timedelta(days=1)
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class AttemptLimits:
    """Defaults: 2 a day, 5 in any 7 days, 8 per campaign. None switches a limit off."""

    per_day: int | None = 2
    per_week: int | None = 5
    total: int | None = 8

    def __post_init__(self):
        for name in ("per_day", "per_week", "total"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ValueError(f"attempt limit {name} must be a positive integer or null, not {value!r}")

    @classmethod
    def from_settings(cls, spec: dict | None, base: "AttemptLimits | None" = None) -> "AttemptLimits":
        """Overrides from campaign settings: {"per_day": 1, "per_week": 3, "total": null}."""
        base = base or cls()
        spec = spec or {}
        if not isinstance(spec, dict):
            raise ValueError(f"attempts must be a mapping such as {{'per_day': 2}}, not {spec!r}")
        unknown = set(spec) - {"per_day", "per_week", "total"}
        if unknown:
            raise ValueError(f"attempts: unknown keys {sorted(unknown)} (known: per_day, per_week, total)")
        return cls(per_day=spec.get("per_day", base.per_day), per_week=spec.get("per_week", base.per_week),
                   total=spec.get("total", base.total))

    def as_dict(self) -> dict:
        return {"per_day": self.per_day, "per_week": self.per_week, "total": self.total}


def dialed_attempts(history: Iterable[CallAttempt], now: datetime) -> tuple[datetime, ...]:
    """When each dialed attempt up to `now` happened, oldest first."""
    return tuple(sorted(a.at for a in history if a.outcome.dialed and a.at <= now))


def _minute_ceiling(at: datetime) -> datetime:
    floor = at.replace(second=0, microsecond=0)
    return floor if floor == at else floor + timedelta(minutes=1)


@dataclass(frozen=True)
class DailyAttemptLimit:
    """At most `limit` dialed attempts on one local calendar day, in every candidate zone."""

    limit: int
    attempts: Sequence[datetime]
    zones: tuple[str, ...]
    name: str = "daily_attempt_limit"
    source: str = "campaign attempt limits"

    def count_on(self, day: date, zone: str) -> int:
        tz = ZoneInfo(zone)
        return sum(1 for a in self.attempts if a.astimezone(tz).date() == day)

    def violation(self, at: datetime) -> str | None:
        for zone in self.zones:
            day = at.astimezone(ZoneInfo(zone)).date()
            count = self.count_on(day, zone)
            if count >= self.limit:
                return f"{count} attempt(s) already on {day.isoformat()} ({zone}); the limit is {self.limit} a day"
        return None

    def openings(self, start: datetime, end: datetime) -> Iterable[datetime]:
        for zone in self.zones:
            tz = ZoneInfo(zone)
            day = start.astimezone(tz).date()
            while True:
                day += DAY
                midnight = datetime.combine(day, time(0), tzinfo=tz)
                if midnight > end:
                    break
                yield midnight


@dataclass(frozen=True)
class RollingAttemptLimit:
    """At most `limit` dialed attempts in any `period` (e.g. 3 in 24 hours, 5 in 7 days)."""

    limit: int
    period: timedelta
    attempts: Sequence[datetime]
    name: str
    source: str

    def count_before(self, at: datetime) -> int:
        return sum(1 for a in self.attempts if at - self.period < a <= at)

    def violation(self, at: datetime) -> str | None:
        count = self.count_before(at)
        if count >= self.limit:
            return f"{count} attempt(s) in the {_describe(self.period)} before; the limit is {self.limit}"
        return None

    def openings(self, start: datetime, end: datetime) -> Iterable[datetime]:
        for a in self.attempts:
            free = _minute_ceiling(a + self.period)
            if start <= free <= end:
                yield free


def _describe(period: timedelta) -> str:
    hours = period.total_seconds() / 3600
    return f"{int(hours)} hours" if hours < 48 else f"{int(hours // 24)} days"
