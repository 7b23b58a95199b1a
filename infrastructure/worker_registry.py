"""Worker heartbeats and stop requests in Redis, read by check-status and stop-worker."""
from __future__ import annotations

import asyncio
import json
import time
from dataclasses import asdict, dataclass, field, fields

from redis.asyncio import Redis

WORKERS_SET = "docshield:workers"
HEARTBEAT_PREFIX = "docshield:worker:"
STOP_PREFIX = "docshield:stop:"


@dataclass
class WorkerBeat:
    worker_id: str
    host: str
    pid: int
    started_at: float
    heartbeat_at: float = 0.0
    state: str = "running"  # running | draining | stopping
    current_jobs: list[str] = field(default_factory=list)
    job_started_at: dict[str, float] = field(default_factory=dict)  # job id -> epoch seconds
    jobs_done: int = 0
    jobs_failed: int = 0
    jobs_retried: int = 0
    memory_mb: float = 0.0

    def age_s(self, now: float | None = None) -> float:
        return max(0.0, (now or time.time()) - self.heartbeat_at)


class WorkerIdInUse(Exception):
    """A live worker already runs under this id: two would show as one and stop-worker would reach one."""

    def __init__(self, holder: WorkerBeat):
        super().__init__(f"worker id {holder.worker_id!r} is in use by a live worker (host {holder.host}, "
                         f"pid {holder.pid}); give this worker another WORKER_ID")
        self.holder = holder


class WorkerRegistry:
    def __init__(self, redis: Redis, ttl_s: float = 15.0):
        self.redis = redis
        self.ttl_s = ttl_s

    async def beat(self, beat: WorkerBeat) -> None:
        beat.heartbeat_at = time.time()
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(HEARTBEAT_PREFIX + beat.worker_id, json.dumps(asdict(beat)), px=int(self.ttl_s * 1000))
            pipe.sadd(WORKERS_SET, beat.worker_id)
            await pipe.execute()

    async def claim(self, beat: WorkerBeat, *, silence_s: float) -> None:
        """Take `beat.worker_id` for this worker; WorkerIdInUse when a live worker holds it.

        A holder whose heartbeat does not move for `silence_s` is gone (a SIGKILLed worker's
        key outlives it until it expires) and its id is taken over."""
        if await self._take(beat):
            return
        first = await self._holder(beat.worker_id)
        deadline = time.monotonic() + silence_s
        while time.monotonic() < deadline:
            await asyncio.sleep(min(0.25, silence_s))
            if await self._take(beat):
                return
            holder = await self._holder(beat.worker_id)
            if holder is not None and first is not None and holder.heartbeat_at != first.heartbeat_at:
                raise WorkerIdInUse(holder)
        await self.beat(beat)

    async def _take(self, beat: WorkerBeat) -> bool:
        beat.heartbeat_at = time.time()
        taken = await self.redis.set(HEARTBEAT_PREFIX + beat.worker_id, json.dumps(asdict(beat)), nx=True,
                                     px=int(self.ttl_s * 1000))
        if taken:
            await self.redis.sadd(WORKERS_SET, beat.worker_id)
        return bool(taken)

    async def _holder(self, worker_id: str) -> WorkerBeat | None:
        raw = await self.redis.get(HEARTBEAT_PREFIX + worker_id)
        return WorkerBeat(**json.loads(raw)) if raw else None

    async def leave(self, worker_id: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(HEARTBEAT_PREFIX + worker_id, STOP_PREFIX + worker_id)
            pipe.srem(WORKERS_SET, worker_id)
            await pipe.execute()

    async def live(self) -> list[WorkerBeat]:
        ids = sorted(m.decode() if isinstance(m, bytes) else m for m in await self.redis.smembers(WORKERS_SET))
        beats = []
        for worker_id in ids:
            raw = await self.redis.get(HEARTBEAT_PREFIX + worker_id)
            if raw is None:  # its heartbeat expired: the worker is gone
                await self.redis.srem(WORKERS_SET, worker_id)
                continue
            known = {f.name for f in fields(WorkerBeat)}  # a newer or older worker may publish other fields
            beats.append(WorkerBeat(**{k: v for k, v in json.loads(raw).items() if k in known}))
        return beats

    async def request_stop(self, worker_id: str | None, *, force: bool) -> list[str]:
        """Ask one live worker, or every live worker, to stop; returns the ids asked (none: no such live worker)."""
        live = [b.worker_id for b in await self.live()]
        targets = [w for w in live if w == worker_id] if worker_id else live
        for target in targets:
            await self.redis.set(STOP_PREFIX + target, "force" if force else "drain", ex=3600)
        return targets

    async def stop_requested(self, worker_id: str) -> str | None:
        """'drain', 'force' or None."""
        value = await self.redis.get(STOP_PREFIX + worker_id)
        return value.decode() if isinstance(value, bytes) else value

    async def clear_stop(self, worker_id: str) -> None:
        await self.redis.delete(STOP_PREFIX + worker_id)
