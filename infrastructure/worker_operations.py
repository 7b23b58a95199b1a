"""What runs beside the worker for operators: telemetry export, Logtail, health endpoints, gauges."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Callable

from infrastructure.reconnect_backoff import Backoff
from infrastructure.health_server import HealthServer, dependency_checks
from infrastructure.logtail_shipping import install_logtail
from infrastructure.telemetry_setup import TelemetryRuntime, sample_worker_gauges, setup_telemetry

log = logging.getLogger(__name__)

_process_telemetry: TelemetryRuntime | None = None


def process_telemetry(settings) -> TelemetryRuntime:
    """The process-wide providers (OTel allows setting them once per process)."""
    global _process_telemetry
    if _process_telemetry is None:
        _process_telemetry = setup_telemetry(settings, make_global=True)
    return _process_telemetry


@dataclass
class Operations:
    health: HealthServer | None = None
    tasks: list[asyncio.Task] = field(default_factory=list)
    logtail: logging.Handler | None = None

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.health is not None:
            await self.health.stop()
        if self.logtail is not None:
            await asyncio.to_thread(self.logtail.flush)


class SetUpPending(Exception):
    """MongoDB's first-use set-up (indexes) has not succeeded yet."""


class DatabaseSetUp:
    """Runs the database's first-use set-up before the worker takes a job, retrying with backoff
    while MongoDB is away (`start-worker` with MongoDB down waits, says so, and is not ready)."""

    def __init__(self, container, worker, state: Callable[[], str]):
        self.container = container
        self.worker = worker
        self.state = state
        self.done = asyncio.Event()

    async def run(self) -> None:
        self.worker.allow_pick_jobs = False
        backoff = Backoff("setting up MongoDB (indexes); taking no job until it is done")
        while True:
            try:
                await self.container.database()
            except Exception as exc:
                await backoff.wait(exc)
            else:
                backoff.ok()
                break
        self.done.set()
        if self.state() == "running":  # a drain that came meanwhile keeps the worker from picking
            self.worker.allow_pick_jobs = True

    async def ping(self) -> None:
        if not self.done.is_set():
            raise SetUpPending()
        await (await self.container.database()).command("ping")


async def start_operations(settings, container, worker, state: Callable[[], str]) -> Operations:
    """Start what the settings ask for; never fails the worker for want of an extra."""
    process_telemetry(settings)
    ops = Operations()
    set_up = DatabaseSetUp(container, worker, state)
    ops.tasks.append(asyncio.create_task(set_up.run(), name="docshield-database-set-up"))
    try:
        ops.logtail = install_logtail(settings, shared_redis_url=await container.redis_url())
    except Exception:
        log.warning("Logtail shipping not started", exc_info=True)
    redis = await container.redis()
    telemetry = container.telemetry()
    gauges = getattr(telemetry, "gauges", None)
    if gauges is not None:
        ops.tasks.append(asyncio.create_task(
            sample_worker_gauges(gauges, redis, settings.queue_name, worker, settings.heartbeat_interval_s),
            name="docshield-gauges"))
    if settings.health_port is not None:
        health = HealthServer(dependency_checks(redis, set_up.ping), state=state,
                              host=settings.health_host, port=settings.health_port)
        try:
            await health.start()
            ops.health = health
        except OSError as exc:
            log.error("health endpoints not started on port %s: %s", settings.health_port, exc)
    return ops
