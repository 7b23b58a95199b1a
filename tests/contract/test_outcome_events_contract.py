"""OutcomeEvents contract: the in-memory fake and the Redis stream behave alike."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from redis.asyncio import Redis

from domain.meeting import Interval
from domain.outcome_event import OutcomeEvent, ScheduledCall
from domain.outcomes import CallOutcome
from infrastructure.redis_outcome_events import STREAM, RedisOutcomeEvents
from tests.fakes.outcome_events import InMemoryOutcomeEvents

AT = datetime(2026, 3, 10, 15, 20, tzinfo=timezone.utc)


@pytest.fixture(params=["fake", "redis"])
async def events(request, redis_url):
    if request.param == "fake":
        yield InMemoryOutcomeEvents()
        return
    client = Redis.from_url(redis_url)
    yield RedisOutcomeEvents(client)
    await client.aclose()


def an_event(**overrides) -> OutcomeEvent:
    fields = dict(job_id="call:65f0c0ffee0000000000abcd:1:1", campaign_id="65f0c0ffee0000000000abcd", step=1,
                  attempt=1, outcome=CallOutcome.CALLBACK_REQUESTED, at=AT, call_id="c0ffee", reached_human=True,
                  meeting=Interval(AT + timedelta(days=1), AT + timedelta(days=1, minutes=30)),
                  callback_at=AT + timedelta(hours=3), next_step="call back at 13:20 their time",
                  scheduled=ScheduledCall(step=1, attempt=2, at=AT + timedelta(hours=3)),
                  deferred_until=None)
    fields.update(overrides)
    return OutcomeEvent(**fields)


async def test_published_events_read_back_equal_and_in_order(events):
    first, second = an_event(), an_event(outcome=CallOutcome.DEFERRED, call_id=None, meeting=None, scheduled=None,
                                         deferred_until=AT + timedelta(hours=12), reached_human=False)
    await events.publish(first)
    await events.publish(second)
    read = await events.read()
    assert [event for _, event in read] == [first, second]
    later = await events.read(after=read[0][0])
    assert [event for _, event in later] == [second]


async def test_reading_an_empty_stream_gives_nothing(events):
    assert await events.read() == []


async def test_the_stream_is_capped_approximately(redis_url):
    client = Redis.from_url(redis_url)
    try:
        capped = RedisOutcomeEvents(client, max_len=100)
        for _ in range(1000):
            await capped.publish(an_event())
        length = await client.xlen(STREAM)
        # MAXLEN ~ trims whole radix-tree nodes: never below the cap, well short of everything.
        assert 100 <= length < 1000
    finally:
        await client.aclose()


def test_an_event_refuses_a_naive_time():
    with pytest.raises(ValueError, match="timezone-aware"):
        an_event(at=datetime(2026, 3, 10, 15, 20))
