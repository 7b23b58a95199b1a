"""S3 faults on the real S3Artifacts, guarded as in containers.py: 503 SlowDown and stalls open the
S3 breaker, the job using S3 is deferred without burning its tries, and the breaker closes when S3
recovers. Behind the fault stub is moto, so the healthy path is a real S3 round trip."""
from __future__ import annotations

import asyncio
import json
import logging
import uuid
from dataclasses import replace

import pytest
from dependency_injector import providers

from application.ports.call_line import CallRequest, CallResult, DialingHook
from containers import guarded
from domain.call_record import TranscriptLine
from domain.outcomes import CallOutcome
from entrypoints.worker import run_worker
from infrastructure.arq_jobs import job_info
from infrastructure.resilience import ResilienceConfig
from infrastructure.s3_artifacts import S3Artifacts
from tests.integration.pipeline_world import CountingLine, make_settings, pipeline, seed_campaign
from tests.integration.test_faults import _finished, arq_pool, enqueue, eventually, stop_worker
from tests.stubs.s3_fault_stub import S3FaultStub

# Small figures so the test runs in seconds; the shape is the specification's (see README, Operating it).
RESILIENCE = json.dumps({"s3": {
    "on_server_error": {"retries": 1, "delay_s": 0.01, "exponential": False},
    "on_timeout": {"retries": 1, "delay_s": 0.01, "exponential": False},
    "breaker": {"errors": 3, "open_s": 1.0, "reset_s": 1.0}}})
TIMEOUT_S = 0.3


@pytest.fixture(autouse=True)
def aws_credentials(monkeypatch):
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch.setenv(name, value)


class BriefedLine(CountingLine):
    """Reads the previous step's transcript from S3 before dialing (to brief the agent), then answers
    with a transcript that the pipeline stores: S3 is used before and after the phone rings."""

    def __init__(self, artifacts, previous_key: str):
        super().__init__(outcome=CallOutcome.DECLINED)
        self.artifacts = artifacts
        self.previous_key = previous_key
        self.briefs: list[dict] = []

    async def conduct(self, request: CallRequest, on_dialing: DialingHook) -> CallResult:
        self.briefs.append(await self.artifacts.get_transcript(self.previous_key))
        result = await super().conduct(request, on_dialing)
        return replace(result, transcript=[TranscriptLine("callee", "Not today, thanks.", request.started_at)])


class TalkingLine(CountingLine):
    """Answers with a transcript, which the pipeline stores after the call."""

    async def conduct(self, request: CallRequest, on_dialing: DialingHook) -> CallResult:
        result = await super().conduct(request, on_dialing)
        return replace(result, transcript=[TranscriptLine("callee", "No.", request.started_at)])


async def s3_store(endpoint: str, bucket: str) -> S3Artifacts:
    return S3Artifacts(bucket=bucket, endpoint_url=endpoint, prefix="calls/", timeout_s=TIMEOUT_S)


async def seed_previous_transcript(moto: str, bucket: str) -> str:
    direct = await s3_store(moto, bucket)
    try:
        await direct.ensure_bucket()
        return await direct.put_transcript("previous-call", [], {"step": 0})
    finally:
        await direct.aclose()


async def test_the_healthy_path_stores_the_transcript_in_s3(tmp_path, redis_url, mongo_uri, s3_endpoint):
    bucket = f"calls-{uuid.uuid4().hex[:8]}"
    previous = await seed_previous_transcript(s3_endpoint, bucket)
    settings = make_settings(tmp_path, redis_url, mongo_uri, resilience=RESILIENCE)
    store = await s3_store(s3_endpoint, bucket)
    try:
        async with pipeline(settings) as (container, _):
            artifacts = guarded(store, container.guards(), "s3")
            line = BriefedLine(artifacts, previous)
            container.call_line.override(providers.Object(line))
            container.artifacts.override(providers.Object(artifacts))
            campaign_id = await seed_campaign(container)
            await enqueue(settings, [campaign_id])
            await run_worker(settings, burst=True, container=container)
            [record] = await (await container.call_records()).for_campaign(campaign_id)
            container.artifacts.reset_override()
        assert line.briefs[0]["call_id"] == "previous-call"
        assert record.outcome is CallOutcome.DECLINED and record.transcript_key
        stored = await store.get_transcript(record.transcript_key)
        assert [l["speaker"] for l in stored["transcript"]] == ["callee"]
        assert await container.guards()["s3"].breaker.state() == "closed"
    finally:
        await store.aclose()


async def test_slowdown_and_stalls_open_the_breaker_defer_the_job_and_the_breaker_closes_again(
        tmp_path, redis_url, mongo_uri, s3_endpoint, caplog):
    bucket = f"calls-{uuid.uuid4().hex[:8]}"
    previous = await seed_previous_transcript(s3_endpoint, bucket)
    stub = await S3FaultStub(s3_endpoint, ["slowdown", "timeout", "slowdown"], stall_s=TIMEOUT_S * 4).start()
    settings = make_settings(tmp_path, redis_url, mongo_uri, resilience=RESILIENCE)
    store = await s3_store(stub.url, bucket)
    caplog.set_level(logging.WARNING, logger="entrypoints.worker")
    try:
        async with pipeline(settings) as (container, _):
            guards = container.guards()
            assert guards.config == ResilienceConfig.from_json(RESILIENCE)
            artifacts = guarded(store, guards, "s3")
            line = BriefedLine(artifacts, previous)
            container.call_line.override(providers.Object(line))
            container.artifacts.override(providers.Object(artifacts))
            campaign_id = await seed_campaign(container)
            await enqueue(settings, [campaign_id])
            worker = asyncio.create_task(run_worker(settings, container=container))
            pool = await arq_pool(settings)
            job_id = f"call:{campaign_id}:0"
            await eventually(lambda: _finished(pool, job_id, settings), within_s=30)
            info = await job_info(pool, job_id, settings.queue_name)
            await pool.aclose()
            await stop_worker(settings, worker)
            [record] = await (await container.call_records()).for_campaign(campaign_id)
            container.artifacts.reset_override()
        breaker = guards["s3"].breaker
        assert breaker.transitions == ["opened", "half-opened", "closed"]
        # Try 1: SlowDown, then the retry stalls past the timeout. Try 2: SlowDown is the third fault and
        # opens the breaker; its retry is refused without a request, and the job is deferred.
        # Try 3, after open_s: the half-open probe reaches moto, the call is placed, the transcript stored.
        assert stub.answers() == ["slowdown", "timeout", "slowdown", "ok", "ok"]
        assert [method for method, _, _ in stub.requests] == ["GET", "GET", "GET", "GET", "PUT"]
        deferred = [r.getMessage() for r in caplog.records if "deferred" in r.getMessage()]
        assert deferred and "s3" in deferred[0] and "circuit open" in deferred[0], deferred
        assert info["success"] is True and info["tries"] == 3
        assert line.dialed == [f"{campaign_id}:0"], "a fault before dialing must never cost a second dial"
        assert record.transcript_key and (await store.get_transcript(record.transcript_key))["transcript"]
    finally:
        await store.aclose()
        await stub.stop()


async def test_an_open_breaker_after_the_call_keeps_the_outcome_and_notes_the_lost_transcript(
        tmp_path, redis_url, mongo_uri, s3_endpoint):
    bucket = f"calls-{uuid.uuid4().hex[:8]}"
    stub = await S3FaultStub(s3_endpoint, ["slowdown"] * 6).start()
    settings = make_settings(tmp_path, redis_url, mongo_uri, resilience=RESILIENCE)
    store = await s3_store(stub.url, bucket)
    try:
        line = TalkingLine(outcome=CallOutcome.DECLINED)
        async with pipeline(settings, line=line) as (container, _):
            container.artifacts.override(providers.Object(guarded(store, container.guards(), "s3")))
            campaigns = [await seed_campaign(container) for _ in range(3)]
            await enqueue(settings, campaigns)
            await run_worker(settings, burst=True, container=container)
            records = [r for c in campaigns for r in await (await container.call_records()).for_campaign(c)]
            container.artifacts.reset_override()
        # The phone rang: the outcome is recorded and the job is not re-run, whatever S3 says.
        assert len(line.dialed) == 3 and len(records) == 3
        assert all(r.outcome is CallOutcome.DECLINED and r.transcript_key is None for r in records)
        assert all("transcript not stored" in r.reason for r in records)
        assert container.guards()["s3"].breaker.transitions[0] == "opened"
        assert len(stub.requests) < 6, "an open breaker must stop the calls reaching S3"
    finally:
        await store.aclose()
        await stub.stop()
