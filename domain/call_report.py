"""Are we meeting the specification's success criteria? The figures behind `docshield report`.

`CallFigures` are the counts a store aggregates over the call records of a
window (the adapter computes them where the records live); `CallReport.build`
turns them into rates, the success criteria with their targets, the funnel and
the costs. The targets and the definitions of each rate live here and only here.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Mapping

from domain.outcomes import CallOutcome

# The specification's success criteria.
REACH_HUMAN_TARGET = 0.95  # share of answered, non-voicemail calls on which the agent got a person
BOOKING_TARGET = 0.15  # share of completed conversations that booked a meeting
REPLY_TARGET_S = 1.5  # the agent's reply time, per turn (p50 and p95), and its first reply
UPTIME_TARGET = 0.999  # in business hours; not measurable from call records

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Prices:
    """Per-minute prices, in the currency of the settings (USD by default)."""

    telephony_per_min: float
    realtime_per_min: float
    livekit_per_min: float

    @property
    def per_min(self) -> float:
        return self.telephony_per_min + self.realtime_per_min + self.livekit_per_min


@dataclass(frozen=True)
class Percentiles:
    """Nearest-rank p50 and p95 of `count` values (None when no value was recorded)."""

    count: int = 0
    p50: float | None = None
    p95: float | None = None

    @classmethod
    def of(cls, counted: Mapping[float, int]) -> "Percentiles":
        """Of values given as value -> how many times it occurs (what a store counts, not every value)."""
        return cls(sum(counted.values()), nearest_rank(counted, 0.5), nearest_rank(counted, 0.95))


def nearest_rank(counted: Mapping[float, int], q: float) -> float | None:
    """The nearest-rank `q` quantile of values given as value -> occurrences: the value at rank ceil(q * n)
    of the n values in order (interpolating would invent a value no call had)."""
    n = sum(counted.values())
    if n == 0:
        return None
    rank, seen = max(1, math.ceil(q * n)), 0
    for value in sorted(counted):
        seen += counted[value]
        if seen >= rank:
            return value
    raise AssertionError("unreachable: the ranks add up to n")


@dataclass(frozen=True)
class ObjectionCount:
    calls: int  # calls on which the callee raised it
    booked: int  # of those, calls that still ended with a meeting


@dataclass(frozen=True)
class HourCount:
    dialed: int
    answered: int

    @property
    def answer_rate(self) -> float | None:
        return self.answered / self.dialed if self.dialed else None


@dataclass(frozen=True)
class OutcomeCount:
    """The calls that ended with one outcome, and what happened on them."""

    calls: int = 0
    reached_human: int = 0
    voicemail: int = 0  # left a voicemail
    callbacks: int = 0  # set a time to call back
    decision_maker: int = 0  # recorded as reaching the decision maker
    decision_maker_recorded: int = 0  # the field is recorded at all
    pitched: int = 0  # the offer was put to a person (domain.pitch)
    pitched_recorded: int = 0  # the call recorded whether it pitched (calls before it did, and other lines, do not)
    seconds: float = 0.0  # summed duration


@dataclass
class CallFigures:
    """What the store counted over the call records (and compliance decisions) of one window."""

    by_outcome: dict[CallOutcome, OutcomeCount] = field(default_factory=dict)
    turn_latency_ms: Percentiles = field(default_factory=Percentiles)
    latency_histogram_ms: dict[int, int] = field(default_factory=dict)  # bucket's lower bound (ms) -> turns
    first_reply_s: Percentiles = field(default_factory=Percentiles)
    verdict_s: Percentiles = field(default_factory=Percentiles)
    objections: dict[str, ObjectionCount] = field(default_factory=dict)
    # (callee's local weekday 0 = Monday, local hour 0-23, outcome) -> calls; calls without a zone are left out
    by_local_time: dict[tuple[int, int, CallOutcome], int] = field(default_factory=dict)
    by_day: dict[str, dict[CallOutcome, int]] = field(default_factory=dict)  # UTC day -> outcome -> calls
    decisions: dict[str, dict[str, int]] = field(default_factory=dict)  # rule -> verdict -> decisions
    failures: dict[str, int] = field(default_factory=dict)  # reason -> failed calls
    first_call_at: datetime | None = None
    last_call_at: datetime | None = None

    @property
    def calls(self) -> int:
        return sum(c.calls for c in self.by_outcome.values())

    def total(self, attribute: str, rule=lambda outcome: True) -> float:
        """`attribute` of OutcomeCount summed over the outcomes `rule` accepts."""
        return sum(getattr(c, attribute) for o, c in self.by_outcome.items() if rule(o))

    def outcome_calls(self, outcome: CallOutcome) -> int:
        return self.by_outcome.get(outcome, OutcomeCount()).calls

    def answer_rates(self, slot: int) -> dict[int, HourCount]:
        """Dialed and answered calls by local weekday (slot 0) or local hour (slot 1)."""
        out: dict[int, list[int]] = {}
        for (weekday, hour, outcome), calls in self.by_local_time.items():
            if not outcome.dialed:
                continue
            counts = out.setdefault(hour if slot else weekday, [0, 0])
            counts[0] += calls
            counts[1] += calls if outcome.answered else 0
        return {k: HourCount(d, a) for k, (d, a) in sorted(out.items())}


@dataclass(frozen=True)
class Criterion:
    name: str
    target: str
    measured: float | None  # None: nothing recorded to measure it
    unit: str  # "ratio" or "s"
    passed: bool | None  # None: not measurable here
    basis: str  # what was counted


@dataclass(frozen=True)
class FunnelStage:
    name: str
    calls: int | None  # None: not recorded on these calls
    note: str = ""


@dataclass(frozen=True)
class Costs:
    prices: Prices
    dialed_minutes: float
    total: float
    per_call: float | None
    per_booking: float | None


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _below(value: float | None, target: float) -> bool | None:
    return None if value is None else value < target


def _above(value: float | None, target: float) -> bool | None:
    return None if value is None else value > target


@dataclass
class CallReport:
    figures: CallFigures
    since: datetime | None
    until: datetime
    batch: str | None
    criteria: list[Criterion]
    funnel: list[FunnelStage]
    costs: Costs

    @property
    def empty(self) -> bool:
        return self.figures.calls == 0 and not self.figures.decisions

    @classmethod
    def build(cls, figures: CallFigures, prices: Prices, *, since: datetime | None, until: datetime,
              batch: str | None = None) -> "CallReport":
        f = figures
        dialed = int(f.total("calls", lambda o: o.dialed))
        answered = int(f.total("calls", lambda o: o.answered))
        live = (lambda o: o.answered and o is not CallOutcome.VOICEMAIL_LEFT)
        answered_live = int(f.total("calls", live))
        human_live = int(f.total("reached_human", live))
        conversations = int(f.total("calls", lambda o: o.conversation))
        booked = f.outcome_calls(CallOutcome.MEETING_BOOKED)
        latency = f.turn_latency_ms
        p50 = latency.p50 / 1000 if latency.p50 is not None else None
        p95 = latency.p95 / 1000 if latency.p95 is not None else None
        reach = ratio(human_live, answered_live)
        booking = ratio(booked, conversations)
        criteria = [
            Criterion("reach a human", f"> {REACH_HUMAN_TARGET:.0%}", reach, "ratio", _above(reach, REACH_HUMAN_TARGET),
                      f"{human_live} of {answered_live} answered calls that did not end "
                      "in a voicemail"),
            Criterion("book a meeting", f"> {BOOKING_TARGET:.0%}", booking, "ratio", _above(booking, BOOKING_TARGET),
                      f"{booked} of {conversations} completed conversations"),
            Criterion("agent reply p50", f"< {REPLY_TARGET_S} s", p50, "s", _below(p50, REPLY_TARGET_S),
                      f"{latency.count} agent turns"),
            Criterion("agent reply p95", f"< {REPLY_TARGET_S} s", p95, "s", _below(p95, REPLY_TARGET_S),
                      f"{latency.count} agent turns"),
            Criterion("first reply p50 (callee's first word to the agent's)", f"< {REPLY_TARGET_S} s",
                      f.first_reply_s.p50, "s", _below(f.first_reply_s.p50, REPLY_TARGET_S),
                      f"{f.first_reply_s.count} calls where recorded"),
            Criterion("human/machine verdict p50 (after the answer)", "no target set", f.verdict_s.p50, "s", None,
                      f"{f.verdict_s.count} calls where recorded"),
            Criterion("uptime in business hours", f"> {UPTIME_TARGET:.1%}", None, "ratio", None,
                      "not measured from call records (needs uptime monitoring)"),
        ]
        funnel = [
            FunnelStage("dialed", dialed),
            FunnelStage("answered", answered),
            FunnelStage("reached a person", int(f.total("reached_human", lambda o: o.answered))),
            _recorded_stage("reached the decision maker", f, "decision_maker", dialed),
            _recorded_stage("pitched", f, "pitched", dialed),
            FunnelStage("booked", booked),
        ]
        minutes = f.total("seconds", lambda o: o.dialed) / 60
        total = minutes * prices.per_min
        costs = Costs(prices, minutes, total, total / dialed if dialed else None, total / booked if booked else None)
        return cls(f, since, until, batch, criteria, funnel, costs)


def _recorded_stage(name: str, f: CallFigures, attribute: str, dialed: int) -> FunnelStage:
    """A stage only some calls record (older records and some lines do not): counted where recorded."""
    recorded = int(f.total(f"{attribute}_recorded"))
    if not recorded:
        return FunnelStage(name, None, "not recorded on these calls")
    return FunnelStage(name, int(f.total(attribute)), f"recorded on {recorded} of {dialed} dialed calls")
