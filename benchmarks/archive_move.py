"""How fast the archive job moves call records on SecantusDB, by batch size; printed per batch size.

Run from the repository root: python -m benchmarks.archive_move
"""
from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone

from motor.motor_asyncio import AsyncIOMotorClient
from secantus import SecantusDBServer

from application.archive_calls import ArchiveCalls
from domain.retention_policy import RetentionPolicy
from infrastructure.mongo_archive import MongoCallArchive
from tests.fakes.runtime import FakeClock

RECORDS = 2000
NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)


async def one_run(uri: str, batch_size: int) -> float:
    client = AsyncIOMotorClient(uri)
    db = client[f"bench_{batch_size}"]
    started = NOW - timedelta(days=120)
    await db["call_records"].insert_many([
        {"callId": f"c{i}", "campaignId": "65f0c0ffee0000000000abcd", "step": 0, "outcome": "no_answer",
         "startedAt": started, "transcriptKey": f"calls/c{i}/transcript.json"} for i in range(RECORDS)])
    job = ArchiveCalls(MongoCallArchive(db, batch_size=batch_size), RetentionPolicy(), FakeClock(NOW))
    t0 = time.perf_counter()
    report = await job()
    elapsed = time.perf_counter() - t0
    assert report.call_records == RECORDS
    await client.drop_database(db.name)
    client.close()
    return elapsed


def main() -> None:
    server = SecantusDBServer(host="127.0.0.1", port=0, storage_path=":memory:")
    server.start()
    try:
        for batch_size in (100, 500, 2000):
            elapsed = asyncio.run(one_run(server.uri, batch_size))
            print(f"batch {batch_size:>5}: {RECORDS} records in {elapsed:6.2f} s = {RECORDS / elapsed:7.0f} records/s")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
