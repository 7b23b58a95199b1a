"""The compliance gate: the domain's calling policy fed with the do-not-call list."""
from __future__ import annotations

from datetime import datetime

from application.errors import MalformedJob
from application.ports.compliance import DoNotCallList
from domain.calling_policy import CallingPolicy, ComplianceInputError
from domain.campaign import Campaign
from domain.compliance import ComplianceDecision
from domain.contact import Contact


class PolicyComplianceGate:
    """Implements the ComplianceGate port.

    Bad compliance settings or contact location data (an unknown state or time
    zone) can never pass, so they fail the job as MalformedJob naming the problem.
    """

    def __init__(self, dnc: DoNotCallList, policy: CallingPolicy | None = None):
        self.dnc = dnc
        self.policy = policy or CallingPolicy()

    async def check(self, contact: Contact, campaign: Campaign, now: datetime) -> ComplianceDecision:
        on_dnc = await self.dnc.contains(contact.phone)
        try:
            return self.policy.decide(contact, campaign, now, on_dnc=on_dnc)
        except ComplianceInputError as exc:
            raise MalformedJob(str(exc)) from exc

    async def check_callback(self, contact: Contact, campaign: Campaign, asked: datetime, *,
                             asked_on: datetime) -> ComplianceDecision:
        on_dnc = await self.dnc.contains(contact.phone)
        try:
            return self.policy.decide_callback(contact, campaign, asked, asked_on=asked_on, on_dnc=on_dnc)
        except ComplianceInputError as exc:
            raise MalformedJob(str(exc)) from exc
