"""How long one compliance decision takes (allowed, deferred, worst case toll-free), printed per case.

Run from the repository root: python -m benchmarks.calling_policy_decide
"""
from __future__ import annotations

import statistics
import time
from datetime import datetime, timedelta

from domain.calling_policy import CallingPolicy
from domain.campaign import CallAttempt, Campaign
from domain.contact import Contact
from domain.outcomes import CallOutcome

CASES = {
    "allow (TX weekday)": ("+15125550143", "2026-03-10T10:00:00-05:00", 0),
    "defer (TX Saturday night -> Sunday noon)": ("+15125550143", "2026-03-14T21:30:00-05:00", 0),
    "defer (LA Saturday night, skip Sunday)": ("+15045550100", "2026-03-14T20:30:00-05:00", 0),
    "defer (attempt limits, 7 in history)": ("+12125550100", "2026-03-10T11:00:00-04:00", 7),
    "defer (toll-free, 12 zones)": ("+18005551234", "2026-03-10T06:00:00-04:00", 0),
}


def main(repeat: int = 300) -> None:
    policy = CallingPolicy()
    for name, (phone, now_text, n_history) in CASES.items():
        now = datetime.fromisoformat(now_text)
        history = [CallAttempt(at=now - timedelta(hours=1 + 20 * i), step=i, outcome=CallOutcome.NO_ANSWER)
                   for i in range(n_history)]
        contact = Contact(id="k", first_name="a", last_name="b", phone=phone, practice="p")
        campaign = Campaign(id="c", contact_id="k", call_history=history,
                            settings={"compliance": {"attempts": {"total": None}}})
        samples = []
        for _ in range(repeat):
            start = time.perf_counter()
            decision = policy.decide(contact, campaign, now, on_dnc=False)
            samples.append((time.perf_counter() - start) * 1000)
        samples.sort()
        print(f"{name:45s} {decision.verdict.value:6s} {decision.rule:22s} "
              f"median {statistics.median(samples):.3f} ms  p95 {samples[int(len(samples) * .95)]:.3f} ms")


if __name__ == "__main__":
    main()
