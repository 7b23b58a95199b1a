"""The internal do-not-call list and the compliance audit trail in MongoDB.

The list keeps a keyed hash of each number (and a masked form for operators),
never the number itself: it must outlive a contact's erasure.
"""
from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING

from application.ports.compliance import DoNotCallEntry, DoNotCallListing
from domain.compliance import ComplianceDecision, Verdict
from domain.personal_data import mask_phone, phone_digest
from infrastructure.mongo_faults import mongo_faults
from infrastructure.mongo_times import aware


DO_NOT_CALL = "do_not_call"
# On each contact the repository saves: the number's keyed hash, so reading a campaign with its contact
# can read the number's do-not-call entry in the same round trip (MongoCampaignRepository).
CONTACT_DIGEST = "dncDigest"


class MongoDoNotCallList:
    def __init__(self, database, hash_key: bytes):
        self.collection = database[DO_NOT_CALL]
        self.hash_key = hash_key

    async def contains(self, phone: str, listing: DoNotCallListing | None = None) -> bool:
        digest = phone_digest(phone, self.hash_key)
        if listing is not None and listing.digest == digest:
            return listing.listed  # read from this very list with the contact (MongoCampaignRepository)
        with mongo_faults("dnc.contains"):
            # A find by _id, not count_documents (an aggregate): the cheapest read MongoDB has.
            return await self.collection.find_one({"_id": digest}, {"_id": 1}) is not None

    async def add(self, phone: str, *, reason: str, source: str, at: datetime) -> bool:
        digest = phone_digest(phone, self.hash_key)
        with mongo_faults("dnc.add"):
            result = await self.collection.update_one(
                {"_id": digest},
                {"$setOnInsert": {"masked": mask_phone(phone), "reason": reason, "source": source, "addedAt": at}},
                upsert=True,
            )
        return result.upserted_id is not None

    async def remove(self, phone: str) -> bool:
        with mongo_faults("dnc.remove"):
            result = await self.collection.delete_one({"_id": phone_digest(phone, self.hash_key)})
        return result.deleted_count == 1

    async def entries(self) -> list[DoNotCallEntry]:
        with mongo_faults("dnc.entries"):
            docs = [d async for d in self.collection.find().sort("addedAt", ASCENDING)]
        return [DoNotCallEntry(phone_hash=d["_id"], masked=d["masked"], reason=d["reason"], source=d["source"],
                               added_at=aware(d["addedAt"])) for d in docs]


class MongoComplianceAudit:
    def __init__(self, database):
        self.collection = database["compliance_audit"]
        self.claims = database["call_claims"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("campaignId", ASCENDING), ("decidedAt", ASCENDING)])
        # `docshield report` counts the window's decisions by rule: a range on the time alone.
        await self.collection.create_index([("decidedAt", ASCENDING)])
        await self.claims.create_index([("campaignId", ASCENDING)])

    async def record(self, campaign_id: str, step: int, decision: ComplianceDecision) -> None:
        with mongo_faults("audit.record"):
            await self.collection.insert_one({"campaignId": campaign_id, "step": step, **decision_doc(decision)})

    async def for_campaign(self, campaign_id: str) -> list[tuple[int, ComplianceDecision]]:
        """Rows recorded here and decisions kept with won claims (MongoCallClaims.acquire), by time."""
        with mongo_faults("audit.for_campaign"):
            rows = [(d["step"], decision_from(d)) async for d in
                    self.collection.find({"campaignId": campaign_id}).sort("_id", ASCENDING)]
            async for claim in self.claims.find({"campaignId": campaign_id, "decisions": {"$exists": True}},
                                                {"step": 1, "decisions": 1}):
                rows.extend((claim["step"], decision_from(d)) for d in claim["decisions"])
        return sorted(rows, key=lambda row: row[1].decided_at)


def decision_doc(decision: ComplianceDecision) -> dict:
    """How a compliance decision is stored, in the audit collection and on a claim."""
    return {"verdict": decision.verdict.value, "rule": decision.rule, "reason": decision.reason,
            "decidedAt": decision.decided_at, "until": decision.until, "inputs": decision.inputs}


def decision_from(doc: dict) -> ComplianceDecision:
    return ComplianceDecision(verdict=Verdict(doc["verdict"]), rule=doc["rule"], reason=doc["reason"],
                              decided_at=aware(doc["decidedAt"]), until=aware(doc.get("until")),
                              inputs=doc.get("inputs") or {})
