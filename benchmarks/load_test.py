"""Load test: N worker processes, M simulated calls at once, on real local Redis and MongoDB.

Reports throughput, memory per concurrent call, and lost or doubled calls (both must be 0).
Every call holds the line SIMULATED_CALL_SECONDS after dialing, so calls overlap.

Run: python benchmarks/load_test.py [--workers 3] [--calls 60] [--concurrency 8] [--hold 1.0] [--deadline 180]
(starts and stops its own servers; exits 1 when a call is lost or doubled, or the deadline passes)."""
from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
from secantus import SecantusDBServer  # noqa: E402

from infrastructure.settings import load_settings  # noqa: E402
from tests.integration.pipeline_world import enqueue_first_steps, seed_callable_campaigns  # noqa: E402
from tests.servers import RedisServer  # noqa: E402


async def sample(database, campaign_count: int, workers: list[subprocess.Popen], deadline: float) -> dict:
    claims, records = database["call_claims"], database["call_records"]
    peak_in_flight, peak_rss, samples = 0, 0.0, []
    first_dial = None
    while time.monotonic() < deadline:
        in_flight = await claims.count_documents({"status": "dialing"})
        done = await claims.count_documents({"status": "completed"})
        rss = sum(_rss(p.pid) for p in workers)
        if in_flight and first_dial is None:
            first_dial = time.monotonic()
        if in_flight > peak_in_flight or (in_flight == peak_in_flight and rss > peak_rss):
            peak_in_flight, peak_rss = in_flight, rss
        samples.append((in_flight, rss))
        if done >= campaign_count:
            break
        await asyncio.sleep(0.1)
    return {"peak_in_flight": peak_in_flight, "peak_rss_mb": peak_rss, "finished_at": time.monotonic(),
            "first_dial_at": first_dial, "records": await records.count_documents({})}


async def ready(redis_url: str, count: int) -> None:
    from redis.asyncio import Redis

    from infrastructure.worker_registry import WorkerRegistry

    client = Redis.from_url(redis_url)
    try:
        while len(await WorkerRegistry(client).live()) < count:
            await asyncio.sleep(0.1)
    finally:
        await client.aclose()


def _rss(pid: int) -> float:
    try:
        return psutil.Process(pid).memory_info().rss / 2**20
    except psutil.Error:
        return 0.0


async def main(args) -> int:
    redis = RedisServer().start()
    mongo = SecantusDBServer(host="127.0.0.1", port=0, storage_path=tempfile.mkdtemp(prefix="load-mongo-"))
    mongo.start()
    data_dir = Path(tempfile.mkdtemp(prefix="load-data-"))
    database_name = f"load_{uuid.uuid4().hex[:8]}"
    settings = load_settings(None, redis_url=redis.url, mongodb_uri=mongo.uri, mongodb_database=database_name,
                             data_dir=data_dir)
    workers: list[subprocess.Popen] = []
    try:
        campaign_ids = await seed_callable_campaigns(settings, args.calls)
        env = {**os.environ, "REDIS_URL": redis.url, "MONGODB_URI": mongo.uri, "MONGODB_DATABASE": database_name,
               "DATA_DIR": str(data_dir), "SIMULATED_CALL_SECONDS": str(args.hold), "POLL_DELAY_S": "0.05",
               "MAX_CONCURRENT_CALLS": str(args.concurrency), "LOG_LEVEL": "WARNING", "HEARTBEAT_INTERVAL_S": "1"}
        for i in range(args.workers):
            workers.append(subprocess.Popen([sys.executable, "-m", "entrypoints", "start-worker"], cwd=ROOT,
                                            env={**env, "WORKER_ID": f"load-{i}"}, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL))
        await ready(redis.url, len(workers))  # warmed up and beating: the idle figure is the steady one
        baseline_rss = sum(_rss(p.pid) for p in workers)

        from motor.motor_asyncio import AsyncIOMotorClient

        client = AsyncIOMotorClient(mongo.uri)
        database = client[database_name]
        started = time.monotonic()
        await enqueue_first_steps(settings, campaign_ids)
        figures = await sample(database, len(campaign_ids), workers, started + args.deadline)
        elapsed = figures["finished_at"] - started

        per_step: dict[str, int] = {}
        async for record in database["call_records"].find({}, {"campaignId": 1, "campaign_id": 1, "step": 1}):
            key = f"{record.get('campaignId') or record.get('campaign_id')}:{record.get('step')}"
            per_step[key] = per_step.get(key, 0) + 1
        completed = await database["call_claims"].count_documents({"status": "completed"})
        client.close()
        lost = len(campaign_ids) - len(per_step)
        doubled = sum(1 for n in per_step.values() if n > 1)

        for p in workers:
            p.send_signal(signal.SIGTERM)  # drain: finish the call in progress, then exit 0
        exits = [p.wait(timeout=60) for p in workers]

        concurrent = figures["peak_in_flight"]
        per_call = (figures["peak_rss_mb"] - baseline_rss) / concurrent if concurrent else float("nan")
        print(f"workers: {args.workers} x max {args.concurrency} calls; calls: {args.calls}; hold {args.hold:.1f} s")
        print(f"completed claims: {completed}/{len(campaign_ids)} in {elapsed:.1f} s "
              f"-> throughput {completed / elapsed:.2f} calls/s "
              f"(ceiling by hold time: {args.workers * args.concurrency / args.hold:.1f} calls/s)")
        print(f"peak calls in flight: {concurrent}; worker RSS: {baseline_rss:.0f} MB idle, "
              f"{figures['peak_rss_mb']:.0f} MB at peak -> {per_call:.2f} MB per concurrent call")
        print(f"lost calls: {lost}; doubled calls: {doubled}; worker exit codes after SIGTERM: {exits}")
        ok = lost == 0 and doubled == 0 and completed == len(campaign_ids)
        if not ok:
            print("FAIL: every call must be recorded exactly once within the deadline")
        return 0 if ok else 1
    finally:
        for p in workers:
            if p.poll() is None:
                p.kill()
        mongo.stop()
        redis.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--calls", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=8, help="MAX_CONCURRENT_CALLS per worker")
    parser.add_argument("--hold", type=float, default=1.0, help="SIMULATED_CALL_SECONDS")
    parser.add_argument("--deadline", type=float, default=180.0)
    sys.exit(asyncio.run(main(parser.parse_args())))
