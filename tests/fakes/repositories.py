"""In-memory repositories: the same promises as the MongoDB adapters, over dicts."""
from __future__ import annotations

import copy

from application.ports.repositories import CampaignWithContact
from domain.call_record import CallRecord
from domain.campaign import Campaign, CampaignStatus
from domain.contact import Contact


class FakeCampaignRepository:
    def __init__(self, *campaigns: Campaign, contacts: "FakeContactRepository | None" = None):
        self._items = {c.id: copy.deepcopy(c) for c in campaigns}
        self.contacts = contacts  # where get_with_contact finds contacts

    async def get(self, campaign_id: str) -> Campaign | None:
        item = self._items.get(campaign_id)
        return copy.deepcopy(item) if item else None

    async def get_with_contact(self, campaign_id: str) -> CampaignWithContact | None:
        campaign = await self.get(campaign_id)
        if campaign is None:
            return None
        return CampaignWithContact(campaign, await self.contacts.get(campaign.contact_id) if self.contacts else None)

    async def add(self, campaign: Campaign) -> None:
        await self.save(campaign)

    async def add_many(self, campaigns: list[Campaign]) -> None:
        for campaign in campaigns:
            await self.save(campaign)

    async def save(self, campaign: Campaign) -> None:
        self._items[campaign.id] = copy.deepcopy(campaign)

    async def all(self) -> list[Campaign]:
        return [copy.deepcopy(c) for c in self._items.values()]

    async def find(self, *, status: CampaignStatus | None = None, batch: str | None = None) -> list[Campaign]:
        return [copy.deepcopy(c) for _, c in sorted(self._items.items())
                if (status is None or c.status is status) and (batch is None or c.batch == batch)]


class FakeContactRepository:
    def __init__(self, *contacts: Contact):
        self._items = {c.id: copy.deepcopy(c) for c in contacts}

    async def get(self, contact_id: str) -> Contact | None:
        item = self._items.get(contact_id)
        return copy.deepcopy(item) if item else None

    async def get_many(self, contact_ids: list[str]) -> dict[str, Contact]:
        return {i: copy.deepcopy(self._items[i]) for i in contact_ids if i in self._items}

    async def add(self, contact: Contact) -> None:
        await self.save(contact)

    async def add_many(self, contacts: list[Contact]) -> None:
        for contact in contacts:
            await self.save(contact)

    async def save(self, contact: Contact) -> None:
        self._items[contact.id] = copy.deepcopy(contact)

    async def find_by_phone(self, phone: str) -> list[Contact]:
        return [copy.deepcopy(c) for c in self._items.values() if c.phone == phone]


class FakeCallRecordRepository:
    def __init__(self):
        self._items: dict[str, CallRecord] = {}

    async def add(self, record: CallRecord) -> None:
        self._items[record.call_id] = copy.deepcopy(record)

    async def get(self, call_id: str) -> CallRecord | None:
        item = self._items.get(call_id)
        return copy.deepcopy(item) if item else None

    async def for_campaign(self, campaign_id: str) -> list[CallRecord]:
        found = [copy.deepcopy(r) for r in self._items.values() if r.campaign_id == campaign_id]
        return sorted(found, key=lambda r: r.started_at)

    async def for_campaigns(self, campaign_ids: list[str]) -> dict[str, list[CallRecord]]:
        found = {campaign_id: await self.for_campaign(campaign_id) for campaign_id in set(campaign_ids)}
        return {campaign_id: records for campaign_id, records in found.items() if records}
