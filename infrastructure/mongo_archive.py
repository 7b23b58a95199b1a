"""CallArchive on MongoDB: `call_records_archive` and `campaigns_archive`, expired by TTL indexes.

Each archived document carries `archivedAt` and `deleteAt` (its date plus the
retention period). The TTL index on `deleteAt` (expireAfterSeconds=0) deletes it
then; putting the date in the document rather than in the index lets the
period change without rebuilding the index.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from pymongo import ASCENDING, ReplaceOne

from domain.campaign import CampaignStatus
from infrastructure.mongo_faults import mongo_faults

CALL_RECORDS = "call_records"
CAMPAIGNS = "campaigns"
CONTACTS = "contacts"
CALL_RECORDS_ARCHIVE = "call_records_archive"
CAMPAIGNS_ARCHIVE = "campaigns_archive"
TTL_INDEX = "retention_delete_at"
CLOSED_STATUSES = [CampaignStatus.COMPLETED.value, CampaignStatus.OPTED_OUT.value]


class MongoCallArchive:
    """Moves in batches of `batch_size` documents: one read, one bulk upsert and one delete per batch."""

    def __init__(self, database, *, batch_size: int = 500):
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.database = database
        self.batch_size = batch_size

    async def prepare(self) -> None:
        with mongo_faults("archive.prepare"):
            for name in (CALL_RECORDS_ARCHIVE, CAMPAIGNS_ARCHIVE):
                await self.database[name].create_index([("deleteAt", ASCENDING)], name=TTL_INDEX,
                                                       expireAfterSeconds=0)
            await self.database[CALL_RECORDS_ARCHIVE].create_index([("callId", ASCENDING)])
            await self.database[CALL_RECORDS_ARCHIVE].create_index([("campaignId", ASCENDING)])
            await self.database[CAMPAIGNS_ARCHIVE].create_index([("contact", ASCENDING)])

    async def move_call_records(self, *, started_before: datetime, keep_for: timedelta, now: datetime) -> int:
        return await self._move(CALL_RECORDS, CALL_RECORDS_ARCHIVE, {"startedAt": {"$lt": started_before}},
                                "startedAt", keep_for, now)

    async def move_closed_campaigns(self, *, closed_before: datetime, keep_for: timedelta, now: datetime) -> int:
        rule = {"status": {"$in": CLOSED_STATUSES}, "lastCompletedDate": {"$lt": closed_before}}
        return await self._move(CAMPAIGNS, CAMPAIGNS_ARCHIVE, rule, "lastCompletedDate", keep_for, now)

    async def _move(self, live_name: str, archive_name: str, rule: dict, dated_by: str,
                    keep_for: timedelta, now: datetime) -> int:
        live, archive = self.database[live_name], self.database[archive_name]
        moved = 0
        while True:
            with mongo_faults(f"archive.{live_name}.read"):
                batch = [d async for d in live.find(rule).sort("_id", ASCENDING).limit(self.batch_size)]
            if not batch:
                return moved
            # Upsert by _id: a copy left by an interrupted run is overwritten, never duplicated.
            copies = [ReplaceOne({"_id": d["_id"]}, {**d, "archivedAt": now, "deleteAt": d[dated_by] + keep_for},
                                 upsert=True) for d in batch]
            with mongo_faults(f"archive.{archive_name}.write"):
                await archive.bulk_write(copies, ordered=False)
            # The rule again: a document that changed since it was read (a campaign reopened)
            # stays live; its archive copy is overwritten when it is moved for real.
            with mongo_faults(f"archive.{live_name}.delete"):
                result = await live.delete_many({"$and": [{"_id": {"$in": [d["_id"] for d in batch]}}, rule]})
            moved += result.deleted_count
            if result.deleted_count < len(batch):
                await self._drop_stale_copies(live, archive, [d["_id"] for d in batch])
            if len(batch) < self.batch_size:
                return moved

    async def _drop_stale_copies(self, live, archive, ids: list) -> None:
        with mongo_faults("archive.stale_copies"):
            kept = [d["_id"] async for d in live.find({"_id": {"$in": ids}}, {"_id": 1})]
            if kept:
                await archive.delete_many({"_id": {"$in": kept}})

    async def forget_front_desk(self, *, learned_before: datetime) -> int:
        # learned_at is stored as UTC ISO text, so text order is time order.
        cutoff = learned_before.astimezone(timezone.utc).isoformat()
        with mongo_faults("archive.forget_front_desk"):
            result = await self.database[CONTACTS].update_many({"known.learned_at": {"$lt": cutoff}},
                                                               {"$set": {"known": None}})
        return result.modified_count
