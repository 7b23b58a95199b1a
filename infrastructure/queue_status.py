"""What is on the queue right now: ready, deferred and in-progress jobs."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from arq.connections import ArqRedis
from arq.constants import in_progress_key_prefix
from arq.jobs import Job, JobResult, JobStatus
from redis.asyncio import Redis

from infrastructure.arq_jobs import LAST_RESULT_PREFIX


@dataclass
class QueueStatus:
    queue_name: str
    ready: int = 0
    deferred: int = 0
    in_progress: list[str] = field(default_factory=list)
    next_deferred: list[tuple[str, str]] = field(default_factory=list)  # (job id, run time ISO UTC)
    # Follow-up calls the worker queued itself (callbacks): `call:{campaign}:{step}:{attempt}` ids.
    callbacks: list[tuple[str, str]] = field(default_factory=list)  # (job id, run time ISO UTC)

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
    status.next_deferred = [(_text(job), run_time(score)) for job, score in upcoming]
    callbacks = [(_text(job), score) async for job, score in
                 redis.zscan_iter(queue_name, match="call:*:*:*", count=500)]
    status.callbacks = [(job, run_time(score)) for job, score in sorted(callbacks, key=lambda pair: pair[1])]
    keys = [_text(k) async for k in redis.scan_iter(match=in_progress_key_prefix + "*", count=200)]
    status.in_progress = sorted(k.removeprefix(in_progress_key_prefix) for k in keys)
    # ARQ keeps a running job in the queue until it finishes: it is in progress, not waiting.
    running_queued = [job for job in status.in_progress if await redis.zscore(queue_name, job) is not None]
    status.ready = max(0, status.ready - len(running_queued))
    return status


def run_time(score_ms: float) -> str:
    """A queue score as an ISO UTC time; any score a producer wrote, +inf and 1e20 included."""
    when = _instant(score_ms)
    return when.isoformat() if when else f"never (score {score_ms!r})"


def _instant(score_ms: float) -> datetime | None:
    try:
        return datetime.fromtimestamp(score_ms / 1000, timezone.utc)
    except (OverflowError, ValueError, OSError):
        return None


def _text(value) -> str:
    # A member may be any bytes (the worker moves such entries aside): show it, never fail on it.
    return value.decode("utf-8", "backslashreplace") if isinstance(value, bytes) else value


@dataclass
class JobView:
    """One job as an operator sees it: arq's record of it plus the worker's last word."""

    job_id: str
    kwargs: dict
    enqueued_at: datetime | None = None
    run_at: datetime | None = None  # deferred jobs: when arq will hand it to a worker
    finished_at: datetime | None = None  # failed jobs
    tries: int | None = None
    reason: str | None = None

    def to_dict(self) -> dict:
        return {"job_id": self.job_id, "kwargs": self.kwargs, "tries": self.tries, "reason": self.reason,
                **{name: value.isoformat() if value else None for name, value in (
                    ("enqueued_at", self.enqueued_at), ("run_at", self.run_at), ("finished_at", self.finished_at))}}


async def failed_jobs(pool: ArqRedis) -> list[JobView]:
    """Jobs whose kept result says they failed (arq's `all_job_results`), oldest first."""
    views = []
    for result in await pool.all_job_results():
        if result.success:
            continue
        last = await last_word(pool, result.job_id)
        views.append(JobView(result.job_id, result.kwargs if isinstance(result.kwargs, dict) else {},
                             enqueued_at=_utc(result.enqueue_time), finished_at=_utc(result.finish_time),
                             tries=result.job_try, reason=last.get("reason") or _failure(result.result)))
    return views


async def deferred_jobs(pool: ArqRedis, queue_name: str) -> list[JobView]:
    """Jobs on the queue whose run time is still ahead, soonest first, with why they wait.

    Any member a producer wrote is listed: one whose body cannot be read (none, not a job, a score past any
    date) is shown with what is wrong with it rather than failing the whole list."""
    now_ms = time.time() * 1000
    views = []
    for member, score in await pool.zrangebyscore(queue_name, f"({now_ms}", "+inf", withscores=True):
        job_id = _text(member)
        try:
            job = await Job(job_id, pool, _queue_name=queue_name, _deserializer=pool.job_deserializer).info()
        except Exception as exc:  # a careless or hostile producer's entry
            job, problem = None, f"unreadable job ({type(exc).__name__}): a worker moves it aside"
        else:
            problem = None if job is not None else "no job body: a worker moves it aside"
        last = await last_word(pool, job_id)
        views.append(JobView(job_id, job.kwargs if job is not None and isinstance(job.kwargs, dict) else {},
                             enqueued_at=_utc(job.enqueue_time) if job is not None else None,
                             run_at=_instant(score), tries=job.job_try if job is not None else None,
                             reason=problem or last.get("reason") or ("deferred when queued" if not last else None)))
    return views


async def failed_job(pool: ArqRedis, job_id: str, queue_name: str) -> tuple[JobStatus, JobResult | None]:
    """The job's status and, when it is complete, arq's result of it."""
    job = Job(job_id, pool, _queue_name=queue_name, _deserializer=pool.job_deserializer)
    status = await job.status()
    return status, (await job.result_info() if status is JobStatus.complete else None)


async def last_word(redis: Redis, job_id: str) -> dict:
    raw = await redis.get(LAST_RESULT_PREFIX + job_id)
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _failure(result) -> str | None:
    if isinstance(result, dict) and ("error" in result or "message" in result):
        return f"{result.get('error', 'error')}: {result.get('message', '')}".rstrip(": ")
    return None if result is None else str(result)[:200]


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
