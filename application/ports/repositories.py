"""Where campaigns, contacts and call records are kept."""
from __future__ import annotations

from typing import Protocol

from domain.call_record import CallRecord
from domain.campaign import Campaign, CampaignStatus
from domain.contact import Contact


class CampaignRepository(Protocol):
    async def get(self, campaign_id: str) -> Campaign | None: ...

    async def get_with_contact(self, campaign_id: str) -> tuple[Campaign, Contact | None] | None:
        """The campaign and its contact (None when it points nowhere), read together: one round
        trip where the store allows. None when there is no such campaign."""

    async def add(self, campaign: Campaign) -> None: ...

    async def save(self, campaign: Campaign) -> None: ...

    async def find(self, *, status: CampaignStatus | None = None, batch: str | None = None) -> list[Campaign]:
        """Campaigns with that status and batch (any when None), by id."""


class ContactRepository(Protocol):
    async def get(self, contact_id: str) -> Contact | None: ...

    async def add(self, contact: Contact) -> None: ...

    async def save(self, contact: Contact) -> None: ...

    async def find_by_phone(self, phone: str) -> list[Contact]: ...


class CallRecordRepository(Protocol):
    async def add(self, record: CallRecord) -> None:
        """Store a record; adding the same call_id again replaces it (retries are safe)."""

    async def get(self, call_id: str) -> CallRecord | None: ...

    async def for_campaign(self, campaign_id: str) -> list[CallRecord]: ...
