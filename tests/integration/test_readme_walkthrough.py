"""The README's first-call walkthrough, run as written (each line a separate `docshield` process), with the
product's clock frozen (CLOCK_FROZEN_AT) outside calling hours and inside them."""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER, ID = "<the id it printed>", "{campaign_id}"


def walkthrough() -> list[list[str]]:
    """The shell lines of the README block marked `<!-- walkthrough -->`."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- walkthrough -->\s*```sh\n(.*?)```", text, re.S)
    assert block, "the README lost its walkthrough block"
    return [shlex.split(line.replace(PLACEHOLDER, ID)) for line in block.group(1).splitlines() if line.strip()]


def run_walkthrough(tmp_path: Path, frozen_at: str, redis_url: str, mongo_uri: str) -> list[subprocess.CompletedProcess]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CLOCK_FROZEN_AT": frozen_at, "REDIS_URL": redis_url,
           "MONGODB_URI": mongo_uri, "MONGODB_DATABASE": f"walk_{uuid.uuid4().hex[:10]}",
           "DATA_DIR": str(tmp_path / ".docshield"), "COLUMNS": "80", "POLL_DELAY_S": "0.05"}
    for name in ("NO_COLOR", "LOG_JSON", "CAMPAIGN_ID"):
        env.pop(name, None)
    done, campaign_id = [], None
    for words in walkthrough():
        assert words[0] == ".venv/bin/docshield", words
        args = [campaign_id if w == ID else w for w in words[1:]]
        assert None not in args, "the walkthrough uses the id before printing it"
        result = subprocess.run([sys.executable, "-m", "entrypoints", *args], env=env, cwd=tmp_path,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        if words[1:3] == ["campaign", "add"]:
            campaign_id = result.stdout.strip()
            assert re.fullmatch(r"[0-9a-f]{24}", campaign_id), result.stdout
        done.append(result)
    return done


def test_outside_calling_hours_the_call_is_explained_and_deferred(tmp_path, redis_url, mongo_uri):
    # Tuesday 05:37 in Texas: the state's window opens at 09:00.
    add, seed, worker, show = run_walkthrough(tmp_path, "2026-12-01T05:37:00-06:00", redis_url, mongo_uri)
    explanation = "deferred to 09:00 in America/Chicago, in 3 h 23 min: the practice's local time is 05:37"
    assert explanation in add.stderr
    assert explanation in seed.stdout
    assert "1 deferred job(s) left on the queue" in worker.stderr
    assert "defer (" in show.stdout and "until Tue 01 Dec 09:00 America/Chicago" in show.stdout
    assert "meeting_booked" not in show.stdout
    assert "last completed step none yet" in show.stdout and "None" not in show.stdout
    assert all(len(line) <= 80 for line in show.stdout.splitlines()), show.stdout


def test_inside_calling_hours_it_ends_with_a_booked_meeting(tmp_path, redis_url, mongo_uri):
    add, seed, worker, show = run_walkthrough(tmp_path, "2026-12-01T10:15:00-06:00", redis_url, mongo_uri)
    assert "the call can be placed now" in seed.stdout
    out = show.stdout
    assert "meeting_booked" in out and "last completed step 0" in out
    assert re.search(r"meeting Tue 01 Dec \d\d:\d\d America/Chicago \(\d\d:\d\d rep\)", out), out
    assert "transcript:" in out and "agent: Hi, this is Alex" in out and "callee: " in out
    assert all(len(line) <= 80 for line in out.splitlines()), out
    calendar = (tmp_path / ".docshield" / "calendar" / "primary.ics").read_text()
    assert calendar.count("BEGIN:VEVENT") == 1


@pytest.fixture(autouse=True)
def _no_inherited_clock(monkeypatch):
    monkeypatch.delenv("CLOCK_FROZEN_AT", raising=False)
