"""ARQ's Worker, made to survive what the queue and the network do to it.

- Every entry ARQ is about to start is screened first (`QueueGuard`): poison is moved aside.
- A lost Redis connection never ends the worker: the poll loop pauses with backoff
  (0.5 s doubling, the seed's 5 tries, then every 10 s for as long as it takes),
  and a job that ends while Redis is away keeps trying to write its result until
  Redis is back.
- Any other error in the poll loop is logged and retried; it never ends the worker.
"""
from __future__ import annotations

import asyncio
import logging
import time

from arq import Worker
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from infrastructure.queue_guard import QueueGuard

log = logging.getLogger("docshield.worker")

REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, ConnectionError, OSError)
FIRST_DELAY_S = 0.5
QUICK_TRIES = 5
SLOW_DELAY_S = 10.0


class Backoff:
    """Delays for one outage; logs its start once and its end once."""

    def __init__(self, what: str):
        self.what = what
        self.failures = 0
        self.since = 0.0

    def delay(self) -> float:
        if self.failures < QUICK_TRIES:
            return FIRST_DELAY_S * 2 ** self.failures
        return SLOW_DELAY_S

    async def wait(self, exc: BaseException) -> None:
        if self.failures == 0:
            self.since = time.monotonic()
            log.warning("%s failed (%s: %s); retrying with backoff, the worker stays up", self.what,
                        type(exc).__name__, str(exc)[:200])
        elif self.failures == QUICK_TRIES:
            log.warning("%s still failing after %d tries; trying every %.0f s", self.what, QUICK_TRIES, SLOW_DELAY_S)
        delay = self.delay()
        self.failures += 1
        await asyncio.sleep(delay)

    def ok(self) -> None:
        if self.failures:
            log.warning("%s works again after %.1f s", self.what, time.monotonic() - self.since)
        self.failures = 0


class GuardedWorker(Worker):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.queue_guard = QueueGuard(self.queue_name, self.keep_result_s)
        self._poll_backoff = Backoff("polling the queue")

    async def _poll_iteration(self) -> None:
        try:
            await super()._poll_iteration()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # never fatal: a Redis outage or an entry nobody foresaw
            if not isinstance(exc, REDIS_DOWN):
                log.error("poll failed", exc_info=True)
            await self._poll_backoff.wait(exc)
        else:
            self._poll_backoff.ok()

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        safe = await self.queue_guard.screen(self.pool, job_ids, self.tasks)
        for job_id in safe:
            counter = self.job_counter
            try:
                await super().start_jobs([job_id])
            except Exception:
                # ARQ took a slot for this job before Redis failed; give it back.
                if self.job_counter > counter:
                    self.job_counter -= 1
                    self.sem.release()
                raise

    async def run_job(self, job_id: str, score: int) -> None:
        try:
            await super().run_job(job_id, score)
        except asyncio.CancelledError:
            raise
        except Exception:
            # The job's in-progress key lets it run again once it expires; the worker goes on.
            log.error("job %s could not be started or finished; it will be delivered again", job_id,
                      exc_info=True)

    async def finish_job(self, *args, **kwargs) -> None:
        await self._until_written("writing a job's result", super().finish_job, *args, **kwargs)

    async def finish_failed_job(self, *args, **kwargs) -> None:
        await self._until_written("writing a job's failure", super().finish_failed_job, *args, **kwargs)

    async def _until_written(self, what: str, write, *args, **kwargs) -> None:
        backoff = Backoff(what)
        while True:
            try:
                await write(*args, **kwargs)
            except REDIS_DOWN as exc:
                await backoff.wait(exc)
            else:
                backoff.ok()
                return
