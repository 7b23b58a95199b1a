"""An opt-out is honoured at once and for good: no step, no campaign calls the number again."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from arq.connections import create_pool
from dependency_injector import providers

from application.commands import ConductCallCommand
from application.compliance_gate import PolicyComplianceGate
from application.ports.call_line import CallRequest, CallResult
from domain.calling_policy import CallingPolicy
from domain.outcomes import CallOutcome
from entrypoints.worker import run_worker
from infrastructure.arq_jobs import deserialize, enqueue_call, job_info, redis_settings, serialize
from tests.fakes.runtime import FakeClock
from tests.integration.pipeline_world import make_settings, pipeline, seed_campaign

TUESDAY_MORNING = datetime(2026, 3, 10, 15, 30, tzinfo=timezone.utc)  # 10:30 in Austin


class PersonWhoOptsOut:
    """The callee asks to be removed; the agent puts the number on the list, as its tool does."""

    def __init__(self, dnc):
        self.dnc = dnc
        self.calls: list[str] = []

    async def conduct(self, request: CallRequest, on_dialing) -> CallResult:
        await on_dialing()
        self.calls.append(request.campaign.id)
        await self.dnc.add(request.contact.phone, reason="asked on the call", source="agent",
                           at=request.started_at)
        return CallResult(outcome=CallOutcome.OPTED_OUT, ended_at=request.started_at + timedelta(seconds=30),
                          reached_human=True)


async def test_after_an_opt_out_nobody_calls_the_number_again(tmp_path, redis_url, mongo_uri):
    settings = make_settings(tmp_path, redis_url, mongo_uri)
    async with pipeline(settings) as (container, _):
        dnc = await container.do_not_call()
        line = PersonWhoOptsOut(dnc)
        container.call_line.override(providers.Object(line))
        container.compliance.override(providers.Object(PolicyComplianceGate(dnc, CallingPolicy())))
        container.clock.override(providers.Object(FakeClock(TUESDAY_MORNING)))
        first = await seed_campaign(container, phone="+15125550143")
        other = await seed_campaign(container, phone="+15125550143")
        pool = await create_pool(redis_settings(settings.redis_url), job_serializer=serialize,
                                 job_deserializer=deserialize, default_queue_name=settings.queue_name)
        await enqueue_call(pool, ConductCallCommand(first, 0, False), queue_name=settings.queue_name)
        await run_worker(settings, burst=True, container=container)
        for command in (ConductCallCommand(first, 1, False), ConductCallCommand(other, 0, False)):
            await enqueue_call(pool, command, queue_name=settings.queue_name)
        await run_worker(settings, burst=True, container=container)
        results = [(await job_info(pool, f"call:{cid}:{step}", settings.queue_name))["result"]
                   for cid, step in ((first, 0), (first, 1), (other, 0))]
        await pool.aclose()
        container.clock.reset_override()
        assert line.calls == [first]
        assert [r["outcome"] for r in results] == ["opted_out", "skipped", "skipped"]
        assert "opted_out" in results[1]["reason"]
        assert results[2]["reason"].startswith("internal_dnc")
