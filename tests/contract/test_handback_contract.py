"""CallHandback contract: the in-memory fake and the Redis adapter behave alike."""
from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timezone

import pytest

from dataclasses import replace

from application.ports.call_handback import AgentLost, UnreadableResult
from application.ports.call_line import CallResult
from domain.call_record import TranscriptLine
from domain.outcomes import CallOutcome
from infrastructure.redis_handback import RedisHandback
from tests.fakes.handback import InMemoryHandback

LOST_AFTER_S = 0.4


@pytest.fixture(params=["fake", "redis"])
async def pair(request, redis_url):
    """(agent side, job side): two instances, as in two processes."""
    if request.param == "fake":
        shared = InMemoryHandback(lost_after_s=LOST_AFTER_S)
        yield shared, shared
        return
    agent = RedisHandback.from_url(redis_url, lost_after_s=LOST_AFTER_S, ttl_s=60)
    job = RedisHandback.from_url(redis_url, lost_after_s=LOST_AFTER_S, ttl_s=60)
    yield agent, job
    await agent.aclose()
    await job.aclose()


def call_id() -> str:
    return uuid.uuid4().hex


AT = datetime(2026, 3, 10, 15, 20, tzinfo=timezone.utc)


def a_result(outcome: CallOutcome = CallOutcome.DECLINED) -> CallResult:
    return CallResult(outcome=outcome, ended_at=AT, reached_human=True, digits=["4"],
                      transcript=[TranscriptLine("agent", "Hello", AT)], decline_reason="already insured")


async def write_raw(handback, cid: str, raw: bytes) -> None:
    """A result entry as some other writer left it on the stream (not through `publish`)."""
    if isinstance(handback, RedisHandback):
        await handback.redis.xadd(handback.key(cid), {b"type": b"result", b"payload": raw})
    else:
        handback._append(cid, ("result", raw))


class TestHandback:
    async def test_result_published_during_the_wait_reaches_the_waiter(self, pair):
        agent, job = pair
        cid = call_id()

        async def agent_side():
            for _ in range(3):
                await agent.heartbeat(cid)
                await asyncio.sleep(0.05)
            await agent.publish(cid, a_result())

        task = asyncio.create_task(agent_side())
        payload = await job.wait(cid, timeout=30)
        await task
        assert payload == a_result()

    async def test_result_published_before_the_wait_is_kept(self, pair):
        agent, job = pair
        cid = call_id()
        await agent.publish(cid, a_result(CallOutcome.BUSY))
        assert await job.wait(cid, timeout=30) == a_result(CallOutcome.BUSY)

    async def test_waiting_does_not_consume_the_result(self, pair):
        agent, job = pair
        cid = call_id()
        await agent.publish(cid, a_result(CallOutcome.NO_ANSWER))
        assert await job.wait(cid, timeout=5) == await job.wait(cid, timeout=5) == a_result(CallOutcome.NO_ANSWER)

    async def test_results_of_other_calls_are_not_mixed_in(self, pair):
        agent, job = pair
        mine, other = call_id(), call_id()
        await agent.publish(other, a_result(CallOutcome.BUSY))
        await agent.heartbeat(mine)
        await agent.publish(mine, a_result(CallOutcome.DECLINED))
        assert await job.wait(mine, timeout=5) == a_result(CallOutcome.DECLINED)

    async def test_silent_agent_is_reported_lost_before_the_timeout(self, pair):
        _agent, job = pair
        payload = await job.wait(call_id(), timeout=60)
        assert isinstance(payload, AgentLost)
        assert payload.silent_for_s >= LOST_AFTER_S

    async def test_agent_that_stops_beating_is_reported_lost(self, pair):
        agent, job = pair
        cid = call_id()

        async def beats_then_dies():
            for _ in range(4):
                await agent.heartbeat(cid)
                await asyncio.sleep(LOST_AFTER_S / 4)

        task = asyncio.create_task(beats_then_dies())
        payload = await job.wait(cid, timeout=60)
        await task
        assert isinstance(payload, AgentLost)

    async def test_heartbeats_keep_the_waiter_waiting_until_the_timeout(self, pair):
        agent, job = pair
        cid = call_id()
        stop = asyncio.Event()

        async def beating():
            while not stop.is_set():
                await agent.heartbeat(cid)
                await asyncio.sleep(LOST_AFTER_S / 4)

        task = asyncio.create_task(beating())
        # Longer than lost_after_s: only the heartbeats keep the agent from being declared lost.
        payload = await job.wait(cid, timeout=LOST_AFTER_S * 2.5)
        stop.set()
        await task
        assert payload is None

    async def test_zero_timeout_reads_what_is_there(self, pair):
        agent, job = pair
        cid = call_id()
        assert await job.wait(cid, timeout=0) is None
        await agent.publish(cid, a_result(CallOutcome.BUSY))
        assert await job.wait(cid, timeout=0) == a_result(CallOutcome.BUSY)

    async def test_something_other_than_a_call_result_is_refused(self, pair):
        agent, _job = pair
        with pytest.raises(TypeError, match="must be a CallResult"):
            await agent.publish(call_id(), {"outcome": "busy"})

    async def test_a_report_field_json_cannot_hold_is_left_out_and_the_result_still_arrives(self, pair):
        agent, job = pair
        cid = call_id()
        await agent.publish(cid, replace(a_result(), report={"agent": {"latency": 1.5}, "odd": object()}))
        assert await job.wait(cid, timeout=5) == replace(a_result(), report={"agent": {"latency": 1.5}})

    @pytest.mark.parametrize("raw, named", [(b"{not json", "not JSON"),
                                            (b'{"outcome": "sold_a_boat", "ended_at": "2026-03-10T15:20:00+00:00"}',
                                             "outcome")])
    async def test_an_unreadable_result_is_refused_naming_what_is_wrong(self, pair, raw, named):
        _agent, job = pair
        cid = call_id()
        await write_raw(job, cid, raw)
        with pytest.raises(UnreadableResult, match=named):
            await job.wait(cid, timeout=5)

    @pytest.mark.parametrize("bad", ["", "a b"])
    async def test_bad_call_id_is_refused(self, pair, bad):
        agent, job = pair
        with pytest.raises(ValueError, match="call_id"):
            await agent.heartbeat(bad)
        with pytest.raises(ValueError, match="call_id"):
            await job.wait(bad, timeout=0)


async def test_redis_stream_expires(redis_url):
    handback = RedisHandback.from_url(redis_url, ttl_s=30)
    cid = call_id()
    await handback.heartbeat(cid)
    ttl = await handback.redis.ttl(handback.key(cid))
    await handback.aclose()
    assert 0 < ttl <= 30
