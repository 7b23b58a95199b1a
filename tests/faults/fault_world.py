"""What the fault tests share: raw Redis access, polling until a condition holds, worker processes."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

from arq.connections import create_pool

from infrastructure.arq_jobs import deserialize, redis_settings, serialize


async def arq_pool(settings):
    return await create_pool(redis_settings(settings.redis_url), job_serializer=serialize,
                             job_deserializer=deserialize, default_queue_name=settings.queue_name)


async def eventually(check, *, within_s: float = 20.0, every_s: float = 0.05):
    """The first truthy value of `check()`; errors count as not yet (the servers may be down on purpose)."""
    deadline = time.monotonic() + within_s
    last_error = None
    while True:
        try:
            value = await check()
        except Exception as exc:
            value, last_error = None, exc
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within_s} s (last error: {last_error!r})")
        await asyncio.sleep(every_s)


def worker_env(settings, **extra) -> dict:
    env = {**os.environ, "REDIS_URL": settings.redis_url, "MONGODB_URI": settings.mongodb_uri,
           "MONGODB_DATABASE": settings.mongodb_database, "DATA_DIR": str(settings.data_dir),
           "QUEUE_NAME": settings.queue_name, "POLL_DELAY_S": "0.05", "HEARTBEAT_INTERVAL_S": "0.2",
           "LOG_LEVEL": "DEBUG"}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def start_worker_process(env: dict, log_path) -> subprocess.Popen:
    """`docshield start-worker` as its own process, its log (stderr) into `log_path`."""
    return subprocess.Popen([sys.executable, "-m", "entrypoints", "start-worker"], env=env,
                            stdout=subprocess.DEVNULL, stderr=open(log_path, "ab"))


async def enqueue(settings, campaign_ids: list[str], step: int = 0) -> None:
    from application.commands import ConductCallCommand
    from infrastructure.arq_jobs import enqueue_call

    pool = await arq_pool(settings)
    for campaign_id in campaign_ids:
        await enqueue_call(pool, ConductCallCommand(campaign_id, step, False), queue_name=settings.queue_name)
    await pool.aclose()
