"""The internal do-not-call list and the compliance audit trail in MongoDB.

The list keeps a keyed hash of each number (and a masked form for operators),
never the number itself: it must outlive a contact's erasure.
"""
from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING

from application.ports.compliance import DoNotCallEntry
from domain.compliance import ComplianceDecision, Verdict
from domain.personal_data import mask_phone, phone_digest
from infrastructure.mongo_faults import mongo_faults
from infrastructure.mongo_models import aware


class MongoDoNotCallList:
    def __init__(self, database, hash_key: bytes):
        self.collection = database["do_not_call"]
        self.hash_key = hash_key

    async def contains(self, phone: str) -> bool:
        with mongo_faults("dnc.contains"):
            return await self.collection.count_documents({"_id": phone_digest(phone, self.hash_key)}, limit=1) > 0

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

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("campaignId", ASCENDING), ("decidedAt", ASCENDING)])

    async def record(self, campaign_id: str, step: int, decision: ComplianceDecision) -> None:
        with mongo_faults("audit.record"):
            await self.collection.insert_one({
                "campaignId": campaign_id, "step": step, "verdict": decision.verdict.value, "rule": decision.rule,
                "reason": decision.reason, "decidedAt": decision.decided_at, "until": decision.until,
                "inputs": decision.inputs,
            })

    async def for_campaign(self, campaign_id: str) -> list[tuple[int, ComplianceDecision]]:
        with mongo_faults("audit.for_campaign"):
            docs = [d async for d in self.collection.find({"campaignId": campaign_id}).sort("_id", ASCENDING)]
        return [(d["step"], ComplianceDecision(
            verdict=Verdict(d["verdict"]), rule=d["rule"], reason=d["reason"], decided_at=aware(d["decidedAt"]),
            until=aware(d.get("until")), inputs=d.get("inputs") or {})) for d in docs]
