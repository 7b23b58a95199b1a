"""Where campaigns, contacts and call records are kept."""
from __future__ import annotations

from typing import NamedTuple, Protocol

from application.ports.compliance import DoNotCallListing
from domain.call_record import CallRecord
from domain.campaign import Campaign, CampaignStatus
from domain.contact import Contact


class CampaignWithContact(NamedTuple):
    campaign: Campaign
    contact: Contact | None  # None when the campaign points nowhere
    # The do-not-call list's answer for the contact's number, read in the same round trip where the
    # store can (None: not read; the list is asked).
    listing: DoNotCallListing | None = None


class CampaignRepository(Protocol):
    async def get(self, campaign_id: str) -> Campaign | None: ...

    async def get_with_contact(self, campaign_id: str) -> CampaignWithContact | None:
        """The campaign and its contact, read together: one round trip where the store allows.
        None when there is no such campaign."""

    async def add(self, campaign: Campaign) -> None: ...

    async def add_many(self, campaigns: list[Campaign]) -> None:
        """Store these campaigns together (one round trip where the store allows); as `save`, an id
        already stored is replaced."""

    async def save(self, campaign: Campaign) -> None: ...

    async def find(self, *, status: CampaignStatus | None = None, batch: str | None = None) -> list[Campaign]:
        """Campaigns with that status and batch (any when None), by id."""


class ContactRepository(Protocol):
    async def get(self, contact_id: str) -> Contact | None: ...

    async def get_many(self, contact_ids: list[str]) -> dict[str, Contact]:
        """The contacts of these ids that exist, by id: one round trip where the store allows."""

    async def add(self, contact: Contact) -> None: ...

    async def add_many(self, contacts: list[Contact]) -> None:
        """Store these contacts together (one round trip where the store allows); as `save`, an id
        already stored is replaced."""

    async def save(self, contact: Contact) -> None: ...

    async def find_by_phone(self, phone: str) -> list[Contact]: ...


class CallRecordRepository(Protocol):
    async def add(self, record: CallRecord) -> None:
        """Store a record; adding the same call_id again replaces it (retries are safe)."""

    async def get(self, call_id: str) -> CallRecord | None: ...

    async def for_campaign(self, campaign_id: str) -> list[CallRecord]: ...

    async def for_campaigns(self, campaign_ids: list[str]) -> dict[str, list[CallRecord]]:
        """`for_campaign` of each of these campaigns (those with records), in one read where the store
        allows."""
