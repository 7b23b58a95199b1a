"""Scenarios per second through the real pipeline, and the pipeline's own cost per call.

The pipeline's cost is each job's wall time minus the conversation (the text
call with the agent): queue, claims, compliance, MongoDB, calendar seeding
excluded, storage. Runs on the embedded Redis and MongoDB in a temporary folder.

    python benchmarks/simulate_throughput.py [ROUNDS]
"""
from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from infrastructure.settings import load_settings  # noqa: E402
from simulator.scenario import load_files  # noqa: E402
from simulator.simulation import Simulation  # noqa: E402


async def main(rounds: int) -> None:
    files = sorted(str(p) for p in (Path(__file__).resolve().parents[1] / "scenarios").glob("*.yaml"))
    scenarios = load_files(files) * rounds
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(None, data_dir=folder, log_level="WARNING")
        started = time.perf_counter()
        runs = await Simulation(settings).run(scenarios)
        elapsed = time.perf_counter() - started
    costs = sorted(r.pipeline_s * 1000 for r in runs if r.pipeline_s is not None)
    p95 = costs[min(len(costs) - 1, int(0.95 * len(costs)))]
    print(f"scenarios: {len(runs)} ({sum(r.passed for r in runs)} passed) in {elapsed:.2f} s "
          f"(including embedded start-up and seeding)")
    print(f"throughput: {len(runs) / elapsed:.1f} scenarios/s")
    print(f"pipeline cost per call (job minus conversation): median {statistics.median(costs):.1f} ms, "
          f"p95 {p95:.1f} ms over {len(costs)} jobs")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 2))
