"""A simulation run's helper processes, seen from the run: starting them never waits on them."""
from __future__ import annotations

import asyncio
import sys
from types import SimpleNamespace

from simulator.worker_processes import WorkerProcesses

NEVER_READS = (sys.executable, "-c", "import time; time.sleep(20)")  # a helper still starting, as long as it likes


async def test_starting_helpers_does_not_wait_for_them_to_read_their_manifest(tmp_path):
    # A real run's manifest (every scenario) is far larger than a pipe holds; while the helpers start,
    # the run seeds its database, so handing them the manifest must not block it.
    manifest = SimpleNamespace(folder=tmp_path / "run", run_id="r1", scenarios=b"x" * 1_000_000)
    helpers = WorkerProcesses(command=NEVER_READS)
    try:
        await asyncio.wait_for(helpers.start(2, manifest), timeout=10)
        processes = [p for p, _ in helpers._processes]
        assert [p.poll() for p in processes] == [None, None]
    finally:
        await asyncio.wait_for(helpers.stop(), timeout=10)
    # A helper that never read its manifest would never hear its input end: the run stopped it.
    assert all(p.poll() is not None for p in processes)
