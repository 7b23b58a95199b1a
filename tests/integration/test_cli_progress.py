"""Progress on long work: a bar on a terminal, nothing extra without one or with --json."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from bson import ObjectId

from entrypoints.cli import main
from tests.integration.pipeline_world import noon_somewhere
from tests.integration.test_cli_jobs import add_campaign
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
    assert "importing" in shown and "41/41" in shown  # 40 numbers and the header line, every one counted


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


def test_simulate_on_a_terminal_counts_the_scenarios_done(monkeypatch):
    monkeypatch.setenv("TERM", "xterm-256color")
    code, shown = on_a_terminal(["simulate", str(FIRST_CALL)], monkeypatch)
    assert code == 0, shown
    assert "simulating" in shown and "1/1" in shown


def test_report_on_a_terminal_counts_the_figures_each_calls_transcript_and_the_page(tmp_path, monkeypatch, capsys):
    campaign_id = str(ObjectId())
    asyncio.run(add_campaign(campaign_id, noon_somewhere()))
    assert main(["seed-queue", campaign_id]) == 0
    assert main(["start-worker", "--burst"]) == 0
    monkeypatch.setenv("TERM", "xterm-256color")
    page = tmp_path / "report.html"
    code, shown = on_a_terminal(["report", "--since", "all", "--html", str(page)], monkeypatch)
    assert code == 0, shown
    assert "reporting" in shown and "3/3" in shown  # the figures, the one call's transcript, the page
    assert "<html" in page.read_text()
    capsys.readouterr()
    code, shown = on_a_terminal(["report", "--since", "all", "--json"], monkeypatch)
    assert code == 0 and "reporting" not in shown  # stdout stays one JSON object, stderr stays quiet
    assert json.loads(capsys.readouterr().out)["calls"] == 1
