"""The job function's retry budget on real Redis: faults are counted apart from deferrals."""
from __future__ import annotations

import pytest
from arq import Retry
from redis.asyncio import Redis

from application.errors import DependencyUnavailable, TransientFault
from entrypoints.worker import GaveUp, conduct_outbound_call
from tests.integration.pipeline_world import make_settings

CAMPAIGN_ID = "65f0c0ffee0000000000abcd"
JOB_ID = f"call:{CAMPAIGN_ID}:0"
KWARGS = dict(campaign_id=CAMPAIGN_ID, step=0, final_step=False)


class RaisingContainer:
    def __init__(self):
        self.error: Exception = TransientFault("livekit", "503")

    async def conduct_call(self):
        async def use_case(command):
            raise self.error
        return use_case


@pytest.fixture
async def ctx(tmp_path, redis_url, mongo_uri):
    redis = Redis.from_url(redis_url)
    settings = make_settings(tmp_path, redis_url, mongo_uri, transient_max_tries=3)
    yield {"job_id": JOB_ID, "job_try": 1, "settings": settings, "redis": redis, "container": RaisingContainer()}
    await redis.aclose()


async def test_breaker_deferrals_do_not_spend_the_budget_of_faults(ctx):
    ctx["container"].error = DependencyUnavailable("livekit", "breaker open", retry_after=30)
    for _ in range(5):
        with pytest.raises(Retry):
            await conduct_outbound_call(ctx, **KWARGS)
        ctx["job_try"] += 1
    ctx["container"].error = TransientFault("livekit", "503")
    with pytest.raises(Retry):  # the first fault, after five deferrals: retried, not given up
        await conduct_outbound_call(ctx, **KWARGS)


async def test_a_fault_that_outlasts_its_tries_gives_up(ctx):
    for _ in range(2):
        with pytest.raises(Retry):
            await conduct_outbound_call(ctx, **KWARGS)
        ctx["job_try"] += 1
    with pytest.raises(GaveUp):
        await conduct_outbound_call(ctx, **KWARGS)
