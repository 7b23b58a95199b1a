"""Campaign, contact and call-record repositories on Odmantic/Motor."""
from __future__ import annotations

from bson import ObjectId
from bson.errors import InvalidId
from odmantic import AIOEngine

from domain.call_record import CallRecord
from domain.campaign import Campaign, CampaignStatus
from domain.contact import Contact
from infrastructure.mongo_faults import mongo_faults
from infrastructure.mongo_models import CallRecordDoc, CampaignDoc, ContactDoc


def _object_id(value: str) -> ObjectId | None:
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        return None


class MongoCampaignRepository:
    def __init__(self, engine: AIOEngine):
        self.engine = engine

    async def get(self, campaign_id: str) -> Campaign | None:
        oid = _object_id(campaign_id)
        if oid is None:
            return None
        with mongo_faults("campaigns.get"):
            # A plain find: odmantic's find_one runs an aggregate.
            doc = await self.engine.get_collection(CampaignDoc).find_one({"_id": oid})
        return CampaignDoc.model_validate_doc(doc).to_domain() if doc else None

    async def get_with_contact(self, campaign_id: str) -> tuple[Campaign, Contact | None] | None:
        oid = _object_id(campaign_id)
        if oid is None:
            return None
        contacts = self.engine.get_collection(ContactDoc).name
        with mongo_faults("campaigns.get_with_contact"):
            cursor = self.engine.get_collection(CampaignDoc).aggregate([
                {"$match": {"_id": oid}}, {"$limit": 1},
                {"$lookup": {"from": contacts, "localField": "contact", "foreignField": "_id", "as": "_contact"}},
            ])
            docs = await cursor.to_list(length=1)
        if not docs:
            return None
        found = docs[0].pop("_contact", [])
        contact = ContactDoc.model_validate_doc(found[0]).to_domain() if found else None
        return CampaignDoc.model_validate_doc(docs[0]).to_domain(), contact

    async def add(self, campaign: Campaign) -> None:
        await self.save(campaign)

    async def save(self, campaign: Campaign) -> None:
        with mongo_faults("campaigns.save"):
            await self.engine.save(CampaignDoc.from_domain(campaign))

    async def all(self) -> list[Campaign]:
        with mongo_faults("campaigns.all"):
            return [d.to_domain() for d in await self.engine.find(CampaignDoc)]

    async def find(self, *, status: CampaignStatus | None = None, batch: str | None = None) -> list[Campaign]:
        query = []
        if status is not None:
            query.append(CampaignDoc.status == status.value)
        if batch is not None:
            query.append(CampaignDoc.batch == batch)
        with mongo_faults("campaigns.find"):
            docs = await self.engine.find(CampaignDoc, *query, sort=CampaignDoc.id)
        return [d.to_domain() for d in docs]


class MongoContactRepository:
    def __init__(self, engine: AIOEngine):
        self.engine = engine

    async def get(self, contact_id: str) -> Contact | None:
        oid = _object_id(contact_id)
        if oid is None:
            return None
        with mongo_faults("contacts.get"):
            doc = await self.engine.get_collection(ContactDoc).find_one({"_id": oid})
        return ContactDoc.model_validate_doc(doc).to_domain() if doc else None

    async def add(self, contact: Contact) -> None:
        await self.save(contact)

    async def save(self, contact: Contact) -> None:
        with mongo_faults("contacts.save"):
            await self.engine.save(ContactDoc.from_domain(contact))

    async def find_by_phone(self, phone: str) -> list[Contact]:
        with mongo_faults("contacts.find_by_phone"):
            return [d.to_domain() for d in await self.engine.find(ContactDoc, ContactDoc.phone == phone)]


class MongoCallRecordRepository:
    def __init__(self, engine: AIOEngine):
        self.engine = engine

    async def add(self, record: CallRecord) -> None:
        body = CallRecordDoc.from_domain(record).model_dump_doc()
        body.pop("_id")
        with mongo_faults("call_records.add"):
            # One round trip, keyed by call id: a retried save replaces instead of duplicating.
            await self.engine.get_collection(CallRecordDoc).replace_one(
                {"callId": record.call_id}, body, upsert=True)

    async def get(self, call_id: str) -> CallRecord | None:
        with mongo_faults("call_records.get"):
            doc = await self.engine.get_collection(CallRecordDoc).find_one({"callId": call_id})
        return CallRecordDoc.model_validate_doc(doc).to_domain() if doc else None

    async def for_campaign(self, campaign_id: str) -> list[CallRecord]:
        with mongo_faults("call_records.for_campaign"):
            docs = await self.engine.find(CallRecordDoc, CallRecordDoc.campaign_id == campaign_id,
                                          sort=CallRecordDoc.started_at)
        return [d.to_domain() for d in docs]
