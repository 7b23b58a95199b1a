"""Finding 1 and 6: the queue is untrusted at the Redis level. Poison entries written with raw Redis
commands are moved aside with a reason, logged once, never fatal; the valid jobs behind them all run."""
from __future__ import annotations

import json
import logging
import subprocess
import sys
import time

import pytest
from redis.asyncio import Redis

from application.commands import ConductCallCommand
from application.errors import MalformedJob
from entrypoints.worker import build_worker, run_worker
from infrastructure.arq_jobs import FUNCTION_NAME, job_info
from infrastructure.queue_guard import rejected_key
from tests.faults.fault_world import arq_pool, worker_env
from tests.integration.pipeline_world import make_settings, pipeline, seed_campaign

CID = "65f0c0ffee0000000000abcd"


def payload(campaign_id: str = CID, step: int = 0, *, f: str = FUNCTION_NAME, et: str = "1700000000000",
            kwargs: dict | None = None) -> bytes:
    """A job envelope as raw JSON text, so `et` can be what no JSON encoder writes (NaN, 1e300)."""
    k = json.dumps(kwargs if kwargs is not None else {"campaign_id": campaign_id, "step": step, "final_step": False})
    return f'{{"t":1,"f":{json.dumps(f)},"a":[],"k":{k},"et":{et}}}'.encode()


@pytest.fixture
def settings(tmp_path, redis_url, mongo_uri):
    return make_settings(tmp_path, redis_url, mongo_uri)


async def test_poison_entries_are_moved_aside_and_every_valid_job_behind_them_runs(settings, caplog):
    caplog.set_level(logging.WARNING, logger="infrastructure.queue_guard")
    queue = settings.queue_name
    async with pipeline(settings) as (container, line):
        redis = Redis.from_url(settings.redis_url)
        now_ms = int(time.time() * 1000)
        # Each poison entry, the way a careless or hostile producer writes it.
        poison: dict[bytes, tuple[str, bytes | None]] = {
            b"call:\xff:0": ("1", None),                                         # not UTF-8
            f"call:{CID}:1".encode(): ("1", payload(step=1, et="1e300")),        # et past any datetime
            f"call:{CID}:2".encode(): ("2", payload(step=2, et="NaN")),          # et not a number
            f"call:{CID}:3".encode(): ("-inf", payload(step=3)),                 # score -inf
            ("call:" + "9" * 100_000).encode(): ("3", None),                     # a 100 KB id
            f"call:{CID}:4".encode(): ("4", payload(step=4, f="x" * 5_000_000)),  # a 5 MB function name
            f"call:{CID}:5".encode(): ("+inf", payload(step=5)),                 # never due
            f"call:{CID}:6".encode(): ("1e20", payload(step=6)),                 # due in 3 billion years
        }
        for member, (score, body) in poison.items():
            if body is not None:
                await redis.execute_command("SET", b"arq:job:" + member, body)
            await redis.execute_command("ZADD", queue, score, member)
        # check-status reads the queue as it is, odd scores and bytes included.
        status = subprocess.run([sys.executable, "-m", "entrypoints", "check-status", "--json"],
                                env=worker_env(settings, LOG_LEVEL="WARNING"), capture_output=True, text=True,
                                timeout=60)
        assert status.returncode == 0, status.stderr
        shown = {d["job_id"]: d["at"] for d in json.loads(status.stdout)["queue"]["next_deferred"]}
        assert shown[f"call:{CID}:5"].startswith("never") and shown[f"call:{CID}:6"].startswith("never")

        valid = [await seed_campaign(container) for _ in range(5)]
        for index, campaign_id in enumerate(valid):
            member = f"call:{campaign_id}:0"
            await redis.execute_command("SET", f"arq:job:{member}", payload(campaign_id, et=str(now_ms)))
            await redis.execute_command("ZADD", queue, str(now_ms + 10 + index), member)
        # Score 0: ARQ would read it as "no job" and never start it.
        zero = await seed_campaign(container)
        await redis.execute_command("SET", f"arq:job:call:{zero}:0", payload(zero, et=str(now_ms)))
        await redis.execute_command("ZADD", queue, "0", f"call:{zero}:0")

        reason = await run_worker(settings, burst=True, container=container)

        assert reason == "queue empty"
        assert sorted(line.dialed) == sorted(f"{c}:0" for c in valid + [zero])
        pool = await arq_pool(settings)
        for campaign_id in valid + [zero]:
            assert (await job_info(pool, f"call:{campaign_id}:0", queue))["success"] is True
        assert await redis.zcard(queue) == 0
        assert [k async for k in redis.scan_iter(match="arq:in-progress:*")] == []
        rejected = [json.loads(m) for m in await redis.zrange(rejected_key(queue), 0, -1)]
        assert len(rejected) == len(poison)
        reasons = {r["id"][:40]: r["reason"] for r in rejected}
        assert "not valid UTF-8" in reasons["call:\\xff:0"]
        assert "epoch milliseconds" in reasons[f"call:{CID}:1"] and "epoch milliseconds" in reasons[f"call:{CID}:2"]
        assert "-inf" in reasons[f"call:{CID}:3"]
        assert "over the limit" in reasons["call:" + "9" * 35]
        assert "bytes, over the limit" in reasons[f"call:{CID}:4"]
        assert "400 days" in reasons[f"call:{CID}:5"] or "inf" in reasons[f"call:{CID}:5"]
        assert "400 days" in reasons[f"call:{CID}:6"]
        # A producer reads the reason where it reads any malformed job's: the job's result.
        info = await job_info(pool, f"call:{CID}:2", queue)
        assert info["success"] is False and "epoch milliseconds" in info["result"]["message"]
        await pool.aclose()
        await redis.aclose()
    moved = [r for r in caplog.records if "moved aside" in r.getMessage()]
    assert len(moved) == len(poison)  # each logged once


async def test_only_the_call_job_is_callable_and_bad_kwargs_are_rejected_with_a_reason(settings):
    async with pipeline(settings) as (container, line):
        redis = Redis.from_url(settings.redis_url)
        now_ms = int(time.time() * 1000)
        cases = {
            f"call:{CID}:7": (payload(step=7, f="archive_old_calls", kwargs={}), "function 'archive_old_calls'"),
            f"call:{CID}:8": (payload(kwargs={"ctx": {}, "campaign_id": CID, "step": 8, "final_step": False}),
                              "unexpected kwarg(s): ctx"),
            f"call:{CID}:9": (payload(kwargs={"campaign_id": CID + "\n", "step": 9, "final_step": False}),
                              "campaign_id must be a 24-hex ObjectId"),
        }
        for member, (body, _) in cases.items():
            await redis.execute_command("SET", f"arq:job:{member}", body)
            await redis.execute_command("ZADD", settings.queue_name, str(now_ms), member)
        good = await seed_campaign(container)
        await redis.execute_command("SET", f"arq:job:call:{good}:0", payload(good, et=str(now_ms)))
        await redis.execute_command("ZADD", settings.queue_name, str(now_ms + 1), f"call:{good}:0")

        await run_worker(settings, burst=True, container=container)

        pool = await arq_pool(settings)
        for member, (_, expected) in cases.items():
            info = await job_info(pool, member, settings.queue_name)
            assert info["success"] is False and expected in info["result"]["message"], (member, info)
        assert (await job_info(pool, f"call:{good}:0", settings.queue_name))["success"] is True
        assert line.dialed == [f"{good}:0"]
        worker = build_worker(settings, container, settings.redis_url)
        assert list(worker.functions) == [FUNCTION_NAME]
        # The in-progress lock follows the call job alone, not a slower cron.
        assert worker.in_progress_timeout_s == settings.job_timeout_s + 10
        await worker.close()
        await pool.aclose()
        await redis.aclose()


def test_a_campaign_id_with_a_trailing_newline_is_not_an_object_id():
    with pytest.raises(MalformedJob, match="24-hex"):
        ConductCallCommand.from_kwargs({"campaign_id": CID + "\n", "step": 0, "final_step": False})
