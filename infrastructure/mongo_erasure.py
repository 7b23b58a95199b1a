"""PersonalDataStore and ErasureAudit on MongoDB: contacts, campaigns and call records, live and archived."""
from __future__ import annotations

from datetime import datetime

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import ASCENDING

from application.ports.personal_data import ErasureEntry, EventFollowUp, StoredCall
from domain.campaign import Campaign, CampaignStatus
from domain.contact import Contact
from infrastructure.mongo_archive import CALL_RECORDS, CALL_RECORDS_ARCHIVE, CAMPAIGNS, CAMPAIGNS_ARCHIVE
from infrastructure.mongo_faults import mongo_faults
from infrastructure.mongo_models import ContactDoc
from infrastructure.mongo_times import aware

CONTACTS = "contacts"
ERASURE_AUDIT = "erasure_audit"
REP_FIELDS = {"contact": 1, "repCalendarId": 1, "repName": 1, "settings": 1}
OPEN_STATUSES = [CampaignStatus.PENDING.value, CampaignStatus.ACTIVE.value]


def _oid(value: str) -> ObjectId | None:
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        return None


def _stored_call(doc: dict, archived: bool) -> StoredCall:
    meeting = doc.get("meeting") if isinstance(doc.get("meeting"), dict) else {}
    return StoredCall(doc["callId"], doc.get("transcriptKey"), doc.get("recordingKey"), archived,
                      doc.get("campaignId", ""), meeting.get("eventId") or None, meeting.get("calendarId") or "")


class MongoPersonalDataStore:
    def __init__(self, database):
        self.database = database

    async def contacts_with_phone(self, phone: str) -> list[Contact]:
        with mongo_faults("erasure.contacts_with_phone"):
            docs = [d async for d in self.database[CONTACTS].find({"phone": phone})]
        return [ContactDoc.model_validate_doc(d).to_domain() for d in docs]

    async def contact(self, contact_id: str) -> Contact | None:
        oid = _oid(contact_id)
        if oid is None:
            return None
        with mongo_faults("erasure.contact"):
            doc = await self.database[CONTACTS].find_one({"_id": oid})
        return ContactDoc.model_validate_doc(doc).to_domain() if doc else None

    async def campaign_ids_of(self, contact_id: str) -> list[str]:
        oid = _oid(contact_id)
        if oid is None:
            return []
        found: list[str] = []
        with mongo_faults("erasure.campaigns"):
            for name in (CAMPAIGNS, CAMPAIGNS_ARCHIVE):
                async for d in self.database[name].find({"contact": oid}, {"_id": 1}):
                    if str(d["_id"]) not in found:
                        found.append(str(d["_id"]))
        return found

    async def calls_of(self, campaign_ids: list[str]) -> list[StoredCall]:
        calls: list[StoredCall] = []
        with mongo_faults("erasure.calls"):
            for name, archived in ((CALL_RECORDS, False), (CALL_RECORDS_ARCHIVE, True)):
                cursor = self.database[name].find({"campaignId": {"$in": campaign_ids}},
                                                  {"callId": 1, "campaignId": 1, "transcriptKey": 1, "recordingKey": 1,
                                                   "meeting.eventId": 1, "meeting.calendarId": 1})
                calls += [_stored_call(d, archived) async for d in cursor]
        return calls

    async def campaigns_by_id(self, campaign_ids: list[str]) -> list[Campaign]:
        oids = [o for o in map(_oid, campaign_ids) if o is not None]
        found: dict[str, Campaign] = {}
        with mongo_faults("erasure.campaigns_by_id"):
            # Archive first, live second: a campaign in both (an interrupted move) reads as the live one.
            for name in (CAMPAIGNS_ARCHIVE, CAMPAIGNS):
                # Only the rep's fields: an erasure must not fail on a campaign some other field of which is odd.
                async for d in self.database[name].find({"_id": {"$in": oids}}, REP_FIELDS):
                    found[str(d["_id"])] = Campaign(
                        id=str(d["_id"]), contact_id=str(d.get("contact", "")),
                        rep_calendar_id=d.get("repCalendarId") or "primary",
                        rep_name=d.get("repName") or "your DocShield advisor", settings=dict(d.get("settings") or {}))
        return [found[c] for c in campaign_ids if c in found]

    async def scrub_calls(self, campaign_ids: list[str], *, at: datetime) -> int:
        scrubbed = 0
        selector = {"campaignId": {"$in": campaign_ids}}
        with mongo_faults("erasure.scrub_calls"):
            for name in (CALL_RECORDS, CALL_RECORDS_ARCHIVE):
                collection = self.database[name]
                # What the callee said in their own words, and the address the invitation went to.
                result = await collection.update_many(
                    selector, {"$set": {"transcriptKey": None, "recordingKey": None, "declineReason": None,
                                        "erasedAt": at}})
                await collection.update_many({**selector, "meeting": {"$type": "object"}},
                                             {"$set": {"meeting.attendeeEmail": ""}})
                scrubbed += result.matched_count
        return scrubbed

    async def close_campaigns(self, campaign_ids: list[str], *, at: datetime) -> int:
        oids = [o for o in map(_oid, campaign_ids) if o is not None]
        with mongo_faults("erasure.close_campaigns"):
            result = await self.database[CAMPAIGNS].update_many(
                {"_id": {"$in": oids}, "status": {"$in": OPEN_STATUSES}},
                {"$set": {"status": CampaignStatus.OPTED_OUT.value, "erasedAt": at, "followUps": []}})
        return result.modified_count

    async def remove_contact(self, contact_id: str) -> bool:
        oid = _oid(contact_id)
        if oid is None:
            return False
        with mongo_faults("erasure.remove_contact"):
            result = await self.database[CONTACTS].delete_one({"_id": oid})
        return result.deleted_count == 1


class MongoErasureAudit:
    """`erasure_audit`: when, how the subject was named, and counts; no identifier of the person."""

    def __init__(self, database):
        self.collection = database[ERASURE_AUDIT]

    async def record(self, entry: ErasureEntry) -> None:
        with mongo_faults("erasure_audit.record"):
            await self.collection.insert_one({
                "_id": entry.erasure_id, "at": entry.at, "selector": entry.selector,
                "contactsRemoved": entry.contacts_removed, "campaigns": entry.campaigns,
                "campaignsClosed": entry.campaigns_closed, "callRecordsScrubbed": entry.call_records_scrubbed,
                "archivedCallRecords": entry.archived_call_records, "artifactsDeleted": entry.artifacts_deleted,
                "doNotCallAdded": entry.do_not_call_added, "calendarEventsCleaned": entry.calendar_events_cleaned,
                "calendarEventsGone": entry.calendar_events_gone, "callbacksCancelled": entry.callbacks_cancelled,
                "needsAPerson": [{"eventId": f.event_id, "reason": f.reason} for f in entry.needs_a_person],
            })

    async def entries(self) -> list[ErasureEntry]:
        with mongo_faults("erasure_audit.entries"):
            docs = [d async for d in self.collection.find().sort("at", ASCENDING)]
        return [ErasureEntry(
            erasure_id=d["_id"], at=aware(d["at"]), selector=d["selector"], contacts_removed=d["contactsRemoved"],
            campaigns=d["campaigns"], campaigns_closed=d["campaignsClosed"],
            call_records_scrubbed=d["callRecordsScrubbed"], archived_call_records=d["archivedCallRecords"],
            artifacts_deleted=d["artifactsDeleted"], do_not_call_added=d["doNotCallAdded"],
            calendar_events_cleaned=d.get("calendarEventsCleaned", 0),
            calendar_events_gone=d.get("calendarEventsGone", 0), callbacks_cancelled=d.get("callbacksCancelled", 0),
            needs_a_person=tuple(EventFollowUp(f["eventId"], f["reason"]) for f in d.get("needsAPerson", [])))
            for d in docs]
