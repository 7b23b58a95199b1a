"""An in-memory CallClaims with the same compare-and-set rules as the MongoDB one."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from application.ports.call_claims import ClaimLost
from domain.call_claim import Claim, ClaimStatus, claim_key
from domain.compliance import ComplianceDecision
from domain.outcomes import CallOutcome


class FakeCallClaims:
    def __init__(self, audit=None):
        self.claims: dict[str, Claim] = {}
        self.audit = audit  # a FakeComplianceAudit: where a won claim's decision is listed

    async def acquire(self, campaign_id: str, step: int, *, worker_id: str, call_id: str,
                      now: datetime, lease_until: datetime, attempt: int = 0,
                      decision: ComplianceDecision | None = None) -> tuple[bool, Claim]:
        key = claim_key(campaign_id, step, attempt)
        current = self.claims.get(key)
        free = (current is None or current.status is ClaimStatus.RELEASED
                or (current.status is ClaimStatus.CLAIMED and current.expired(now)))
        if not free:
            return False, current
        claim = Claim(campaign_id, step, ClaimStatus.CLAIMED, worker_id, call_id, lease_until, attempt=attempt)
        self.claims[key] = claim
        if decision is not None and self.audit is not None:
            await self.audit.record(campaign_id, step, decision)
        return True, claim

    async def mark_dialing(self, campaign_id: str, step: int, *, worker_id: str, lease_until: datetime,
                           attempt: int = 0) -> None:
        key = claim_key(campaign_id, step, attempt)
        current = self.claims.get(key)
        if current is None or current.worker_id != worker_id or current.status is not ClaimStatus.CLAIMED:
            raise ClaimLost(f"claim {key} is no longer held by {worker_id}")
        self.claims[key] = replace(current, status=ClaimStatus.DIALING, lease_until=lease_until)

    async def renew(self, campaign_id: str, step: int, *, worker_id: str, lease_until: datetime,
                    attempt: int = 0) -> bool:
        key = claim_key(campaign_id, step, attempt)
        current = self.claims.get(key)
        if current is None or current.worker_id != worker_id or current.status not in (
                ClaimStatus.CLAIMED, ClaimStatus.DIALING):
            return False
        self.claims[key] = replace(current, lease_until=lease_until)
        return True

    async def complete(self, campaign_id: str, step: int, *, outcome: CallOutcome, attempt: int = 0) -> None:
        key = claim_key(campaign_id, step, attempt)
        if key in self.claims:
            self.claims[key] = replace(self.claims[key], status=ClaimStatus.COMPLETED, outcome=outcome)

    async def release(self, campaign_id: str, step: int, *, worker_id: str, attempt: int = 0) -> None:
        key = claim_key(campaign_id, step, attempt)
        current = self.claims.get(key)
        if current and current.worker_id == worker_id and current.status is ClaimStatus.CLAIMED:
            self.claims[key] = replace(current, status=ClaimStatus.RELEASED)

    async def get(self, campaign_id: str, step: int, attempt: int = 0) -> Claim | None:
        return self.claims.get(claim_key(campaign_id, step, attempt))

    async def in_flight(self) -> list[Claim]:
        return [c for c in self.claims.values() if c.status in (ClaimStatus.CLAIMED, ClaimStatus.DIALING)]
