"""EraseContact: remove a contact's personal data everywhere, keeping the number un-callable.

Behind `docshield erase --phone NUMBER | --contact-id ID`. The order is chosen so
that a run stopped at any point can be repeated to finish the job: the number
goes on the do-not-call list first, the contact is taken off booked calendar
events and artifacts are deleted before the records that point to them are
cleared, and the contact (the link from the number to everything else) is
removed last. A calendar event that needs a person (the calendar refuses, the
rep has no credentials) does not stop the erasure: it is reported and audited.
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from application.forget_meetings import ForgetMeetings
from application.manage_dnc import normalise_phone
from application.ports.calendar import Calendar
from application.ports.calendar_credentials import CalendarCredentials
from application.ports.clock import Clock
from application.ports.compliance import DoNotCallList
from application.ports.follow_up_queue import FollowUpQueue
from application.ports.personal_data import ErasureAudit, ErasureEntry, PersonalDataStore
from application.ports.storage import CallArtifacts
from domain.contact import Contact
from domain.personal_data import mask_phone

log = logging.getLogger(__name__)

DNC_REASON = "personal data erased on request"
DNC_SOURCE = "erasure"


class ContactNotFound(LookupError):
    """No contact has the id given."""


class ErasureIncomplete(RuntimeError):
    """Some artifacts could not be deleted or some calendars could not be reached; records still
    point to them. Run the erasure again."""


@dataclass(frozen=True)
class EraseContactCommand:
    """Exactly one of `phone` (any valid format) or `contact_id`."""

    phone: str | None = None
    contact_id: str | None = None

    def __post_init__(self) -> None:
        if bool(self.phone) == bool(self.contact_id):
            raise ValueError("give exactly one of a phone number or a contact id")

    @property
    def selector(self) -> str:
        return "phone" if self.phone else "contact_id"


@dataclass(frozen=True)
class ErasureReport:
    """What an erasure removed. `masked_phone` is for the operator's screen only; it is not audited."""

    entry: ErasureEntry
    masked_phone: str

    def lines(self) -> list[str]:
        e = self.entry
        dnc = "added to" if e.do_not_call_added else "already on"
        return [
            f"erasure {e.erasure_id} ({e.at.isoformat(timespec='seconds')})",
            f"contacts removed: {e.contacts_removed}",
            f"campaigns: {e.campaigns} found, {e.campaigns_closed} closed",
            f"call records scrubbed: {e.call_records_scrubbed} ({e.archived_call_records} archived)",
            f"recordings and transcripts deleted: {e.artifacts_deleted}",
            f"calendar events cleaned: {e.calendar_events_cleaned} ({e.calendar_events_gone} already gone)",
            f"callbacks cancelled: {e.callbacks_cancelled}",
            f"{self.masked_phone}: {dnc} the do-not-call list",
        ] + [f"needs a person: calendar event {f.event_id} still names the contact ({f.reason})"
             for f in e.needs_a_person]

    def to_dict(self) -> dict:
        e = self.entry
        return {"erasure_id": e.erasure_id, "at": e.at.isoformat(), "selector": e.selector,
                "number": self.masked_phone, "contacts_removed": e.contacts_removed, "campaigns": e.campaigns,
                "campaigns_closed": e.campaigns_closed, "call_records_scrubbed": e.call_records_scrubbed,
                "archived_call_records": e.archived_call_records, "artifacts_deleted": e.artifacts_deleted,
                "do_not_call_added": e.do_not_call_added, "calendar_events_cleaned": e.calendar_events_cleaned,
                "calendar_events_gone": e.calendar_events_gone, "callbacks_cancelled": e.callbacks_cancelled,
                "needs_a_person": [{"event_id": f.event_id, "reason": f.reason} for f in e.needs_a_person]}


class EraseContact:
    def __init__(self, store: PersonalDataStore, artifacts: CallArtifacts, dnc: DoNotCallList,
                 audit: ErasureAudit, clock: Clock, calendar: Calendar, calendar_credentials: CalendarCredentials,
                 follow_ups: FollowUpQueue):
        self.store = store
        self.follow_ups = follow_ups
        self.artifacts = artifacts
        self.dnc = dnc
        self.audit = audit
        self.clock = clock
        self.forget_meetings = ForgetMeetings(calendar, calendar_credentials)

    async def __call__(self, command: EraseContactCommand) -> ErasureReport:
        """Erase and report. Raises InvalidPhoneNumber for a bad number, ContactNotFound for an
        unknown id, ErasureIncomplete when artifacts could not be deleted or a calendar was down
        (nothing else is then cleared). Calendar events a person must clean are in the report."""
        contacts, number = await self._subjects(command)
        now = self.clock.now()
        added = await self.dnc.add(number, reason=DNC_REASON, source=DNC_SOURCE, at=now)

        campaign_ids: list[str] = []
        for contact in contacts:
            campaign_ids += [c for c in await self.store.campaign_ids_of(contact.id) if c not in campaign_ids]
        calls = await self.store.calls_of(campaign_ids) if campaign_ids else []

        booked = [call for call in calls if call.event_id]
        reps = await self.store.campaigns_by_id(campaign_ids) if booked else []
        meetings = await self.forget_meetings(booked, reps)
        deleted, failed = await self._delete_artifacts([k for call in calls for k in call.artifact_keys])
        if failed or meetings.unavailable:
            missed = []
            if failed:
                missed.append(f"{failed} recording(s)/transcript(s) could not be deleted ({deleted} were)")
            if meetings.unavailable:
                missed.append(f"{len(meetings.unavailable)} calendar event(s) could not be reached "
                              f"({', '.join(meetings.unavailable)})")
            raise ErasureIncomplete(f"{'; '.join(missed)}; the number is on the do-not-call list, nothing else "
                                    f"was cleared: run the erasure again")

        scrubbed = await self.store.scrub_calls(campaign_ids, at=now) if campaign_ids else 0
        closed = await self.store.close_campaigns(campaign_ids, at=now) if campaign_ids else 0
        # Callbacks the contact asked for are not placed any more (the campaign is closed too).
        cancelled = sum([await self.follow_ups.cancel(campaign_id) for campaign_id in campaign_ids])
        removed = 0
        for contact in contacts:
            removed += await self.store.remove_contact(contact.id)

        entry = ErasureEntry(
            erasure_id=uuid.uuid4().hex, at=now, selector=command.selector, contacts_removed=removed,
            campaigns=len(campaign_ids), campaigns_closed=closed, call_records_scrubbed=scrubbed,
            archived_call_records=sum(1 for c in calls if c.archived), artifacts_deleted=deleted,
            do_not_call_added=added, calendar_events_cleaned=meetings.cleaned, calendar_events_gone=meetings.gone,
            needs_a_person=meetings.needs_a_person, callbacks_cancelled=cancelled)
        await self.audit.record(entry)
        log.info("erasure %s: %d contact(s), %d campaign(s), %d call record(s), %d artifact(s), %d calendar "
                 "event(s) cleaned, %d needing a person", entry.erasure_id, removed, len(campaign_ids), scrubbed,
                 deleted, meetings.cleaned, len(meetings.needs_a_person))
        return ErasureReport(entry, mask_phone(number))

    async def _subjects(self, command: EraseContactCommand) -> tuple[list[Contact], str]:
        if command.phone:
            number = normalise_phone(command.phone)
            return await self.store.contacts_with_phone(number), number
        contact = await self.store.contact(command.contact_id or "")
        if contact is None:
            raise ContactNotFound(f"no contact with id {command.contact_id!r}")
        try:
            number = normalise_phone(contact.phone)
        except ValueError:
            number = contact.phone  # still listed: the list hashes whatever digits there are
        # Only this contact: a shared practice line may belong to other contacts too.
        return [contact], number

    async def _delete_artifacts(self, keys: list[str]) -> tuple[int, int]:
        deleted = failed = 0
        for key in dict.fromkeys(keys):
            try:
                await self.artifacts.delete(key)
                deleted += 1
            except Exception as exc:  # keep going: report every failure at once
                failed += 1
                log.error("could not delete an artifact of an erased contact (%s)", type(exc).__name__)
        return deleted, failed
