"""What is on the queue right now: ready, deferred and in-progress jobs."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from arq.constants import in_progress_key_prefix
from redis.asyncio import Redis


@dataclass
class QueueStatus:
    queue_name: str
    ready: int = 0
    deferred: int = 0
    in_progress: list[str] = field(default_factory=list)
    next_deferred: list[tuple[str, float]] = field(default_factory=list)  # (job id, epoch seconds)
    # Follow-up calls the worker queued itself (callbacks): `call:{campaign}:{step}:{attempt}` ids.
    callbacks: list[tuple[str, float]] = field(default_factory=list)

    @property
    def depth(self) -> int:
        return self.ready + self.deferred


async def read_queue(redis: Redis, queue_name: str, *, show_deferred: int = 10) -> QueueStatus:
    now_ms = time.time() * 1000
    status = QueueStatus(queue_name)
    status.ready = await redis.zcount(queue_name, "-inf", now_ms)
    status.deferred = await redis.zcount(queue_name, f"({now_ms}", "+inf")
    upcoming = await redis.zrangebyscore(queue_name, f"({now_ms}", "+inf", start=0, num=show_deferred,
                                         withscores=True)
    status.next_deferred = [(_text(job), score / 1000) for job, score in upcoming]
    callbacks = [(_text(job), score / 1000) async for job, score in
                 redis.zscan_iter(queue_name, match="call:*:*:*", count=500)]
    status.callbacks = sorted(callbacks, key=lambda pair: pair[1])
    keys = [_text(k) async for k in redis.scan_iter(match=in_progress_key_prefix + "*", count=200)]
    status.in_progress = sorted(k.removeprefix(in_progress_key_prefix) for k in keys)
    # ARQ keeps a running job in the queue until it finishes: it is in progress, not waiting.
    running_queued = [job for job in status.in_progress if await redis.zscore(queue_name, job) is not None]
    status.ready = max(0, status.ready - len(running_queued))
    return status


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else value
