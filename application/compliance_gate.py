"""The compliance gate: the domain's calling policy fed with the lists it needs."""
from __future__ import annotations

from datetime import datetime

from application.ports.compliance import DoNotCallList
from domain.calling_policy import CallingPolicy
from domain.campaign import Campaign
from domain.compliance import ComplianceDecision
from domain.contact import Contact


class PolicyComplianceGate:
    def __init__(self, dnc: DoNotCallList, policy: CallingPolicy):
        self.dnc = dnc
        self.policy = policy

    async def check(self, contact: Contact, campaign: Campaign, now: datetime) -> ComplianceDecision:
        on_dnc = await self.dnc.contains(contact.phone)
        return self.policy.decide(contact, campaign, now, on_dnc=on_dnc)
