"""Where a contact's personal data is kept, live and archived, for erasure on request."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.campaign import Campaign
from domain.contact import Contact


@dataclass(frozen=True)
class StoredCall:
    """A call record's pointers to its artifacts and to the meeting it booked, wherever the record is kept.

    `event_id` is the booked event's id (None when the call booked nothing) and
    `event_calendar_id` the calendar it was booked on ("" when the record predates
    storing it: the campaign's rep calendar then)."""

    call_id: str
    transcript_key: str | None = None
    recording_key: str | None = None
    archived: bool = False
    campaign_id: str = ""
    event_id: str | None = None
    event_calendar_id: str = ""

    @property
    def artifact_keys(self) -> list[str]:
        return [k for k in (self.transcript_key, self.recording_key) if k]


@dataclass(frozen=True)
class EventFollowUp:
    """A calendar event the erasure could not clean: a person must remove the contact from it.

    Names the event, never the person (the call record keeps the event id and calendar id)."""

    event_id: str
    reason: str


@dataclass(frozen=True)
class ErasureEntry:
    """One line of the erasure audit: what was removed, never whose data it was."""

    erasure_id: str
    at: datetime
    selector: str  # "phone" or "contact_id": how the operator named the subject
    contacts_removed: int
    campaigns: int
    campaigns_closed: int
    call_records_scrubbed: int
    archived_call_records: int
    artifacts_deleted: int
    do_not_call_added: bool
    calendar_events_cleaned: int = 0
    calendar_events_gone: int = 0  # booked once, no longer on the calendar: nothing to clean
    needs_a_person: tuple[EventFollowUp, ...] = ()
    callbacks_cancelled: int = 0  # queued follow-up calls removed


class PersonalDataStore(Protocol):
    async def contacts_with_phone(self, phone: str) -> list[Contact]:
        """Contacts whose number is `phone` (E.164)."""

    async def contact(self, contact_id: str) -> Contact | None: ...

    async def campaign_ids_of(self, contact_id: str) -> list[str]:
        """The contact's campaigns, live and archived."""

    async def calls_of(self, campaign_ids: list[str]) -> list[StoredCall]:
        """The call records of these campaigns, live and archived."""

    async def campaigns_by_id(self, campaign_ids: list[str]) -> list[Campaign]:
        """These campaigns, live and archived (ids not found are left out), for whose rep booked what:
        an adapter may fill only the rep's fields (rep_calendar_id, rep_name, settings)."""

    async def scrub_calls(self, campaign_ids: list[str], *, at: datetime) -> int:
        """Clear the artifact keys and personal text of these campaigns' call records, live and
        archived (outcome, dates and counts stay); returns how many records were scrubbed."""

    async def close_campaigns(self, campaign_ids: list[str], *, at: datetime) -> int:
        """Mark the campaigns still open as opted out, so no further step calls; returns how many changed."""

    async def remove_contact(self, contact_id: str) -> bool:
        """Delete the contact document; True when it existed."""


class ErasureAudit(Protocol):
    async def record(self, entry: ErasureEntry) -> None: ...

    async def entries(self) -> list[ErasureEntry]: ...
