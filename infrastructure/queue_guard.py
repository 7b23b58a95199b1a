"""The queue is untrusted input: every entry is checked at the Redis level before ARQ reads it.

ARQ parses queue members, scores and the job envelope outside its per-job error
handling: a member that is not UTF-8, a score of -inf or an `et` of NaN raises
in its poll loop and ends the worker. `QueueGuard.screen` looks at what ARQ is
about to start and moves each bad entry aside, to the sorted set
`<queue>:rejected` (newest last, the reason in each member), with an ARQ failure
result under the job id when it has a readable one, so a producer sees the
reason as for any malformed job. Each entry is logged once (it leaves the queue).
"""
from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass

from arq.constants import job_key_prefix, result_key_prefix, retry_key_prefix
from arq.jobs import serialize_result

from infrastructure.arq_jobs import deserialize, serialize

log = logging.getLogger(__name__)

REJECTED_SUFFIX = ":rejected"
MAX_JOB_ID_CHARS = 200
MAX_PAYLOAD_BYTES = 64 * 1024
KEEP_REJECTED = 10_000
# A run time further ahead than this is no deferral any producer or the worker makes.
FAR_FUTURE_MS = 400 * 86400 * 1000
FAR_FUTURE_SWEEP_S = 60.0


class RejectedJob(Exception):
    """A queue entry moved aside before ARQ read it; the message says why."""


def rejected_key(queue_name: str) -> str:
    return queue_name + REJECTED_SUFFIX


@dataclass
class Rejection:
    member: bytes
    reason: str
    score: float | None = None

    @property
    def job_id(self) -> str | None:
        """The member as text when it is a readable id, else None (no ARQ keys are written for it)."""
        try:
            text = self.member.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return text if len(text) <= MAX_JOB_ID_CHARS and text.isprintable() else None

    def shown(self) -> str:
        text = self.member.decode("utf-8", "backslashreplace")
        return ascii(text[:80] + ("..." if len(text) > 80 else ""))


def member_problem(member: bytes) -> str | None:
    """Why this queue member cannot be an ARQ job id, or None."""
    try:
        text = member.decode("utf-8")
    except UnicodeDecodeError:
        return "the job id is not valid UTF-8"
    if len(text) > MAX_JOB_ID_CHARS:
        return f"the job id has {len(text)} characters, over the limit of {MAX_JOB_ID_CHARS}"
    if not text.isprintable():
        return "the job id holds control characters"
    return None


def score_problem(score: float) -> str | None:
    if not math.isfinite(score):
        return f"the queue score {score!r} is not a time (epoch milliseconds)"
    if score > time.time() * 1000 + FAR_FUTURE_MS:
        return f"the queue score {score!r} is more than 400 days ahead"
    return None


def payload_problem(raw: bytes) -> str | None:
    try:
        deserialize(raw)
    except (ValueError, TypeError, RecursionError) as exc:
        detail = str(exc) if not isinstance(exc, RecursionError) else "nested too deeply"
        return f"the payload cannot be deserialized: {detail[:200]}"
    return None


class QueueGuard:
    def __init__(self, queue_name: str, keep_result_s: float = 86400):
        self.queue_name = queue_name
        self.keep_result_s = keep_result_s
        self.rejected_key = rejected_key(queue_name)
        self._next_sweep = 0.0

    async def screen(self, redis, members: list[bytes], running: set[str] | dict) -> list[bytes]:
        """The members safe to hand to ARQ; the others are moved aside."""
        candidates = [m for m in members if _text_or_none(m) not in running]
        rejections: list[Rejection] = []
        safe: list[bytes] = []
        to_read: list[bytes] = []
        for member in candidates:
            problem = member_problem(member)
            if problem:
                rejections.append(Rejection(member, problem))
            else:
                to_read.append(member)
        if to_read:
            async with redis.pipeline(transaction=False) as pipe:
                for member in to_read:
                    pipe.zscore(self.queue_name, member)
                    pipe.strlen(job_key_prefix.encode() + member)
                answers = await pipe.execute()
            readable: list[bytes] = []
            for index, member in enumerate(to_read):
                score, size = answers[2 * index], answers[2 * index + 1]
                if score is None:  # finished or taken meanwhile: ARQ skips it
                    continue
                problem = score_problem(score)
                if problem is None and size > MAX_PAYLOAD_BYTES:
                    problem = f"the payload has {size} bytes, over the limit of {MAX_PAYLOAD_BYTES}"
                if problem:
                    rejections.append(Rejection(member, problem, score))
                    continue
                if score == 0:
                    # ARQ reads a score of 0 as "no job" and never starts it: make it due now.
                    await redis.zadd(self.queue_name, {member: int(time.time() * 1000)}, xx=True, gt=True)
                readable.append(member)
            if readable:
                payloads = await redis.mget([job_key_prefix.encode() + m for m in readable])
                for member, raw in zip(readable, payloads):
                    problem = payload_problem(raw) if raw is not None else None  # None: ARQ reports it expired
                    if problem:
                        rejections.append(Rejection(member, problem))
                    else:
                        safe.append(member)
        await self._sweep_far_future(redis, rejections)
        for rejection in rejections:
            await self.move_aside(redis, rejection)
        return safe

    async def _sweep_far_future(self, redis, rejections: list[Rejection]) -> None:
        """Entries scored beyond any lawful deferral (or +inf) would sit on the queue forever."""
        now = time.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + FAR_FUTURE_SWEEP_S
        horizon = time.time() * 1000 + FAR_FUTURE_MS
        for member, score in await redis.zrangebyscore(self.queue_name, f"({horizon}", "+inf", start=0, num=50,
                                                       withscores=True):
            rejections.append(Rejection(member, score_problem(score) or "the queue score is too far ahead", score))

    async def move_aside(self, redis, rejection: Rejection) -> None:
        now_ms = int(time.time() * 1000)
        entry = {"id": rejection.member.decode("utf-8", "backslashreplace")[:MAX_JOB_ID_CHARS],
                 "reason": rejection.reason, "at_ms": now_ms,
                 "score": rejection.score if rejection.score is None or math.isfinite(rejection.score)
                 else repr(rejection.score)}
        async with redis.pipeline(transaction=True) as pipe:
            pipe.zrem(self.queue_name, rejection.member)
            pipe.zadd(self.rejected_key, {json.dumps(entry): now_ms})
            pipe.zremrangebyrank(self.rejected_key, 0, -KEEP_REJECTED - 1)
            pipe.delete(job_key_prefix.encode() + rejection.member, retry_key_prefix.encode() + rejection.member)
            job_id = rejection.job_id
            if job_id is not None:
                # The same failure result ARQ writes for a malformed job: a producer reads the reason there.
                result = serialize_result("<rejected>", (), {}, 1, 0, False, RejectedJob(rejection.reason), now_ms,
                                          now_ms, job_id, self.queue_name, job_id=job_id, serializer=serialize)
                pipe.set(result_key_prefix + job_id, result, px=int(self.keep_result_s * 1000))
            await pipe.execute()
        log.warning("queue entry %s moved aside to %s: %s", rejection.shown(), self.rejected_key, rejection.reason)


def _text_or_none(member: bytes) -> str | None:
    try:
        return member.decode("utf-8")
    except UnicodeDecodeError:
        return None
