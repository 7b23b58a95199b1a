"""In-memory PersonalDataStore and ErasureAudit: contacts, campaigns and call records, live and archived."""
from __future__ import annotations

import copy
from dataclasses import replace
from datetime import datetime

from application.ports.personal_data import ErasureEntry, StoredCall
from domain.call_record import CallRecord
from domain.campaign import Campaign, CampaignStatus
from domain.contact import Contact


class FakePersonalDataStore:
    def __init__(self):
        self.contacts: dict[str, Contact] = {}
        self.campaigns: dict[str, Campaign] = {}
        self.archived_campaigns: dict[str, Campaign] = {}
        self.records: dict[str, CallRecord] = {}
        self.archived_records: dict[str, CallRecord] = {}
        self.erased_at: dict[str, datetime] = {}

    async def contacts_with_phone(self, phone: str) -> list[Contact]:
        return [copy.deepcopy(c) for c in self.contacts.values() if c.phone == phone]

    async def contact(self, contact_id: str) -> Contact | None:
        found = self.contacts.get(contact_id)
        return copy.deepcopy(found) if found else None

    async def campaign_ids_of(self, contact_id: str) -> list[str]:
        ids = [c.id for c in self.campaigns.values() if c.contact_id == contact_id]
        return ids + [c.id for c in self.archived_campaigns.values() if c.contact_id == contact_id and c.id not in ids]

    async def calls_of(self, campaign_ids: list[str]) -> list[StoredCall]:
        return [StoredCall(r.call_id, r.transcript_key, r.recording_key, archived, r.campaign_id,
                           r.meeting.event_id if r.meeting else None, r.meeting.calendar_id if r.meeting else "")
                for store, archived in ((self.records, False), (self.archived_records, True))
                for r in store.values() if r.campaign_id in campaign_ids]

    async def campaigns_by_id(self, campaign_ids: list[str]) -> list[Campaign]:
        found = {**self.archived_campaigns, **self.campaigns}
        return [copy.deepcopy(found[c]) for c in campaign_ids if c in found]

    async def scrub_calls(self, campaign_ids: list[str], *, at: datetime) -> int:
        scrubbed = 0
        for store in (self.records, self.archived_records):
            for call_id, r in store.items():
                if r.campaign_id in campaign_ids:
                    meeting = replace(r.meeting, attendee_email="") if r.meeting else None
                    store[call_id] = replace(r, transcript_key=None, recording_key=None, decline_reason=None,
                                             meeting=meeting)
                    self.erased_at[call_id] = at
                    scrubbed += 1
        return scrubbed

    async def close_campaigns(self, campaign_ids: list[str], *, at: datetime) -> int:
        closed = 0
        for cid in campaign_ids:
            campaign = self.campaigns.get(cid)
            if campaign is not None and not campaign.closed:
                campaign.status = CampaignStatus.OPTED_OUT
                closed += 1
        return closed

    async def remove_contact(self, contact_id: str) -> bool:
        return self.contacts.pop(contact_id, None) is not None


class FakeErasureAudit:
    def __init__(self):
        self.rows: list[ErasureEntry] = []

    async def record(self, entry: ErasureEntry) -> None:
        self.rows.append(entry)

    async def entries(self) -> list[ErasureEntry]:
        return list(self.rows)
