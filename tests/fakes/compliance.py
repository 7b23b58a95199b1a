"""In-memory do-not-call list, compliance audit and a gate that answers as told."""
from __future__ import annotations

from datetime import datetime

from application.ports.compliance import DoNotCallEntry
from domain.campaign import Campaign
from domain.compliance import ComplianceDecision, Verdict
from domain.contact import Contact
from domain.personal_data import mask_phone, phone_digest

_KEY = b"fake-dnc-key"


class FakeDoNotCallList:
    def __init__(self, *phones: str):
        self._entries: dict[str, DoNotCallEntry] = {}
        for phone in phones:
            self._entries[phone_digest(phone, _KEY)] = DoNotCallEntry(
                phone_digest(phone, _KEY), mask_phone(phone), "seeded", "test", datetime(2026, 1, 1))

    async def contains(self, phone: str) -> bool:
        return phone_digest(phone, _KEY) in self._entries

    async def add(self, phone: str, *, reason: str, source: str, at: datetime) -> bool:
        digest = phone_digest(phone, _KEY)
        if digest in self._entries:
            return False
        self._entries[digest] = DoNotCallEntry(digest, mask_phone(phone), reason, source, at)
        return True

    async def remove(self, phone: str) -> bool:
        return self._entries.pop(phone_digest(phone, _KEY), None) is not None

    async def entries(self) -> list[DoNotCallEntry]:
        return sorted(self._entries.values(), key=lambda e: e.added_at)


class FakeComplianceAudit:
    def __init__(self):
        self.rows: list[tuple[str, int, ComplianceDecision]] = []

    async def record(self, campaign_id: str, step: int, decision: ComplianceDecision) -> None:
        self.rows.append((campaign_id, step, decision))

    async def for_campaign(self, campaign_id: str) -> list[tuple[int, ComplianceDecision]]:
        return [(step, d) for cid, step, d in self.rows if cid == campaign_id]


class FixedComplianceGate:
    """Answers every check with the decision it was given (allow by default)."""

    def __init__(self, verdict: Verdict = Verdict.ALLOW, *, rule: str = "test_rule", until: datetime | None = None):
        self.verdict = verdict
        self.rule = rule
        self.until = until
        self.checked: list[str] = []

    async def check(self, contact: Contact, campaign: Campaign, now: datetime) -> ComplianceDecision:
        self.checked.append(campaign.id)
        return ComplianceDecision(self.verdict, self.rule, f"{self.rule} says {self.verdict.value}", now,
                                  until=self.until)

    async def check_callback(self, contact: Contact, campaign: Campaign, asked: datetime, *,
                             asked_on: datetime) -> ComplianceDecision:
        return await self.check(contact, campaign, asked)
