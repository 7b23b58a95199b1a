"""A deferred job comes back at the time compliance named, and is processed once."""
from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone

from arq.connections import create_pool

from application.commands import ConductCallCommand
from domain.compliance import ComplianceDecision, Verdict
from entrypoints.warm_start import warm_up
from entrypoints.worker import run_worker
from infrastructure.arq_jobs import deserialize, enqueue_call, job_info, redis_settings, serialize
from tests.integration.pipeline_world import make_settings, pipeline, seed_campaign


class DeferOnce:
    """Says 'not before <until>' until that moment has come (on the real clock)."""

    def __init__(self, until: datetime):
        self.until = until
        self.checks: list[datetime] = []

    async def check(self, contact, campaign, now, listing=None, *, time_named_by_callee=False):
        self.checks.append(datetime.now(timezone.utc))
        if datetime.now(timezone.utc) < self.until:
            return ComplianceDecision(Verdict.DEFER, "federal_window", "too early", now, until=self.until)
        return ComplianceDecision(Verdict.ALLOW, "federal_window", "inside", now)


async def test_a_deferred_job_returns_at_the_lawful_minute_and_dials_once(tmp_path, redis_url, mongo_uri):
    settings = make_settings(tmp_path, redis_url, mongo_uri)
    gate = DeferOnce(datetime.max.replace(tzinfo=timezone.utc))
    async with pipeline(settings, gate=gate) as (container, line):
        campaign_id = await seed_campaign(container)
        await warm_up(container, settings)  # the worker's start-up is not what this measures
        until = gate.until = datetime.now(timezone.utc) + timedelta(seconds=1.5)
        pool = await create_pool(redis_settings(settings.redis_url), job_serializer=serialize,
                                 job_deserializer=deserialize, default_queue_name=settings.queue_name)
        command = ConductCallCommand(campaign_id, 0, False)
        await enqueue_call(pool, command, queue_name=settings.queue_name)
        started = time.time()
        await run_worker(settings, burst=True, container=container)
        info = await job_info(pool, command.job_id, settings.queue_name)
        await pool.aclose()
        assert len(gate.checks) == 2
        assert gate.checks[1] >= until, "the job ran again before the lawful minute"
        assert gate.checks[1] - until < timedelta(seconds=3)
        assert line.dialed == [f"{campaign_id}:0"]
        assert info["success"] and info["tries"] == 2 and info["result"]["outcome"] == "no_answer"
        decisions = await (await container.audit()).for_campaign(campaign_id)
        assert [d.verdict for _, d in decisions] == [Verdict.DEFER, Verdict.ALLOW]
        assert decisions[0][1].until == until.replace(microsecond=(until.microsecond // 1000) * 1000)
        assert time.time() - started >= 1.0


async def test_a_burst_worker_leaves_a_call_deferred_for_hours_on_the_queue_and_exits(tmp_path, redis_url,
                                                                                        mongo_uri):
    from tests.fakes.compliance import FixedComplianceGate

    settings = make_settings(tmp_path, redis_url, mongo_uri)
    gate = FixedComplianceGate(Verdict.DEFER, rule="federal_window",
                               until=datetime.now(timezone.utc) + timedelta(hours=9))
    async with pipeline(settings, gate=gate) as (container, line):
        campaign_id = await seed_campaign(container)
        pool = await create_pool(redis_settings(settings.redis_url), job_serializer=serialize,
                                 job_deserializer=deserialize, default_queue_name=settings.queue_name)
        await enqueue_call(pool, ConductCallCommand(campaign_id, 0, False), queue_name=settings.queue_name)
        reason = await asyncio.wait_for(run_worker(settings, burst=True, container=container), timeout=30)
        assert reason == "nothing due; 1 deferred job(s) left on the queue"
        assert line.dialed == [] and gate.checked == [campaign_id]
        [(job_id, score)] = await pool.zrange(settings.queue_name, 0, -1, withscores=True)
        assert score / 1000 >= gate.until.timestamp() - 1
        await pool.aclose()
