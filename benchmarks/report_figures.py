"""How long `docshield report` takes over 10,000 call records on SecantusDB (the target is under 3 s).

SecantusDB runs as its own process (`secantusd-py`), as a database server would. Printed: the figures'
aggregation alone (the use case, median of 5), and the whole command `docshield report --json` and
`--html` as a fresh process (Python start-up and imports included, median of 3). The CPU time of the server
and of the command are printed too: on a busy machine they are the figures that grow least with the load
(their sum is the wall time on an idle machine).

Run from the repository root: python -m benchmarks.report_figures [--records N]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psutil
from motor.motor_asyncio import AsyncIOMotorClient
from odmantic import AIOEngine
from pymongo import AsyncMongoClient

from application.call_report import BuildCallReport, ReportRequest
from domain.call_report import Prices
from infrastructure.local_artifacts import LocalArtifacts
from infrastructure.mongo_call_statistics import MongoCallStatistics
from infrastructure.mongo_compliance import MongoComplianceAudit
from infrastructure.mongo_models import CallRecordDoc, CampaignDoc, ContactDoc
from infrastructure.system_clock import SystemClock
from tests.report_seed import seed
from tests.servers import free_port

DATABASE = "report_bench"


def start_server(folder: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    daemon = shutil.which("secantusd-py") or str(Path(sys.executable).parent / "secantusd-py")
    process = subprocess.Popen([daemon, "--host", "127.0.0.1", "--port", str(port), "--storage-path", str(folder)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return process, f"mongodb://127.0.0.1:{port}/"


async def use_case_runs(uri: str, records: int, repeats: int, server_pid: int) -> tuple[list[float], list[float]]:
    client = AsyncIOMotorClient(uri, serverSelectionTimeoutMS=30000)
    reader: AsyncMongoClient = AsyncMongoClient(uri, serverSelectionTimeoutMS=30000, tz_aware=False)
    try:
        await client.admin.command("ping")
        database = client[DATABASE]
        started = time.perf_counter()
        await seed(database, records, datetime.now(timezone.utc))
        # The indexes a worker's set-up puts in place (the report itself never creates them).
        await AIOEngine(client=client, database=DATABASE).configure_database([ContactDoc, CampaignDoc, CallRecordDoc])
        await MongoComplianceAudit(database).ensure_indexes()
        print(f"seeded {records} records (plus 300 older ones) in {time.perf_counter() - started:.1f} s")
        report = BuildCallReport(MongoCallStatistics(reader[DATABASE]), LocalArtifacts(tempfile.mkdtemp()), SystemClock(),
                                 Prices(0.014, 0.06, 0.01))
        server = psutil.Process(server_pid)
        times, cpu = [], []
        for _ in range(repeats):
            before, started = server.cpu_times(), time.perf_counter()
            answer = await report(ReportRequest(since=timedelta(days=7)))
            times.append(time.perf_counter() - started)
            after = server.cpu_times()
            cpu.append(after.user + after.system - before.user - before.system)
        assert answer.report.figures.calls == records
        return times, cpu
    finally:
        client.close()
        await reader.close()


def command_runs(uri: str, extra: list[str], repeats: int, data_dir: str,
                 server_pid: int) -> tuple[list[float], list[float], list[float]]:
    """Wall times, the command's own CPU times and SecantusDB's CPU times, one per run."""
    env = dict(os.environ, MONGODB_URI=uri, MONGODB_DATABASE=DATABASE, DATA_DIR=data_dir)
    server = psutil.Process(server_pid)
    times, own, served = [], [], []
    for _ in range(repeats):
        before, at_server = resource.getrusage(resource.RUSAGE_CHILDREN), server.cpu_times()
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "entrypoints", "report", *extra], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
        after, now_server = resource.getrusage(resource.RUSAGE_CHILDREN), server.cpu_times()
        own.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        served.append(now_server.user + now_server.system - at_server.user - at_server.system)
    return times, own, served


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=10_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="report-bench-"))
    server, uri = start_server(folder / "db")
    try:
        aggregation, cpu = asyncio.run(use_case_runs(uri, args.records, 5, server.pid))
        print(f"figures over {args.records} records (use case): median {statistics.median(aggregation):.2f} s, "
              f"min {min(aggregation):.2f} s; SecantusDB's own CPU time per report: median "
              f"{statistics.median(cpu):.2f} s (load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
        for label, extra in (("--json", ["--json"]),
                             ("--html (200 calls listed, 5 charts)", ["--html", str(folder / "report.html")])):
            wall, own, served = command_runs(uri, extra, 3, str(folder), server.pid)
            print(f"docshield report {label} (fresh process): median {statistics.median(wall):.2f} s wall; CPU "
                  f"{statistics.median(own):.2f} s in the command (start-up and imports included) + "
                  f"{statistics.median(served):.2f} s in SecantusDB (load average now {os.getloadavg()[0]:.1f})")
        print(f"page {(folder / 'report.html').stat().st_size / 1024:.0f} KiB")
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
