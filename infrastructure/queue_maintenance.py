"""What an operator does to the queue: put a failed job back, empty the queue.

Key names come from `arq.constants`; job state from arq's `Job` API.
"""
from __future__ import annotations

from arq.connections import ArqRedis
from arq.constants import in_progress_key_prefix, job_key_prefix, result_key_prefix, retry_key_prefix

from application.commands import ConductCallCommand
from infrastructure.arq_jobs import FAULTS_PREFIX, LAST_RESULT_PREFIX, enqueue_call


async def requeue(pool: ArqRedis, command: ConductCallCommand, *, queue_name: str) -> bool:
    """Forget the failed run of `command`'s job (its result, last word and fault count) and queue it again.

    The caller has checked that the step has no outcome yet. False when the job was queued meanwhile.
    """
    job_id = command.job_id
    await pool.delete(result_key_prefix + job_id, LAST_RESULT_PREFIX + job_id, FAULTS_PREFIX + job_id,
                      retry_key_prefix + job_id)
    return await enqueue_call(pool, command, queue_name=queue_name) is not None


async def purge(pool: ArqRedis, queue_name: str) -> tuple[list[str], list[str]]:
    """Take every waiting job off the queue; a job a worker is running is left to finish.

    Returns (purged job ids, job ids left because they are in progress).
    """
    purged, running = [], []
    for member in await pool.zrange(queue_name, 0, -1):
        # Keys are built from the member's own bytes: any member a producer wrote goes, UTF-8 or not.
        raw = member if isinstance(member, bytes) else member.encode()
        job_id = raw.decode("utf-8", "backslashreplace")
        if await pool.exists(in_progress_key_prefix.encode() + raw):
            running.append(job_id)
            continue
        async with pool.pipeline(transaction=True) as pipe:
            pipe.zrem(queue_name, raw)
            pipe.delete(job_key_prefix.encode() + raw, retry_key_prefix.encode() + raw)
            await pipe.execute()
        purged.append(job_id)
    return purged, running
