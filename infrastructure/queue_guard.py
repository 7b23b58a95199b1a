"""The queue is untrusted input: every entry is checked at the Redis level before ARQ reads it.

ARQ parses queue members, scores and the job envelope outside its per-job error
handling: a member that is not UTF-8, a score of -inf or an `et` of NaN raises
in its poll loop and ends the worker. `QueueGuard.take` looks at each entry the
worker is about to start and moves a bad one aside, to the sorted set
`<queue>:rejected` (newest last, the reason in each member), with an ARQ failure
result under the job id when it has a readable one, so a producer sees the
reason as for any malformed job. Each entry is logged once (it leaves the queue).

Checking an entry and marking it in progress (what ARQ does with WATCH, EXISTS,
ZSCORE and MULTI/PSETEX, four round trips) are one Lua script, one round trip.
"""
from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass

from arq.constants import in_progress_key_prefix, job_key_prefix, result_key_prefix, retry_key_prefix
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

# KEYS: the queue, the job's in-progress key, its payload key. ARGV: the member, now (ms), the
# in-progress lease (ms), the payload limit (bytes). Nil when the job is not to be started here (gone,
# running elsewhere, deferred again meanwhile). Else {score, payload size, 1 and the payload when it
# was marked in progress, or 0 when the score or the size is for Python to judge (nothing changed)}.
_TAKE = """
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or redis.call('EXISTS', KEYS[2]) == 1 then return nil end
local value = tonumber(score)
if value == 0 then
  score = ARGV[2]
  value = tonumber(score)
  redis.call('ZADD', KEYS[1], 'XX', 'GT', score, ARGV[1])
end
if value and value > tonumber(ARGV[2]) then return nil end
local size = redis.call('STRLEN', KEYS[3])
if not value or value == -math.huge or size > tonumber(ARGV[4]) then return {score, size, 0} end
redis.call('PSETEX', KEYS[2], ARGV[3], '1')
return {score, size, 1, redis.call('GET', KEYS[3]) or ''}
"""


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
        self._scripts: dict[int, object] = {}  # the take script registered on each client (by id)

    def _script(self, redis):
        script = self._scripts.get(id(redis))
        if script is None:
            script = self._scripts[id(redis)] = redis.register_script(_TAKE)
        return script

    async def prepare(self, redis) -> None:
        """Load the take script into Redis now, not on the first job (warm start)."""
        await redis.script_load(self._script(redis).script)

    async def take(self, redis, member: bytes, in_progress_s: float) -> int | None:
        """Mark this queue entry in progress and give its score (epoch ms) when the worker may start it,
        as ARQ's own start does; None when it is not to be started here. A bad entry is moved aside."""
        problem = member_problem(member)
        if problem:
            await self.move_aside(redis, Rejection(member, problem))
            return None
        answer = await self._script(redis)(keys=[self.queue_name, in_progress_key_prefix.encode() + member,
                                    job_key_prefix.encode() + member],
                              args=[member, int(time.time() * 1000), int(in_progress_s * 1000), MAX_PAYLOAD_BYTES])
        if answer is None:
            return None
        score, size, marked = float(answer[0]), int(answer[1]), int(answer[2])
        problem = score_problem(score)
        if problem is None and size > MAX_PAYLOAD_BYTES:
            problem = f"the payload has {size} bytes, over the limit of {MAX_PAYLOAD_BYTES}"
        if problem is None and marked and size:  # no payload at all: ARQ reports the job expired
            problem = payload_problem(answer[3])
        if problem:
            await self.move_aside(redis, Rejection(member, problem, score))
            return None
        return int(score) if marked else None

    async def sweep_far_future(self, redis) -> None:
        """Entries scored beyond any lawful deferral (or +inf) would sit on the queue forever: moved
        aside, at most once a minute."""
        now = time.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + FAR_FUTURE_SWEEP_S
        horizon = time.time() * 1000 + FAR_FUTURE_MS
        for member, score in await redis.zrangebyscore(self.queue_name, f"({horizon}", "+inf", start=0, num=50,
                                                       withscores=True):
            await self.move_aside(redis, Rejection(member, score_problem(score) or "the queue score is too far ahead",
                                                   score))

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
            pipe.delete(job_key_prefix.encode() + rejection.member, retry_key_prefix.encode() + rejection.member,
                        in_progress_key_prefix.encode() + rejection.member)
            job_id = rejection.job_id
            if job_id is not None:
                # The same failure result ARQ writes for a malformed job: a producer reads the reason there.
                result = serialize_result("<rejected>", (), {}, 1, 0, False, RejectedJob(rejection.reason), now_ms,
                                          now_ms, job_id, self.queue_name, job_id=job_id, serializer=serialize)
                pipe.set(result_key_prefix + job_id, result, px=int(self.keep_result_s * 1000))
            await pipe.execute()
        log.warning("queue entry %s moved aside to %s: %s", rejection.shown(), self.rejected_key, rejection.reason)

