"""QueueGuard.take: checking a queue entry and marking it in progress is one atomic script (one round trip
instead of ARQ's WATCH, EXISTS, ZSCORE, MULTI/PSETEX), and it keeps ARQ's rules, on a real redis-server."""
from __future__ import annotations

import asyncio
import time

from arq.constants import in_progress_key_prefix, job_key_prefix
from redis.asyncio import Redis

from infrastructure.queue_guard import QueueGuard, rejected_key

QUEUE = "test:calls"
PAYLOAD = b'{"t":1,"f":"conduct_outbound_call","a":[],"k":{},"et":1700000000000}'


async def queued(redis: Redis, member: str, score: float, payload: bytes | None = PAYLOAD) -> None:
    if payload is not None:
        await redis.set(job_key_prefix + member, payload)
    await redis.zadd(QUEUE, {member: score})


async def test_of_many_workers_taking_one_entry_exactly_one_starts_it(redis_url):
    redis = Redis.from_url(redis_url)
    now_ms = int(time.time() * 1000)
    members = [f"call:65f0c0ffee0000000000{n:04d}:0" for n in range(20)]
    for member in members:
        await queued(redis, member, now_ms)
    # Eight workers, each with its own guard and connection, race for every entry.
    clients = [Redis.from_url(redis_url) for _ in range(8)]
    guards = [QueueGuard(QUEUE) for _ in clients]
    answers = await asyncio.gather(*(guard.take(client, member.encode(), 30)
                                     for member in members for guard, client in zip(guards, clients)))
    for index, member in enumerate(members):
        won = [a for a in answers[index * 8:(index + 1) * 8] if a is not None]
        assert won == [now_ms], member
        ttl = await redis.pttl(in_progress_key_prefix + member)
        assert 25_000 < ttl <= 30_000
    for client in clients:
        await client.aclose()
    await redis.aclose()


async def test_an_entry_running_elsewhere_gone_or_deferred_again_is_not_taken_and_nothing_changes(redis_url):
    redis = Redis.from_url(redis_url)
    guard = QueueGuard(QUEUE)
    now_ms = int(time.time() * 1000)
    await queued(redis, "call:running:0", now_ms)
    await redis.set(in_progress_key_prefix + "call:running:0", b"1", px=60_000)
    await queued(redis, "call:later:0", now_ms + 3_600_000)  # re-deferred after the poll read it
    assert await guard.take(redis, b"call:running:0", 30) is None
    assert await guard.take(redis, b"call:later:0", 30) is None
    assert await guard.take(redis, b"call:gone:0", 30) is None
    assert await redis.exists(in_progress_key_prefix + "call:later:0") == 0
    assert await redis.zcard(QUEUE) == 2 and await redis.zcard(rejected_key(QUEUE)) == 0
    await redis.aclose()


async def test_a_score_of_zero_is_made_due_now_and_taken(redis_url):
    redis = Redis.from_url(redis_url)
    before = int(time.time() * 1000)
    await queued(redis, "call:zero:0", 0)
    score = await QueueGuard(QUEUE).take(redis, b"call:zero:0", 30)
    assert score is not None and score >= before
    assert await redis.zscore(QUEUE, "call:zero:0") == score
    assert await redis.exists(in_progress_key_prefix + "call:zero:0") == 1
    await redis.aclose()


async def test_a_bad_entry_is_moved_aside_without_being_left_in_progress(redis_url):
    redis = Redis.from_url(redis_url)
    guard = QueueGuard(QUEUE)
    now_ms = int(time.time() * 1000)
    await queued(redis, "call:nan:0", now_ms, b'{"t":1,"f":"conduct_outbound_call","a":[],"k":{},"et":NaN}')
    await queued(redis, "call:big:0", now_ms, b"x" * 70_000)
    await redis.execute_command("ZADD", QUEUE, "-inf", "call:minf:0")
    await redis.set(job_key_prefix + "call:minf:0", PAYLOAD)
    for member in (b"call:nan:0", b"call:big:0", b"call:minf:0"):
        assert await guard.take(redis, member, 30) is None
        assert await redis.exists(in_progress_key_prefix + member.decode(), job_key_prefix + member.decode()) == 0
    assert await redis.zcard(QUEUE) == 0
    reasons = sorted(m.decode() for m in await redis.zrange(rejected_key(QUEUE), 0, -1))
    assert len(reasons) == 3
    assert any("epoch milliseconds" in r for r in reasons) and any("bytes, over the limit" in r for r in reasons)
    assert any("-inf" in r for r in reasons)
    await redis.aclose()


async def test_the_script_is_loaded_before_the_first_job_and_again_after_redis_forgets_it(redis_url):
    redis = Redis.from_url(redis_url)
    guard = QueueGuard(QUEUE)
    await redis.script_flush()
    await guard.prepare(redis)
    sha = guard._script(redis).sha
    assert await redis.script_exists(sha) == [True]
    # A restarted Redis has no scripts: the next take loads it again and goes on.
    await redis.script_flush()
    now_ms = int(time.time() * 1000)
    await queued(redis, "call:after-restart:0", now_ms)
    assert await guard.take(redis, b"call:after-restart:0", 30) == now_ms
    await redis.aclose()
