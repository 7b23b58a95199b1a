"""Attempt limits: per local day, per rolling week, per campaign, and state caps per 24 hours."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from domain.attempt_limits import AttemptLimits, dialed_attempts
from domain.calling_policy import CallingPolicy
from domain.campaign import CallAttempt, Campaign
from domain.compliance import Verdict
from domain.contact import Contact
from domain.outcomes import CallOutcome

NY, FL, TX = "+12125550100", "+13055550100", "+15125550143"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def tried(*times: str, outcome: CallOutcome = CallOutcome.NO_ANSWER) -> list[CallAttempt]:
    return [CallAttempt(at=at(t), step=i, outcome=outcome) for i, t in enumerate(times)]


def decide(phone: str, now: str, history: list[CallAttempt], settings: dict | None = None, policy=None):
    contact = Contact(id="k1", first_name="Dana", last_name="Reyes", phone=phone, practice="Lakeside")
    campaign = Campaign(id="c1", contact_id="k1", call_history=history,
                        settings={"compliance": settings} if settings else {})
    return (policy or CallingPolicy()).decide(contact, campaign, at(now), on_dnc=False)


def test_two_attempts_today_defer_to_tomorrows_first_lawful_minute():
    decision = decide(NY, "2026-03-10T11:00:00-04:00", tried("2026-03-10T09:00:00-04:00",
                                                              "2026-03-10T10:00:00-04:00"))
    assert (decision.verdict, decision.rule) == (Verdict.DEFER, "daily_attempt_limit")
    assert decision.until == utc("2026-03-11T12:00")
    assert decision.inputs["attempts"] == {"today": 2, "last_24h": 2, "last_7d": 2, "total": 2}


def test_one_attempt_today_is_allowed():
    assert decide(NY, "2026-03-10T11:00:00-04:00", tried("2026-03-10T09:00:00-04:00")).allowed


def test_the_day_is_the_callees_local_day():
    # 23:30 UTC on the 9th is 19:30 in New York on the 9th: not "today" on the 10th.
    history = tried("2026-03-09T23:30:00+00:00", "2026-03-10T09:00:00-04:00")
    assert decide(NY, "2026-03-10T11:00:00-04:00", history).allowed


@pytest.mark.parametrize("outcome", [CallOutcome.DEFERRED, CallOutcome.SKIPPED, CallOutcome.WRONG_NUMBER])
def test_attempts_that_never_dialed_do_not_count(outcome):
    history = tried("2026-03-10T09:00:00-04:00", "2026-03-10T10:00:00-04:00", outcome=outcome)
    decision = decide(NY, "2026-03-10T11:00:00-04:00", history)
    assert decision.allowed
    assert decision.inputs["attempts"]["total"] == 0


def test_five_in_seven_days_defers_until_the_oldest_leaves_the_week():
    history = tried(*(f"2026-03-0{d}T10:00:30-05:00" for d in range(4, 9)))  # one a day, 4th..8th
    decision = decide(NY, "2026-03-10T10:00:00-04:00", history)
    assert (decision.verdict, decision.rule) == (Verdict.DEFER, "weekly_attempt_limit")
    # the 4th's attempt at 15:00:30 UTC leaves the rolling week at 15:00:30 on the 11th -> 15:01
    assert decision.until == utc("2026-03-11T15:01")


def test_the_campaign_total_cap_skips_for_good():
    history = tried(*(f"2026-02-{d:02d}T10:00:00-05:00" for d in range(1, 17, 2)))  # 8 attempts
    decision = decide(NY, "2026-03-10T10:00:00-04:00", history)
    assert (decision.verdict, decision.rule) == (Verdict.SKIP, "attempts_exhausted")
    assert "8" in decision.reason


def test_florida_allows_three_calls_in_24_hours():
    history = tried("2026-03-09T15:00:00-04:00", "2026-03-09T16:00:00-04:00", "2026-03-09T17:00:00-04:00")
    settings = {"attempts": {"per_day": 5, "per_week": 10}}
    decision = decide(FL, "2026-03-10T09:00:00-04:00", history, settings)
    assert (decision.verdict, decision.rule) == (Verdict.DEFER, "state_call_cap_fl")
    assert decision.until == utc("2026-03-10T19:00")  # 24 hours after the first of the three
    assert "501.059" in decision.inputs["source"]
    # the same history in New York has no such cap
    assert decide(NY, "2026-03-10T09:00:00-04:00", history, settings).allowed


def test_limits_are_configurable_per_campaign():
    history = tried("2026-03-10T09:00:00-04:00")
    decision = decide(NY, "2026-03-10T11:00:00-04:00", history, {"attempts": {"per_day": 1}})
    assert decision.rule == "daily_attempt_limit"
    assert decide(NY, "2026-03-10T11:00:00-04:00", history, {"attempts": {"total": 1}}).rule == "attempts_exhausted"
    unlimited = {"attempts": {"per_day": None, "per_week": None, "total": None}}
    many = tried(*(f"2026-03-10T0{h}:00:00-04:00" for h in range(8, 10)), *(f"2026-03-0{d}T10:00:00-05:00"
                                                                            for d in range(1, 9)))
    assert decide(NY, "2026-03-10T11:00:00-04:00", many, unlimited).allowed


def test_the_policy_default_limits_can_be_changed():
    policy = CallingPolicy(limits=AttemptLimits(per_day=1, per_week=5, total=3))
    decision = decide(NY, "2026-03-10T11:00:00-04:00", tried("2026-03-10T09:00:00-04:00"), policy=policy)
    assert decision.rule == "daily_attempt_limit"


def test_a_daily_limit_lands_on_the_next_lawful_minute_not_midnight():
    # Texas: the limit frees at midnight, the window opens at 09:00 CDT; Saturday -> Sunday noon.
    history = tried("2026-03-14T09:00:00-05:00", "2026-03-14T10:00:00-05:00")
    decision = decide(TX, "2026-03-14T11:00:00-05:00", history)
    assert decision.until == utc("2026-03-15T17:00")


@pytest.mark.parametrize("spec, named", [({"per_day": 0}, "per_day"), ({"per_week": "5"}, "per_week"),
                                         ({"total": True}, "total"), ({"weekly": 3}, "weekly")])
def test_bad_limits_are_named(spec, named):
    with pytest.raises(ValueError, match=named):
        AttemptLimits.from_settings(spec)


def test_dialed_attempts_ignores_the_future_and_non_dials():
    history = tried("2026-03-10T09:00:00-04:00", "2026-03-12T09:00:00-04:00") + tried(
        "2026-03-10T08:00:00-04:00", outcome=CallOutcome.DEFERRED)
    assert dialed_attempts(history, at("2026-03-11T00:00:00-04:00")) == (at("2026-03-10T09:00:00-04:00"),)
