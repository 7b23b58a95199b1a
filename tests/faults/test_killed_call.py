"""Finding 3: a call whose worker is SIGKILLed is resolved by another worker within JOB_TIMEOUT_S + 60 s,
without anyone touching ARQ's keys (no cron stretches the call's in-progress lock)."""
from __future__ import annotations

import signal
import time

from bson import ObjectId

from domain.call_claim import ClaimStatus
from domain.campaign import Campaign
from domain.contact import Contact
from domain.outcomes import CallOutcome
from infrastructure.arq_jobs import job_info
from infrastructure.redis_outcome_events import STREAM
from tests.faults.fault_world import arq_pool, enqueue, eventually, start_worker_process, worker_env
from tests.faults.personal_data_scan import assert_no_personal_data
from tests.integration.pipeline_world import ANY_DAY, make_settings, noon_somewhere, pipeline

JOB_TIMEOUT_S = 8


async def _dialing(claims, campaign_id):
    claim = await claims.get(campaign_id, 0)
    return claim if claim is not None and claim.status is ClaimStatus.DIALING else None


async def test_a_call_killed_mid_dial_is_resolved_by_another_worker_within_the_job_timeout(
        tmp_path, redis_url, mongo_uri):
    settings = make_settings(tmp_path, redis_url, mongo_uri, claim_lease_s=10)
    env = dict(JOB_TIMEOUT_S=JOB_TIMEOUT_S, MAX_CALL_DURATION_S=5, SIMULATED_CALL_SECONDS=60, CLAIM_LEASE_S=10)
    # A toll-free number has no zone of its own: the contact's zone (noon now) governs, at any hour.
    contact = Contact(id=str(ObjectId()), first_name="Dana", last_name="Reyes", phone="+18005550143",
                      email="dana@lakeside.example", practice="Lakeside Orthopedics", timezone=noon_somewhere())
    campaign = Campaign(id=str(ObjectId()), contact_id=contact.id, settings=ANY_DAY)
    logs = {name: tmp_path / f"{name}.log" for name in ("a", "b")}
    async with pipeline(settings) as (container, _line):
        await (await container.contacts()).add(contact)
        await (await container.campaigns()).add(campaign)
        workers = {name: start_worker_process(worker_env(settings, WORKER_ID=f"w-{name}", **env), logs[name])
                   for name in ("a", "b")}
        try:
            await enqueue(settings, [campaign.id])
            claims = await container.claims()
            claim = await eventually(lambda: _dialing(claims, campaign.id), within_s=60)
            doomed = claim.worker_id.removeprefix("w-")
            workers[doomed].send_signal(signal.SIGKILL)
            workers[doomed].wait(timeout=10)
            killed_at = time.monotonic()
            survivor = workers["b" if doomed == "a" else "a"]

            pool = await arq_pool(settings)
            job_id = f"call:{campaign.id}:0"

            async def finished():
                info = await job_info(pool, job_id, settings.queue_name)
                return info if info["status"] == "complete" else None

            info = await eventually(finished, within_s=JOB_TIMEOUT_S + 60)
            took = time.monotonic() - killed_at
            await pool.aclose()
            assert survivor.poll() is None  # the other worker runs on
        finally:
            for process in workers.values():
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
                    process.wait(timeout=30)
        assert took <= JOB_TIMEOUT_S + 60
        assert info["success"] is True and info["result"]["outcome"] == "failed"
        assert "outcome unknown" in info["result"]["reason"]
        [record] = await (await container.call_records()).for_campaign(campaign.id)
        assert record.outcome is CallOutcome.FAILED and record.worker_id == claim.worker_id
        assert (await claims.get(campaign.id, 0)).status is ClaimStatus.COMPLETED
        # The killed worker published nothing; the delivery that finished its job did, once.
        events = [event for _, event in await (await container.outcome_events()).read()]
        assert [(e.job_id, e.outcome, e.call_id) for e in events] == \
            [(f"call:{campaign.id}:0", CallOutcome.FAILED, claim.call_id)]
        # The stream as a consumer reads it (raw XRANGE): no number, name, email or practice in any entry.
        pool = await arq_pool(settings)
        raw = await pool.xrange(STREAM)
        await pool.aclose()
        assert len(raw) == 1
        assert_no_personal_data(" ".join(value.decode() for _, fields in raw for value in fields.values()), contact)
    for path in logs.values():
        assert_no_personal_data(path.read_text(errors="replace"), contact)
