"""The job wire format (contracts section 1): JSON on ARQ, never pickle."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

from arq.connections import ArqRedis, RedisSettings
from arq.constants import in_progress_key_prefix, job_key_prefix, result_key_prefix
from arq.jobs import Job, JobResult, JobStatus, deserialize_result

from application.commands import ConductCallCommand, job_id_for

FUNCTION_NAME = "conduct_outbound_call"
LAST_RESULT_PREFIX = "docshield:job-last:"
FAULTS_PREFIX = "docshield:job-faults:"  # transient faults counted per job (deferrals never spend them)


def _fallback(value: Any) -> Any:
    # ARQ stores failures (exceptions) through the same serializer: keep them readable.
    if isinstance(value, BaseException):
        return {"error": type(value).__name__, "message": str(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return repr(value)


def serialize(value: Any) -> bytes:
    return json.dumps(value, default=_fallback, separators=(",", ":")).encode()


def deserialize(raw: bytes) -> Any:
    # json.loads never runs code: a pickled or hostile payload is only a parse error.
    value = json.loads(raw)
    _check_envelope(value)
    return value


# ARQ trusts the types of its envelope (`f` as a dict key, `t` compared with an int):
# an ill-typed one raises outside ARQ's own error handling and stops the worker,
# so it is refused here, where ARQ turns the error into a failed job with a reason.
MAX_EPOCH_MS = 253402300799999  # 9999-12-31T23:59:59.999Z, the last time a datetime holds
_ENVELOPE = {"f": (str,), "a": (list,), "k": (dict,), "t": (int, type(None)), "et": (int, float)}


def _check_envelope(value: Any) -> None:
    if not isinstance(value, dict):
        raise ValueError(f"a job must be a JSON object, got {type(value).__name__}")
    for key, types in _ENVELOPE.items():
        if key in value and (not isinstance(value[key], types) or isinstance(value[key], bool)):
            raise ValueError(f"job field {key!r} must be {' or '.join(t.__name__ for t in types)}, "
                             f"got {type(value[key]).__name__}")
    enqueued = value.get("et")
    # ARQ turns `et` into a datetime outside its error handling: NaN or 1e300 would end the worker.
    if enqueued is not None and not 0 <= enqueued <= MAX_EPOCH_MS:  # NaN compares false too
        raise ValueError(f"job field 'et' must be epoch milliseconds, got {enqueued!r}"[:120])


# TLS options a rediss:// URL may carry as query parameters (redis-py reads the same ones).
_TLS_QUERY = {"ssl_ca_certs": str, "ssl_certfile": str, "ssl_keyfile": str, "ssl_cert_reqs": str,
              "ssl_check_hostname": lambda v: v.lower() in ("true", "1", "yes")}


def redis_settings(url: str) -> RedisSettings:
    """ARQ's settings for a redis://, rediss:// or unix:// URL. ARQ's own parser drops the query, so
    a rediss:// URL's CA and client certificate (`?ssl_ca_certs=/etc/ca.pem`) are read here."""
    settings = RedisSettings.from_dsn(url)
    if settings.ssl:
        for name, values in parse_qs(urlsplit(url).query).items():
            if name in _TLS_QUERY and values:
                setattr(settings, name, _TLS_QUERY[name](values[-1]))
    settings.conn_timeout = 2
    settings.conn_retries = 5
    settings.conn_retry_delay = 1
    return settings


async def enqueue_call(redis: ArqRedis, command: ConductCallCommand, *, queue_name: str,
                       defer_until: datetime | None = None, expires: timedelta | None = None) -> Job | None:
    """Put one call job on the queue; None when the same step is already queued or kept.
    `expires`: how long the job's body is kept (ARQ's default: a day past its run time)."""
    return await redis.enqueue_job(
        FUNCTION_NAME, _job_id=command.job_id, _queue_name=queue_name, _defer_until=defer_until,
        _expires=expires, **command.to_kwargs(),
    )


async def job_info(redis: ArqRedis, job_id: str, queue_name: str) -> dict:
    """Status, result and the last word the use case left on a job."""
    job = Job(job_id, redis, _queue_name=queue_name, _deserializer=deserialize)
    status = await job.status()
    info: dict[str, Any] = {"job_id": job_id, "status": status.value}
    if status is JobStatus.complete:
        result = await job.result_info()
        if result is not None:
            info.update(success=result.success, result=result.result, tries=result.job_try,
                        finished=result.finish_time.astimezone(timezone.utc).isoformat())
    last = await redis.get(LAST_RESULT_PREFIX + job_id)
    if last:
        info["last"] = json.loads(last)
    return info


# arq's Job.status, read on the server for many jobs at once: the result, then the in-progress key,
# then the queue's score (later than now: deferred). One short reply instead of three commands a job.
_STATUSES = """
local now, queue, result, running, out = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4], {}
for i = 5, #ARGV do
  local id, state = ARGV[i], 'not_found'
  if redis.call('EXISTS', result .. id) == 1 then state = 'complete'
  elseif redis.call('EXISTS', running .. id) == 1 then state = 'in_progress'
  else
    local score = redis.call('ZSCORE', queue, id)
    if score then state = tonumber(score) > now and 'deferred' or 'queued' end
  end
  out[#out + 1] = state
end
return out
"""


async def job_statuses(redis: ArqRedis, job_ids: list[str], *, queue_name: str) -> dict[str, JobStatus]:
    """`arq.jobs.Job.status` of many jobs in one round trip (the same keys, read the same way)."""
    if not job_ids:
        return {}
    now_ms = datetime.now(timezone.utc).timestamp() * 1000
    answers = await redis.register_script(_STATUSES)(
        args=[repr(now_ms), queue_name, result_key_prefix, in_progress_key_prefix, *job_ids])
    return {job_id: JobStatus(state.decode() if isinstance(state, bytes) else state)
            for job_id, state in zip(job_ids, answers)}


async def job_results(redis: ArqRedis, job_ids: list[str]) -> dict[str, JobResult | None]:
    """`arq.jobs.Job.result_info` of many jobs in one round trip (None: no result kept)."""
    if not job_ids:
        return {}
    kept = await redis.mget([result_key_prefix + job_id for job_id in job_ids])
    return {job_id: deserialize_result(raw, deserializer=deserialize) if raw else None
            for job_id, raw in zip(job_ids, kept)}


async def withdraw_job(redis: ArqRedis, job_id: str, *, queue_name: str) -> None:
    """Take a queued or deferred job off the queue, as if it had never been enqueued."""
    async with redis.pipeline(transaction=True) as tr:
        tr.zrem(queue_name, job_id)
        tr.delete(job_key_prefix + job_id)
        await tr.execute()


async def record_last(redis: ArqRedis, job_id: str, payload: dict, ttl_s: int) -> None:
    await redis.set(LAST_RESULT_PREFIX + job_id, serialize(payload), ex=ttl_s)


__all__ = ["FUNCTION_NAME", "serialize", "deserialize", "redis_settings", "enqueue_call", "job_info",
           "job_statuses", "job_results", "withdraw_job", "record_last", "job_id_for"]
