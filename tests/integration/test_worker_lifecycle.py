"""Heartbeats, drain and forced stop of a running worker, seen through Redis."""
from __future__ import annotations

import asyncio

from arq.connections import create_pool

from application.commands import ConductCallCommand
from domain.outcomes import CallOutcome
from entrypoints.worker import run_worker
from infrastructure.arq_jobs import deserialize, enqueue_call, redis_settings, serialize
from infrastructure.queue_status import read_queue
from infrastructure.worker_registry import WorkerRegistry
from tests.integration.pipeline_world import CountingLine, make_settings, pipeline, seed_campaign


async def wait_for(predicate, timeout=10.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def start(settings, container, campaign_ids):
    pool = await create_pool(redis_settings(settings.redis_url), job_serializer=serialize,
                             job_deserializer=deserialize, default_queue_name=settings.queue_name)
    for campaign_id in campaign_ids:
        await enqueue_call(pool, ConductCallCommand(campaign_id, 0, False), queue_name=settings.queue_name)
    worker = asyncio.create_task(run_worker(settings, container=container))
    registry = WorkerRegistry(await container.redis())

    async def busy():
        beats = await registry.live()
        return bool(beats and beats[0].current_jobs)

    await wait_for(busy)
    return pool, worker, registry


async def test_drain_finishes_the_call_in_progress_and_takes_no_new_job(tmp_path, redis_url, mongo_uri):
    settings = make_settings(tmp_path, redis_url, mongo_uri, max_concurrent_calls=1)
    async with pipeline(settings, line=CountingLine(hold_s=0.6)) as (container, line):
        ids = [await seed_campaign(container) for _ in range(2)]
        pool, worker, registry = await start(settings, container, ids)
        [beat] = await registry.live()
        assert beat.worker_id == settings.worker_id and beat.state == "running" and beat.memory_mb > 0
        queue = await read_queue(await container.redis(), settings.queue_name)
        assert (queue.ready, len(queue.in_progress)) == (1, 1), "a running job is in progress, not waiting"
        assert await registry.request_stop(None, force=False) == [settings.worker_id]
        reason = await asyncio.wait_for(worker, timeout=10)
        assert reason == "stop-worker"
        assert len(line.dialed) == 1, "the second job must stay queued"
        records = [r for cid in ids for r in await (await container.call_records()).for_campaign(cid)]
        assert [r.outcome for r in records] == [CallOutcome.NO_ANSWER]
        assert await pool.zcard(settings.queue_name) == 1
        assert await registry.live() == []
        await pool.aclose()


async def test_force_ends_the_call_now_and_records_it(tmp_path, redis_url, mongo_uri):
    settings = make_settings(tmp_path, redis_url, mongo_uri, max_concurrent_calls=1)
    async with pipeline(settings, line=CountingLine(hold_s=30)) as (container, line):
        [campaign_id] = [await seed_campaign(container)]
        pool, worker, registry = await start(settings, container, [campaign_id])
        await registry.request_stop(settings.worker_id, force=True)
        reason = await asyncio.wait_for(worker, timeout=10)
        assert reason == "stop-worker --force"
        [record] = await (await container.call_records()).for_campaign(campaign_id)
        assert record.outcome is CallOutcome.FAILED and "stopped" in record.reason
        await pool.aclose()


async def test_memory_over_the_limit_drains_the_worker(tmp_path, redis_url, mongo_uri):
    settings = make_settings(tmp_path, redis_url, mongo_uri, max_concurrent_calls=1, memory_limit_mb=50)
    async with pipeline(settings, line=CountingLine(hold_s=0.3)) as (container, line):
        ids = [await seed_campaign(container) for _ in range(3)]
        pool = await create_pool(redis_settings(settings.redis_url), job_serializer=serialize,
                                 job_deserializer=deserialize, default_queue_name=settings.queue_name)
        for campaign_id in ids:
            await enqueue_call(pool, ConductCallCommand(campaign_id, 0, False), queue_name=settings.queue_name)
        reason = await asyncio.wait_for(run_worker(settings, container=container), timeout=15)
        assert reason.startswith("memory") and "50 MB" in reason
        # Nothing lost: whatever was not called is still queued.
        assert len(line.dialed) + await pool.zcard(settings.queue_name) == 3
        assert len(line.dialed) <= 1
        await pool.aclose()


def test_a_worker_process_over_its_memory_limit_exits_0_and_loses_no_job(tmp_path, redis_url, mongo_uri):
    import os
    import subprocess
    import sys

    import redis as redis_sync

    queue = f"docshield:mem-{tmp_path.name[-8:]}"
    client = redis_sync.Redis.from_url(redis_url)
    job_ids = [f"call:65f0c0ffee0000000000abc{i}:0" for i in range(3)]
    for i, job_id in enumerate(job_ids):
        client.set(f"arq:job:{job_id}", ('{"t":1,"f":"conduct_outbound_call","a":[],"k":{"campaign_id":'
                                         f'"65f0c0ffee0000000000abc{i}","step":0,"final_step":false}},"et":1}}'))
        client.zadd(queue, {job_id: 1})
    env = {**os.environ, "REDIS_URL": redis_url, "MONGODB_URI": mongo_uri, "QUEUE_NAME": queue,
           "MEMORY_LIMIT_MB": "50", "MAX_CONCURRENT_CALLS": "1", "DATA_DIR": str(tmp_path),
           "HEARTBEAT_INTERVAL_S": "0.2", "MONGODB_DATABASE": f"mem_{tmp_path.name[-8:]}".replace("-", "_")}
    done = subprocess.run([sys.executable, "-m", "entrypoints", "start-worker"], env=env, cwd=os.getcwd(),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "over the 50 MB limit" in done.stderr
    queued = {m.decode() for m in client.zrange(queue, 0, -1)}
    handled = {job_id for job_id in job_ids if client.exists(f"arq:result:{job_id}")}
    assert queued | handled == set(job_ids) and not queued & handled, "every job is either handled or still queued"
    assert len(handled) <= 1, "a draining worker takes no new job"
    assert queued, "the rest wait for a fresh worker"
