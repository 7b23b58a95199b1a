"""US holidays on which calls are not placed, computed for any year.

Federal holidays follow 5 U.S.C. § 6103(a); a holiday falling on a Saturday is
observed on the Friday before, one on a Sunday on the Monday after (5 U.S.C.
§ 6103(b), Executive Order 11582). Both the holiday and its observed day are
no-call days here: people take either off, and calling on neither is the safe
reading. State holidays used by the state calling rules are named in
STATE_HOLIDAYS and referenced by key from domain/state_calling_rules.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Callable

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th given weekday of a month; n=-1 is the last one."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    following = date(year + month // 12, month % 12 + 1, 1)
    last = following - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def easter_sunday(year: int) -> date:
    """Western (Gregorian) Easter, by the anonymous Gregorian algorithm (Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 (the algorithm's own name)
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return date(year, month, day + 1)


@dataclass(frozen=True)
class Holiday:
    """A named holiday: how to find its date in a year, and whether it moves off weekends."""

    name: str
    on: Callable[[int], date]
    observed_on_weekday: bool = True
    since: int | None = None  # first year it is a holiday

    def dates(self, year: int) -> set[date]:
        """The holiday and its observed day (if it falls on a weekend)."""
        if self.since is not None and year < self.since:
            return set()
        actual = self.on(year)
        days = {actual}
        if self.observed_on_weekday:
            if actual.weekday() == SAT:
                days.add(actual - timedelta(days=1))
            elif actual.weekday() == SUN:
                days.add(actual + timedelta(days=1))
        return days


def _fixed(month: int, day: int) -> Callable[[int], date]:
    return lambda year: date(year, month, day)


def _nth(month: int, weekday: int, n: int) -> Callable[[int], date]:
    return lambda year: nth_weekday(year, month, weekday, n)


def _from_easter(days: int) -> Callable[[int], date]:
    return lambda year: easter_sunday(year) + timedelta(days=days)


FEDERAL_HOLIDAYS: tuple[Holiday, ...] = (
    Holiday("New Year's Day", _fixed(1, 1)),
    Holiday("Birthday of Martin Luther King, Jr.", _nth(1, MON, 3)),
    Holiday("Washington's Birthday", _nth(2, MON, 3)),
    Holiday("Memorial Day", _nth(5, MON, -1)),
    Holiday("Juneteenth National Independence Day", _fixed(6, 19), since=2021),
    Holiday("Independence Day", _fixed(7, 4)),
    Holiday("Labor Day", _nth(9, MON, 1)),
    Holiday("Columbus Day", _nth(10, MON, 2)),
    Holiday("Veterans Day", _fixed(11, 11)),
    Holiday("Thanksgiving Day", _nth(11, THU, 4)),
    Holiday("Christmas Day", _fixed(12, 25)),
)

# Holidays some states add to the federal ones; keys are referenced by the state table.
STATE_HOLIDAYS: dict[str, Holiday] = {
    # Ala. Code § 1-3-8(a)
    "al_confederate_memorial_day": Holiday("Confederate Memorial Day (AL)", _nth(4, MON, 4)),
    "al_jefferson_davis_birthday": Holiday("Jefferson Davis' Birthday (AL)", _nth(6, MON, 1)),
    # La. R.S. 1:55
    "la_mardi_gras": Holiday("Mardi Gras (LA)", _from_easter(-47), observed_on_weekday=False),
    "la_good_friday": Holiday("Good Friday (LA)", _from_easter(-2), observed_on_weekday=False),
    # R.I. Gen. Laws § 25-1-1
    "ri_victory_day": Holiday("Victory Day (RI)", _nth(8, MON, 2), observed_on_weekday=False),
    # Utah Code § 63G-1-301
    "ut_pioneer_day": Holiday("Pioneer Day (UT)", _fixed(7, 24)),
}


@lru_cache(maxsize=64)
def federal_holidays(year: int) -> dict[date, str]:
    """Every federal no-call day touching `year` (holidays and observed days), by date.

    New Year's Day of the next year is included because, when it falls on a
    Saturday, it is observed on December 31 of this year.
    """
    days: dict[date, str] = {}
    for y in (year, year + 1):
        for holiday in FEDERAL_HOLIDAYS:
            for day in holiday.dates(y):
                if day.year == year:
                    days.setdefault(day, holiday.name)
    return days


def federal_holiday(day: date) -> str | None:
    """The federal holiday's name when `day` is one (or its observed day), else None."""
    return federal_holidays(day.year).get(day)


def state_holiday(key: str, day: date) -> str | None:
    """The named state holiday's name when `day` is it (or its observed day), else None."""
    try:
        holiday = STATE_HOLIDAYS[key]
    except KeyError:
        raise ValueError(f"unknown state holiday {key!r} (known: {', '.join(sorted(STATE_HOLIDAYS))})") from None
    return holiday.name if day in holiday.dates(day.year) | holiday.dates(day.year + 1) else None
