"""What the front desk tells us: best times parsed from a receptionist's words, and the calling policy
deferring a call into that window, inside every lawful hour."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.calling_policy import CallingPolicy
from domain.campaign import Campaign
from domain.compliance import Verdict
from domain.contact import Contact
from domain.front_desk import WEEKDAYS, BestTime, FrontDeskDetails, parse_best_time, read_front_desk

CHICAGO = ZoneInfo("America/Chicago")


@pytest.mark.parametrize("said, days, start, end", [
    ("Tuesday afternoons after two", ["tue"], "14:00", "17:00"),
    ("Dr. Kent is in clinic Tuesdays; try Thursday after two", ["thu"], "14:00", "17:00"),
    ("Thursdays between 9 and 11", ["thu"], "09:00", "11:00"),
    ("mornings are best", list(WEEKDAYS[:5]), "09:00", "12:00"),
    ("Mondays and Wednesdays before noon", ["mon", "wed"], "09:00", "12:00"),
    ("weekdays from 8 to 10 am", list(WEEKDAYS[:5]), "08:00", "10:00"),
    ("after 3:30", list(WEEKDAYS[:5]), "15:30", "17:00"),
    ("she's off on Fridays", ["mon", "tue", "wed", "thu"], "09:00", "17:00"),
    ("Wednesday after five", ["wed"], "17:00", "19:00"),
])
def test_a_receptionists_words_become_days_and_hours(said, days, start, end):
    assert parse_best_time(said).as_dict() == {"days": days, "from": start, "to": end}


def test_words_without_a_day_or_an_hour_are_refused():
    with pytest.raises(ValueError, match="no day or hour"):
        parse_best_time("whenever, really")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(
    ["tuesday", "after", "before", "between", "and", "two", "noon", "pm", "am", "mornings", "in clinic",
     "afternoons", "weekdays", "from", "to", "11", "3:30", "friday", "12", "0", "23", ";", "not in", "9"]),
    max_size=10).map(" ".join))
def test_any_words_give_a_valid_window_or_a_clear_refusal(words):
    try:
        best = parse_best_time(words)
    except ValueError:
        return
    assert best.days and set(best.days) <= set(WEEKDAYS) and best.start < best.end


def test_details_round_trip_and_newer_words_win():
    old = FrontDeskDetails(decision_maker="Dr. Kent", extension="214",
                           best_time=BestTime(("thu",), time(14), time(17)))
    assert FrontDeskDetails.from_dict(old.as_dict()) == old
    newer = old.updated_with(FrontDeskDetails(direct_line="+15125550188", extension="215"))
    assert (newer.decision_maker, newer.extension, newer.direct_line) == ("Dr. Kent", "215", "+15125550188")
    assert not FrontDeskDetails() and newer
    with pytest.raises(ValueError):
        FrontDeskDetails(extension="2x4")


def a_contact(best: BestTime | None) -> Contact:
    return Contact(id="k1", first_name="Dana", last_name="Reyes", phone="+15125550143", practice="Lakeside",
                   timezone="America/Chicago", known=FrontDeskDetails(best_time=best))


ANY_DAY = Campaign(id="c1", contact_id="k1", settings={"compliance": {"federal_holidays": False,
                                                                      "state_rules": False}})


def test_a_known_best_time_defers_the_call_into_that_window():
    best = BestTime(("thu",), time(14), time(17))
    tuesday_ten = datetime(2026, 3, 10, 10, 0, tzinfo=CHICAGO)
    decision = CallingPolicy().decide(a_contact(best), ANY_DAY, tuesday_ten, on_dnc=False)
    assert decision.verdict is Verdict.DEFER and decision.rule == "best_time"
    assert decision.until == datetime(2026, 3, 12, 14, 0, tzinfo=CHICAGO)
    inside = CallingPolicy().decide(a_contact(best), ANY_DAY, datetime(2026, 3, 12, 15, 0, tzinfo=CHICAGO),
                                    on_dnc=False)
    assert inside.verdict is Verdict.ALLOW


@settings(max_examples=150, deadline=None)
@given(days=st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=7, unique=True),
       start=st.integers(0, 22), length=st.integers(1, 12),
       now=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31),
                        timezones=st.just(timezone.utc)))
def test_a_deferral_always_lands_inside_the_best_time_and_the_lawful_hours(days, start, length, now):
    best = BestTime(tuple(days), time(start), time(min(start + length, 23), 59))
    decision = CallingPolicy().decide(a_contact(best), ANY_DAY, now, on_dnc=False)
    moment = now if decision.verdict is Verdict.ALLOW else decision.until
    if decision.verdict is Verdict.SKIP:  # a window wholly outside 8-21 can never be lawful
        assert best.end <= time(8) or best.start >= time(21)
        return
    local = moment.astimezone(CHICAGO)
    assert WEEKDAYS[local.weekday()] in best.days and best.start <= local.time() < best.end
    assert time(8) <= local.time() < time(21)
    assert decision.verdict is Verdict.ALLOW or moment - now < timedelta(days=8)


@pytest.mark.parametrize("said, expected", [
    ("Dr. Kent is in clinic Tuesdays; try Thursday after two, his extension is 214.",
     {"decision_maker": "Dr. Kent", "extension": "214",
      "best_time": {"days": ["thu"], "from": "14:00", "to": "17:00"}}),
    ("You want Dr. Alvarez. Her direct line is (512) 555-0188.",
     {"decision_maker": "Dr. Alvarez", "direct_line": "+15125550188"}),
    ("Maria Lopez handles insurance. Best to call Wednesdays before noon.",
     {"decision_maker": "Maria Lopez", "best_time": {"days": ["wed"], "from": "09:00", "to": "12:00"}}),
    ("She's with a patient. I can take a message.", {}),
    ("I'm sorry, Jay is not available on Tuesday.", {}),
])
def test_a_receptionists_words_are_read_for_the_decision_makers_details(said, expected):
    assert read_front_desk(said).as_dict() == expected


@pytest.mark.parametrize("known, asked", [
    (FrontDeskDetails(), "Dana Reyes"),
    (FrontDeskDetails(decision_maker="Dr. Kent"), "Dr. Kent"),
    (FrontDeskDetails(decision_maker="Dr. Kent", extension="214"), "Dr. Kent at extension 214"),
    (FrontDeskDetails(extension="214"), "Dana Reyes at extension 214"),
])
def test_the_next_call_asks_for_the_decision_maker_the_front_desk_named(known, asked):
    from application.call.brief import CallIdentity, build_brief
    from domain.script import default_script

    contact = Contact(id="c1", first_name="Dana", last_name="Reyes", phone="+15125550143", practice="Lakeside",
                      known=known)
    brief = build_brief(default_script(), contact, Campaign(id="k1", contact_id="c1"), CallIdentity())
    assert brief.lines["greeting"].endswith(f"May I speak with {asked}?")
    assert f"I'm trying to reach {asked} about" in brief.lines["gatekeeper"]
    assert f"ask again to speak with {asked};" in brief.instructions
    assert ("An earlier call's front desk said to ask for" in brief.instructions) is bool(known)
    if known.extension:
        assert f"press {known.extension} with press_digits" in brief.instructions


@pytest.mark.parametrize("said", ["Hello. Dr. Baker's office, this is John. How may I help you?",
                                  "Yes, Dr. Frank is in; may I say who is calling, please?"])
def test_a_doctor_named_in_how_the_practice_answers_is_no_detail(said):
    """Real front desks (scenarios/real_lines.yaml): the doctor's name with nothing else told is not a tip."""
    assert not read_front_desk(said)


def test_the_doctor_a_volunteered_detail_is_about_is_kept_with_it():
    told = read_front_desk("Granite Sports Medicine. Dr. Kent is in clinic Tuesdays; try Thursday after two, "
                           "his extension is 214.")
    assert (told.decision_maker, told.extension, told.best_time.as_dict()) == (
        "Dr. Kent", "214", {"days": ["thu"], "from": "14:00", "to": "17:00"})
