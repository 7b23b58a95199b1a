"""EraseContact with in-memory fakes: what goes, what stays, and a run stopped half-way."""
from __future__ import annotations

import io
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from application.erase_contact import (ContactNotFound, EraseContact, EraseContactCommand, ErasureIncomplete)
from application.manage_dnc import InvalidPhoneNumber
from domain.call_record import CallRecord, TranscriptLine
from domain.campaign import Campaign, CampaignStatus
from domain.contact import Contact
from domain.meeting import Meeting
from domain.outcomes import CallOutcome
from tests.fakes.compliance import FakeDoNotCallList
from tests.fakes.personal_data import FakeErasureAudit, FakePersonalDataStore
from tests.fakes.runtime import FakeClock
from tests.fakes.storage import InMemoryArtifacts

NOW = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)
PHONE = "+15125550143"


class World:
    def __init__(self):
        self.store = FakePersonalDataStore()
        self.artifacts = InMemoryArtifacts()
        self.dnc = FakeDoNotCallList()
        self.audit = FakeErasureAudit()
        self.clock = FakeClock(NOW)

    def use_case(self) -> EraseContact:
        return EraseContact(self.store, self.artifacts, self.dnc, self.audit, self.clock)

    def contact(self, cid: str, phone: str = PHONE, name: str = "Dana") -> Contact:
        contact = Contact(id=cid, first_name=name, last_name="Reyes", phone=phone, practice="Lakeside",
                          email=f"{name.lower()}@lakeside.example")
        self.store.contacts[cid] = contact
        return contact

    def campaign(self, cid: str, contact_id: str, *, archived: bool = False,
                 status: CampaignStatus = CampaignStatus.ACTIVE) -> Campaign:
        campaign = Campaign(id=cid, contact_id=contact_id, status=status)
        (self.store.archived_campaigns if archived else self.store.campaigns)[cid] = campaign
        return campaign

    async def call(self, call_id: str, campaign_id: str, *, archived: bool = False) -> CallRecord:
        transcript = await self.artifacts.put_transcript(call_id, [TranscriptLine("callee", "This is Dana")], {})
        recording = await self.artifacts.put_recording(call_id, io.BytesIO(b"OggS..."))
        record = CallRecord(
            call_id=call_id, campaign_id=campaign_id, step=0, outcome=CallOutcome.MEETING_BOOKED,
            started_at=NOW - timedelta(days=200 if archived else 3), transcript_key=transcript,
            recording_key=recording, decline_reason="said her husband handles insurance",
            meeting=Meeting(start=NOW, end=NOW + timedelta(minutes=30), event_id="ev1",
                            attendee_email="dana@lakeside.example"))
        (self.store.archived_records if archived else self.store.records)[call_id] = record
        return record


@pytest.fixture
async def world() -> World:
    w = World()
    w.contact("c1")
    w.campaign("k1", "c1")
    w.campaign("k0", "c1", archived=True, status=CampaignStatus.COMPLETED)
    await w.call("call-live", "k1")
    await w.call("call-old", "k0", archived=True)
    # Someone else, who must be untouched.
    w.contact("c2", phone="+15125550199", name="Omar")
    w.campaign("k2", "c2")
    await w.call("call-other", "k2")
    return w


async def test_erase_by_phone_removes_everything_personal_and_reports_counts(world):
    report = await world.use_case()(EraseContactCommand(phone="(512) 555-0143"))
    e = report.entry
    assert (e.contacts_removed, e.campaigns, e.campaigns_closed) == (1, 2, 1)
    assert (e.call_records_scrubbed, e.archived_call_records, e.artifacts_deleted) == (2, 1, 4)
    assert e.do_not_call_added and e.selector == "phone"
    assert "c1" not in world.store.contacts
    assert sorted(world.artifacts.objects) == ["calls/call-other/recording.ogg", "calls/call-other/transcript.json"]
    for record in (world.store.records["call-live"], world.store.archived_records["call-old"]):
        assert record.transcript_key is None and record.recording_key is None
        assert record.decline_reason is None and record.meeting.attendee_email == ""
        assert record.outcome is CallOutcome.MEETING_BOOKED  # the statistics stay
    assert world.store.campaigns["k1"].status is CampaignStatus.OPTED_OUT
    assert await world.dnc.contains(PHONE)
    assert report.masked_phone == "+1512•••0143"


async def test_others_are_untouched(world):
    await world.use_case()(EraseContactCommand(phone=PHONE))
    assert "c2" in world.store.contacts
    assert world.store.records["call-other"].transcript_key == "calls/call-other/transcript.json"
    assert world.store.campaigns["k2"].status is CampaignStatus.ACTIVE
    assert not await world.dnc.contains("+15125550199")


async def test_the_audit_line_holds_counts_and_no_personal_data(world):
    report = await world.use_case()(EraseContactCommand(phone=PHONE))
    [entry] = world.audit.rows
    assert entry == report.entry and entry.at == NOW
    flat = repr(replace(entry, erasure_id=""))  # a random hex id could contain anything
    for personal in ("5550143", "0143", "Dana", "Reyes", "lakeside", "c1", "k1", "call-live"):
        assert personal not in flat


async def test_erase_by_contact_id_takes_only_that_contact(world):
    world.contact("c3", phone=PHONE, name="Ana")  # a shared practice line
    report = await world.use_case()(EraseContactCommand(contact_id="c1"))
    assert report.entry.contacts_removed == 1 and report.entry.selector == "contact_id"
    assert "c1" not in world.store.contacts and "c3" in world.store.contacts
    assert await world.dnc.contains(PHONE)


async def test_a_number_already_listed_stays_listed(world):
    await world.dnc.add(PHONE, reason="asked", source="call", at=NOW - timedelta(days=9))
    report = await world.use_case()(EraseContactCommand(phone=PHONE))
    assert not report.entry.do_not_call_added
    [entry] = await world.dnc.entries()
    assert entry.reason == "asked"


async def test_a_number_with_no_contact_is_still_made_uncallable(world):
    report = await world.use_case()(EraseContactCommand(phone="+15125550100"))
    assert report.entry.contacts_removed == 0 and report.entry.artifacts_deleted == 0
    assert await world.dnc.contains("+15125550100")


async def test_erasing_twice_finds_nothing_the_second_time(world):
    await world.use_case()(EraseContactCommand(phone=PHONE))
    again = await world.use_case()(EraseContactCommand(phone=PHONE))
    assert (again.entry.contacts_removed, again.entry.artifacts_deleted) == (0, 0)
    assert len(world.audit.rows) == 2


class FlakyArtifacts(InMemoryArtifacts):
    def __init__(self):
        super().__init__()
        self.failing = True

    async def delete(self, key: str) -> None:
        if self.failing and key.endswith(".ogg"):
            raise ConnectionError("s3 down")
        await super().delete(key)


async def test_artifacts_that_cannot_be_deleted_stop_the_erasure_and_a_rerun_finishes_it(world):
    flaky = FlakyArtifacts()
    flaky.objects = world.artifacts.objects
    world.artifacts = flaky
    with pytest.raises(ErasureIncomplete, match="2 recording"):
        await world.use_case()(EraseContactCommand(phone=PHONE))
    assert await world.dnc.contains(PHONE)  # un-callable at once
    assert "c1" in world.store.contacts  # still findable, so a rerun can finish
    assert world.store.records["call-live"].recording_key == "calls/call-live/recording.ogg"
    assert not world.audit.rows
    flaky.failing = False
    report = await world.use_case()(EraseContactCommand(phone=PHONE))
    assert report.entry.contacts_removed == 1
    assert not [k for k in flaky.objects if "call-live" in k or "call-old" in k]


@pytest.mark.parametrize("kwargs", [{}, {"phone": PHONE, "contact_id": "c1"}])
def test_the_command_needs_exactly_one_selector(kwargs):
    with pytest.raises(ValueError, match="exactly one"):
        EraseContactCommand(**kwargs)


async def test_bad_input_is_named(world):
    with pytest.raises(InvalidPhoneNumber):
        await world.use_case()(EraseContactCommand(phone="not a number"))
    with pytest.raises(ContactNotFound, match="nope"):
        await world.use_case()(EraseContactCommand(contact_id="nope"))
    assert not world.audit.rows
