"""`docshield erase` on real servers: every store checked afterwards, and the number stays un-callable."""
from __future__ import annotations

import asyncio
import io
import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from aiobotocore.session import get_session
from bson import ObjectId
from dependency_injector import providers

from application.book_meeting import event_id_for_call
from application.commands import ConductCallCommand
from application.ports.calendar import ERASED_SUMMARY, EventDraft
from application.ports.calendar_credentials import CalendarAccess
from containers import build_container, close_container
from domain.front_desk import FrontDeskDetails
from domain.call_record import CallRecord, TranscriptLine
from domain.campaign import Campaign, CampaignStatus
from domain.contact import Contact
from domain.outcomes import CallOutcome
from domain.slot_finder import WorkingHours
from entrypoints.cli import main
from tests.fakes.runtime import FakeClock
from tests.integration.pipeline_world import CountingLine, make_settings

NOW = datetime.now(timezone.utc).replace(microsecond=0)
PHONE = "+15125550143"
OTHER_PHONE = "+15125550199"
REP_CALENDAR = "sam.carter@docshield.example"
# Anything that would identify Dana, in any form a store might keep it.
# What her front desk told an earlier call (issue 14) is hers too: the decision maker, a direct line.
PERSONAL = ("5550143", "555-0143", "Dana", "Reyes", "dana@lakeside", "Kent", "5550999")


@pytest.fixture(params=["local", "s3"])
def settings(request, tmp_path, redis_url, mongo_uri, monkeypatch):
    extra = {}
    if request.param == "s3":
        endpoint = request.getfixturevalue("s3_endpoint")
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        extra = dict(s3_bucket=f"erase-{uuid.uuid4().hex[:10]}", s3_endpoint_url=endpoint)
    settings = make_settings(tmp_path, redis_url, mongo_uri, **extra)
    # The CLI reads the same settings from the environment.
    monkeypatch.chdir(tmp_path)
    for name in ("redis_url", "mongodb_uri", "mongodb_database", "data_dir", "s3_bucket", "s3_endpoint_url"):
        value = getattr(settings, name)
        if value is not None:
            monkeypatch.setenv(name.upper(), str(value))
    yield settings
    asyncio.run(_drop(settings))


async def _drop(settings):
    container = await build_container(settings)
    database = await container.database()
    await database.client.drop_database(database.name)
    await close_container(container)


async def _with_container(settings, work, *, clock=None):
    container = await build_container(settings)
    if clock is not None:
        container.clock.override(providers.Object(clock))
    try:
        return await work(container)
    finally:
        await close_container(container)


async def _book(container, contact: Contact, call_id: str, hour: int):
    """Book on the embedded ICS calendar what BookMeeting would: the contact's name and address in the event."""
    calendar = container.calendar()
    if not calendar.path(REP_CALENDAR).exists():
        calendar.seed(REP_CALENDAR, timezone_name="UTC",
                      working_hours=WorkingHours.parse("00:00-24:00", frozenset(range(7))))
    start = (NOW + timedelta(days=2)).replace(hour=hour, minute=0, second=0)
    return await calendar.insert(CalendarAccess(token=None), REP_CALENDAR, EventDraft(
        event_id=event_id_for_call(call_id), start=start, end=start + timedelta(minutes=30),
        summary=f"DocShield introduction: {contact.full_name}, {contact.practice}",
        description=f"Call with {contact.full_name} ({contact.phone}) booked during call {call_id}",
        attendee_email=contact.email))


async def _call(container, contact: Contact, campaign: Campaign, *, days_ago: int, call_id: str,
                hour: int) -> CallRecord:
    artifacts = await container.artifacts()
    if hasattr(artifacts, "ensure_bucket"):
        await artifacts.ensure_bucket()
    started = NOW - timedelta(days=days_ago)
    transcript = await artifacts.put_transcript(call_id, [
        TranscriptLine("agent", f"Hi {contact.first_name}, this is Alex from DocShield."),
        TranscriptLine("callee", f"Reach me on {contact.phone} or {contact.email}.")], {"room": call_id})
    recording = await artifacts.put_recording(call_id, io.BytesIO(b"OggS" + contact.phone.encode()))
    record = CallRecord(
        call_id=call_id, campaign_id=campaign.id, step=0, outcome=CallOutcome.MEETING_BOOKED, started_at=started,
        ended_at=started + timedelta(minutes=4), reached_human=True, transcript_key=transcript,
        recording_key=recording, decline_reason=f"{contact.first_name} says a partner handles insurance",
        meeting=await _book(container, contact, call_id, hour))
    await (await container.call_records()).add(record)
    return record


def a_contact(first: str, last: str, phone: str) -> Contact:
    return Contact(id=str(ObjectId()), first_name=first, last_name=last, phone=phone, practice="Lakeside Ortho",
                   email=f"{first.lower()}@lakeside.example", timezone="America/Chicago")


async def _seed(container) -> dict:
    contacts, campaigns = await container.contacts(), await container.campaigns()
    dana, omar = a_contact("Dana", "Reyes", PHONE), a_contact("Omar", "Haddad", OTHER_PHONE)
    dana.known = FrontDeskDetails(decision_maker="Dr. Kent", direct_line="+15125550999", extension="214",
                                  learned_at=NOW - timedelta(days=3))
    old = Campaign(id=str(ObjectId()), contact_id=dana.id, status=CampaignStatus.COMPLETED,
                   last_completed_date=NOW - timedelta(days=200), rep_calendar_id=REP_CALENDAR)
    live = Campaign(id=str(ObjectId()), contact_id=dana.id, status=CampaignStatus.ACTIVE, rep_calendar_id=REP_CALENDAR)
    others = Campaign(id=str(ObjectId()), contact_id=omar.id, status=CampaignStatus.ACTIVE,
                      rep_calendar_id=REP_CALENDAR)
    for item in (dana, omar):
        await contacts.add(item)
    for item in (old, live, others):
        await campaigns.add(item)
    await _call(container, dana, old, days_ago=200, call_id="dana-old", hour=10)
    await _call(container, dana, live, days_ago=3, call_id="dana-live", hour=11)
    await _call(container, omar, others, days_ago=3, call_id="omar-live", hour=12)
    # The real archive job moves the old campaign and call out of the live collections.
    report = await (await container.archive_calls())()
    assert (report.call_records, report.campaigns) == (1, 1)
    return {"dana": dana.id, "live": live.id, "old": old.id, "omar": omar.id}


async def _every_document(container) -> dict[str, list[dict]]:
    database = await container.database()
    return {name: [d async for d in database[name].find()] for name in await database.list_collection_names()}


async def _artifact_keys(container, settings) -> set[str]:
    if settings.s3_bucket:
        async with get_session().create_client("s3", region_name=settings.aws_region,
                                               endpoint_url=settings.s3_endpoint_url) as client:
            listed = await client.list_objects_v2(Bucket=settings.s3_bucket)
        return {o["Key"] for o in listed.get("Contents", [])}
    root = settings.data_dir / "artifacts"
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def _calendar_text(settings) -> str:
    return (settings.data_dir / "calendar" / f"{REP_CALENDAR}.ics").read_text(encoding="utf-8")


def test_erase_by_phone_leaves_nothing_personal_in_any_store(settings, capsys):
    ids = asyncio.run(_with_container(settings, _seed, clock=FakeClock(NOW)))
    before = asyncio.run(_with_container(settings, lambda c: _artifact_keys(c, settings)))
    assert len(before) == 6
    assert "dana@lakeside.example" in _calendar_text(settings) and "Dana Reyes" in _calendar_text(settings)
    stored = repr(asyncio.run(_with_container(settings, _every_document))["contacts"])
    assert "Dr. Kent" in stored and "+15125550999" in stored  # the front desk's details, before

    assert main(["erase", "--phone", "(512) 555-0143", "--yes", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["number"] == "+1512•••0143"
    assert (report["contacts_removed"], report["campaigns"], report["campaigns_closed"]) == (1, 2, 1)
    assert (report["call_records_scrubbed"], report["archived_call_records"]) == (2, 1)
    assert report["artifacts_deleted"] == 4 and report["do_not_call_added"] is True
    assert (report["calendar_events_cleaned"], report["calendar_events_gone"], report["needs_a_person"]) == (2, 0, [])

    async def inspect(container):
        return await _every_document(container), await _artifact_keys(container, settings)

    documents, keys = asyncio.run(_with_container(settings, inspect))
    # Artifacts: Dana's recordings and transcripts are gone, Omar's are there.
    assert keys == {"calls/omar-live/transcript.json", "calls/omar-live/recording.ogg"}
    # Every collection, every document: nothing that identifies Dana.
    for name, docs in documents.items():
        for doc in docs:
            text = repr(doc)
            assert not [p for p in PERSONAL if p in text], f"{name} still holds personal data: {text}"
    # What stays: Omar, the statistics of Dana's calls, the audit line and the do-not-call entry.
    assert [d["firstName"] for d in documents["contacts"]] == ["Omar"]
    calls = {d["callId"]: d for d in documents["call_records"] + documents["call_records_archive"]}
    assert set(calls) == {"dana-old", "dana-live", "omar-live"}
    for call_id in ("dana-old", "dana-live"):
        assert calls[call_id]["outcome"] == "meeting_booked" and calls[call_id]["transcriptKey"] is None
        assert calls[call_id]["recordingKey"] is None and calls[call_id]["erasedAt"] is not None
    assert calls["omar-live"]["transcriptKey"] == "calls/omar-live/transcript.json"
    campaigns = {str(d["_id"]): d for d in documents["campaigns"] + documents["campaigns_archive"]}
    assert campaigns[ids["live"]]["status"] == "opted_out" and campaigns[ids["old"]]["status"] == "completed"
    [audit] = documents["erasure_audit"]
    assert audit["_id"] == report["erasure_id"] and audit["artifactsDeleted"] == 4
    assert audit["calendarEventsCleaned"] == 2 and audit["needsAPerson"] == []
    assert [d["masked"] for d in documents["do_not_call"]] == ["+1512•••0143"]
    # The rep's calendar: both of Dana's meetings still there, with no name, number or address of hers.
    calendar = _calendar_text(settings)
    assert not [p for p in PERSONAL if p in calendar], calendar
    assert calendar.count(f"SUMMARY:{ERASED_SUMMARY}") == 2 and calendar.count("BEGIN:VEVENT") == 3
    for call_id in ("dana-old", "dana-live"):
        assert f"UID:{event_id_for_call(call_id)}" in calendar
        assert calls[call_id]["meeting"]["eventId"] == event_id_for_call(call_id)
    assert "omar@lakeside.example" in calendar and "Omar Haddad" in calendar


def test_the_erased_number_stays_uncallable_through_the_real_compliance_gate(settings, capsys):
    asyncio.run(_with_container(settings, _seed, clock=FakeClock(NOW)))
    assert main(["erase", "--phone", PHONE, "--yes"]) == 0
    out = capsys.readouterr().out
    assert "contacts removed: 1" in out and "added to the do-not-call list" in out

    async def call_again(container):
        # A new contact and campaign for the same number, through the real ConductCall and compliance gate.
        line = CountingLine()
        container.call_line.override(providers.Object(line))
        contact = a_contact("Dee", "Rey", PHONE)
        campaign = Campaign(id=str(ObjectId()), contact_id=contact.id)
        await (await container.contacts()).add(contact)
        await (await container.campaigns()).add(campaign)
        result = await (await container.conduct_call())(ConductCallCommand(campaign.id, 0, False))
        return line, result

    line, result = asyncio.run(_with_container(settings, call_again))
    assert line.dialed == []
    assert result.outcome is CallOutcome.SKIPPED and result.reason.startswith("internal_dnc")


def test_erase_by_contact_id_and_the_commands_usage_errors(settings, capsys):
    ids = asyncio.run(_with_container(settings, _seed, clock=FakeClock(NOW)))
    assert main(["erase", "--contact-id", ids["omar"], "--yes"]) == 0
    out = capsys.readouterr().out
    assert "recordings and transcripts deleted: 2" in out and "calendar events cleaned: 1 (0 already gone)" in out
    assert "Omar" not in _calendar_text(settings) and "dana@lakeside.example" in _calendar_text(settings)
    assert main(["erase", "--contact-id", ids["omar"], "--yes"]) == 1
    assert f"no contact with id '{ids['omar']}'" in capsys.readouterr().err
    assert main(["erase", "--yes"]) == 2
    assert "exactly one of --phone or --contact-id" in capsys.readouterr().err
    assert main(["erase", "--phone", "12", "--yes"]) == 2
    capsys.readouterr()
    keys = asyncio.run(_with_container(settings, lambda c: _artifact_keys(c, settings)))
    assert not [k for k in keys if "omar" in k] and len(keys) == 4
