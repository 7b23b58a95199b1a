"""Compliance decisions: may this call happen now, later, or never.

Every decision names the rule that made it and the inputs it looked at, so
that it can be stored and audited.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum


class Verdict(str, Enum):
    ALLOW = "allow"
    DEFER = "defer"  # not now; `until` is the earliest lawful minute (for a callback: the nearest one)
    SKIP = "skip"  # never (do-not-call, attempts exhausted)
    WRONG_NUMBER = "wrong_number"  # the number cannot be a callable US line


@dataclass(frozen=True)
class ComplianceDecision:
    verdict: Verdict
    rule: str
    reason: str
    decided_at: datetime
    until: datetime | None = None
    inputs: dict = field(default_factory=dict)

    @property
    def allowed(self) -> bool:
        return self.verdict is Verdict.ALLOW

    def lawful_callback(self, asked: datetime) -> datetime | None:
        """For a decision on a callback (CallingPolicy.decide_callback): the minute asked when it is lawful,
        else the nearest lawful minute (earlier or later); None when no call may be placed at all."""
        if self.allowed:  # a time already past when asked was decided at the first minute after the call
            return max(asked, self.decided_at).replace(second=0, microsecond=0)
        if self.verdict is Verdict.DEFER and self.until is not None:
            return self.until.replace(second=0, microsecond=0)
        return None
