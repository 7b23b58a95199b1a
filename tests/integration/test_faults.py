"""Faults on real local servers: Redis restarted, MongoDB gone and back, a failing API, a worker killed mid-call."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone

import aiohttp
from arq.connections import create_pool
from bson import ObjectId
from dependency_injector import providers
from secantus import SecantusDBServer

from application.commands import ConductCallCommand
from application.ports.call_line import CallRequest, CallResult, DialingHook
from domain.call_claim import ClaimStatus
from domain.campaign import Campaign
from domain.contact import Contact
from domain.outcomes import CallOutcome
from entrypoints.worker import run_worker
from infrastructure.arq_jobs import deserialize, enqueue_call, job_info, redis_settings, serialize
from infrastructure.resilience import BreakerSpec, DependencyPolicy, Guards, ResilienceConfig, RetrySpec
from infrastructure.worker_registry import WorkerRegistry
from tests.integration.pipeline_world import (ANY_DAY, CountingLine, make_settings, noon_somewhere, pipeline,
                                             seed_campaign)
from tests.servers import free_port
from tests.stubs.flaky_api_stub import FlakyApiStub


async def arq_pool(settings):
    return await create_pool(redis_settings(settings.redis_url), job_serializer=serialize,
                             job_deserializer=deserialize, default_queue_name=settings.queue_name)


async def enqueue(settings, campaign_ids: list[str], step: int = 0) -> None:
    pool = await arq_pool(settings)
    for campaign_id in campaign_ids:
        await enqueue_call(pool, ConductCallCommand(campaign_id, step, False), queue_name=settings.queue_name)
    await pool.aclose()


async def eventually(check, *, within_s: float = 20.0, every_s: float = 0.05):
    deadline = time.monotonic() + within_s
    last_error = None
    while True:
        try:
            value = await check()
        except Exception as exc:  # the servers may be down on purpose; keep polling
            value, last_error = None, exc
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within_s} s (last error: {last_error!r})")
        await asyncio.sleep(every_s)


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


async def test_a_worker_killed_mid_call_is_never_redialed_and_its_call_is_recorded_unknown(
        tmp_path, redis_url, mongo_uri):
    settings = make_settings(tmp_path, redis_url, mongo_uri, claim_lease_s=10)
    env = {**os.environ, "REDIS_URL": redis_url, "MONGODB_URI": mongo_uri,
           "MONGODB_DATABASE": settings.mongodb_database, "DATA_DIR": str(tmp_path), "WORKER_ID": "doomed",
           "SIMULATED_CALL_SECONDS": "60", "POLL_DELAY_S": "0.05", "HEARTBEAT_INTERVAL_S": "0.2",
           "CLAIM_LEASE_S": "10", "LOG_JSON": "true"}
    async with pipeline(settings) as (container, line):
        contact = Contact(id=str(ObjectId()), first_name="Dana", last_name="Reyes", phone="+15125550143",
                          practice="Lakeside Orthopedics", timezone=noon_somewhere())
        campaign = Campaign(id=str(ObjectId()), contact_id=contact.id, settings=ANY_DAY)
        await (await container.contacts()).add(contact)
        await (await container.campaigns()).add(campaign)
        await enqueue(settings, [campaign.id])
        doomed = subprocess.Popen([sys.executable, "-m", "entrypoints", "start-worker"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        claims = await container.claims()
        try:
            claim = await eventually(lambda: _dialing(claims, campaign.id), within_s=30)
        finally:
            doomed.send_signal(signal.SIGKILL)
            doomed.wait(timeout=10)
            stderr = doomed.stderr.read().decode()
        assert claim.worker_id == "doomed"
        assert "5550143" not in stderr  # the worker's own log lines never carry the number

        status = subprocess.run([sys.executable, "-m", "entrypoints", "check-status", "--json"], env=env,
                                capture_output=True, text=True, timeout=60)
        assert status.returncode == 0, status.stderr
        in_flight = json.loads(status.stdout)["calls_in_flight"]
        assert [(c["campaign_id"], c["status"], c["worker_id"]) for c in in_flight] == \
            [(campaign.id, "dialing", "doomed")]

        # ARQ gives the job to another worker once its in-progress key expires (after the job
        # timeout); the test expires it now instead of waiting, and moves the clock past the lease.
        pool = await arq_pool(settings)
        await pool.delete(f"arq:in-progress:call:{campaign.id}:0")
        later = _ShiftedClock(timedelta(seconds=11))
        container.clock.override(providers.Object(later))
        await run_worker(settings, burst=True, container=container)
        info = await job_info(pool, f"call:{campaign.id}:0", settings.queue_name)
        await pool.aclose()
        container.clock.reset_override()

        assert line.dialed == []  # the second worker never dialed
        assert info["success"] is True and info["result"]["outcome"] == "failed"
        assert "outcome unknown" in info["result"]["reason"]
        [record] = await (await container.call_records()).for_campaign(campaign.id)
        assert record.outcome is CallOutcome.FAILED and record.worker_id == "doomed"
        assert (await claims.get(campaign.id, 0)).status is ClaimStatus.COMPLETED
        # The killed worker published nothing; the delivery that finished its job did, once.
        events = [event for _, event in await (await container.outcome_events()).read()]
        assert [(e.job_id, e.outcome, e.call_id) for e in events] == \
            [(f"call:{campaign.id}:0", CallOutcome.FAILED, claim.call_id)]


async def _dialing(claims, campaign_id):
    claim = await claims.get(campaign_id, 0)
    return claim if claim is not None and claim.status is ClaimStatus.DIALING else None


class _ShiftedClock:
    def __init__(self, shift: timedelta):
        self.shift = shift

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + self.shift
