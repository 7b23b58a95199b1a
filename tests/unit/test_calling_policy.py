"""The calling policy, table-driven across zones, states, Sundays, holidays and daylight-saving days.

Times in the tables are written in the callee's local time with their offset,
so each row can be checked against a calendar; `until` is compared in UTC.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from application.compliance_gate import PolicyComplianceGate
from application.errors import MalformedJob
from domain.calling_policy import CallingPolicy, ComplianceInputError
from domain.campaign import CallAttempt, Campaign
from domain.compliance import Verdict
from domain.contact import Contact
from tests.fakes.compliance import FakeDoNotCallList

POLICY = CallingPolicy()

NY, TX, CA, AZ, FL, FL_SPLIT, ID_SPLIT = ("+12125550100", "+15125550143", "+14155552671", "+16025550100",
                                          "+13055550100", "+18505551234", "+12085551234")
CT, KY, RI, LA, AL, MS, UT, MD, OK, WA = ("+12035550100", "+15025550100", "+14015550100", "+15045550100",
                                          "+12055550100", "+16015550100", "+18015550100", "+14105550100",
                                          "+14055550100", "+12065550100")


def contact(phone: str, **kw) -> Contact:
    return Contact(id="k1", first_name="Dana", last_name="Reyes", phone=phone, practice="Lakeside", **kw)


def campaign(settings: dict | None = None, history: list[CallAttempt] | None = None) -> Campaign:
    return Campaign(id="c1", contact_id="k1", settings={"compliance": settings} if settings else {},
                    call_history=history or [])


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def decide(phone, now, *, on_dnc=False, settings=None, history=None, **contact_fields):
    return POLICY.decide(contact(phone, **contact_fields), campaign(settings, history), at(now), on_dnc=on_dnc)


# (case, phone, local now, expected rule, expected until in UTC or None for ALLOW)
WINDOW_CASES = [
    # federal 08:00-21:00, New York (no stricter state row), edges to the minute
    ("ny 07:59 before the window", NY, "2026-03-10T07:59:00-04:00", "federal_window", "2026-03-10T12:00"),
    ("ny 08:00 opens", NY, "2026-03-10T08:00:00-04:00", None, None),
    ("ny 20:59 still open", NY, "2026-03-10T20:59:00-04:00", None, None),
    ("ny 21:00 closed until tomorrow", NY, "2026-03-10T21:00:00-04:00", "federal_window", "2026-03-11T12:00"),
    ("ny 07:59:30 rounds up to the minute", NY, "2026-03-10T07:59:30-04:00", "federal_window", "2026-03-10T12:00"),
    ("ny Sunday is fine", NY, "2026-03-15T10:00:00-04:00", None, None),
    # daylight-saving switch days: the zone database, not fixed offsets
    ("ny spring forward: night before -> 08:00 EDT", NY, "2026-03-07T21:30:00-05:00", "federal_window",
     "2026-03-08T12:00"),
    ("ny spring forward 07:59 EDT", NY, "2026-03-08T07:59:00-04:00", "federal_window", "2026-03-08T12:00"),
    ("ny fall back: night before -> 08:00 EST", NY, "2026-10-31T21:00:00-04:00", "federal_window",
     "2026-11-01T13:00"),
    ("ny fall back 07:59 EST", NY, "2026-11-01T07:59:00-05:00", "federal_window", "2026-11-01T13:00"),
    ("la spring forward 07:30 PDT", CA, "2026-03-08T07:30:00-07:00", "federal_window", "2026-03-08T15:00"),
    ("la fall back: night before -> 08:00 PST", CA, "2026-10-31T21:00:00-07:00", "federal_window",
     "2026-11-01T16:00"),
    ("la fall back 08:00 PST opens", CA, "2026-11-01T08:00:00-08:00", None, None),
    # Arizona keeps MST all year: the same UTC minute in January and July
    ("az january 07:59 MST", AZ, "2026-01-06T07:59:00-07:00", "federal_window", "2026-01-06T15:00"),
    ("az july 07:59 MST", AZ, "2026-07-07T07:59:00-07:00", "federal_window", "2026-07-07T15:00"),
    ("az on the US spring-forward day", AZ, "2026-03-08T07:59:00-07:00", "federal_window", "2026-03-08T15:00"),
    # Texas: 09:00-21:00 Monday-Saturday, noon-21:00 Sunday
    ("tx weekday 08:59", TX, "2026-03-10T08:59:00-05:00", "state_window_tx", "2026-03-10T14:00"),
    ("tx weekday 09:00", TX, "2026-03-10T09:00:00-05:00", None, None),
    ("tx Saturday 21:00 -> Sunday noon", TX, "2026-03-14T21:00:00-05:00", "federal_window", "2026-03-15T17:00"),
    ("tx Sunday 11:59", TX, "2026-03-15T11:59:00-05:00", "state_window_tx", "2026-03-15T17:00"),
    ("tx Sunday 12:00", TX, "2026-03-15T12:00:00-05:00", None, None),
    ("tx spring-forward Sunday 11:00 CDT", TX, "2026-03-08T11:00:00-05:00", "state_window_tx",
     "2026-03-08T17:00"),
    # Florida 08:00-20:00
    ("fl 19:59", FL, "2026-03-10T19:59:00-04:00", None, None),
    ("fl 20:00", FL, "2026-03-10T20:00:00-04:00", "state_window_fl", "2026-03-11T12:00"),
    # Connecticut 09:00-20:00, Kentucky 10:00-21:00, Maryland/Oklahoma/Washington 08:00-20:00
    ("ct 08:59", CT, "2026-03-10T08:59:00-04:00", "state_window_ct", "2026-03-10T13:00"),
    ("ct 20:00", CT, "2026-03-10T20:00:00-04:00", "state_window_ct", "2026-03-11T13:00"),
    ("ky 09:59", KY, "2026-03-10T09:59:00-04:00", "state_window_ky", "2026-03-10T14:00"),
    ("md 20:00", MD, "2026-03-10T20:00:00-04:00", "state_window_md", "2026-03-11T12:00"),
    ("ok 20:00", OK, "2026-03-10T20:00:00-05:00", "state_window_ok", "2026-03-11T13:00"),
    ("wa 20:00", WA, "2026-03-10T20:00:00-07:00", "state_window_wa", "2026-03-11T15:00"),
    # Rhode Island: 09:00-18:00 weekdays, 10:00-17:00 Saturday, never Sunday
    ("ri Saturday 09:59", RI, "2026-03-14T09:59:00-04:00", "state_window_ri", "2026-03-14T14:00"),
    ("ri Saturday 17:00 -> Monday 09:00", RI, "2026-03-14T17:00:00-04:00", "state_window_ri",
     "2026-03-16T13:00"),
    ("ri weekday 18:00", RI, "2026-03-10T18:00:00-04:00", "state_window_ri", "2026-03-11T13:00"),
    # Louisiana and Alabama: no Sundays, no holidays (their own included)
    ("la Saturday 20:00 -> Monday", LA, "2026-03-14T20:00:00-05:00", "state_window_la", "2026-03-16T13:00"),
    ("la Mardi Gras 2026-02-17", LA, "2026-02-17T10:00:00-06:00", "state_window_la", "2026-02-18T14:00"),
    ("la Good Friday -> Saturday", LA, "2026-04-03T10:00:00-05:00", "state_window_la", "2026-04-04T13:00"),
    ("al Sunday -> Monday", AL, "2026-03-15T10:00:00-05:00", "state_window_al", "2026-03-16T13:00"),
    ("al Confederate Memorial Day", AL, "2026-04-27T10:00:00-05:00", "state_window_al", "2026-04-28T13:00"),
    # Mississippi: 08:00-20:00 Central *Standard* Time, no Sundays
    ("ms july 08:30 CDT is 07:30 CST", MS, "2026-07-07T08:30:00-05:00", "state_window_ms",
     "2026-07-07T14:00"),
    ("ms july 20:30 CDT is 19:30 CST", MS, "2026-07-07T20:30:00-05:00", None, None),
    ("ms january 20:00 CST", MS, "2026-01-06T20:00:00-06:00", "state_window_ms", "2026-01-07T14:00"),
    ("ms Sunday", MS, "2026-03-15T10:00:00-05:00", "state_window_ms", "2026-03-16T14:00"),
    # Utah: legal holidays, Pioneer Day 2026-07-24 (a Friday)
    ("ut Pioneer Day", UT, "2026-07-24T10:00:00-06:00", "state_window_ut", "2026-07-25T14:00"),
    # federal holidays and their observed days
    ("thanksgiving", NY, "2026-11-26T10:00:00-05:00", "federal_holiday", "2026-11-27T13:00"),
    ("july 4th observed on Friday 3rd", NY, "2026-07-03T10:00:00-04:00", "federal_holiday",
     "2026-07-05T12:00"),
    ("new year 2028 observed 2027-12-31", NY, "2027-12-31T10:00:00-05:00", "federal_holiday",
     "2028-01-02T13:00"),
    ("juneteenth", CA, "2026-06-19T10:00:00-07:00", "federal_holiday", "2026-06-20T15:00"),
    ("day after thanksgiving is not a holiday", NY, "2026-11-27T10:00:00-05:00", None, None),
    # area codes spanning two zones: lawful in both
    ("850 at 08:30 EDT is 07:30 CDT", FL_SPLIT, "2026-03-10T08:30:00-04:00", "federal_window",
     "2026-03-10T13:00"),
    ("850 at 19:30 CDT is 20:30 EDT", FL_SPLIT, "2026-03-10T19:30:00-05:00", "state_window_fl",
     "2026-03-11T13:00"),
    ("208 at 08:30 MDT is 07:30 PDT", ID_SPLIT, "2026-03-10T08:30:00-06:00", "federal_window",
     "2026-03-10T15:00"),
    ("208 at 20:30 PDT is 21:30 MDT", ID_SPLIT, "2026-03-10T20:30:00-07:00", "federal_window",
     "2026-03-11T15:00"),
]


@pytest.mark.parametrize("case, phone, now, rule, until", WINDOW_CASES, ids=[c[0] for c in WINDOW_CASES])
def test_calling_windows(case, phone, now, rule, until):
    decision = decide(phone, now)
    if rule is None:
        assert decision.verdict is Verdict.ALLOW, (decision.rule, decision.reason)
        assert decision.until is None
    else:
        assert (decision.verdict, decision.rule) == (Verdict.DEFER, rule), decision.reason
        assert decision.until == utc(until)
        assert decision.until.tzinfo is not None and decision.until.utcoffset() == timedelta(0)
        assert decision.until.second == 0 and decision.until.microsecond == 0
        # the deferral lands on a minute the policy allows
        assert POLICY.decide(contact(phone), campaign(), decision.until, on_dnc=False).allowed


def test_the_minute_before_until_is_still_unlawful():
    for case, phone, now, rule, until in WINDOW_CASES:
        if rule is None:
            continue
        before = utc(until) - timedelta(minutes=1)
        if before > at(now):
            assert not POLICY.decide(contact(phone), campaign(), before, on_dnc=False).allowed, case


def test_a_contact_in_texas_with_a_new_york_number_gets_texas_hours_in_every_candidate_zone():
    # 10:30 EDT / 09:30 CDT / 08:30 MDT: Texas 09:00 is not reached in El Paso's zone yet.
    decision = decide(NY, "2026-03-10T10:30:00-04:00", state="TX")
    assert (decision.verdict, decision.rule) == (Verdict.DEFER, "state_window_tx")
    assert decision.until == utc("2026-03-10T15:00")
    assert decision.inputs["states"] == ["TX", "NY"]


def test_both_states_apply_when_the_contact_and_number_disagree_strictest_wins():
    # Florida contact (08:00-20:00) on a Texas number (Sunday from noon), a zone given by the contact:
    # it adds to Florida's zones (21:30 in New York is past the federal 21:00), never replaces them.
    sunday_evening = decide(TX, "2026-03-15T20:30:00-05:00", state="FL", timezone="America/Chicago")
    assert (sunday_evening.verdict, sunday_evening.rule) == (Verdict.DEFER, "federal_window")
    assert sunday_evening.until == utc("2026-03-16T14:00")  # Monday 09:00 CDT, Texas' weekday start
    sunday_morning = decide(TX, "2026-03-15T11:00:00-05:00", state="FL", timezone="America/Chicago")
    assert (sunday_morning.rule, sunday_morning.until) == ("state_window_tx", utc("2026-03-15T17:00"))


def test_the_contact_time_zone_is_used_when_set():
    # A 212 number whose contact says Los Angeles: 07:30 PDT is too early even though it is 10:30 in New York.
    decision = decide(NY, "2026-03-10T07:30:00-07:00", timezone="America/Los_Angeles")
    assert decision.rule == "federal_window"
    assert decision.until == utc("2026-03-10T15:00")


def test_do_not_call_skips_before_anything_else():
    decision = decide("+15555550100", "2026-03-10T10:00:00-04:00", on_dnc=True)
    assert (decision.verdict, decision.rule) == (Verdict.SKIP, "internal_dnc")


def test_an_invalid_number_is_a_wrong_number_before_dialing():
    decision = decide("+15555550100", "2026-03-10T10:00:00-04:00")
    assert (decision.verdict, decision.rule) == (Verdict.WRONG_NUMBER, "invalid_number")


def test_a_canadian_number_is_skipped_as_outside_the_us_rules():
    decision = decide("+14165551234", "2026-03-10T10:00:00-04:00")
    assert (decision.verdict, decision.rule) == (Verdict.SKIP, "outside_us")


def test_every_decision_explains_itself_without_the_number():
    decision = decide(TX, "2026-03-10T08:59:00-05:00")
    inputs = decision.inputs
    assert inputs["area_code"] == "512"
    assert inputs["timezones"] == ["America/Chicago"]
    assert inputs["states"] == ["TX"]
    assert inputs["local_times"] == {"America/Chicago": "2026-03-10 Tue 08:59"}
    assert inputs["attempts"]["total"] == 0
    assert "301.051" in inputs["source"]
    assert "08:59" in decision.reason and "09:00-21:00" in decision.reason
    for d in (decision, decide(TX, "2026-03-10T10:00:00-05:00"), decide(TX, "2026-03-10T10:00:00-05:00", on_dnc=True)):
        assert "5550143" not in repr(d), d


def test_now_must_be_timezone_aware():
    with pytest.raises(ValueError, match="timezone-aware"):
        POLICY.decide(contact(NY), campaign(), datetime(2026, 3, 10, 10), on_dnc=False)


# --- per-campaign settings ------------------------------------------------------------

SETTINGS_CASES = [
    ("campaign window start", {"window": "09:00-17:00"}, NY, "2026-03-10T08:30:00-04:00", "campaign_window",
     "2026-03-10T13:00"),
    ("campaign window end", {"window": "09:00-17:00"}, NY, "2026-03-10T17:00:00-04:00", "campaign_window",
     "2026-03-11T13:00"),
    ("no weekends: Friday evening -> Monday", {"window": "09:00-17:00", "no_call_days": ["sat", "sun"]}, NY,
     "2026-03-13T17:00:00-04:00", "campaign_window", "2026-03-16T13:00"),
    ("no weekends without a window", {"no_call_days": ["Saturday", "sunday"]}, NY, "2026-03-14T10:00:00-04:00",
     "campaign_window", "2026-03-16T12:00"),
    ("a no-call date", {"no_call_days": ["2026-03-10"]}, NY, "2026-03-10T10:00:00-04:00", "campaign_window",
     "2026-03-11T12:00"),
    ("federal holidays can be allowed", {"federal_holidays": False}, NY, "2026-07-03T10:00:00-04:00", None, None),
    ("a state row can be dropped", {"states": {"TX": None}}, TX, "2026-03-10T08:30:00-05:00", None, None),
    ("a state row can be replaced", {"states": {"NY": {"window": "10:00-16:00", "sunday": None}}}, NY,
     "2026-03-15T10:00:00-04:00", "state_window_ny", "2026-03-16T14:00"),
    ("state rules can be switched off", {"state_rules": False}, TX, "2026-03-15T10:00:00-05:00", None, None),
    ("the federal window stays", {"state_rules": False, "window": "06:00-23:00"}, NY,
     "2026-03-10T07:00:00-04:00", "federal_window", "2026-03-10T12:00"),
]


@pytest.mark.parametrize("case, settings, phone, now, rule, until", SETTINGS_CASES, ids=[c[0] for c in SETTINGS_CASES])
def test_campaign_settings(case, settings, phone, now, rule, until):
    decision = decide(phone, now, settings=settings)
    if rule is None:
        assert decision.allowed, (decision.rule, decision.reason)
    else:
        assert (decision.verdict, decision.rule, decision.until) == (Verdict.DEFER, rule, utc(until)), decision.reason


def test_no_lawful_minute_within_the_horizon_is_a_skip():
    every_day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    decision = decide(NY, "2026-03-10T10:00:00-04:00", settings={"no_call_days": every_day})
    assert (decision.verdict, decision.rule) == (Verdict.SKIP, "no_lawful_time")


@pytest.mark.parametrize("settings, named", [
    ({"windw": "09:00-17:00"}, "windw"),
    ({"window": "9 to 5"}, "9 to 5"),
    ({"window": "17:00-09:00"}, "ends before it starts"),
    ({"no_call_days": ["someday"]}, "someday"),
    ({"states": {"TX": {"hours": "09:00-17:00"}}}, "hours"),
    ({"attempts": {"per_day": 0}}, "per_day"),
    ({"attempts": {"daily": 2}}, "daily"),
    ({"federal_holidays": "no"}, "federal_holidays"),
])
def test_bad_settings_are_named(settings, named):
    with pytest.raises(ComplianceInputError, match=named) as caught:
        decide(NY, "2026-03-10T10:00:00-04:00", settings=settings)
    assert "campaign c1" in str(caught.value)


# --- the gate ----------------------------------------------------------------------------

async def test_the_gate_consults_the_do_not_call_list():
    gate = PolicyComplianceGate(FakeDoNotCallList(TX))
    decision = await gate.check(contact(TX), campaign(), at("2026-03-10T10:00:00-05:00"))
    assert decision.rule == "internal_dnc"
    allowed = await gate.check(contact(NY), campaign(), at("2026-03-10T10:00:00-04:00"))
    assert allowed.allowed


async def test_the_gate_turns_unusable_settings_into_a_malformed_job():
    gate = PolicyComplianceGate(FakeDoNotCallList())
    with pytest.raises(MalformedJob, match="unknown US state"):
        await gate.check(contact(TX, state="Tejas"), campaign(), at("2026-03-10T10:00:00-05:00"))
    with pytest.raises(MalformedJob, match="windw"):
        await gate.check(contact(TX), campaign({"windw": "x"}), at("2026-03-10T10:00:00-05:00"))



# --- a callback the callee asked for: that minute, else the NEAREST lawful minute -----------

def callback(phone, asked, asked_on, **contact_fields):
    asked_at = at(asked)
    decision = POLICY.decide_callback(contact(phone, **contact_fields), campaign(), asked_at, asked_on=at(asked_on),
                                      on_dnc=False)
    return decision, decision.lawful_callback(asked_at)


def test_a_lawful_callback_time_is_kept_to_the_minute():
    decision, when = callback(TX, "2026-03-11T14:30:20-05:00", "2026-03-10T10:15:00-05:00")
    assert decision.allowed and when == utc("2026-03-11T19:30")


def test_call_me_at_nine_thirty_pm_is_moved_back_to_eight_fifty_nine_the_same_evening():
    # 31 minutes earlier beats 11.5 hours later (Texas opens at 9 am on weekdays).
    decision, when = callback(TX, "2026-03-10T21:30:00-05:00", "2026-03-10T10:15:00-05:00")
    assert decision.verdict is Verdict.DEFER and when == utc("2026-03-11T01:59")


def test_seven_am_moves_forward_when_the_opening_is_nearer_than_last_night():
    _, when = callback(TX, "2026-03-11T07:00:00-05:00", "2026-03-10T10:15:00-05:00")
    assert when == utc("2026-03-11T14:00")


def test_an_earlier_minute_must_still_come_after_the_call():
    # Asked at 8:59:30 pm for 9:30 pm: no lawful minute is left tonight, so tomorrow at 9.
    _, when = callback(TX, "2026-03-10T21:30:00-05:00", "2026-03-10T20:59:30-05:00")
    assert when == utc("2026-03-11T14:00")


def test_a_time_already_past_is_the_first_lawful_minute_after_the_call():
    decision, when = callback(NY, "2026-03-10T09:00:00-04:00", "2026-03-10T10:15:20-04:00")
    assert decision.allowed and when == utc("2026-03-10T14:16")


def test_the_front_desks_best_time_does_not_move_a_time_the_callee_named():
    from domain.front_desk import BestTime, FrontDeskDetails
    from datetime import time
    known = FrontDeskDetails(best_time=BestTime(days=("thu",), start=time(14), end=time(17)))
    assert decide(TX, "2026-03-13T10:00:00-05:00", known=known).rule == "best_time"  # a first call waits for it
    decision, when = callback(TX, "2026-03-13T10:00:00-05:00", "2026-03-12T14:30:00-05:00", known=known)
    assert decision.allowed and when == utc("2026-03-13T15:00")


PHONES = (NY, TX, CA, AZ, FL, CT, KY, RI, LA, AL, MS, UT, MD, OK, WA, FL_SPLIT, ID_SPLIT)


@settings(max_examples=60, deadline=None)
@given(phone=st.sampled_from(PHONES),
       asked_on=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 20),
                             timezones=st.just(timezone.utc)),
       ahead=st.integers(min_value=-120, max_value=4 * 24 * 60), seconds=st.integers(0, 59),
       probes=st.lists(st.floats(min_value=-1, max_value=1, exclude_min=True, exclude_max=True), max_size=4))
def test_the_callback_minute_is_lawful_after_the_call_and_no_lawful_minute_is_nearer(
        phone, asked_on, ahead, seconds, probes):
    asked = asked_on + timedelta(minutes=ahead, seconds=seconds)
    person, plan = contact(phone), campaign()
    when = POLICY.decide_callback(person, plan, asked, asked_on=asked_on, on_dnc=False).lawful_callback(asked)
    first = asked_on.replace(second=0, microsecond=0) + timedelta(minutes=1)  # the first minute after the call
    assert when is not None and when.second == 0 and when >= first
    assert POLICY.decide(person, plan, when, on_dnc=False).allowed
    target = max(asked.replace(second=0, microsecond=0), first)
    distance = abs(when - target)
    # Every minute nearer to the time asked (on either side, after the call) is unlawful: the minute next to
    # the answer on the near side, the farthest such minute on the other side, and random ones between.
    minute = timedelta(minutes=1)
    nearer = [target + distance * p for p in probes]
    if distance >= minute:
        nearer += [when + (minute if when < target else -minute),
                   target + (distance - minute if when < target else minute - distance)]
    for probe in nearer:
        probe = probe.replace(second=0, microsecond=0)
        if probe >= first and abs(probe - target) < distance:
            assert not POLICY.decide(person, plan, probe, on_dnc=False).allowed, (probe, when)
