"""Progress on long work: a bar on a terminal, nothing extra without one or with --json."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from entrypoints.cli import main
from tests.integration.test_cli import on_test_servers  # noqa: F401 - the fixture
from tests.integration.test_cli_error_display import on_a_terminal

pytestmark = pytest.mark.usefixtures("on_test_servers")
FIRST_CALL = Path(__file__).resolve().parents[2] / "simulator" / "first_call_practice.yaml"


def numbers_csv(tmp_path: Path, count: int) -> Path:
    path = tmp_path / "dnc.csv"
    path.write_text("phone\n" + "".join(f"+1512555{n:04d}\n" for n in range(100, 100 + count)))
    return path


def test_dnc_import_draws_a_bar_on_a_terminal(tmp_path, monkeypatch):
    monkeypatch.setenv("TERM", "xterm-256color")
    code, shown = on_a_terminal(["dnc", "import", str(numbers_csv(tmp_path, 40))], monkeypatch)
    assert code == 0
    assert "importing" in shown and "/41" in shown  # 40 numbers and the header line


def test_dnc_import_without_a_terminal_prints_only_its_summary(tmp_path, capsys):
    assert main(["dnc", "import", str(numbers_csv(tmp_path, 40))]) == 0
    captured = capsys.readouterr()
    assert "importing" not in captured.err and "\x1b[" not in captured.err
    assert "40" in captured.out


def test_simulate_json_on_a_terminal_draws_nothing_extra(monkeypatch, capsys):
    monkeypatch.setenv("TERM", "xterm-256color")
    code, shown = on_a_terminal(["simulate", str(FIRST_CALL), "--json"], monkeypatch)
    assert code == 0, shown  # the embedded line's default practice passes its own expectations
    assert "simulating" not in shown
    results = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert [r["outcome"] for r in results] == ["meeting_booked"]
