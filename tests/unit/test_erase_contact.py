"""EraseContact with in-memory fakes: what goes, what stays, and a run stopped half-way."""
from __future__ import annotations

import io
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from application.erase_contact import (ContactNotFound, EraseContact, EraseContactCommand, ErasureIncomplete)
from application.manage_dnc import InvalidPhoneNumber
from application.ports.calendar import ERASED_SUMMARY, CalendarRefused, EventDraft
from application.ports.calendar_credentials import CalendarAccess
from domain.call_record import CallRecord, TranscriptLine
from domain.campaign import Campaign, CampaignStatus
from domain.contact import Contact
from domain.outcomes import CallOutcome
from tests.fakes.calendar import FakeCalendar, FakeCalendarCredentials, transient
from tests.fakes.compliance import FakeDoNotCallList
from tests.fakes.follow_up_queue import InMemoryFollowUpQueue
from tests.fakes.personal_data import FakeErasureAudit, FakePersonalDataStore
from tests.fakes.runtime import FakeClock
from tests.fakes.storage import InMemoryArtifacts

NOW = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)
PHONE = "+15125550143"
REP_CALENDAR = "sam@docshield.example"
REP_USER = "user_sam"
# Valid Google event ids (a-v, 0-9), one per call.
EVENTS = {"call-live": "ds0live000001", "call-old": "ds0old0000001", "call-other": "ds0other00001"}


class World:
    def __init__(self):
        self.store = FakePersonalDataStore()
        self.artifacts = InMemoryArtifacts()
        self.dnc = FakeDoNotCallList()
        self.audit = FakeErasureAudit()
        self.clock = FakeClock(NOW)
        self.calendar = FakeCalendar()
        self.credentials = FakeCalendarCredentials(now=lambda: NOW)
        self.follow_ups = InMemoryFollowUpQueue()

    def use_case(self) -> EraseContact:
        return EraseContact(self.store, self.artifacts, self.dnc, self.audit, self.clock, self.calendar,
                            self.credentials, self.follow_ups)

    def event(self, call_id: str) -> EventDraft:
        [draft] = [d for d in self.calendar.inserted(REP_CALENDAR) if d.event_id == EVENTS[call_id]]
        return draft

    def contact(self, cid: str, phone: str = PHONE, name: str = "Dana") -> Contact:
        contact = Contact(id=cid, first_name=name, last_name="Reyes", phone=phone, practice="Lakeside",
                          email=f"{name.lower()}@lakeside.example")
        self.store.contacts[cid] = contact
        return contact

    def campaign(self, cid: str, contact_id: str, *, archived: bool = False,
                 status: CampaignStatus = CampaignStatus.ACTIVE) -> Campaign:
        campaign = Campaign(id=cid, contact_id=contact_id, status=status, rep_calendar_id=REP_CALENDAR,
                            rep_name="Sam Carter", settings={"rep_user_id": REP_USER})
        (self.store.archived_campaigns if archived else self.store.campaigns)[cid] = campaign
        return campaign

    async def call(self, call_id: str, campaign_id: str, *, archived: bool = False, name: str = "Dana",
                   calendar_id: str = REP_CALENDAR) -> CallRecord:
        transcript = await self.artifacts.put_transcript(call_id, [TranscriptLine("callee", f"This is {name}")], {})
        recording = await self.artifacts.put_recording(call_id, io.BytesIO(b"OggS..."))
        start = NOW + timedelta(hours=len(self.calendar.inserted(REP_CALENDAR)) + 1)
        email = f"{name.lower()}@lakeside.example"
        meeting = await self.calendar.insert(CalendarAccess(token="seed"), REP_CALENDAR, EventDraft(
            event_id=EVENTS[call_id], start=start, end=start + timedelta(minutes=30),
            summary=f"DocShield introduction: {name} Reyes, Lakeside", description=f"Call with {name}",
            attendee_email=email))
        record = CallRecord(
            call_id=call_id, campaign_id=campaign_id, step=0, outcome=CallOutcome.MEETING_BOOKED,
            started_at=NOW - timedelta(days=200 if archived else 3), transcript_key=transcript,
            recording_key=recording, decline_reason="said her husband handles insurance",
            meeting=replace(meeting, calendar_id=calendar_id))
        (self.store.archived_records if archived else self.store.records)[call_id] = record
        return record


@pytest.fixture
async def world() -> World:
    w = World()
    w.contact("c1")
    w.campaign("k1", "c1")
    w.campaign("k0", "c1", archived=True, status=CampaignStatus.COMPLETED)
    await w.call("call-live", "k1")
    await w.call("call-old", "k0", archived=True, calendar_id="")  # booked before records kept the calendar id
    # Someone else, who must be untouched.
    w.contact("c2", phone="+15125550199", name="Omar")
    w.campaign("k2", "c2")
    await w.call("call-other", "k2", name="Omar")
    w.calendar.calls.clear()
    return w


async def test_erase_by_phone_removes_everything_personal_and_reports_counts(world):
    report = await world.use_case()(EraseContactCommand(phone="(512) 555-0143"))
    e = report.entry
    assert (e.contacts_removed, e.campaigns, e.campaigns_closed) == (1, 2, 1)
    assert (e.call_records_scrubbed, e.archived_call_records, e.artifacts_deleted) == (2, 1, 4)
    assert e.do_not_call_added and e.selector == "phone"
    assert (e.calendar_events_cleaned, e.calendar_events_gone, e.needs_a_person) == (2, 0, ())
    assert "c1" not in world.store.contacts
    assert sorted(world.artifacts.objects) == ["calls/call-other/recording.ogg", "calls/call-other/transcript.json"]
    for record in (world.store.records["call-live"], world.store.archived_records["call-old"]):
        assert record.transcript_key is None and record.recording_key is None
        assert record.decline_reason is None and record.meeting.attendee_email == ""
        assert record.outcome is CallOutcome.MEETING_BOOKED  # the statistics stay
    assert world.store.campaigns["k1"].status is CampaignStatus.OPTED_OUT
    assert await world.dnc.contains(PHONE)
    assert report.masked_phone == "+1512•••0143"


async def test_the_callbacks_the_contact_asked_for_are_cancelled_and_others_kept(world):
    from application.commands import ConductCallCommand
    at = NOW + timedelta(days=1)
    await world.follow_ups.schedule(ConductCallCommand("k1", 0, False, attempt=1), at)
    await world.follow_ups.schedule(ConductCallCommand("k2", 0, False, attempt=1), at)
    report = await world.use_case()(EraseContactCommand(phone=PHONE))
    assert report.entry.callbacks_cancelled == 1
    assert [c.campaign_id for c, _ in await world.follow_ups.scheduled("k2")] == ["k2"]
    assert await world.follow_ups.scheduled("k1") == []
    assert "callbacks cancelled: 1" in report.lines()


async def test_others_are_untouched(world):
    await world.use_case()(EraseContactCommand(phone=PHONE))
    assert "c2" in world.store.contacts
    assert world.store.records["call-other"].transcript_key == "calls/call-other/transcript.json"
    assert world.event("call-other").attendee_email == "omar@lakeside.example"
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


async def test_booked_meetings_stay_on_the_reps_calendar_without_the_contact(world):
    report = await world.use_case()(EraseContactCommand(phone=PHONE))
    for call_id in ("call-live", "call-old"):
        event = world.event(call_id)
        assert event.attendee_email == "" and event.summary == ERASED_SUMMARY
        assert "Dana" not in repr(event) and "lakeside" not in repr(event)
    assert len(world.calendar.inserted(REP_CALENDAR)) == 3  # nothing cancelled
    # Through the rep named by each campaign, including the record that kept no calendar id.
    assert world.calendar.calls == ["forget_attendee", "forget_attendee"]
    assert world.credentials.cache.keys() == {REP_USER}
    assert "calendar events cleaned: 2 (0 already gone)" in report.lines()
    assert report.to_dict()["calendar_events_cleaned"] == 2


async def test_an_event_booked_by_two_records_is_cleaned_once(world):
    # A retried booking: two records name the same event (one without the calendar id, which is the rep's).
    world.store.records["call-live"] = replace(world.store.records["call-live"],
                                               meeting=world.store.archived_records["call-old"].meeting)
    report = await world.use_case()(EraseContactCommand(phone=PHONE))
    assert world.calendar.calls == ["forget_attendee"]
    assert report.entry.calendar_events_cleaned == 1


async def test_an_event_already_deleted_counts_as_gone(world):
    del world.calendar.events[REP_CALENDAR][EVENTS["call-old"]]
    report = await world.use_case()(EraseContactCommand(phone=PHONE))
    assert (report.entry.calendar_events_cleaned, report.entry.calendar_events_gone) == (1, 1)
    assert report.entry.needs_a_person == ()


async def test_a_refusing_calendar_needs_a_person_and_the_rest_is_erased(world):
    world.calendar.faults = [CalendarRefused("events.patch: forbidden", 403)]
    report = await world.use_case()(EraseContactCommand(phone=PHONE))
    [follow_up] = report.entry.needs_a_person
    assert follow_up.event_id in (EVENTS["call-live"], EVENTS["call-old"]) and "forbidden" in follow_up.reason
    assert report.entry.calendar_events_cleaned == 1
    assert f"needs a person: calendar event {follow_up.event_id}" in "\n".join(report.lines())
    assert report.to_dict()["needs_a_person"] == [{"event_id": follow_up.event_id, "reason": follow_up.reason}]
    # Everything else went as usual, and the audit line says what is left to do.
    assert "c1" not in world.store.contacts and report.entry.artifacts_deleted == 4
    assert world.audit.rows == [report.entry]
    # The call record still names the event, so a person can find it.
    records = {**world.store.records, **world.store.archived_records}
    assert follow_up.event_id in {r.meeting.event_id for r in records.values()}


async def test_a_rep_without_credentials_needs_a_person_and_the_rest_is_erased(world):
    world.credentials.revoked.add(REP_USER)
    report = await world.use_case()(EraseContactCommand(phone=PHONE))
    assert sorted(f.event_id for f in report.entry.needs_a_person) == sorted([EVENTS["call-live"], EVENTS["call-old"]])
    assert all("revoked" in f.reason for f in report.entry.needs_a_person)
    assert report.entry.calendar_events_cleaned == 0 and "c1" not in world.store.contacts
    assert world.event("call-live").attendee_email == "dana@lakeside.example"
    assert world.audit.rows[0].needs_a_person == report.entry.needs_a_person
    flat = repr(world.audit.rows[0].needs_a_person)
    assert not [p for p in ("5550143", "Dana", "Reyes", "lakeside", REP_USER) if p in flat]


async def test_a_rejected_token_is_refreshed_once(world):
    world.calendar.valid_tokens = {"fake-token-2"}
    report = await world.use_case()(EraseContactCommand(phone=PHONE))
    assert report.entry.calendar_events_cleaned == 2 and world.credentials.issued == ["fake-token-1", "fake-token-2"]


async def test_a_token_rejected_twice_needs_a_person(world):
    world.calendar.valid_tokens = set()
    report = await world.use_case()(EraseContactCommand(phone=PHONE))
    assert len(report.entry.needs_a_person) == 2 and "refreshed token" in report.entry.needs_a_person[0].reason
    assert world.calendar.calls == ["forget_attendee"] * 4  # one fresh token per event, no more


async def test_a_calendar_that_is_down_stops_the_erasure_and_a_rerun_finishes_it(world):
    world.calendar.faults = [transient()]
    with pytest.raises(ErasureIncomplete, match=r"1 calendar event\(s\) could not be reached \(ds0"):
        await world.use_case()(EraseContactCommand(phone=PHONE))
    assert "c1" in world.store.contacts and not world.audit.rows
    assert world.store.records["call-live"].meeting.attendee_email == "dana@lakeside.example"
    report = await world.use_case()(EraseContactCommand(phone=PHONE))
    assert report.entry.calendar_events_cleaned == 2
    assert all(world.event(c).attendee_email == "" for c in ("call-live", "call-old"))


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
