"""Findings 4, 5 and 7: workers ride out a Redis SIGKILL and restart and a MongoDB that is down when they
start; a second worker never runs under a live worker's id. Real processes, real servers, nothing
touched by hand."""
from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import tempfile
from dataclasses import replace

import aiohttp
from bson import ObjectId
from redis.asyncio import Redis
from secantus import SecantusDBServer

from containers import build_container, close_container
from domain.campaign import Campaign
from domain.contact import Contact
from infrastructure.arq_jobs import job_info
from infrastructure.worker_registry import WorkerRegistry
from tests.faults.fault_world import arq_pool, enqueue, eventually, start_worker_process, worker_env
from tests.faults.personal_data_scan import assert_no_personal_data
from tests.integration.pipeline_world import ANY_DAY, make_settings, noon_somewhere, pipeline
from tests.servers import RedisServer, free_port


def callable_contact() -> Contact:
    # A toll-free number has no zone of its own: the contact's zone (noon now) governs, at any hour.
    return Contact(id=str(ObjectId()), first_name="Dana", last_name="Reyes", phone="+18005550143",
                   email="dana@lakeside.example", practice="Lakeside Orthopedics", timezone=noon_somewhere())


async def seed(container, contact: Contact) -> str:
    campaign = Campaign(id=str(ObjectId()), contact_id=contact.id, settings=ANY_DAY)
    await (await container.contacts()).add(contact)
    await (await container.campaigns()).add(campaign)
    return campaign.id


def stop(processes) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        process.wait(timeout=60)


async def test_workers_ride_out_a_redis_sigkill_and_restart_and_every_call_is_recorded(tmp_path, mongo_uri):
    redis = RedisServer().start()
    settings = make_settings(tmp_path, redis.url, mongo_uri)
    contact = callable_contact()
    logs = [tmp_path / f"worker-{i}.log" for i in range(2)]
    try:
        async with pipeline(settings) as (container, _line):
            campaigns = [await seed(container, replace(contact, id=str(ObjectId()))) for _ in range(6)]
            workers = [start_worker_process(worker_env(settings, WORKER_ID=f"w-{i}", SIMULATED_CALL_SECONDS=2,
                                                       MAX_CONCURRENT_CALLS=4), logs[i]) for i in range(2)]
            try:
                registry = WorkerRegistry(await container.redis())
                await eventually(lambda: _all_live(registry, 2), within_s=60)
                await enqueue(settings, campaigns)
                claims = await container.claims()
                await eventually(claims.in_flight, within_s=60)
                redis.kill()  # mid-call: calls end while Redis is gone, idle slots poll a dead server
                await asyncio.sleep(3.0)
                assert all(w.poll() is None for w in workers)
                redis.start()
                pool = await arq_pool(settings)

                async def all_complete():
                    infos = [await job_info(pool, f"call:{c}:0", settings.queue_name) for c in campaigns]
                    return infos if all(i["status"] == "complete" for i in infos) else None

                infos = await eventually(all_complete, within_s=90, every_s=0.2)
                await pool.aclose()
                assert all(w.poll() is None for w in workers)  # nobody exited for the outage
            finally:
                stop(workers)
            for info in infos:
                assert info["success"] is True and info["result"]["outcome"] != "failed", info
            records = await container.call_records()
            for campaign_id in campaigns:
                assert len(await records.for_campaign(campaign_id)) == 1
            assert [w.returncode for w in workers] == [0, 0]
    finally:
        redis.close()
    for path in logs:
        text = path.read_text(errors="replace")
        assert_no_personal_data(text, contact)


async def _all_live(registry: WorkerRegistry, count: int) -> bool:
    return len(await registry.live()) == count


async def test_a_worker_started_with_mongodb_down_is_not_ready_takes_no_job_then_runs_it(tmp_path, redis_url):
    port, folder = free_port(), tempfile.mkdtemp(prefix="mongo-down-")
    mongo = SecantusDBServer(host="127.0.0.1", port=port, storage_path=folder)
    mongo.start()
    settings = make_settings(tmp_path, redis_url, mongo.uri)
    contact = callable_contact()
    health_port = free_port()
    log = tmp_path / "worker.log"
    resilience = json.dumps({"mongodb": {"on_network": {"retries": 1, "delay_s": 0.05},
                                         "on_timeout": {"retries": 1, "delay_s": 0.05}}})
    worker = None
    try:
        container = await build_container(settings)
        campaign_id = await seed(container, contact)
        await close_container(container)
        mongo.stop()
        await enqueue(settings, [campaign_id])
        worker = start_worker_process(worker_env(settings, WORKER_ID="w-mongo", MONGODB_TIMEOUT_MS=200,
                                                 RESILIENCE=resilience, HEALTH_PORT=health_port,
                                                 HEALTH_HOST="127.0.0.1"), log)
        async with aiohttp.ClientSession() as http:
            async def readiness():
                async with http.get(f"http://127.0.0.1:{health_port}/readyz") as answer:
                    return answer.status, await answer.json()

            status, body = await eventually(readiness, within_s=60)
            assert status == 503 and body["checks"]["mongodb"] == "SetUpPending", body
            await asyncio.sleep(3)
            pool = await arq_pool(settings)
            assert (await job_info(pool, f"call:{campaign_id}:0", settings.queue_name))["status"] == "queued"
            assert worker.poll() is None
            mongo = SecantusDBServer(host="127.0.0.1", port=port, storage_path=folder)
            mongo.start()

            async def ready():
                status, body = await readiness()
                return status == 200 and body["checks"]["mongodb"] == "ok"

            await eventually(ready, within_s=60)

            async def finished():
                info = await job_info(pool, f"call:{campaign_id}:0", settings.queue_name)
                return info if info["status"] == "complete" else None

            info = await eventually(finished, within_s=60)
            await pool.aclose()
        assert info["success"] is True, info
    finally:
        if worker is not None:
            stop([worker])
        mongo.stop()
    text = log.read_text(errors="replace")
    assert "setting up MongoDB" in text
    assert_no_personal_data(text, contact)


async def test_a_second_worker_with_a_live_id_refuses_to_start_and_a_dead_ones_id_is_taken_over(
        tmp_path, redis_url, mongo_uri):
    settings = make_settings(tmp_path, redis_url, mongo_uri)
    env = worker_env(settings, WORKER_ID="twin")
    first = start_worker_process(env, tmp_path / "first.log")
    redis = Redis.from_url(redis_url)
    registry = WorkerRegistry(redis)
    try:
        await eventually(lambda: _live(registry, "twin", first.pid), within_s=60)
        second = subprocess.run([sys.executable, "-m", "entrypoints", "start-worker"], env=env,
                                capture_output=True, text=True, timeout=60)
        assert second.returncode == 1
        assert "worker id 'twin' is in use by a live worker" in second.stderr
        assert first.poll() is None
        assert [b.pid for b in await registry.live()] == [first.pid]

        first.send_signal(signal.SIGKILL)  # its heartbeat outlives it for a while
        first.wait(timeout=10)
        third = start_worker_process(env, tmp_path / "third.log")
        try:
            await eventually(lambda: _live(registry, "twin", third.pid), within_s=60)
        finally:
            stop([third])
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
        await redis.aclose()


async def _live(registry: WorkerRegistry, worker_id: str, pid: int) -> bool:
    return any(b.worker_id == worker_id and b.pid == pid for b in await registry.live())
