"""`docshield simulate --processes N`: the helper worker processes end with the run, however it ends."""
from __future__ import annotations

import signal

import psutil
import pytest
import redis

from tests.integration.test_cli import on_test_servers  # noqa: F401 - the fixture
from tests.integration.test_cli_status import ROOT, docshield, status, wait_for

pytestmark = pytest.mark.usefixtures("on_test_servers")


def helpers_of(process) -> list[psutil.Process]:
    """The run's forked helpers: its children running its own command line (the embedded servers run theirs)."""
    try:
        run = psutil.Process(process.pid)
        return [p for p in run.children() if p.cmdline() == run.cmdline()]
    except psutil.NoSuchProcess:
        return []


def test_a_sigkilled_run_leaves_no_worker_process_behind(capsys, redis_url):
    run = docshield("simulate", str(ROOT / "scenarios" / "real_lines.yaml"), "--processes", "2", "--json")
    helper = None
    try:
        [helper] = wait_for(lambda: helpers_of(run))
        # The helper's worker is taking the run's jobs (it registered, as every worker does) ...
        wait_for(lambda: [w for w in status(capsys)["workers"]
                          if w["worker_id"].endswith("-1") and w["pid"] == helper.pid and w["jobs_done"]])
        # ... when the run is killed: the end of its input tells the helper, which drains and ends.
        run.send_signal(signal.SIGKILL)
        run.wait()
        gone, alive = psutil.wait_procs([helper], timeout=60)
        assert not alive, "a worker process outlived its run"
        # It stopped because the run ended, not because it had called every practice.
        with redis.Redis.from_url(redis_url) as client:
            [queue] = [k for k in client.scan_iter(match="docshield:simulate:*") if not k.endswith(b":follow-ups")]
            assert client.zcard(queue) > 0
    finally:
        run.kill()
        if helper is not None and helper.is_running():
            helper.kill()  # else it would hold the run's output open
        run.communicate()
