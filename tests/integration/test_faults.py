"""Faults on real local servers: Redis restarted, MongoDB gone and back, a failing API, a worker killed mid-call."""
from __future__ import annotations

import asyncio
import json
import tempfile

import aiohttp
from secantus import SecantusDBServer

from application.ports.call_line import CallRequest, CallResult, DialingHook
from domain.call_claim import ClaimStatus
from domain.outcomes import CallOutcome
from entrypoints.worker import run_worker
from infrastructure.arq_jobs import job_info
from infrastructure.resilience import BreakerSpec, DependencyPolicy, Guards, ResilienceConfig, RetrySpec
from infrastructure.worker_registry import WorkerRegistry
from tests.integration.pipeline_world import (CountingLine, make_settings, pipeline,
                                             seed_campaign)
from tests.faults.fault_world import arq_pool, enqueue, eventually
from tests.servers import free_port
from tests.stubs.flaky_api_stub import FlakyApiStub


async def stop_worker(settings, task: asyncio.Task) -> None:
    from redis.asyncio import Redis

    redis = Redis.from_url(settings.redis_url)
    await eventually(lambda: WorkerRegistry(redis).request_stop(settings.worker_id, force=False))
    await redis.aclose()
    await asyncio.wait_for(task, 20)


async def test_redis_restarted_mid_run_loses_no_job(tmp_path, redis_server, redis_url, mongo_uri):
    settings = make_settings(tmp_path, redis_url, mongo_uri)
    async with pipeline(settings, line=CountingLine(hold_s=0.1)) as (container, line):
        campaigns = [await seed_campaign(container) for _ in range(8)]
        await enqueue(settings, campaigns)
        worker = asyncio.create_task(run_worker(settings, container=container))
        await eventually(lambda: asyncio.sleep(0, len(line.dialed) >= 2))
        redis_server.restart()  # appendfsync always: what was acknowledged survives
        records = await container.call_records()

        async def all_recorded():
            found = [await records.for_campaign(c) for c in campaigns]
            return all(len(r) == 1 for r in found)

        await eventually(all_recorded, within_s=30)
        await stop_worker(settings, worker)
        assert sorted(line.dialed) == sorted(f"{c}:0" for c in campaigns)  # each once, none lost


async def test_mongodb_unreachable_then_back_retries_the_jobs_and_writes_nothing_half(tmp_path, redis_url):
    port, folder = free_port(), tempfile.mkdtemp(prefix="mongo-fault-")
    mongo = SecantusDBServer(host="127.0.0.1", port=port, storage_path=folder)
    mongo.start()
    resilience = json.dumps({"mongodb": {"on_network": {"retries": 1, "delay_s": 0.05},
                                         "on_timeout": {"retries": 1, "delay_s": 0.05}}})
    settings = make_settings(tmp_path, redis_url, mongo.uri, mongodb_timeout_ms=200, resilience=resilience)
    try:
        async with pipeline(settings) as (container, line):
            campaigns = [await seed_campaign(container) for _ in range(3)]
            mongo.stop()
            await enqueue(settings, campaigns)
            worker = asyncio.create_task(run_worker(settings, container=container))
            pool = await arq_pool(settings)
            # Every job meets the outage and is put back for later, none is dialed.
            await eventually(lambda: _all_retrying(pool, settings, campaigns), within_s=15)
            assert line.dialed == []
            mongo = SecantusDBServer(host="127.0.0.1", port=port, storage_path=folder)
            mongo.start()
            records = await container.call_records()

            async def all_recorded():
                return all([len(await records.for_campaign(c)) == 1 for c in campaigns])

            await eventually(all_recorded, within_s=30)
            await stop_worker(settings, worker)
            claims = await container.claims()
            for campaign_id in campaigns:
                claim = await claims.get(campaign_id, 0)
                assert claim.status is ClaimStatus.COMPLETED and claim.outcome is CallOutcome.NO_ANSWER
                assert (await (await container.campaigns()).get(campaign_id)).last_completed_step == 0
                assert (await job_info(pool, f"call:{campaign_id}:0", settings.queue_name))["success"] is True
            assert await claims.in_flight() == []
            await pool.aclose()
            assert sorted(line.dialed) == sorted(f"{c}:0" for c in campaigns)
    finally:
        mongo.stop()


async def _all_retrying(pool, settings, campaigns) -> bool:
    infos = [await job_info(pool, f"call:{c}:0", settings.queue_name) for c in campaigns]
    return all(i.get("last", {}).get("status") == "retrying" and "mongodb" in i["last"]["reason"] for i in infos)


class RoomsClient:
    """A minimal HTTP API adapter, as the LiveKit room service is: 4xx/5xx raise, a slow answer times out."""

    def __init__(self, url: str, timeout_s: float = 0.2):
        self.url = url
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def create_room(self, name: str) -> str:
        async with aiohttp.ClientSession(timeout=self.timeout) as session:
            async with session.post(f"{self.url}/rooms", json={"name": name}) as response:
                response.raise_for_status()
                return (await response.json())["name"]


class ApiBackedLine:
    """A call line that needs the API before it dials (room first, then the phone)."""

    def __init__(self, rooms, inner: CountingLine):
        self.rooms = rooms
        self.inner = inner

    async def conduct(self, request: CallRequest, on_dialing: DialingHook) -> CallResult:
        await self.rooms.create_room(f"call-{request.call_id}")
        return await self.inner.conduct(request, on_dialing)


async def test_a_failing_api_opens_the_breaker_defers_the_job_and_closes_again(tmp_path, redis_url, mongo_uri):
    stub = await FlakyApiStub(["500", "timeout", "503"]).start()
    policy = DependencyPolicy("rooms-api", on_timeout=RetrySpec(1, 0.01), on_server_error=RetrySpec(1, 0.01),
                              breaker=BreakerSpec(errors=3, open_s=0.5, reset_s=0.5))
    guards = Guards(ResilienceConfig().with_policy(policy))
    rooms = guards.wrap(RoomsClient(stub.url), "rooms-api")
    counting = CountingLine()
    settings = make_settings(tmp_path, redis_url, mongo_uri)
    try:
        async with pipeline(settings, line=ApiBackedLine(rooms, counting)) as (container, _):
            campaign_id = await seed_campaign(container)
            await enqueue(settings, [campaign_id])
            worker = asyncio.create_task(run_worker(settings, container=container))
            pool = await arq_pool(settings)
            job_id = f"call:{campaign_id}:0"
            await eventually(lambda: _finished(pool, job_id, settings), within_s=20)
            info = await job_info(pool, job_id, settings.queue_name)
            await pool.aclose()
            await stop_worker(settings, worker)
        assert info["success"] is True and info["result"]["outcome"] == "no_answer"
        assert guards["rooms-api"].breaker.transitions == ["opened", "half-opened", "closed"]
        # 500, timeout (try 1); 503 opens the breaker (try 2); the deferred try 3 is the half-open probe.
        assert [answer for _, answer in stub.requests] == ["500", "timeout", "503", "ok"]
        assert counting.dialed == [f"{campaign_id}:0"]
        assert info["tries"] == 3
    finally:
        await stub.stop()


async def _finished(pool, job_id, settings) -> bool:
    return (await job_info(pool, job_id, settings.queue_name))["status"] == "complete"
