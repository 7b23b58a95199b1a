"""Round trips per call, steady state: every MongoDB command (a pymongo command listener) and
every Redis round trip (a hook on redis-py's commands and pipelines) the ARQ worker makes for one
call, printed by name. The budget is 6 MongoDB and 8 Redis round trips per call.

The real worker (`run_worker`, in this process) takes WARMUP then CALLS jobs one at a time from a
real redis-server, on a real MongoDB wire server (SecantusDB), with the simulated phone line and
the real compliance policy; only the CALLS jobs after the warm-up are counted.

Run: python -m benchmarks.round_trips [--strict]  (starts and stops its own servers; prints OVER BUDGET
for a budget not met; with --strict also exits 1)."""
from __future__ import annotations

import asyncio
import collections
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pymongo import monitoring  # noqa: E402
from redis.asyncio.client import Pipeline, Redis  # noqa: E402
from secantus import SecantusDBServer  # noqa: E402

from containers import build_container, close_container  # noqa: E402
from entrypoints.worker import build_worker, run_worker  # noqa: E402
from infrastructure.settings import load_settings  # noqa: E402
from tests.integration.pipeline_world import enqueue_first_steps, seed_callable_campaigns  # noqa: E402
from tests.servers import RedisServer  # noqa: E402

WARMUP, CALLS = 5, 20
MONGO_BUDGET, REDIS_BUDGET = 6, 8


class Counter:
    """Round trips by name while `on` is set: `find call_claims`, `EVALSHA`, `pipeline[WATCH GET ...]`."""

    def __init__(self):
        self.on = False
        self.mongo: collections.Counter[str] = collections.Counter()
        self.redis: collections.Counter[str] = collections.Counter()


COUNTER = Counter()


class MongoCommands(monitoring.CommandListener):
    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if COUNTER.on and event.command_name not in ("hello", "isMaster", "ismaster", "endSessions"):
            target = event.command.get(event.command_name)
            COUNTER.mongo[f"{event.command_name} {target}" if isinstance(target, str) else event.command_name] += 1

    def succeeded(self, event) -> None:
        pass

    def failed(self, event) -> None:
        pass


def hook_redis() -> None:
    """Count each command sent alone, and each pipeline as one round trip naming its commands."""
    execute_command, execute_pipeline = Redis.execute_command, Pipeline.execute
    immediate = Pipeline.immediate_execute_command

    async def counted_command(self, *args, **options):
        if COUNTER.on and not isinstance(self, Pipeline):
            COUNTER.redis[str(args[0]).upper()] += 1
        return await execute_command(self, *args, **options)

    async def counted_immediate(self, *args, **options):  # WATCH and the reads made while watching
        if COUNTER.on:
            COUNTER.redis[str(args[0]).upper()] += 1
        return await immediate(self, *args, **options)

    async def counted_pipeline(self, *args, **kwargs):
        if COUNTER.on and self.command_stack:
            names = " ".join(str(c[0][0]).upper() for c in self.command_stack)
            COUNTER.redis[f"pipeline[{names}]"] += 1
        return await execute_pipeline(self, *args, **kwargs)

    Redis.execute_command, Pipeline.execute = counted_command, counted_pipeline
    Pipeline.immediate_execute_command = counted_immediate


def report(name: str, counts: collections.Counter, calls: int, budget: int) -> bool:
    per_call = sum(counts.values()) / calls
    print(f"{name}: {per_call:.2f} round trips per call (budget {budget}{'' if per_call <= budget else ': OVER BUDGET'})")
    for command, n in counts.most_common():
        print(f"  {n / calls:5.2f}  {command}")
    return per_call <= budget


async def measure(redis_url: str, mongo_uri: str) -> bool:
    settings = load_settings(None, redis_url=redis_url, mongodb_uri=mongo_uri, data_dir=Path(tempfile.mkdtemp()),
                             mongodb_database=f"bench_{uuid.uuid4().hex[:8]}", queue_name="bench:calls",
                             max_concurrent_calls=1, poll_delay_s=0.05, heartbeat_interval_s=30,
                             memory_limit_mb=8192)
    ids = await seed_callable_campaigns(settings, WARMUP + CALLS)
    # Warm-up: the first jobs create indexes, connections and caches.
    await enqueue_first_steps(settings, ids[:WARMUP])
    await run_worker(settings, burst=True)
    await enqueue_first_steps(settings, ids[WARMUP:])
    container = await build_container(settings)
    worker = build_worker(settings, container, settings.redis_url)
    try:
        await container.database()  # connected before counting
        # The plain ARQ worker loop (no burst-mode checks, no heartbeats: neither is per call).
        COUNTER.on = True
        main = asyncio.create_task(worker.main())
        while worker.jobs_complete + worker.jobs_retried + worker.jobs_failed < CALLS:
            await asyncio.sleep(0.01)
        COUNTER.on = False
        main.cancel()
        await asyncio.gather(main, return_exceptions=True)
    finally:
        await worker.close()
        await close_container(container)
    print(f"{CALLS} calls, one at a time, after {WARMUP} warm-up calls (simulated line, real compliance, "
          f"poll every {settings.poll_delay_s} s)")
    mongo_ok = report("MongoDB", COUNTER.mongo, CALLS, MONGO_BUDGET)
    redis_ok = report("Redis", COUNTER.redis, CALLS, REDIS_BUDGET)
    return mongo_ok and redis_ok


def main() -> int:
    monitoring.register(MongoCommands())
    hook_redis()
    redis = RedisServer().start()
    mongo = SecantusDBServer(host="127.0.0.1", port=0, storage_path=":memory:")
    mongo.start()
    try:
        ok = asyncio.run(measure(redis.url, mongo.uri))
    finally:
        mongo.stop()
        redis.close()
    return 0 if ok or "--strict" not in sys.argv else 1


if __name__ == "__main__":
    sys.exit(main())
