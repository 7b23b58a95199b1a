"""FollowUpQueue contract: the in-memory fake and the ARQ queue on real Redis behave alike."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from redis.asyncio import Redis

from application.commands import ConductCallCommand
from infrastructure.arq_follow_ups import ArqFollowUpQueue
from tests.fakes.follow_up_queue import InMemoryFollowUpQueue

QUEUE = "docshield:test-calls"
CAMPAIGN = "65f0c0ffee0000000000abcd"
OTHER = "65f0c0ffee0000000000dcba"
AT = datetime(2030, 3, 11, 14, 30, tzinfo=timezone.utc)


@pytest.fixture(params=["fake", "arq"])
async def queue(request, redis_url):
    if request.param == "fake":
        yield InMemoryFollowUpQueue()
        return
    client = Redis.from_url(redis_url)
    yield ArqFollowUpQueue(client, queue_name=QUEUE)
    await client.aclose()


async def test_a_follow_up_is_queued_once_per_job_id(queue):
    command = ConductCallCommand(CAMPAIGN, 2, False, attempt=1)
    assert await queue.schedule(command, AT) is True
    assert await queue.schedule(command, AT + timedelta(hours=1)) is False
    assert await queue.scheduled(CAMPAIGN) == [(command, AT)]


async def test_attempts_are_queued_apart_and_listed_by_time(queue):
    second = ConductCallCommand(CAMPAIGN, 2, False, attempt=2)
    first = ConductCallCommand(CAMPAIGN, 2, False, attempt=1)
    await queue.schedule(second, AT + timedelta(days=1))
    await queue.schedule(first, AT)
    await queue.schedule(ConductCallCommand(OTHER, 0, True, attempt=1), AT)
    assert await queue.scheduled(CAMPAIGN) == [(first, AT), (second, AT + timedelta(days=1))]


async def test_cancel_removes_only_that_campaign(queue):
    await queue.schedule(ConductCallCommand(CAMPAIGN, 0, False, attempt=1), AT)
    await queue.schedule(ConductCallCommand(OTHER, 0, False, attempt=1), AT)
    assert await queue.cancel(CAMPAIGN) == 1
    assert await queue.scheduled(CAMPAIGN) == []
    assert len(await queue.scheduled(OTHER)) == 1


async def test_the_producers_own_attempt_is_refused(queue):
    with pytest.raises(ValueError, match="attempt"):
        await queue.schedule(ConductCallCommand(CAMPAIGN, 0, False), AT)


async def test_on_redis_the_job_is_the_contracts_wire_format(redis_url):
    client = Redis.from_url(redis_url)
    try:
        await ArqFollowUpQueue(client, queue_name=QUEUE).schedule(ConductCallCommand(CAMPAIGN, 3, True, attempt=1), AT)
        job_id = f"call:{CAMPAIGN}:3:1"
        body = json.loads(await client.get(f"arq:job:{job_id}"))
        assert body["f"] == "conduct_outbound_call" and body["a"] == []
        assert body["k"] == {"campaign_id": CAMPAIGN, "step": 3, "final_step": True, "attempt": 1}
        assert await client.zscore(QUEUE, job_id) == AT.timestamp() * 1000
    finally:
        await client.aclose()


async def test_on_redis_one_campaigns_follow_ups_are_found_in_a_queue_of_thousands_in_a_few_commands(redis_url):
    """The follow-ups are found by scanning the queue for the campaign's job ids: a scan reads the queue
    a batch at a time, so the batch decides the round trips (the server's own command counts say)."""
    client = Redis.from_url(redis_url)
    try:
        queue = ArqFollowUpQueue(client, queue_name=QUEUE)
        await client.zadd(QUEUE, {f"call:65f0c0ffee00000000{n:06d}:1:1": n for n in range(3000)})
        await queue.schedule(ConductCallCommand(CAMPAIGN, 2, False, attempt=1), AT)
        await client.config_resetstat()
        [(command, at)] = await queue.scheduled(CAMPAIGN)
        assert (command.job_id, at) == (f"call:{CAMPAIGN}:2:1", AT)
        stats = await client.info("commandstats")
        assert stats["cmdstat_zscan"]["calls"] <= 4, stats["cmdstat_zscan"]
        assert stats["cmdstat_mget"]["calls"] == 1 and "cmdstat_get" not in stats
    finally:
        await client.aclose()


async def test_on_redis_the_follow_ups_of_many_campaigns_are_read_in_one_look_through_the_queue(redis_url):
    """A simulation reads every scenario's follow-ups at once: what `scheduled` says of each campaign,
    from one scan of the queue and one read of the jobs (the server's command counts say)."""
    client = Redis.from_url(redis_url)
    try:
        queue = ArqFollowUpQueue(client, queue_name=QUEUE)
        campaigns = [f"65f0c0ffee00000000{n:06d}" for n in range(1500)]
        for n, campaign in enumerate(campaigns[:40]):
            for attempt in range(1, 1 + n % 3):
                await queue.schedule(ConductCallCommand(campaign, n % 4, False, attempt=attempt),
                                     AT + timedelta(hours=n - attempt))
        await client.zadd(QUEUE, {f"call:{campaign}:0": 1 for campaign in campaigns})  # producers' own jobs
        await client.zadd(QUEUE, {"call:not-a-campaign:1:1": 1, "something else": 2})
        await client.zadd(QUEUE, {f"call:{campaigns[1]}:5:9": 3})  # its job is gone (ran or expired)
        one_by_one = {campaign: await queue.scheduled(campaign) for campaign in campaigns[:60]}
        await client.config_resetstat()
        together = await queue.scheduled_for([*campaigns[:60], "65f0c0ffee0000000000ffff"])
        stats = await client.info("commandstats")
        assert together == {**one_by_one, "65f0c0ffee0000000000ffff": []}
        assert sum(len(found) for found in together.values()) == sum(n % 3 for n in range(40)) > 30
        assert [at for _, at in together[campaigns[5]]] == sorted(at for _, at in together[campaigns[5]])
        assert stats["cmdstat_zscan"]["calls"] <= 4 and stats["cmdstat_mget"]["calls"] == 1, stats
        assert await queue.scheduled_for([]) == {}
    finally:
        await client.aclose()
