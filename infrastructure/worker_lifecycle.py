"""Keeps an ARQ worker visible and stoppable: heartbeats, drain and forced stop.

Drain: take no new job, let the calls in progress finish, then exit 0.
Force: also cancel the calls in progress; the call line ends each one politely.
"""
from __future__ import annotations

import asyncio
import logging
import os
import socket
import time

import psutil
from arq import Worker

from infrastructure.reconnect_backoff import REDIS_DOWN, Backoff
from infrastructure.worker_registry import WorkerBeat, WorkerRegistry

log = logging.getLogger(__name__)


class WorkerLifecycle:
    def __init__(self, worker: Worker, registry: WorkerRegistry, worker_id: str, *,
                 interval_s: float = 2.0, memory_limit_mb: float | None = None):
        self.worker = worker
        self.registry = registry
        self.interval_s = interval_s
        self.memory_limit_mb = memory_limit_mb
        self.beat = WorkerBeat(worker_id=worker_id, host=socket.gethostname(), pid=os.getpid(),
                               started_at=time.time())
        self.stopping = asyncio.Event()
        self.exit_reason: str | None = None
        self._task: asyncio.Task | None = None
        self._process = psutil.Process()

    async def start(self) -> None:
        """Claim the worker id (WorkerIdInUse when a live worker has it), then beat; waits out a Redis outage."""
        self.beat.current_jobs = []
        backoff = Backoff("registering the worker in Redis")
        while True:
            try:
                await self.registry.claim(self.beat, silence_s=max(3 * self.interval_s, 1.0))
                await self.registry.clear_stop(self.beat.worker_id)
                await self._publish()
                break
            except REDIS_DOWN as exc:
                await backoff.wait(exc)
        backoff.ok()
        self._task = asyncio.create_task(self._loop(), name="docshield-heartbeat")

    async def close(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        try:
            await self.registry.leave(self.beat.worker_id)
        except Exception:  # Redis gone at shutdown: the heartbeat expires by itself
            log.warning("could not remove the heartbeat of %s", self.beat.worker_id)

    def drain(self, reason: str) -> None:
        """Stop picking jobs; the main loop ends once the running ones finish."""
        if self.beat.state == "running":
            log.info("draining (%s): finishing %d job(s), taking no new one", reason, len(self._running()))
            self.exit_reason = reason
            self.beat.state = "draining"
            self.worker.allow_pick_jobs = False

    def force(self, reason: str) -> None:
        self.drain(reason)
        self.beat.state = "stopping"
        for task in self._running():
            task.cancel()

    def _running(self) -> list[asyncio.Task]:
        return [t for t in self.worker.tasks.values() if not t.done()]

    async def _loop(self) -> None:
        outage = Backoff("the heartbeat")
        while True:
            try:
                await self._tick()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis blips must not kill the worker; the next beat retries
                outage.failed(exc)
            else:
                outage.ok()
            await asyncio.sleep(self.interval_s)

    async def _tick(self) -> None:
        try:
            memory_mb = self._process.memory_info().rss / 2**20
            self.beat.memory_mb = round(memory_mb, 1)
            if self.memory_limit_mb and memory_mb > self.memory_limit_mb:
                self.drain(f"memory {memory_mb:.0f} MB over the {self.memory_limit_mb:.0f} MB limit")
            request = await self.registry.stop_requested(self.beat.worker_id)
            if request == "force":
                self.force("stop-worker --force")
            elif request == "drain":
                self.drain("stop-worker")
            await self._publish()
        finally:
            # A drain ends when its calls do, Redis reachable or not.
            if self.beat.state != "running" and not self._running():
                self.stopping.set()

    async def _publish(self) -> None:
        self.beat.current_jobs = sorted(self.worker.tasks)
        # When each running job was first seen (to a heartbeat's precision): check-status shows elapsed time.
        now = time.time()
        self.beat.job_started_at = {job: self.beat.job_started_at.get(job, now) for job in self.beat.current_jobs}
        self.beat.jobs_done = self.worker.jobs_complete
        self.beat.jobs_failed = self.worker.jobs_failed
        self.beat.jobs_retried = self.worker.jobs_retried
        await self.registry.beat(self.beat)
