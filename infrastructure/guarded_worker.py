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

from arq import Worker
from arq.connections import create_pool

from infrastructure.queue_guard import QueueGuard
from infrastructure.reconnect_backoff import REDIS_DOWN, Backoff

log = logging.getLogger("docshield.worker")

class GuardedWorker(Worker):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.queue_guard = QueueGuard(self.queue_name, self.keep_result_s)
        self._poll_backoff = Backoff("polling the queue")

    async def main(self) -> None:
        # ARQ gives up after its connection retries at start; a worker started during an outage waits.
        backoff = Backoff("connecting to Redis")
        while self._pool is None:
            try:
                self._pool = await create_pool(self.redis_settings, job_deserializer=self.job_deserializer,
                                               job_serializer=self.job_serializer,
                                               default_queue_name=self.queue_name,
                                               expires_extra_ms=self.expires_extra_ms)
            except REDIS_DOWN as exc:
                await backoff.wait(exc)
        backoff.ok()
        await super().main()

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
