"""The worker on real Redis and MongoDB: wire format, at-most-once dialing, malformed jobs."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from arq.connections import create_pool

from application.commands import ConductCallCommand
from domain.call_claim import ClaimStatus
from domain.outcomes import CallOutcome
from entrypoints.worker import run_worker
from infrastructure.arq_jobs import FUNCTION_NAME, deserialize, enqueue_call, job_info, redis_settings, serialize
from tests.integration.pipeline_world import make_settings, pipeline, seed_campaign

PRODUCER = Path(__file__).with_name("producer_without_arq.py")


@pytest.fixture
def settings(tmp_path, redis_url, mongo_uri):
    return make_settings(tmp_path, redis_url, mongo_uri)


async def arq_pool(settings):
    return await create_pool(redis_settings(settings.redis_url), job_serializer=serialize,
                             job_deserializer=deserialize, default_queue_name=settings.queue_name)


def produce(settings, job_id: str, kwargs: dict, function: str = FUNCTION_NAME) -> str:
    done = subprocess.run([sys.executable, str(PRODUCER), settings.redis_url, settings.queue_name, job_id, function,
                           json.dumps(kwargs)], capture_output=True, text=True, timeout=30, check=True)
    return done.stdout.strip()


async def test_a_job_from_a_non_python_style_producer_is_processed(settings):
    async with pipeline(settings) as (container, line):
        campaign_id = await seed_campaign(container)
        job_id = f"call:{campaign_id}:0"
        assert produce(settings, job_id, {"campaign_id": campaign_id, "step": 0, "final_step": True}) == "queued"
        await run_worker(settings, burst=True, container=container)
        assert line.dialed == [f"{campaign_id}:0"]
        pool = await arq_pool(settings)
        info = await job_info(pool, job_id, settings.queue_name)
        await pool.aclose()
        assert info["success"] is True and info["result"]["outcome"] == "no_answer"
        [record] = await (await container.call_records()).for_campaign(campaign_id)
        assert record.outcome is CallOutcome.NO_ANSWER
        assert (await (await container.campaigns()).get(campaign_id)).status.value == "completed"


async def test_the_same_job_enqueued_twice_dials_once(settings):
    async with pipeline(settings) as (container, line):
        campaign_id = await seed_campaign(container)
        command = ConductCallCommand(campaign_id, 2, False)
        pool = await arq_pool(settings)
        assert await enqueue_call(pool, command, queue_name=settings.queue_name) is not None
        assert await enqueue_call(pool, command, queue_name=settings.queue_name) is None
        assert produce(settings, command.job_id, {"campaign_id": campaign_id, "step": 2, "final_step": False}) \
            == "already queued"
        await run_worker(settings, burst=True, container=container)
        assert await enqueue_call(pool, command, queue_name=settings.queue_name) is None  # result key kept
        await pool.aclose()
        assert line.dialed == [f"{campaign_id}:2"]


async def test_the_same_job_delivered_twice_dials_once(settings):
    async with pipeline(settings) as (container, line):
        campaign_id = await seed_campaign(container)
        command = ConductCallCommand(campaign_id, 0, False)
        pool = await arq_pool(settings)
        await enqueue_call(pool, command, queue_name=settings.queue_name)
        await run_worker(settings, burst=True, container=container)
        # Redelivery after the result expired (or a replayed queue): ARQ would run it again.
        await pool.delete(f"arq:result:{command.job_id}")
        assert await enqueue_call(pool, command, queue_name=settings.queue_name) is not None
        await run_worker(settings, burst=True, container=container)
        info = await job_info(pool, command.job_id, settings.queue_name)
        await pool.aclose()
        assert line.dialed == [f"{campaign_id}:0"]
        assert info["result"]["duplicate"] is True and info["result"]["outcome"] == "no_answer"
        claim = await (await container.claims()).get(campaign_id, 0)
        assert claim.status is ClaimStatus.COMPLETED


MALFORMED = [
    ("bad-object-id", "call:zzz:0", {"campaign_id": "zzz", "step": 0, "final_step": False}, FUNCTION_NAME,
     "24-hex ObjectId"),
    ("missing-kwarg", "call:65f0c0ffee0000000000abcd:0", {"campaign_id": "65f0c0ffee0000000000abcd", "step": 0},
     FUNCTION_NAME, "missing kwarg(s): final_step"),
    ("unknown-campaign", "call:65f0c0ffee0000000000abcd:1",
     {"campaign_id": "65f0c0ffee0000000000abcd", "step": 1, "final_step": False}, FUNCTION_NAME,
     "unknown campaign 65f0c0ffee0000000000abcd"),
    ("negative-step", "call:65f0c0ffee0000000000abcd:-1",
     {"campaign_id": "65f0c0ffee0000000000abcd", "step": -1, "final_step": False}, FUNCTION_NAME,
     "step must be an integer >= 0"),
    ("unknown-function", "call:65f0c0ffee0000000000abcd:9",
     {"campaign_id": "65f0c0ffee0000000000abcd", "step": 9, "final_step": False}, "place_call_please",
     "function 'place_call_please' not found"),
    ("wrong-job-id", "random-id-123", {"campaign_id": "65f0c0ffee0000000000abcd", "step": 3, "final_step": False},
     FUNCTION_NAME, "job id must be"),
]


async def test_malformed_jobs_fail_once_with_a_reason_and_the_worker_keeps_going(settings):
    async with pipeline(settings) as (container, line):
        for _, job_id, kwargs, function, _ in MALFORMED:
            assert produce(settings, job_id, kwargs, function) == "queued"
        good = await seed_campaign(container)
        produce(settings, f"call:{good}:0", {"campaign_id": good, "step": 0, "final_step": False})
        await run_worker(settings, burst=True, container=container)
        pool = await arq_pool(settings)
        for name, job_id, _, _, reason in MALFORMED:
            info = await job_info(pool, job_id, settings.queue_name)
            assert info["success"] is False, name
            assert info["tries"] == 1, name
            assert reason in info["result"]["message"], (name, info["result"])
        assert (await job_info(pool, f"call:{good}:0", settings.queue_name))["success"] is True
        await pool.aclose()
        assert line.dialed == [f"{good}:0"]


async def test_a_payload_that_is_not_json_is_rejected_without_running_anything(settings, tmp_path):
    import pickle

    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (Path.touch, (marker,))

    async with pipeline(settings) as (container, line):
        pool = await arq_pool(settings)
        await pool.set("arq:job:call:65f0c0ffee0000000000abcd:0", pickle.dumps(Exploit()))
        await pool.zadd(settings.queue_name, {"call:65f0c0ffee0000000000abcd:0": 1})
        await run_worker(settings, burst=True, container=container)
        info = await job_info(pool, "call:65f0c0ffee0000000000abcd:0", settings.queue_name)
        await pool.aclose()
        assert info["success"] is False and "deserialize" in info["result"]["message"]
        assert not marker.exists() and line.dialed == []
