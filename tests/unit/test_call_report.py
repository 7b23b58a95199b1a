"""The report's rules (domain/call_report.py): rates, targets, funnel and costs, for any counts."""
from __future__ import annotations

import math
from collections import Counter
from datetime import datetime, timezone

from hypothesis import given
from hypothesis import strategies as st

from domain.call_report import CallFigures, CallReport, OutcomeCount, Percentiles, Prices, nearest_rank
from domain.outcomes import CallOutcome

NOW = datetime(2026, 3, 10, 15, tzinfo=timezone.utc)
PRICES = Prices(telephony_per_min=0.02, realtime_per_min=0.3, livekit_per_min=0.01)


@st.composite
def outcome_counts(draw) -> OutcomeCount:
    calls = draw(st.integers(0, 500))
    part = st.integers(0, calls)
    recorded, pitch_recorded = draw(part), draw(part)
    return OutcomeCount(calls=calls, reached_human=draw(part), voicemail=draw(part), callbacks=draw(part),
                        decision_maker=draw(st.integers(0, recorded)), decision_maker_recorded=recorded,
                        pitched=draw(st.integers(0, pitch_recorded)), pitched_recorded=pitch_recorded,
                        seconds=draw(st.floats(0, 1e6)))


figures = st.builds(CallFigures, by_outcome=st.dictionaries(st.sampled_from(list(CallOutcome)), outcome_counts()))


@given(figures)
def test_rates_are_shares_and_a_criterion_passes_exactly_when_it_beats_its_target(f):
    report = CallReport.build(f, PRICES, since=None, until=NOW)
    by_name = {c.name: c for c in report.criteria}
    for name, target in (("reach a human", 0.95), ("book a meeting", 0.15)):
        c = by_name[name]
        if c.measured is None:
            assert c.passed is None
        else:
            assert 0 <= c.measured <= 1 and c.passed is (c.measured > target)
    assert by_name["uptime in business hours"].passed is None


@given(figures)
def test_the_funnel_never_widens(f):
    report = CallReport.build(f, PRICES, since=None, until=NOW)
    stages = {s.name: s.calls for s in report.funnel}
    assert stages["dialed"] >= stages["answered"] >= stages["reached a person"] >= 0
    assert stages["answered"] >= stages["booked"]
    recorded = sum(c.pitched_recorded for c in f.by_outcome.values())
    if recorded:
        assert stages["pitched"] == sum(c.pitched for c in f.by_outcome.values())
    else:
        assert stages["pitched"] is None  # no call in the window recorded it: "not recorded", never 0


@given(st.lists(st.integers(0, 50).map(float), min_size=0, max_size=200), st.sampled_from([0.01, 0.5, 0.95, 1.0]))
def test_percentiles_from_counted_values_are_the_nearest_rank_of_the_values(values, q):
    counted = dict(Counter(values))
    ordered = sorted(values)
    want = ordered[max(1, math.ceil(q * len(ordered))) - 1] if ordered else None
    assert nearest_rank(counted, q) == want
    assert Percentiles.of(counted).count == len(values)


@given(figures)
def test_costs_are_dialed_minutes_times_the_prices(f):
    report = CallReport.build(f, PRICES, since=None, until=NOW)
    dialed = sum(c.calls for o, c in f.by_outcome.items() if o.dialed)
    seconds = sum(c.seconds for o, c in f.by_outcome.items() if o.dialed)
    booked = f.by_outcome.get(CallOutcome.MEETING_BOOKED, OutcomeCount()).calls
    assert abs(report.costs.total - seconds / 60 * 0.33) <= 1e-9 * max(1.0, report.costs.total)
    assert (report.costs.per_call is None) == (dialed == 0)
    assert (report.costs.per_booking is None) == (booked == 0)


def test_nothing_recorded_is_an_empty_report_with_no_verdicts():
    report = CallReport.build(CallFigures(), PRICES, since=None, until=NOW)
    assert report.empty
    assert all(c.measured is None and c.passed is None for c in report.criteria)
    assert report.costs.per_call is None and report.costs.per_booking is None


def test_a_voicemail_does_not_count_against_reaching_a_person():
    f = CallFigures(by_outcome={
        CallOutcome.VOICEMAIL_LEFT: OutcomeCount(calls=60),
        CallOutcome.DECLINED: OutcomeCount(calls=38, reached_human=38),
        CallOutcome.IVR_DEAD_END: OutcomeCount(calls=2),
        CallOutcome.NO_ANSWER: OutcomeCount(calls=100),
    })
    reach = next(c for c in CallReport.build(f, PRICES, since=None, until=NOW).criteria if c.name == "reach a human")
    assert reach.measured == 38 / 40 and reach.passed is False
