"""Federal holidays and their observed days, and the state holidays the state table uses."""
from __future__ import annotations

from datetime import date

import pytest

from domain.us_holidays import easter_sunday, federal_holiday, federal_holidays, nth_weekday, state_holiday


@pytest.mark.parametrize("day, name", [
    (date(2026, 1, 1), "New Year's Day"),
    (date(2026, 1, 19), "Birthday of Martin Luther King, Jr."),
    (date(2026, 2, 16), "Washington's Birthday"),
    (date(2026, 5, 25), "Memorial Day"),
    (date(2026, 6, 19), "Juneteenth National Independence Day"),
    (date(2026, 7, 3), "Independence Day"),       # Saturday the 4th, observed Friday
    (date(2026, 7, 4), "Independence Day"),
    (date(2026, 9, 7), "Labor Day"),
    (date(2026, 10, 12), "Columbus Day"),
    (date(2026, 11, 11), "Veterans Day"),
    (date(2026, 11, 26), "Thanksgiving Day"),
    (date(2026, 12, 25), "Christmas Day"),
    (date(2027, 12, 24), "Christmas Day"),        # Saturday the 25th, observed Friday
    (date(2027, 12, 31), "New Year's Day"),       # 2028-01-01 is a Saturday
    (date(2028, 1, 1), "New Year's Day"),
    (date(2023, 1, 2), "New Year's Day"),         # Sunday the 1st, observed Monday
])
def test_federal_holidays_and_observed_days(day, name):
    assert federal_holiday(day) == name


@pytest.mark.parametrize("day", [date(2026, 11, 27), date(2026, 7, 6), date(2020, 6, 19), date(2026, 3, 10)])
def test_ordinary_days(day):
    assert federal_holiday(day) is None


def test_a_year_has_eleven_holidays_plus_observed_days():
    assert len(federal_holidays(2025)) == 11  # 2025: no holiday falls on a weekend
    assert len(federal_holidays(2026)) == 12  # July 4th on a Saturday adds July 3rd


@pytest.mark.parametrize("year, easter", [(2024, date(2024, 3, 31)), (2025, date(2025, 4, 20)),
                                          (2026, date(2026, 4, 5)), (2027, date(2027, 3, 28))])
def test_easter(year, easter):
    assert easter_sunday(year) == easter


def test_nth_weekday():
    assert nth_weekday(2026, 5, 0, -1) == date(2026, 5, 25)
    assert nth_weekday(2026, 11, 3, 4) == date(2026, 11, 26)
    assert nth_weekday(2026, 12, 0, -1) == date(2026, 12, 28)


def test_state_holidays():
    assert state_holiday("la_mardi_gras", date(2026, 2, 17)) == "Mardi Gras (LA)"
    assert state_holiday("ut_pioneer_day", date(2027, 7, 23)) == "Pioneer Day (UT)"  # Saturday -> Friday
    assert state_holiday("al_confederate_memorial_day", date(2026, 4, 20)) is None
    with pytest.raises(ValueError, match="xx_day"):
        state_holiday("xx_day", date(2026, 1, 1))
