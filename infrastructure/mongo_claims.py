"""The (campaign, step) claim as an atomic compare-and-set on one MongoDB document."""
from __future__ import annotations

from datetime import datetime

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from application.ports.call_claims import ClaimLost
from domain.call_claim import Claim, ClaimStatus, claim_key
from domain.compliance import ComplianceDecision
from domain.outcomes import CallOutcome
from infrastructure.mongo_compliance import decision_doc
from infrastructure.mongo_faults import mongo_faults
from infrastructure.mongo_times import aware


class MongoCallClaims:
    """Documents `{_id: "<campaign>:<step>", status, workerId, callId, leaseUntil, outcome}`."""

    def __init__(self, database):
        self.collection = database["call_claims"]

    async def acquire(self, campaign_id: str, step: int, *, worker_id: str, call_id: str,
                      now: datetime, lease_until: datetime, attempt: int = 0,
                      decision: ComplianceDecision | None = None) -> tuple[bool, Claim]:
        key = claim_key(campaign_id, step, attempt)
        fresh = {"status": ClaimStatus.CLAIMED.value, "workerId": worker_id, "callId": call_id,
                 "leaseUntil": lease_until, "campaignId": campaign_id, "step": step, "attempt": attempt,
                 "outcome": None,
                 "claimedAt": now}
        # The compliance audit rides on the claim's write (MongoComplianceAudit.for_campaign reads it).
        audit = [decision_doc(decision)] if decision is not None else []
        with mongo_faults("claims.acquire"):
            try:
                await self.collection.insert_one({"_id": key, **fresh, **({"decisions": audit} if audit else {})})
                return True, self._claim({"_id": key, **fresh})
            except DuplicateKeyError:
                pass
            # Free means released, or claimed-but-never-dialed by a worker whose lease ran out.
            taken = await self.collection.find_one_and_update(
                {"_id": key, "$or": [
                    {"status": ClaimStatus.RELEASED.value},
                    {"status": ClaimStatus.CLAIMED.value, "leaseUntil": {"$lte": now}},
                ]},
                {"$set": fresh, **({"$push": {"decisions": {"$each": audit}}} if audit else {})},
                return_document=ReturnDocument.AFTER,
            )
            if taken is not None:
                return True, self._claim(taken)
            current = await self.collection.find_one({"_id": key})
        if current is None:  # deleted between our two statements: try once more from the top
            return await self.acquire(campaign_id, step, worker_id=worker_id, call_id=call_id,
                                      now=now, lease_until=lease_until, attempt=attempt, decision=decision)
        return False, self._claim(current)

    async def mark_dialing(self, campaign_id: str, step: int, *, worker_id: str, lease_until: datetime,
                           attempt: int = 0) -> None:
        with mongo_faults("claims.mark_dialing"):
            result = await self.collection.update_one(
                {"_id": claim_key(campaign_id, step, attempt), "workerId": worker_id,
                 "status": ClaimStatus.CLAIMED.value},
                {"$set": {"status": ClaimStatus.DIALING.value, "leaseUntil": lease_until}},
            )
        if result.matched_count != 1:
            raise ClaimLost(f"claim {claim_key(campaign_id, step, attempt)} is no longer held by {worker_id}")

    async def renew(self, campaign_id: str, step: int, *, worker_id: str, lease_until: datetime,
                    attempt: int = 0) -> bool:
        with mongo_faults("claims.renew"):
            result = await self.collection.update_one(
                {"_id": claim_key(campaign_id, step, attempt), "workerId": worker_id,
                 "status": {"$in": [ClaimStatus.CLAIMED.value, ClaimStatus.DIALING.value]}},
                {"$set": {"leaseUntil": lease_until}},
            )
        return result.matched_count == 1

    async def complete(self, campaign_id: str, step: int, *, outcome: CallOutcome, attempt: int = 0) -> None:
        with mongo_faults("claims.complete"):
            await self.collection.update_one(
                {"_id": claim_key(campaign_id, step, attempt)},
                {"$set": {"status": ClaimStatus.COMPLETED.value, "outcome": outcome.value}},
            )

    async def release(self, campaign_id: str, step: int, *, worker_id: str, attempt: int = 0) -> None:
        with mongo_faults("claims.release"):
            await self.collection.update_one(
                {"_id": claim_key(campaign_id, step, attempt), "workerId": worker_id,
                 "status": ClaimStatus.CLAIMED.value},
                {"$set": {"status": ClaimStatus.RELEASED.value}},
            )

    async def get(self, campaign_id: str, step: int, attempt: int = 0) -> Claim | None:
        with mongo_faults("claims.get"):
            doc = await self.collection.find_one({"_id": claim_key(campaign_id, step, attempt)})
        return self._claim(doc) if doc else None

    async def in_flight(self) -> list[Claim]:
        with mongo_faults("claims.in_flight"):
            cursor = self.collection.find(
                {"status": {"$in": [ClaimStatus.CLAIMED.value, ClaimStatus.DIALING.value]}})
            return [self._claim(d) async for d in cursor]

    @staticmethod
    def _claim(doc: dict) -> Claim:
        return Claim(
            campaign_id=doc["campaignId"], step=doc["step"], status=ClaimStatus(doc["status"]),
            worker_id=doc["workerId"], call_id=doc["callId"], lease_until=aware(doc["leaseUntil"]),
            outcome=CallOutcome(doc["outcome"]) if doc.get("outcome") else None,
            attempt=doc.get("attempt", 0),
        )
