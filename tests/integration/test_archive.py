"""The archive job on SecantusDB with a moved clock: what moves, what stays, and the TTL that ends it."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from bson import ObjectId
from dependency_injector import providers

from application.archive_calls import ArchiveCalls
from domain.call_record import CallRecord
from domain.campaign import Campaign, CampaignStatus
from domain.outcomes import CallOutcome
from domain.retention_policy import RetentionPolicy
from entrypoints.worker import ARCHIVE_JOB_NAME, build_worker, daily_archive
from infrastructure.mongo_archive import CALL_RECORDS_ARCHIVE, CAMPAIGNS_ARCHIVE, TTL_INDEX, MongoCallArchive
from infrastructure.mongo_repositories import MongoCallRecordRepository, MongoCampaignRepository
from tests.fakes.runtime import FakeClock
from tests.integration.pipeline_world import make_settings, pipeline

NOW = datetime(2026, 6, 1, 3, 17, tzinfo=timezone.utc)
DAY = timedelta(days=1)


def record(call_id: str, age_days: float) -> CallRecord:
    started = NOW - age_days * DAY
    return CallRecord(call_id=call_id, campaign_id="65f0c0ffee0000000000abcd", step=0,
                      outcome=CallOutcome.NO_ANSWER, started_at=started, ended_at=started + timedelta(seconds=40),
                      transcript_key=f"calls/{call_id}/transcript.json")


def campaign(status: CampaignStatus, closed_days_ago: float | None) -> Campaign:
    when = None if closed_days_ago is None else NOW - closed_days_ago * DAY
    return Campaign(id=str(ObjectId()), contact_id=str(ObjectId()), status=status, last_completed_date=when)


class World:
    def __init__(self, db, engine, batch_size: int = 500):
        self.db = db
        self.records = MongoCallRecordRepository(engine)
        self.campaigns = MongoCampaignRepository(engine)
        self.clock = FakeClock(NOW)
        self.archive = MongoCallArchive(db, batch_size=batch_size)
        self.job = ArchiveCalls(self.archive, RetentionPolicy(), self.clock)

    async def ids(self, collection: str, field: str = "callId") -> set:
        return {d[field] async for d in self.db[collection].find()}


@pytest.fixture
async def world(mongo_db, mongo_engine):
    w = World(mongo_db, mongo_engine, batch_size=2)
    for call_id, age in (("old-1", 100), ("old-2", 400), ("old-3", 91), ("edge", 90), ("fresh", 10)):
        await w.records.add(record(call_id, age))
    w.closed = {
        "completed-old": campaign(CampaignStatus.COMPLETED, 120),
        "opted-out-old": campaign(CampaignStatus.OPTED_OUT, 95),
        "completed-recent": campaign(CampaignStatus.COMPLETED, 30),
        "active-old": campaign(CampaignStatus.ACTIVE, 200),
        "pending-never": campaign(CampaignStatus.PENDING, None),
    }
    for c in w.closed.values():
        await w.campaigns.add(c)
    await mongo_db["contacts"].insert_one({"firstName": "Dana", "phone": "+15125550143"})
    return w


async def test_old_records_and_closed_campaigns_move_the_rest_stays(world):
    report = await world.job()
    assert (report.call_records, report.campaigns) == (3, 2)
    assert report.cutoff == NOW - 90 * DAY
    assert await world.ids("call_records") == {"edge", "fresh"}
    assert await world.ids(CALL_RECORDS_ARCHIVE) == {"old-1", "old-2", "old-3"}
    by_id = {v.id: k for k, v in world.closed.items()}
    assert {by_id[str(i)] for i in await world.ids("campaigns", "_id")} == {
        "completed-recent", "active-old", "pending-never"}
    assert {by_id[str(i)] for i in await world.ids(CAMPAIGNS_ARCHIVE, "_id")} == {"completed-old", "opted-out-old"}
    assert await world.db["contacts"].count_documents({}) == 1


async def test_an_archived_document_is_the_live_one_plus_its_dates(world):
    live = await world.db["call_records"].find_one({"callId": "old-1"})
    await world.job()
    archived = await world.db[CALL_RECORDS_ARCHIVE].find_one({"callId": "old-1"})
    assert {k: v for k, v in archived.items() if k not in ("archivedAt", "deleteAt")} == live
    assert archived["archivedAt"] == NOW.replace(tzinfo=None)
    assert archived["deleteAt"] == (NOW - 100 * DAY + 1095 * DAY).replace(tzinfo=None)
    c = await world.db[CAMPAIGNS_ARCHIVE].find_one({"_id": ObjectId(world.closed["completed-old"].id)})
    assert c["deleteAt"] == (NOW - 120 * DAY + 1095 * DAY).replace(tzinfo=None)


async def test_moving_the_clock_moves_what_has_aged(world):
    await world.job()
    world.clock.advance(days=85)
    report = await world.job()
    assert (report.call_records, report.campaigns) == (2, 1)
    assert await world.ids("call_records") == set()
    assert await world.ids(CALL_RECORDS_ARCHIVE) == {"old-1", "old-2", "old-3", "edge", "fresh"}


async def test_running_again_changes_nothing(world):
    await world.job()
    snapshot = [d async for d in world.db[CALL_RECORDS_ARCHIVE].find().sort("_id")]
    report = await world.job()
    assert (report.call_records, report.campaigns) == (0, 0)
    assert [d async for d in world.db[CALL_RECORDS_ARCHIVE].find().sort("_id")] == snapshot


async def test_a_run_interrupted_after_the_copy_is_finished_without_duplicates(world):
    # The state a crash between copy and delete leaves: the record in both places.
    live = await world.db["call_records"].find_one({"callId": "old-1"})
    await world.db[CALL_RECORDS_ARCHIVE].insert_one({**live, "archivedAt": NOW - DAY, "deleteAt": NOW})
    await world.job()
    assert await world.db[CALL_RECORDS_ARCHIVE].count_documents({"callId": "old-1"}) == 1
    assert await world.db["call_records"].count_documents({"callId": "old-1"}) == 0


async def test_a_campaign_reopened_between_copy_and_delete_stays_live_without_a_stale_copy(world, mongo_db):
    target = world.closed["completed-old"]

    original = mongo_db["campaigns_archive"].bulk_write

    async def copy_then_reopen(ops, **kw):
        result = await original(ops, **kw)
        await mongo_db["campaigns"].update_one({"_id": ObjectId(target.id)}, {"$set": {"status": "active"}})
        return result

    archive = MongoCallArchive(mongo_db)
    archive.database = _Patched(mongo_db, "campaigns_archive", bulk_write=copy_then_reopen)
    moved = await archive.move_closed_campaigns(closed_before=NOW - 90 * DAY, keep_for=1095 * DAY, now=NOW)
    assert moved == 1  # the opted-out one; the reopened one stayed
    assert await mongo_db["campaigns"].count_documents({"_id": ObjectId(target.id)}) == 1
    assert await mongo_db["campaigns_archive"].count_documents({"_id": ObjectId(target.id)}) == 0


class _Patched:
    """The database, with one method of one collection replaced."""

    def __init__(self, db, name, **methods):
        self._db, self._name, self._methods = db, name, methods

    def __getitem__(self, name):
        collection = self._db[name]
        if name != self._name:
            return collection
        return type("PatchedCollection", (), {
            "__getattr__": lambda _self, attr: self._methods.get(attr) or getattr(collection, attr)})()


async def test_the_ttl_index_is_present_and_expires_after_three_years(world, mongo_server):
    await world.job()
    for name in (CALL_RECORDS_ARCHIVE, CAMPAIGNS_ARCHIVE):
        info = (await world.db[name].index_information())[TTL_INDEX]
        assert info["key"] == [("deleteAt", 1)] and info["expireAfterSeconds"] == 0
    storage = mongo_server.storage
    # SecantusDB's TTL sweep, driven with an explicit time instead of waiting for its thread.
    # Each record goes 1095 days after its call: old-2 (400 d old) first, then old-1 (100 d), old-3 (91 d).
    assert storage.prune_ttl(world.db.name, CALL_RECORDS_ARCHIVE, now=NOW + 694 * DAY) == 0
    assert storage.prune_ttl(world.db.name, CALL_RECORDS_ARCHIVE, now=NOW + 696 * DAY) == 1
    assert await world.ids(CALL_RECORDS_ARCHIVE) == {"old-1", "old-3"}
    assert storage.prune_ttl(world.db.name, CALL_RECORDS_ARCHIVE, now=NOW + 1000 * DAY) == 1
    assert storage.prune_ttl(world.db.name, CALL_RECORDS_ARCHIVE, now=NOW + 1005 * DAY) == 1
    assert await world.ids(CALL_RECORDS_ARCHIVE) == set()
    assert storage.prune_ttl(world.db.name, "call_records", now=NOW + 5000 * DAY) == 0  # live data has no TTL
    assert await world.ids("call_records") == {"edge", "fresh"}


async def test_the_worker_runs_the_job_daily_through_the_container_once_across_workers(tmp_path, redis_url,
                                                                                        mongo_uri):
    settings = make_settings(tmp_path, redis_url, mongo_uri)
    async with pipeline(settings) as (container, _line):
        container.clock.override(providers.Object(FakeClock(NOW)))
        records = await container.call_records()
        await records.add(record("old-1", 100))
        await records.add(record("fresh", 10))
        worker = build_worker(settings, container, settings.redis_url)
        # Beside ARQ, not an ARQ function: a cron's timeout would stretch every call's lock.
        assert ARCHIVE_JOB_NAME not in worker.functions and not worker.cron_jobs
        await worker.close()
        first, second = await daily_archive(settings, container), await daily_archive(settings, container)
        first.now = second.now = lambda: NOW.timestamp() - 60
        assert first.next_run() == NOW
        assert await first.run_once("2026-06-01") is True
        assert await second.run_once("2026-06-01") is False  # another worker already ran today's
        database = await container.database()
        assert await database[CALL_RECORDS_ARCHIVE].count_documents({}) == 1
        container.clock.reset_override()


async def test_front_desk_details_are_forgotten_at_the_retention_age(mongo_db, mongo_engine):
    from datetime import time

    from domain.contact import Contact
    from domain.front_desk import BestTime, FrontDeskDetails
    from infrastructure.mongo_repositories import MongoContactRepository

    contacts = MongoContactRepository(mongo_engine)
    details = FrontDeskDetails(decision_maker="Dr. Kent", extension="214",
                               best_time=BestTime(("thu",), time(14), time(17)))
    old = Contact(id=str(ObjectId()), first_name="A", last_name="B", phone="+15125550143", practice="P",
                  known=FrontDeskDetails(**{**details.__dict__, "learned_at": NOW - 1100 * DAY}))
    recent = Contact(id=str(ObjectId()), first_name="C", last_name="D", phone="+15125550144", practice="Q",
                     known=FrontDeskDetails(**{**details.__dict__, "learned_at": NOW - 30 * DAY}))
    for contact in (old, recent):
        await contacts.add(contact)
    report = await World(mongo_db, mongo_engine).job()
    assert report.front_desk_forgotten == 1 and report.to_dict()["front_desk_forgotten"] == 1
    assert not (await contacts.get(old.id)).known
    assert (await contacts.get(recent.id)).known.extension == "214"
