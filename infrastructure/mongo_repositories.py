"""Campaign, contact and call-record repositories on Odmantic/Motor."""
from __future__ import annotations

from bson import ObjectId
from bson.errors import InvalidId
from odmantic import AIOEngine
from pymongo import UpdateOne
from pymongo.errors import BulkWriteError

from application.ports.compliance import DoNotCallListing
from application.ports.repositories import CampaignWithContact
from domain.call_record import CallRecord
from domain.campaign import Campaign, CampaignStatus
from domain.contact import Contact
from domain.personal_data import phone_digest
from infrastructure.mongo_compliance import CONTACT_DIGEST, DO_NOT_CALL
from infrastructure.mongo_faults import mongo_faults
from infrastructure.mongo_in_lists import find_in
from infrastructure.mongo_models import CallRecordDoc, CampaignDoc, ContactDoc


DUPLICATE_KEY = 11000


def _object_id(value: str) -> ObjectId | None:
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        return None


async def _add_many(collection, bodies: list[dict]) -> None:
    """Insert these documents in one round trip; those whose `_id` is already stored replace it (every
    field set, as odmantic's save does), in a second. Inserting is a third of the server's work of upserting."""
    try:
        await collection.insert_many(bodies, ordered=False)
    except BulkWriteError as exc:
        taken = {error["index"] for error in exc.details.get("writeErrors", []) if error.get("code") == DUPLICATE_KEY}
        if len(taken) != len(exc.details.get("writeErrors", [])):
            raise
        await collection.bulk_write([UpdateOne({"_id": bodies[i]["_id"]},
                                               {"$set": {k: v for k, v in bodies[i].items() if k != "_id"}},
                                               upsert=True) for i in sorted(taken)], ordered=False)


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

    async def get_with_contact(self, campaign_id: str) -> CampaignWithContact | None:
        """One aggregate: the campaign, its contact and the do-not-call entry of the digest saved on
        the contact (the list trusts that answer only when the digest is the one it computes)."""
        oid = _object_id(campaign_id)
        if oid is None:
            return None
        contacts = self.engine.get_collection(ContactDoc).name
        with mongo_faults("campaigns.get_with_contact"):
            cursor = self.engine.get_collection(CampaignDoc).aggregate([
                {"$match": {"_id": oid}}, {"$limit": 1},
                {"$lookup": {"from": contacts, "localField": "contact", "foreignField": "_id", "as": "_contact"}},
                {"$unwind": {"path": "$_contact", "preserveNullAndEmptyArrays": True}},
                {"$lookup": {"from": DO_NOT_CALL, "localField": f"_contact.{CONTACT_DIGEST}", "foreignField": "_id",
                             "as": "_listed"}},
                {"$project": {"_listed.masked": 0, "_listed.reason": 0, "_listed.source": 0}},
            ])
            docs = await cursor.to_list(length=1)
        if not docs:
            return None
        found, listed = docs[0].pop("_contact", None), docs[0].pop("_listed", [])
        campaign = CampaignDoc.model_validate_doc(docs[0]).to_domain()
        if not found:
            return CampaignWithContact(campaign, None)
        digest = found.pop(CONTACT_DIGEST, None)
        listing = DoNotCallListing(digest, bool(listed)) if isinstance(digest, str) else None
        return CampaignWithContact(campaign, ContactDoc.model_validate_doc(found).to_domain(), listing)

    async def add(self, campaign: Campaign) -> None:
        await self.save(campaign)

    async def add_many(self, campaigns: list[Campaign]) -> None:
        if not campaigns:
            return
        with mongo_faults("campaigns.add_many"):
            await _add_many(self.engine.get_collection(CampaignDoc),
                            [CampaignDoc.from_domain(c).model_dump_doc() for c in campaigns])

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
    """`dnc_hash_key`: the do-not-call list's key; each contact saved keeps its number's digest under it."""

    def __init__(self, engine: AIOEngine, dnc_hash_key: bytes | None = None):
        self.engine = engine
        self.dnc_hash_key = dnc_hash_key

    async def get(self, contact_id: str) -> Contact | None:
        oid = _object_id(contact_id)
        if oid is None:
            return None
        with mongo_faults("contacts.get"):
            doc = await self.engine.get_collection(ContactDoc).find_one({"_id": oid})
        return ContactDoc.model_validate_doc(doc).to_domain() if doc else None

    async def get_many(self, contact_ids: list[str]) -> dict[str, Contact]:
        oids = [oid for oid in map(_object_id, contact_ids) if oid is not None]
        if not oids:
            return {}
        with mongo_faults("contacts.get_many"):
            docs = await find_in(self.engine.get_collection(ContactDoc), "_id", oids)
        return {str(doc["_id"]): ContactDoc.model_validate_doc(doc).to_domain() for doc in docs}

    async def add(self, contact: Contact) -> None:
        await self.save(contact)

    async def add_many(self, contacts: list[Contact]) -> None:
        if not contacts:
            return
        with mongo_faults("contacts.add_many"):
            await _add_many(self.engine.get_collection(ContactDoc), [self._body(c) for c in contacts])

    async def save(self, contact: Contact) -> None:
        body = self._body(contact)
        with mongo_faults("contacts.save"):
            await self.engine.get_collection(ContactDoc).update_one({"_id": body.pop("_id")}, {"$set": body},
                                                                   upsert=True)

    def _body(self, contact: Contact) -> dict:
        """The stored contact: its fields and, with the list's key, its number's digest."""
        body = ContactDoc.from_domain(contact).model_dump_doc()
        key = self.digest_key(contact)
        if key is not None:
            body[CONTACT_DIGEST] = phone_digest(contact.phone, key)
        return body

    def digest_key(self, contact: Contact) -> bytes | None:
        """The do-not-call list's key the contact's number is hashed with (a simulation keeps a list per
        scenario, each with a key of its own)."""
        return self.dnc_hash_key

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

    async def for_campaigns(self, campaign_ids: list[str]) -> dict[str, list[CallRecord]]:
        if not campaign_ids:
            return {}
        with mongo_faults("call_records.for_campaigns"):
            docs = await find_in(self.engine.get_collection(CallRecordDoc), "campaignId", campaign_ids)
        found: dict[str, list[CallRecord]] = {}
        for doc in sorted(docs, key=lambda d: d["startedAt"]):  # oldest first, as for_campaign
            record = CallRecordDoc.model_validate_doc(doc).to_domain()
            found.setdefault(record.campaign_id, []).append(record)
        return found
