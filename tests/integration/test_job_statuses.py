"""job_statuses reads many jobs' states in one round trip and answers as arq's own Job.status does."""
from __future__ import annotations

import time

from arq.connections import create_pool
from arq.constants import in_progress_key_prefix, result_key_prefix
from arq.jobs import Job, JobStatus

from infrastructure.arq_jobs import deserialize, job_statuses, redis_settings, serialize

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
