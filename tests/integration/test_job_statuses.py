"""job_statuses and job_results read many jobs' states and results in one round trip each, and answer as arq's
own Job.status and Job.result_info do."""
from __future__ import annotations

import time

from arq.connections import create_pool
from arq.constants import in_progress_key_prefix, result_key_prefix
from arq.jobs import Job, JobStatus, serialize_result

from infrastructure.arq_jobs import deserialize, job_results, job_statuses, redis_settings, serialize

QUEUE = "test:statuses"


async def test_every_state_is_the_one_arq_reads(redis_url):
    pool = await create_pool(redis_settings(redis_url), job_serializer=serialize, job_deserializer=deserialize,
                             default_queue_name=QUEUE)
    now_ms = int(time.time() * 1000)
    await pool.zadd(QUEUE, {"queued": now_ms - 1000, "deferred": now_ms + 3_600_000, "running": now_ms - 5})
    await pool.set(in_progress_key_prefix + "running", b"1")
    await pool.set(result_key_prefix + "done", b"{}")
    ids = ["queued", "deferred", "running", "done", "unknown"]
    statuses = await job_statuses(pool, ids, queue_name=QUEUE)
    assert statuses == {job_id: await Job(job_id, pool, _queue_name=QUEUE).status() for job_id in ids}
    assert statuses == {"queued": JobStatus.queued, "deferred": JobStatus.deferred,
                        "running": JobStatus.in_progress, "done": JobStatus.complete, "unknown": JobStatus.not_found}
    assert await job_statuses(pool, [], queue_name=QUEUE) == {}
    await pool.aclose()


async def test_every_result_is_the_one_arq_reads(redis_url):
    pool = await create_pool(redis_settings(redis_url), job_serializer=serialize, job_deserializer=deserialize,
                             default_queue_name=QUEUE)
    now_ms = int(time.time() * 1000)
    for job_id, success, result in (("booked", True, {"outcome": "meeting_booked"}),
                                    ("failed", False, "the line dropped")):
        await pool.set(result_key_prefix + job_id, serialize_result(
            "conduct_outbound_call", (), {"campaign_id": "c1", "step": 1}, 2, now_ms - 900, success, result,
            now_ms - 800, now_ms - 10, f"{job_id}:ref", QUEUE, job_id, serializer=serialize))
    ids = ["booked", "failed", "never-ran"]
    results = await job_results(pool, ids)
    assert results == {job_id: await Job(job_id, pool, _queue_name=QUEUE, _deserializer=deserialize).result_info()
                       for job_id in ids}
    assert results["booked"].result == {"outcome": "meeting_booked"} and results["failed"].success is False
    assert results["never-ran"] is None and await job_results(pool, []) == {}
    await pool.aclose()
