"""Scenarios per second through the real pipeline, and the pipeline's own cost per call.

The pipeline's cost is each job's wall time minus the conversation (the text
call with the agent): queue, claims, compliance, MongoDB, calendar seeding
excluded, storage. Runs on the embedded Redis and MongoDB in a temporary folder.

Also printed: the CPU time per scenario of this process and of its children (the embedded
MongoDB and Redis, the run's other worker processes), which depends little on what else the
machine runs: their sum over the machine's cores bounds the throughput on an idle machine.

    python benchmarks/simulate_throughput.py [ROUNDS] [PROCESSES]
"""
from __future__ import annotations

import asyncio
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from infrastructure.settings import load_settings  # noqa: E402
from simulator.scenario import load_files  # noqa: E402
from simulator.simulation import Simulation  # noqa: E402


def children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


async def main(rounds: int, processes: int | None) -> None:
    files = sorted(str(p) for p in (Path(__file__).resolve().parents[1] / "scenarios").glob("*.yaml"))
    scenarios = load_files(files) * rounds
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(None, data_dir=folder, log_level="WARNING")
        started, cpu, theirs = time.perf_counter(), time.process_time(), children_cpu()
        simulation = Simulation(settings, processes=processes)
        runs = await simulation.run(scenarios)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    theirs = children_cpu() - theirs  # the servers stop with the run: their CPU is counted once they have
    costs = sorted(r.pipeline_s * 1000 for r in runs if r.pipeline_s is not None)
    p95 = costs[min(len(costs) - 1, int(0.95 * len(costs)))]
    print(f"scenarios: {len(runs)} ({sum(r.passed for r in runs)} passed) in {elapsed:.2f} s "
          f"(including embedded start-up and seeding)")
    print(f"throughput: {len(runs) / elapsed:.1f} scenarios/s")
    print(f"worker processes: {len({r.worker_id for r in runs})}")
    print(f"CPU: {cpu:.1f} s in this process + {theirs:.1f} s in its children (servers, worker processes): "
          f"{(cpu + theirs) / len(runs) * 1000:.0f} ms per scenario")
    print(f"pipeline cost per call (job minus conversation): median {statistics.median(costs):.1f} ms, "
          f"p95 {p95:.1f} ms over {len(costs)} jobs")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 2, int(sys.argv[2]) if len(sys.argv) > 2 else None))
