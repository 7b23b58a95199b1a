"""Warm start: a `docshield start-worker` process's RSS while idle before its first job, against
its RSS after 100 calls, and the first job's pickup-to-done time against the median.

The worker runs as its own process on a real redis-server and a real MongoDB wire server
(SecantusDB), one call at a time (MAX_CONCURRENT_CALLS=1), simulated line, real compliance.
Idle RSS is read when the worker's first heartbeat is in Redis (what `check-status` shows);
pickup-to-done is ARQ's start_time -> finish_time for each job.

Run: python -m benchmarks.warm_start [--calls 100]  (starts and stops its own servers)."""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
from arq.jobs import Job  # noqa: E402
from secantus import SecantusDBServer  # noqa: E402

from infrastructure.arq_jobs import deserialize  # noqa: E402
from infrastructure.settings import load_settings  # noqa: E402
from infrastructure.worker_registry import WorkerRegistry  # noqa: E402
from tests.integration.pipeline_world import enqueue_first_steps, seed_callable_campaigns  # noqa: E402
from tests.servers import RedisServer  # noqa: E402


def rss_mb(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 2**20


async def measure(redis_url: str, mongo_uri: str, calls: int) -> None:
    from arq.connections import create_pool

    from infrastructure.arq_jobs import redis_settings, serialize

    data_dir = Path(tempfile.mkdtemp(prefix="warm-"))
    settings = load_settings(None, redis_url=redis_url, mongodb_uri=mongo_uri, data_dir=data_dir,
                             mongodb_database=f"warm_{uuid.uuid4().hex[:8]}", queue_name="warm:calls")
    ids = await seed_callable_campaigns(settings, calls)
    env = {**os.environ, "REDIS_URL": redis_url, "MONGODB_URI": mongo_uri, "MONGODB_DATABASE": settings.mongodb_database,
           "DATA_DIR": str(data_dir), "QUEUE_NAME": settings.queue_name, "MAX_CONCURRENT_CALLS": "1",
           "POLL_DELAY_S": "0.05", "HEARTBEAT_INTERVAL_S": "0.5", "LOG_LEVEL": "WARNING", "WORKER_ID": "warm-1",
           "PYTHONPATH": str(ROOT)}
    worker = subprocess.Popen([sys.executable, "-m", "entrypoints", "start-worker"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pool = await create_pool(redis_settings(redis_url), job_serializer=serialize, job_deserializer=deserialize,
                             default_queue_name=settings.queue_name)
    try:
        started = time.monotonic()
        while not await WorkerRegistry(pool).live():
            await asyncio.sleep(0.05)
        ready_s = time.monotonic() - started
        await asyncio.sleep(2)  # idle: heartbeats only
        idle = rss_mb(worker.pid)
        await enqueue_first_steps(settings, ids)
        jobs = [Job(f"call:{c}:0", pool, _queue_name=settings.queue_name, _deserializer=deserialize) for c in ids]
        infos = []
        for job in jobs:
            while (info := await job.result_info()) is None:
                await asyncio.sleep(0.05)
            infos.append(info)
        after = rss_mb(worker.pid)
        beat = (await WorkerRegistry(pool).live())[0]
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        await pool.aclose()
    infos.sort(key=lambda i: i.start_time)
    took = [(i.finish_time - i.start_time).total_seconds() * 1000 for i in infos]
    median = statistics.median(took)
    print(f"worker ready (first heartbeat) {ready_s:.1f} s after start")
    print(f"RSS idle before the first job: {idle:.1f} MB; after {calls} calls: {after:.1f} MB "
          f"(difference {after - idle:+.1f} MB; check-status showed {beat.memory_mb} MB)")
    print(f"pickup-to-done: first job {took[0]:.1f} ms, median {median:.1f} ms "
          f"(first / median = {took[0] / median:.2f}), max {max(took):.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100)
    args = parser.parse_args()
    redis = RedisServer().start()
    mongo = SecantusDBServer(host="127.0.0.1", port=0, storage_path=":memory:")
    mongo.start()
    try:
        asyncio.run(measure(redis.url, mongo.uri, args.calls))
    finally:
        mongo.stop()
        redis.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
