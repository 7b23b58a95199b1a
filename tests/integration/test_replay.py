"""docshield replay: the same use case, a dry run that changes nothing, no re-dial without --force."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from arq.connections import create_pool

from application.commands import ConductCallCommand, command_for_job_id, parse_job_id
from domain.call_claim import ClaimStatus
from domain.outcomes import CallOutcome
from entrypoints.replay import ReplayRefused, replay
from entrypoints.worker import run_worker
from infrastructure.arq_jobs import deserialize, enqueue_call, redis_settings, serialize
from tests.integration.pipeline_world import make_settings, pipeline, seed_campaign


@pytest.fixture
def settings(tmp_path, redis_url, mongo_uri):
    return make_settings(tmp_path, redis_url, mongo_uri)


def replay_cli(settings, *arguments: str) -> subprocess.CompletedProcess:
    """`docshield replay ARGUMENTS` in a process of its own, on the test's servers."""
    env = {**os.environ, "REDIS_URL": settings.redis_url, "MONGODB_URI": settings.mongodb_uri,
           "MONGODB_DATABASE": settings.mongodb_database, "DATA_DIR": str(settings.data_dir)}
    return subprocess.run([sys.executable, "-m", "entrypoints", "replay", *arguments], capture_output=True, text=True,
                          env=env, timeout=60)


async def run_job(settings, container, campaign_id: str, step: int, final: bool) -> None:
    pool = await create_pool(redis_settings(settings.redis_url), job_serializer=serialize,
                             job_deserializer=deserialize, default_queue_name=settings.queue_name)
    await enqueue_call(pool, ConductCallCommand(campaign_id, step, final), queue_name=settings.queue_name)
    await pool.aclose()
    await run_worker(settings, burst=True, container=container)


async def test_a_dry_run_shows_the_plan_and_changes_nothing(settings):
    async with pipeline(settings) as (container, line):
        campaign_id = await seed_campaign(container)
        plan = await replay(container, campaign_id, 0, final_step=None, queue_name=settings.queue_name, dry_run=True)
        assert plan.action == "claim the step and dial" and plan.refused is None
        assert plan.compliance["allowed"] is True and plan.final_step_source == "assumed"
        assert "+1512•••0143" in plan.contact and "5550143" not in plan.contact
        assert line.dialed == [] and await (await container.claims()).get(campaign_id, 0) is None


async def test_a_replay_runs_the_use_case_once(settings):
    async with pipeline(settings) as (container, line):
        campaign_id = await seed_campaign(container)
        plan = await replay(container, campaign_id, 1, final_step=False, queue_name=settings.queue_name)
        assert plan.result["status"] == "done" and plan.result["outcome"] == "no_answer"
        assert line.dialed == [f"{campaign_id}:1"]
        assert (await (await container.claims()).get(campaign_id, 1)).status is ClaimStatus.COMPLETED


async def test_a_step_with_a_final_outcome_is_not_redialed_unless_forced(settings):
    async with pipeline(settings) as (container, line):
        campaign_id = await seed_campaign(container)
        await run_job(settings, container, campaign_id, 0, final=False)
        assert line.dialed == [f"{campaign_id}:0"]
        dry = await replay(container, campaign_id, 0, final_step=None, queue_name=settings.queue_name, dry_run=True)
        assert dry.final_step_source == "stored job" and dry.final_step is False
        assert "already has a final outcome (no_answer)" in dry.refused
        with pytest.raises(ReplayRefused, match="--force"):
            await replay(container, campaign_id, 0, final_step=None, queue_name=settings.queue_name)
        assert line.dialed == [f"{campaign_id}:0"]
        forced = await replay(container, campaign_id, 0, final_step=None, queue_name=settings.queue_name, force=True)
        assert forced.result["status"] == "done" and forced.result["duplicate"] is False
        assert line.dialed == [f"{campaign_id}:0", f"{campaign_id}:0"]
        records = await (await container.call_records()).for_campaign(campaign_id)
        assert len({r.call_id for r in records}) == 2


async def test_a_lost_call_is_recorded_as_unknown_never_redialed(settings):
    async with pipeline(settings) as (container, line):
        campaign_id = await seed_campaign(container)
        claims = await container.claims()
        past = datetime.now(timezone.utc) - timedelta(minutes=5)
        await claims.acquire(campaign_id, 0, worker_id="dead-worker", call_id="c" * 32, now=past,
                             lease_until=past + timedelta(seconds=30))
        await claims.mark_dialing(campaign_id, 0, worker_id="dead-worker", lease_until=past + timedelta(seconds=30))
        plan = await replay(container, campaign_id, 0, final_step=False, queue_name=settings.queue_name)
        assert "outcome unknown" in plan.action
        assert plan.result["outcome"] == "failed" and "outcome unknown" in plan.result["reason"]
        assert line.dialed == []
        [record] = await (await container.call_records()).for_campaign(campaign_id)
        assert record.outcome is CallOutcome.FAILED and record.worker_id == "dead-worker"


async def test_a_call_in_progress_elsewhere_is_refused_even_with_force(settings):
    async with pipeline(settings) as (container, line):
        campaign_id = await seed_campaign(container)
        claims = await container.claims()
        now = datetime.now(timezone.utc)
        await claims.acquire(campaign_id, 2, worker_id="busy", call_id="d" * 32, now=now,
                             lease_until=now + timedelta(minutes=2))
        await claims.mark_dialing(campaign_id, 2, worker_id="busy", lease_until=now + timedelta(minutes=2))
        with pytest.raises(ReplayRefused, match="busy is on this call"):
            await replay(container, campaign_id, 2, final_step=False, queue_name=settings.queue_name, force=True)
        assert line.dialed == []


@pytest.mark.parametrize("job_id, problem", [("call:xyz:0", "24-hex"), ("job-1", "call:{campaign_id}:{step}"),
                                             ("call:65f0c0ffee0000000000abcd:x", "call:{campaign_id}:{step}"),
                                             ("call:65f0c0ffee0000000000abcd:0:0", "attempt >= 1"),
                                             ("call:65f0c0ffee0000000000abcd:0\n", "call:{campaign_id}:{step}")])
def test_bad_job_ids_are_named(job_id, problem):
    from application.errors import MalformedJob

    assert parse_job_id(job_id) is None  # the worker, the follow-up queue and replay read ids the same way
    with pytest.raises(MalformedJob, match=re.escape(problem)):
        command_for_job_id(job_id)


def test_an_attempt_job_id_names_its_attempt():
    campaign_id = "65f0c0ffee0000000000abcd"
    command = command_for_job_id(f"call:{campaign_id}:2:1")
    assert (command.campaign_id, command.step, command.attempt) == (campaign_id, 2, 1)
    assert command.job_id == f"call:{campaign_id}:2:1"
    assert parse_job_id(f"call:{campaign_id}:2") == (campaign_id, 2, 0)


async def test_a_callback_attempt_is_replayed_apart_from_the_step_it_follows(settings):
    async with pipeline(settings) as (container, line):
        campaign_id = await seed_campaign(container)
        await run_job(settings, container, campaign_id, 0, final=False)  # attempt 0 ends (no answer)
        dry = replay_cli(settings, f"call:{campaign_id}:0:1", "--dry-run", "--json")
        assert dry.returncode == 0, dry.stderr
        plan = json.loads(dry.stdout)
        # Attempt 0's outcome does not refuse attempt 1: each attempt is claimed (and recorded) apart.
        assert plan["job_id"] == f"call:{campaign_id}:0:1" and plan["attempt"] == 1
        assert plan["refused"] is None and plan["recorded_calls"] == [] and plan["claim"] is None
        done = await replay(container, campaign_id, 0, final_step=False, queue_name=settings.queue_name, attempt=1)
        assert done.result["status"] == "done" and done.result["job_id"] == f"call:{campaign_id}:0:1"
        assert (await (await container.claims()).get(campaign_id, 0, 1)).status is ClaimStatus.COMPLETED
        again = await replay(container, campaign_id, 0, final_step=None, queue_name=settings.queue_name, attempt=1,
                             dry_run=True)
        assert f"call:{campaign_id}:0:1 already has a final outcome" in again.refused
        assert [c["call_id"] for c in again.recorded_calls] == [done.result["call_id"]]
        assert line.dialed == [f"{campaign_id}:0", f"{campaign_id}:0"]


async def test_the_cli_dry_run_and_refusal(settings):
    async with pipeline(settings) as (container, line):
        campaign_id = await seed_campaign(container)
        await run_job(settings, container, campaign_id, 0, final=True)
        dry = replay_cli(settings, f"call:{campaign_id}:0", "--dry-run", "--json")
        assert dry.returncode == 0, dry.stderr
        plan = json.loads(dry.stdout)
        assert plan["claim"]["status"] == "completed" and plan["final_step"] is True
        assert plan["campaign_status"] == "completed" and "--force" in plan["refused"]
        refused = replay_cli(settings, "--campaign-id", campaign_id, "--step", "0")
        assert refused.returncode == 1 and "already has a final outcome" in refused.stderr
        usage = replay_cli(settings)
        assert usage.returncode == 2
        assert line.dialed == [f"{campaign_id}:0"]
