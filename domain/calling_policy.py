"""The calling policy: every rule a call must pass, strictest first.

First cut: the do-not-call list and the federal 8:00-21:00 window in the
callee's time zone. State rules, holidays and attempt limits extend it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.campaign import Campaign
from domain.compliance import ComplianceDecision, Verdict
from domain.contact import Contact

FEDERAL_START = time(8, 0)
FEDERAL_END = time(21, 0)


@dataclass(frozen=True)
class CallingPolicy:
    default_timezone: str = "America/New_York"

    def decide(self, contact: Contact, campaign: Campaign, now: datetime, *, on_dnc: bool) -> ComplianceDecision:
        inputs = {"timezone": contact.timezone or self.default_timezone, "now": now.isoformat()}
        if on_dnc:
            return ComplianceDecision(Verdict.SKIP, "internal_dnc", "the number is on the do-not-call list",
                                      now, inputs=inputs)
        zone = ZoneInfo(contact.timezone or self.default_timezone)
        local = now.astimezone(zone)
        if FEDERAL_START <= local.time() < FEDERAL_END:
            return ComplianceDecision(Verdict.ALLOW, "federal_window", "inside 08:00-21:00 local", now, inputs=inputs)
        day = local.date() if local.time() < FEDERAL_START else local.date() + timedelta(days=1)
        until = datetime.combine(day, FEDERAL_START, tzinfo=zone)
        return ComplianceDecision(Verdict.DEFER, "federal_window", "outside 08:00-21:00 local", now,
                                  until=until, inputs=inputs)
