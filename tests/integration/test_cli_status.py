"""`docshield check-status` as a probe and a screen: --require-workers, --watch, elapsed time of calls in
progress, deferred jobs in relative time with their reason, 80 columns. A real worker process."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from bson import ObjectId

from entrypoints.cli import main
from tests.integration.pipeline_world import noon_somewhere
from tests.integration.test_cli import on_test_servers  # noqa: F401 - the fixture
from tests.integration.test_cli_jobs import add_campaign, deferred_first_step

pytestmark = pytest.mark.usefixtures("on_test_servers")
ROOT = Path(__file__).resolve().parents[2]


def docshield(*argv: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "80"}
    return subprocess.Popen([sys.executable, "-m", "entrypoints", *argv], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


def status(capsys) -> dict:
    capsys.readouterr()
    assert main(["check-status", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def wait_for(condition, within_s: float = 60.0):
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError("condition not met in time")


def test_require_workers_fails_the_probe_when_too_few_are_live(capsys):
    assert main(["check-status", "--require-workers", "1", "--json"]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["workers"] == []  # the status is still printed
    assert "error DS103: 0 live worker(s), 1 required" in captured.err
    assert main(["check-status", "--require-workers", "0"]) == 0


def test_a_call_in_progress_shows_its_elapsed_time_and_the_probe_passes(monkeypatch, capsys):
    monkeypatch.setenv("SIMULATED_CALL_SECONDS", "30")
    monkeypatch.setenv("HEARTBEAT_INTERVAL_S", "0.3")
    campaign_id = str(ObjectId())
    asyncio.run(add_campaign(campaign_id, noon_somewhere()))
    assert main(["seed-queue", campaign_id]) == 0
    worker = docshield("start-worker")
    try:
        running = wait_for(lambda: [w for w in status(capsys)["workers"] if w["current_jobs"]])
        job = f"call:{campaign_id}:0"
        assert running[0]["current_jobs"] == [job]
        wait_for(lambda: status(capsys)["workers"][0]["elapsed_s"].get(job, 0) >= 1)
        capsys.readouterr()
        monkeypatch.setenv("COLUMNS", "80")
        assert main(["check-status", "--require-workers", "1"]) == 0
        out = capsys.readouterr().out
        assert f"running {job} for " in out
        assert all(len(line) <= 80 for line in out.splitlines()), out
        assert main(["check-status", "--require-workers", "2"]) == 1
        assert main(["stop-worker", "--force"]) == 0
        assert worker.wait(timeout=60) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()


def test_deferred_jobs_show_when_in_relative_time_and_why(monkeypatch, capsys):
    campaign_id = deferred_first_step()
    deferred = status(capsys)["queue"]["next_deferred"]
    assert deferred[0]["job_id"] == f"call:{campaign_id}:0" and deferred[0]["reason"] and deferred[0]["in_s"] > 0
    monkeypatch.setenv("COLUMNS", "80")
    capsys.readouterr()
    assert main(["check-status"]) == 0
    out = capsys.readouterr().out
    assert f"call:{campaign_id}:0  runs in " in out and deferred[0]["reason"] in out
    assert all(len(line) <= 80 for line in out.splitlines()), out


def test_watch_redraws_until_interrupted():
    watcher = docshield("check-status", "--watch", "--interval", "0.3", "--json")
    try:
        lines = []
        wait_for(lambda: lines.append(watcher.stdout.readline()) or len(lines) >= 2)
        assert all(json.loads(line)["queue"]["name"] for line in lines)
        watcher.send_signal(signal.SIGINT)
        assert watcher.wait(timeout=30) == 0
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.wait()
