"""`simulate --repeat N`: a real model does not answer the same way twice, so each scenario gets a pass rate."""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable


def number_repeats(runs: Iterable[Any]) -> None:
    """Give every run its repeat number (1..N) and its scenario's pass rate over all N runs."""
    by_scenario: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for run in runs:
        by_scenario[(run.scenario.source, run.scenario.id)].append(run)
    for group in by_scenario.values():
        rate = sum(r.passed for r in group) / len(group)
        for number, run in enumerate(group, start=1):
            run.repeat = number
            run.pass_rate = rate
