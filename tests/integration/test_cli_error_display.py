"""The specification's error table, seen from a pseudo-terminal: colour and code per error kind,
and plain text without a terminal or with NO_COLOR."""
from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
import threading
from pathlib import Path

import pytest

from entrypoints.cli import main

RED, YELLOW, ORANGE = "\x1b[31m", "\x1b[33m", "\x1b[38;5;208m"
ROOT = Path(__file__).resolve().parents[2]
FAST_RETRIES = ('{"redis": {"on_network": {"retries": 1, "delay_s": 0.05}, "on_timeout": {"retries": 1, "delay_s": 0.05}},'
                ' "mongodb": {"on_network": {"retries": 1, "delay_s": 0.05}, "on_timeout": {"retries": 1, "delay_s": 0.05}}}')
DEAD_REDIS, DEAD_MONGO = "redis://127.0.0.1:1", "mongodb://127.0.0.1:1"


def wide_pty() -> tuple[int, int]:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 220, 0, 0))
    return master, slave


def drain_in_background(master: int) -> tuple[threading.Thread, list[bytes]]:
    chunks: list[bytes] = []

    def read() -> None:
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: every copy of the terminal's other end is closed
                return
            if not chunk:
                return
            chunks.append(chunk)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread, chunks


def on_a_terminal(argv: list[str], monkeypatch=None) -> tuple[int, str]:
    """Run the command line in this process with stderr on a pseudo-terminal; (exit code, what it showed)."""
    master, slave = wide_pty()
    thread, chunks = drain_in_background(master)
    stream = os.fdopen(slave, "w", buffering=1)
    before = sys.stderr
    sys.stderr = stream
    try:
        code = main(argv)
    finally:
        stream.flush()
        sys.stderr = before
        stream.close()
    thread.join(timeout=10)
    os.close(master)
    return code, b"".join(chunks).decode(errors="replace")


@pytest.fixture(autouse=True)
def colour_terminal(monkeypatch, tmp_path):
    for name in ("NO_COLOR", "FORCE_COLOR", "COLORTERM", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "REDIS_URL",
                 "MONGODB_URI", "RESILIENCE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)


def line_with(text: str, shown: str) -> str:
    return next(line for line in shown.splitlines() if text in line)


def test_a_usage_error_is_red_with_the_commands_usage_and_exits_2(monkeypatch):
    code, shown = on_a_terminal(["check-status", "--bogus"], monkeypatch)
    assert code == 2
    assert "Usage: docshield check-status" in shown
    assert RED in line_with("No such option: --bogus", shown)


def test_missing_options_are_yellow_all_named_at_once_with_an_example(monkeypatch):
    code, shown = on_a_terminal(["campaign", "add", "--first-name", "Dana"], monkeypatch)
    assert code == 2
    missing = line_with("Missing:", shown)
    assert YELLOW in missing
    assert all(option in missing for option in ("--last-name", "--phone", "--practice"))
    assert "--first-name" not in missing
    example = line_with("For example:", shown)
    assert YELLOW in example and "docshield campaign add --first-name" in example and "--phone +1" in example


def test_a_missing_positional_is_yellow_with_an_example(monkeypatch):
    code, shown = on_a_terminal(["seed-queue"], monkeypatch)
    assert code == 2
    assert YELLOW in line_with("CAMPAIGN_ID", shown)
    assert "docshield seed-queue 65f0" in line_with("For example:", shown)


def test_a_runtime_error_is_red_with_a_stable_code(monkeypatch, redis_url):
    monkeypatch.setenv("REDIS_URL", redis_url)
    code, shown = on_a_terminal(["stop-worker", "--worker-id", "nope"], monkeypatch)
    assert code == 1
    line = line_with("error DS102", shown)
    assert RED in line and "nope" in line
    assert "asks nope" not in shown and "asked" not in shown


def test_a_network_error_is_orange_names_the_variable_and_shows_the_retry(monkeypatch):
    monkeypatch.setenv("REDIS_URL", DEAD_REDIS)
    monkeypatch.setenv("RESILIENCE", FAST_RETRIES)
    code, shown = on_a_terminal(["check-status"], monkeypatch)
    assert code == 1
    retry = line_with("retry 1 of 1", shown)
    assert ORANGE in retry and "REDIS_URL" in retry
    final = line_with("error DS201", shown)
    assert ORANGE in final and "REDIS_URL=redis://127.0.0.1:1" in final


def test_an_unreachable_database_names_mongodb_uri_without_a_topology_dump(monkeypatch, tmp_path):
    monkeypatch.setenv("REDIS_URL", DEAD_REDIS)
    monkeypatch.setenv("MONGODB_URI", DEAD_MONGO)
    monkeypatch.setenv("MONGODB_TIMEOUT_MS", "50")
    monkeypatch.setenv("RESILIENCE", FAST_RETRIES)
    code, shown = on_a_terminal(["campaign", "show", "65f0c0ffee0000000000ffff"], monkeypatch)
    assert code == 1
    final = line_with("error DS202", shown)
    assert ORANGE in final and "MONGODB_URI" in final
    assert "Topology" not in shown and len(final) < 300


def test_a_bad_log_level_is_a_usage_error(monkeypatch):
    code, shown = on_a_terminal(["start-worker", "--log-level", "LOUD"], monkeypatch)
    assert code == 2
    assert RED in line_with("LOUD", shown)


@pytest.mark.parametrize("argv, exit_code", [
    (["check-status", "--bogus"], 2),
    (["campaign", "add", "--first-name", "Dana"], 2),
    (["campaign", "show", "65f0c0ffee0000000000ffff"], 1),
])
def test_no_colour_with_no_color_set(argv, exit_code, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("REDIS_URL", DEAD_REDIS)
    monkeypatch.setenv("MONGODB_URI", DEAD_MONGO)
    monkeypatch.setenv("MONGODB_TIMEOUT_MS", "50")
    monkeypatch.setenv("RESILIENCE", FAST_RETRIES)
    code, shown = on_a_terminal(argv, monkeypatch)
    assert code == exit_code
    assert shown.strip() and "\x1b[" not in shown


@pytest.mark.parametrize("argv, exit_code, fragment", [
    (["check-status", "--bogus"], 2, "No such option"),
    (["campaign", "add", "--first-name", "Dana"], 2, "Missing:"),
    (["check-status"], 1, "error DS201"),
])
def test_plain_text_without_a_terminal(argv, exit_code, fragment, monkeypatch, capsys):
    monkeypatch.setenv("REDIS_URL", DEAD_REDIS)
    monkeypatch.setenv("RESILIENCE", FAST_RETRIES)
    assert main(argv) == exit_code
    err = capsys.readouterr().err
    assert fragment in err and "\x1b[" not in err


def test_a_real_process_on_a_terminal(tmp_path):
    """The installed way: a separate `docshield` process whose stderr is a terminal."""
    master, slave = wide_pty()
    thread, chunks = drain_in_background(master)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm-256color", "REDIS_URL": DEAD_REDIS,
           "RESILIENCE": FAST_RETRIES, "DATA_DIR": str(tmp_path)}
    env.pop("NO_COLOR", None)
    process = subprocess.run([sys.executable, "-m", "entrypoints", "check-status"], stdin=subprocess.DEVNULL,
                             stdout=slave, stderr=slave, env=env, cwd=tmp_path, timeout=120)
    os.close(slave)
    thread.join(timeout=10)
    os.close(master)
    shown = b"".join(chunks).decode(errors="replace")
    assert process.returncode == 1
    assert ORANGE in line_with("error DS201", shown)
