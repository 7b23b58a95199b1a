"""Callbacks through the real worker, Redis and MongoDB: queued once, shown, claimed apart, erased."""
from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone

import pytest
from bson import ObjectId
from dependency_injector import providers

from application.ports.call_line import CallRequest, CallResult, DialingHook
from domain.call_claim import ClaimStatus
from domain.campaign import Campaign
from domain.contact import Contact
from domain.outcomes import CallOutcome
from entrypoints.cli import main
from entrypoints.worker import run_worker
from infrastructure.settings import load_settings
from tests.fakes.compliance import FixedComplianceGate
from tests.integration.test_cli import on_test_servers  # noqa: F401  (the CLI's fixture: env on the test servers)
from tests.integration.test_faults import arq_pool, enqueue

ASKED = (datetime.now(timezone.utc) + timedelta(days=2)).replace(second=17, microsecond=0)


class AsksForACallback:
    def __init__(self):
        self.requests: list[CallRequest] = []

    async def conduct(self, request: CallRequest, on_dialing: DialingHook) -> CallResult:
        await on_dialing()
        self.requests.append(request)
        return CallResult(outcome=CallOutcome.CALLBACK_REQUESTED, reached_human=True, callback_at=ASKED,
                          ended_at=request.started_at + timedelta(minutes=2))


async def _call_twice(line: AsksForACallback) -> str:
    from containers import build_container, close_container

    settings = load_settings()
    container = await build_container(settings)
    container.call_line.override(providers.Object(line))
    container.compliance.override(providers.Object(FixedComplianceGate()))
    try:
        contact = Contact(id=str(ObjectId()), first_name="Dana", last_name="Reyes", phone="+15125550143",
                          practice="Lakeside Orthopedics", timezone="America/Chicago")
        campaign = Campaign(id=str(ObjectId()), contact_id=contact.id)
        await (await container.contacts()).add(contact)
        await (await container.campaigns()).add(campaign)
        await enqueue(settings, [campaign.id])
        await run_worker(settings, burst=True, container=container)
        # The same job delivered again (its result expired, or a producer sent it twice).
        pool = await arq_pool(settings)
        await pool.delete(f"arq:result:call:{campaign.id}:0")
        await pool.aclose()
        await enqueue(settings, [campaign.id])
        await run_worker(settings, burst=True, container=container)
        return campaign.id
    finally:
        container.call_line.reset_override()
        container.compliance.reset_override()
        await close_container(container)


@pytest.mark.usefixtures("on_test_servers")
def test_a_callback_is_queued_once_shown_and_erased(capsys):
    line = AsksForACallback()
    campaign_id = asyncio.run(_call_twice(line))
    assert len(line.requests) == 1  # the redelivery dialed nothing
    job_id = f"call:{campaign_id}:0:1"

    assert main(["campaign", "show", campaign_id, "--json"]) == 0
    [follow_up] = json.loads(capsys.readouterr().out)["follow_ups"]
    assert follow_up["job_id"] == job_id and follow_up["queued"] is True
    assert datetime.fromisoformat(follow_up["at"]) == ASKED.replace(second=0)
    assert main(["check-status", "--json"]) == 0
    callbacks = json.loads(capsys.readouterr().out)["queue"]["callbacks"]
    assert [(c["job_id"], datetime.fromisoformat(c["at"])) for c in callbacks] == [(job_id, ASKED.replace(second=0))]

    assert main(["erase", "--phone", "+15125550143", "--yes", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["callbacks_cancelled"] == 1
    assert main(["check-status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["queue"]["callbacks"] == []


async def test_the_callback_job_runs_as_its_own_attempt(tmp_path, redis_url, mongo_uri):
    from tests.integration.pipeline_world import make_settings, pipeline, seed_campaign

    settings = make_settings(tmp_path, redis_url, mongo_uri)
    line = AsksForACallback()
    async with pipeline(settings, line=line) as (container, _):
        campaign_id = await seed_campaign(container)
        await enqueue(settings, [campaign_id])
        await run_worker(settings, burst=True, container=container)
        # Bring the queued follow-up forward to now, as its time had come.
        pool = await arq_pool(settings)
        job_id = f"call:{campaign_id}:0:1"
        assert await pool.zscore(settings.queue_name, job_id) == ASKED.replace(second=0).timestamp() * 1000
        await pool.zadd(settings.queue_name, {job_id: datetime.now(timezone.utc).timestamp() * 1000})
        await run_worker(settings, burst=True, container=container)
        await pool.aclose()
        claims = await container.claims()
        assert (await claims.get(campaign_id, 0)).status is ClaimStatus.COMPLETED
        assert (await claims.get(campaign_id, 0, attempt=1)).status is ClaimStatus.COMPLETED
        assert [r.attempt for r in line.requests] == [0, 1]
        assert line.requests[1].callback_asked_at == ASKED
        events = [e for _, e in await (await container.outcome_events()).read()]
        assert [(e.job_id, e.attempt) for e in events] == [(f"call:{campaign_id}:0", 0), (job_id, 1)]
        assert events[1].scheduled.attempt == 2  # the callee asked again: the second (last) follow-up
