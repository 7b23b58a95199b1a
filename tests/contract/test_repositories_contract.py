"""One suite for the repository, claim, do-not-call and audit ports: fakes and MongoDB alike."""
from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from bson import ObjectId

from application.ports.call_claims import ClaimLost
from domain.call_claim import ClaimStatus
from domain.call_record import CallRecord
from domain.campaign import Campaign, CampaignStatus
from domain.compliance import ComplianceDecision, Verdict
from domain.contact import Contact
from domain.meeting import Meeting
from domain.outcomes import CallOutcome
from domain.script import default_script
from infrastructure.mongo_claims import MongoCallClaims
from infrastructure.mongo_compliance import MongoComplianceAudit, MongoDoNotCallList
from infrastructure.mongo_repositories import (MongoCallRecordRepository, MongoCampaignRepository,
                                               MongoContactRepository)
from infrastructure.mongo_scripts import MongoScriptCatalog
from tests.fakes.claims import FakeCallClaims
from tests.fakes.compliance import FakeComplianceAudit, FakeDoNotCallList
from tests.fakes.repositories import FakeCallRecordRepository, FakeCampaignRepository, FakeContactRepository
from tests.fakes.runtime import FakeScriptCatalog

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=timezone.utc)
CID = "65f0c0ffee0000000000abcd"
KID = "65f0c0ffee0000000000dcba"


@pytest.fixture(params=["fake", "mongo"])
async def stores(request):
    if request.param == "fake":
        audit, contacts = FakeComplianceAudit(), FakeContactRepository()
        yield dict(campaigns=FakeCampaignRepository(contacts=contacts), contacts=contacts,
                    records=FakeCallRecordRepository(), claims=FakeCallClaims(audit=audit), dnc=FakeDoNotCallList(),
                    audit=audit, scripts=FakeScriptCatalog())
        return
    from motor.motor_asyncio import AsyncIOMotorClient
    from odmantic import AIOEngine

    server = request.getfixturevalue("mongo_server")
    client = AsyncIOMotorClient(server.uri)
    db = client[f"contract_{uuid.uuid4().hex[:10]}"]
    engine = AIOEngine(client=client, database=db.name)
    yield dict(campaigns=MongoCampaignRepository(engine), contacts=MongoContactRepository(engine),
                records=MongoCallRecordRepository(engine), claims=MongoCallClaims(db),
                dnc=MongoDoNotCallList(db, b"contract-key"), audit=MongoComplianceAudit(db),
                scripts=MongoScriptCatalog(db))
    await client.drop_database(db.name)
    client.close()


async def test_campaign_round_trip_keeps_every_field(stores):
    repo = stores["campaigns"]
    campaign = Campaign(id=CID, contact_id=KID, batch="b1", thread_id="t-9", settings={"compliance": {"x": 1}},
                        rep_name="Sam Carter", rep_email="sam@docshield.example", rep_calendar_id="sam-cal")
    campaign.record_call(step=0, outcome=CallOutcome.NO_ANSWER, at=NOW, final_step=False, call_id="c0")
    campaign.plan_follow_up(step=0, attempt=0, at=NOW + timedelta(hours=2), asked_at=NOW + timedelta(hours=1),
                            call_id="c0", cap=2)
    await repo.add(campaign)
    loaded = await repo.get(CID)
    assert loaded == campaign
    assert loaded.status is CampaignStatus.ACTIVE and loaded.last_call_date == NOW
    assert await repo.get("65f0c0ffee000000000000ff") is None
    assert await repo.get("not-an-id") is None


async def test_contact_round_trip_and_lookup_by_phone(stores):
    repo = stores["contacts"]
    contact = Contact(id=KID, first_name="Dana", last_name="Reyes", phone="+15125550143", practice="Lakeside",
                      timezone="America/Chicago")
    await repo.add(contact)
    assert await repo.get(KID) == contact
    assert await repo.find_by_phone("+15125550143") == [contact]
    assert await repo.find_by_phone("+15125550000") == []


async def test_call_record_round_trip_and_replacement_by_call_id(stores):
    repo = stores["records"]
    meeting = Meeting(start=NOW + timedelta(days=1), end=NOW + timedelta(days=1, minutes=30), event_id="ev1",
                      attendee_email="dana@lakeside.example")
    record = CallRecord(call_id="c1", campaign_id=CID, step=0, outcome=CallOutcome.MEETING_BOOKED, started_at=NOW,
                        ended_at=NOW + timedelta(minutes=4), reached_human=True, digits=["4"], meeting=meeting,
                        objections=["cost"], turn_latencies_ms=[640.0, 820.5], callee_timezone="America/Chicago",
                        decision_maker_reached=False, first_reply_s=0.74, verdict_s=2.25)
    await repo.add(record)
    assert await repo.get("c1") == record
    record.outcome = CallOutcome.FAILED
    # Times in any zone are kept as the same instant.
    record.callback_at = datetime(2026, 3, 11, 10, 0, tzinfo=timezone(timedelta(hours=-5)))
    await repo.add(record)
    assert (await repo.get("c1")).callback_at == datetime(2026, 3, 11, 15, 0, tzinfo=timezone.utc)
    assert [r.outcome for r in await repo.for_campaign(CID)] == [CallOutcome.FAILED]


async def test_call_record_keeps_the_post_call_summary(stores):
    repo = stores["records"]
    record = CallRecord(call_id="c2", campaign_id=CID, step=1, outcome=CallOutcome.CALLBACK_REQUESTED,
                        started_at=NOW, ended_at=NOW + timedelta(minutes=2), reached_human=True,
                        decline_reason="too busy today", callback_at=NOW + timedelta(days=2),
                        next_step="Call back Thursday March 12 at 10:00 AM Central, as the contact asked.",
                        objections=["too_busy", "send_information"])
    await repo.add(record)
    stored = await repo.get("c2")
    assert stored == record
    assert stored.next_step.startswith("Call back Thursday") and stored.objections == ["too_busy", "send_information"]
    record.next_step = None
    await repo.add(record)
    assert (await repo.get("c2")).next_step is None


async def test_many_at_once_are_the_same_as_one_at_a_time(stores):
    """add_many and the batch reads keep exactly what add and the single reads keep."""
    campaigns, contacts, records = stores["campaigns"], stores["contacts"], stores["records"]
    people = [Contact(id=str(ObjectId()), first_name=f"Pat{n}", last_name="Lee", phone=f"+1512555{n:04d}",
                      practice="Lakeside", timezone="America/Chicago", title="Office manager" if n % 2 else "")
              for n in range(5)]
    plans = [Campaign(id=str(ObjectId()), contact_id=p.id, batch="bulk", settings={"n": n}, rep_name="Sam")
             for n, p in enumerate(people)]
    plans[0].record_call(step=0, outcome=CallOutcome.NO_ANSWER, at=NOW, final_step=False, call_id="c0")
    await contacts.add(people[0])
    people[0].practice = "Lakeside Family"  # an id already stored is replaced
    await contacts.add_many(people)
    await contacts.add_many([])
    await campaigns.add_many(plans)
    await campaigns.add_many([])
    assert [await contacts.get(p.id) for p in people] == people
    assert [await campaigns.get(c.id) for c in plans] == plans
    assert await campaigns.find(batch="bulk") == sorted(plans, key=lambda c: c.id)
    assert await contacts.get_many([people[3].id, "not-an-id", str(ObjectId()), people[1].id]) == {
        people[3].id: people[3], people[1].id: people[1]}
    assert await contacts.get_many([]) == {}
    calls = [CallRecord(call_id=f"b{n}", campaign_id=plans[n % 2].id, step=0, outcome=CallOutcome.NO_ANSWER,
                        started_at=NOW - timedelta(minutes=n)) for n in range(4)]
    for record in calls:
        await records.add(record)
    together = await records.for_campaigns([plans[0].id, plans[1].id, plans[2].id, plans[0].id])
    assert together == {plans[0].id: await records.for_campaign(plans[0].id),
                        plans[1].id: await records.for_campaign(plans[1].id)}
    assert [r.call_id for r in together[plans[0].id]] == ["b2", "b0"]  # oldest first, as for_campaign
    assert await records.for_campaigns([]) == {}


async def test_reads_of_many_return_every_one_asked_for(stores):
    """More contacts and campaigns than one `$in` list holds on MongoDB (infrastructure/mongo_in_lists.py)."""
    contacts, records = stores["contacts"], stores["records"]
    people = [Contact(id=str(ObjectId()), first_name=f"Pat{n}", last_name="Lee", phone=f"+1512555{n:04d}",
                      practice="Lakeside", timezone="America/Chicago") for n in range(150)]
    await contacts.add_many(people)
    asked = [p.id for p in reversed(people)] + [people[7].id, str(ObjectId())]  # a repeat, and one never stored
    assert await contacts.get_many(asked) == {p.id: p for p in people}
    campaign_ids = [str(ObjectId()) for _ in range(140)]
    for n, campaign_id in enumerate(campaign_ids):
        for age in (1, 3, 2):
            await records.add(CallRecord(call_id=f"m{n}-{age}", campaign_id=campaign_id, step=0,
                                         outcome=CallOutcome.NO_ANSWER, started_at=NOW - timedelta(minutes=age)))
    together = await records.for_campaigns(campaign_ids + campaign_ids[:3])
    assert sorted(together) == sorted(campaign_ids)
    assert all([r.call_id for r in together[cid]] == [f"m{n}-3", f"m{n}-2", f"m{n}-1"]
               for n, cid in enumerate(campaign_ids))


async def test_claim_is_won_by_exactly_one_of_many_concurrent_workers(stores):
    claims = stores["claims"]
    attempts = await asyncio.gather(*[
        claims.acquire(CID, 2, worker_id=f"w{i}", call_id=f"c{i}", now=NOW, lease_until=NOW + timedelta(minutes=2))
        for i in range(8)])
    winners = [claim.worker_id for won, claim in attempts if won]
    assert len(winners) == 1
    assert all(claim.worker_id == winners[0] for _, claim in attempts)


async def test_claim_lifecycle(stores):
    claims = stores["claims"]
    lease = NOW + timedelta(minutes=2)
    won, _ = await claims.acquire(CID, 0, worker_id="a", call_id="c1", now=NOW, lease_until=lease)
    assert won
    with pytest.raises(ClaimLost):
        await claims.mark_dialing(CID, 0, worker_id="b", lease_until=lease)
    await claims.mark_dialing(CID, 0, worker_id="a", lease_until=lease)
    assert [c.status for c in await claims.in_flight()] == [ClaimStatus.DIALING]
    # A dialing claim is never free, not even after its lease: the phone may have rung.
    won, current = await claims.acquire(CID, 0, worker_id="b", call_id="c2", now=NOW + timedelta(hours=1),
                                        lease_until=NOW + timedelta(hours=2))
    assert not won and current.status is ClaimStatus.DIALING and current.call_id == "c1"
    assert await claims.renew(CID, 0, worker_id="a", lease_until=NOW + timedelta(minutes=5))
    assert not await claims.renew(CID, 0, worker_id="b", lease_until=NOW + timedelta(minutes=5))
    await claims.complete(CID, 0, outcome=CallOutcome.DECLINED)
    stored = await claims.get(CID, 0)
    assert stored.status is ClaimStatus.COMPLETED and stored.outcome is CallOutcome.DECLINED
    assert await claims.in_flight() == []


async def test_each_attempt_of_a_step_is_claimed_apart(stores):
    claims = stores["claims"]
    lease = NOW + timedelta(minutes=2)
    assert (await claims.acquire(CID, 0, worker_id="a", call_id="c1", now=NOW, lease_until=lease))[0]
    await claims.mark_dialing(CID, 0, worker_id="a", lease_until=lease)
    won, follow_up = await claims.acquire(CID, 0, worker_id="b", call_id="c2", now=NOW, lease_until=lease, attempt=1)
    assert won and follow_up.attempt == 1 and follow_up.call_id == "c2"
    await claims.mark_dialing(CID, 0, worker_id="b", lease_until=lease, attempt=1)
    await claims.complete(CID, 0, outcome=CallOutcome.DECLINED, attempt=1)
    assert (await claims.get(CID, 0, attempt=1)).status is ClaimStatus.COMPLETED
    assert (await claims.get(CID, 0)).status is ClaimStatus.DIALING
    assert not (await claims.acquire(CID, 0, worker_id="c", call_id="c3", now=NOW, lease_until=lease,
                                     attempt=1))[0]


async def test_campaigns_are_found_by_status_and_batch(stores):
    repo = stores["campaigns"]
    a = Campaign(id="65f0c0ffee00000000000a01", contact_id=KID, batch="spring")
    b = Campaign(id="65f0c0ffee00000000000a02", contact_id=KID, batch="spring", status=CampaignStatus.COMPLETED)
    c = Campaign(id="65f0c0ffee00000000000a03", contact_id=KID, batch="fall")
    for campaign in (c, b, a):
        await repo.add(campaign)
    assert [x.id for x in await repo.find()] == [a.id, b.id, c.id]
    assert [x.id for x in await repo.find(batch="spring")] == [a.id, b.id]
    assert [x.id for x in await repo.find(status=CampaignStatus.PENDING)] == [a.id, c.id]
    assert [x.id for x in await repo.find(status=CampaignStatus.COMPLETED, batch="fall")] == []


async def test_released_or_abandoned_claims_can_be_taken(stores):
    claims = stores["claims"]
    lease = NOW + timedelta(minutes=2)
    await claims.acquire(CID, 1, worker_id="a", call_id="c1", now=NOW, lease_until=lease)
    won, _ = await claims.acquire(CID, 1, worker_id="b", call_id="c2", now=NOW, lease_until=lease)
    assert not won
    await claims.release(CID, 1, worker_id="b")  # not the holder: no effect
    assert (await claims.get(CID, 1)).status is ClaimStatus.CLAIMED
    await claims.release(CID, 1, worker_id="a")
    won, claim = await claims.acquire(CID, 1, worker_id="b", call_id="c2", now=NOW, lease_until=lease)
    assert won and claim.worker_id == "b"
    won, claim = await claims.acquire(CID, 1, worker_id="c", call_id="c3", now=lease, lease_until=lease + timedelta(minutes=2))
    assert won and claim.worker_id == "c"


async def test_do_not_call_list(stores):
    dnc = stores["dnc"]
    assert not await dnc.contains("+15125550143")
    assert await dnc.add("+15125550143", reason="asked on call", source="agent", at=NOW)
    assert not await dnc.add("+15125550143", reason="again", source="cli", at=NOW)
    assert await dnc.contains("+15125550143")
    [entry] = await dnc.entries()
    assert "5550143" not in entry.masked and entry.masked.endswith("0143")
    assert entry.reason == "asked on call"
    assert await dnc.remove("+15125550143")
    assert not await dnc.remove("+15125550143")
    assert not await dnc.contains("+15125550143")


async def test_audit_keeps_every_decision_in_order(stores):
    audit = stores["audit"]
    first = ComplianceDecision(Verdict.DEFER, "federal_window", "too early", NOW, until=NOW + timedelta(hours=2),
                               inputs={"timezone": "America/Chicago"})
    second = ComplianceDecision(Verdict.ALLOW, "federal_window", "ok", NOW + timedelta(hours=2))
    await audit.record(CID, 0, first)
    await audit.record(CID, 0, second)
    await audit.record("65f0c0ffee00000000000000", 0, second)
    assert await audit.for_campaign(CID) == [(0, first), (0, second)]


async def test_a_campaign_comes_with_its_contact_in_one_read(stores):
    campaigns, contacts = stores["campaigns"], stores["contacts"]
    contact = Contact(id=KID, first_name="Dana", last_name="Reyes", phone="+15125550143", practice="Lakeside",
                      timezone="America/Chicago", extra={"ehr": "Epic"})
    campaign = Campaign(id=CID, contact_id=KID, batch="b1")
    campaign.record_call(step=0, outcome=CallOutcome.NO_ANSWER, at=NOW, final_step=False, call_id="c0")
    await contacts.add(contact)
    await campaigns.add(campaign)
    assert (await campaigns.get_with_contact(CID))[:2] == (campaign, contact)
    orphan = Campaign(id="65f0c0ffee00000000000001", contact_id="65f0c0ffee00000000000002")
    await campaigns.add(orphan)
    assert await campaigns.get_with_contact(orphan.id) == (orphan, None, None)
    assert await campaigns.get_with_contact("65f0c0ffee00000000000003") is None
    assert await campaigns.get_with_contact("not-an-id") is None


async def test_a_won_claim_keeps_its_decision_in_the_audit_trail(stores):
    claims, audit = stores["claims"], stores["audit"]
    lease = NOW + timedelta(minutes=2)
    deferred = ComplianceDecision(Verdict.DEFER, "federal_window", "too early", NOW, until=NOW + timedelta(hours=2),
                                  inputs={"timezone": "America/Chicago"})
    allowed = ComplianceDecision(Verdict.ALLOW, "federal_window", "ok", NOW + timedelta(hours=2))
    won, _ = await claims.acquire(CID, 0, worker_id="a", call_id="c1", now=NOW, lease_until=lease, decision=deferred)
    assert won
    await claims.release(CID, 0, worker_id="a")
    later = NOW + timedelta(hours=2)
    won, _ = await claims.acquire(CID, 0, worker_id="b", call_id="c2", now=later,
                                  lease_until=later + timedelta(minutes=2), decision=allowed)
    assert won
    lost, _ = await claims.acquire(CID, 0, worker_id="c", call_id="c3", now=later, lease_until=lease,
                                   decision=ComplianceDecision(Verdict.SKIP, "x", "y", later))
    assert not lost
    next_step = ComplianceDecision(Verdict.ALLOW, "federal_window", "ok", later + timedelta(days=1))
    await audit.record(CID, 1, next_step)
    assert await audit.for_campaign(CID) == [(0, deferred), (0, allowed), (1, next_step)]


async def test_scripts_fall_back_to_the_shipped_default(stores):
    scripts = stores["scripts"]
    assert await scripts.for_campaign("b1", None) == default_script()
    from dataclasses import replace
    custom = replace(default_script(), id="ortho-v2", version=2, closing="Bye {first_name}.")
    await scripts.save("b1", custom)
    assert await scripts.for_campaign("b1", None) == custom


async def test_mongo_scripts_are_read_once_per_cache_period(mongo_server):
    """A script read is kept per process for SCRIPT_CACHE_S; a change made elsewhere shows after it."""
    from dataclasses import replace

    from motor.motor_asyncio import AsyncIOMotorClient

    client = AsyncIOMotorClient(mongo_server.uri)
    db = client[f"scripts_{uuid.uuid4().hex[:10]}"]
    now = [100.0]
    worker = MongoScriptCatalog(db, cache_s=30, monotonic=lambda: now[0])
    elsewhere = MongoScriptCatalog(db)
    try:
        v1 = replace(default_script(), id="ortho", version=1, closing="Bye.")
        await elsewhere.save("b1", v1)
        assert await worker.for_campaign("b1", None) == v1
        v2 = replace(v1, version=2, closing="Goodbye {first_name}.")
        await elsewhere.save("b1", v2)
        now[0] += 29
        assert await worker.for_campaign("b1", None) == v1  # no round trip within the period
        now[0] += 2
        assert await worker.for_campaign("b1", None) == v2
        v3 = replace(v2, version=3)
        await worker.save("b1", v3)  # this process's own save is seen at once
        assert await worker.for_campaign("b1", None) == v3
    finally:
        await client.drop_database(db.name)
        client.close()


async def test_documents_stored_before_callbacks_and_front_desk_details_still_load(mongo_server):
    from bson import ObjectId
    from motor.motor_asyncio import AsyncIOMotorClient
    from odmantic import AIOEngine

    client = AsyncIOMotorClient(mongo_server.uri)
    db = client[f"contract_{uuid.uuid4().hex[:10]}"]
    try:
        await db["campaigns"].insert_one({"_id": ObjectId(CID), "contact": ObjectId(KID), "batch": "default",
                                          "threadId": None, "scriptId": None, "repCalendarId": "primary",
                                          "repName": "Sam", "status": "active", "callHistory": [],
                                          "lastCompletedStep": None, "lastCompletedDate": None,
                                          "lastCallDate": None, "settings": {}})
        await db["contacts"].insert_one({"_id": ObjectId(KID), "firstName": "Dana", "lastName": "Reyes",
                                         "phone": "+15125550143", "practice": "Lakeside", "title": "", "email": "",
                                         "state": None, "timezone": None, "extra": {}})
        engine = AIOEngine(client=client, database=db.name)
        campaign = await MongoCampaignRepository(engine).get(CID)
        contact = await MongoContactRepository(engine).get(KID)
        assert campaign.follow_ups == [] and campaign.rep_email == "" and not contact.known
        campaign.plan_follow_up(step=0, attempt=0, at=NOW, asked_at=NOW, call_id="c0", cap=2)
        await MongoCampaignRepository(engine).save(campaign)
        assert len((await MongoCampaignRepository(engine).get(CID)).follow_ups) == 1
    finally:
        await client.drop_database(db.name)
        client.close()


async def test_the_do_not_call_answer_comes_with_the_contact_and_is_trusted_only_for_its_own_digest(mongo_server):
    """The call's first read brings the number's do-not-call entry (no read of its own); a listing made
    under another key, or for a number changed behind the repository's back, is looked up again."""
    from motor.motor_asyncio import AsyncIOMotorClient
    from odmantic import AIOEngine

    from domain.personal_data import phone_digest

    client = AsyncIOMotorClient(mongo_server.uri)
    db = client[f"listing_{uuid.uuid4().hex[:10]}"]
    engine = AIOEngine(client=client, database=db.name)
    key = b"contract-key"
    campaigns, contacts, dnc = MongoCampaignRepository(engine), MongoContactRepository(engine, key), \
        MongoDoNotCallList(db, key)
    try:
        contact = Contact(id=KID, first_name="Dana", last_name="Reyes", phone="+15125550143", practice="Lakeside")
        await contacts.add(contact)
        await campaigns.add(Campaign(id=CID, contact_id=KID))
        listing = (await campaigns.get_with_contact(CID)).listing
        assert listing.digest == phone_digest(contact.phone, key) and listing.listed is False
        assert await dnc.contains(contact.phone, listing) is False

        await dnc.add(contact.phone, reason="asked", source="test", at=NOW)
        listing = (await campaigns.get_with_contact(CID)).listing
        assert listing.listed is True and await dnc.contains(contact.phone, listing) is True

        # Used as is when it is this list's digest for this number: a stale listing shows it was not re-read.
        assert await dnc.contains(contact.phone, replace(listing, listed=False)) is False
        # Another key (a scoped list) or another number: the list reads its own entry.
        assert await MongoDoNotCallList(db, b"other-key").contains(contact.phone, listing) is False
        assert await dnc.contains("+15125550199", replace(listing, listed=True)) is False

        # The number changed by a direct write: the saved digest no longer matches, the list reads.
        await db["contacts"].update_one({"_id": ObjectId(KID)}, {"$set": {"phone": "+15125550177"}})
        found = await campaigns.get_with_contact(CID)
        assert found.listing.listed is True and await dnc.contains(found.contact.phone, found.listing) is False

        # A contact written by another producer (no digest): no listing, the list is asked.
        await db["contacts"].update_one({"_id": ObjectId(KID)}, {"$unset": {"dncDigest": 1}})
        assert (await campaigns.get_with_contact(CID)).listing is None
    finally:
        await client.drop_database(db.name)
        client.close()
