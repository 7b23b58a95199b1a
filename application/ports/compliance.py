"""Whether a call may happen now, and the lists that decide it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.campaign import Campaign
from domain.compliance import ComplianceDecision
from domain.contact import Contact


class ComplianceGate(Protocol):
    async def check(self, contact: Contact, campaign: Campaign, now: datetime) -> ComplianceDecision: ...

    async def check_callback(self, contact: Contact, campaign: Campaign, asked: datetime, *,
                             asked_on: datetime) -> ComplianceDecision:
        """A callback asked for at `asked` during a call at `asked_on` (CallingPolicy.decide_callback)."""


@dataclass(frozen=True)
class DoNotCallEntry:
    phone_hash: str
    masked: str  # e.g. "+1512•••0143": enough for an operator, not a dialable number
    reason: str
    source: str
    added_at: datetime


class DoNotCallList(Protocol):
    async def contains(self, phone: str) -> bool: ...

    async def add(self, phone: str, *, reason: str, source: str, at: datetime) -> bool:
        """True when the number was not on the list before."""

    async def remove(self, phone: str) -> bool: ...

    async def entries(self) -> list[DoNotCallEntry]: ...


class ComplianceAudit(Protocol):
    async def record(self, campaign_id: str, step: int, decision: ComplianceDecision) -> None: ...

    async def for_campaign(self, campaign_id: str) -> list[tuple[int, ComplianceDecision]]: ...
