"""The contract's own scenario example (contracts.md section 3), copied verbatim, runs unchanged through `docshield simulate`."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from entrypoints.cli import main
from tests.integration.test_cli import on_test_servers  # noqa: F401  (the fixture)

EXAMPLE = Path(__file__).parents[1] / "data" / "contract_example.yaml"


def test_the_contract_example_passes_as_written(on_test_servers, capsys):  # noqa: F811
    assert EXAMPLE.read_text().startswith("# Copied verbatim from /work/shared/specs/contracts.md")
    code = main(["simulate", str(EXAMPLE), "--json"])
    out = capsys.readouterr().out
    [row] = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert (code, row["failures"]) == (0, [])
    assert row["id"] == "ortho-two-level-menu" and row["passed"] is True
    assert row["outcome"] == "meeting_booked" and row["digits"] == ["4"] and row["reached_human"] is True
    start = datetime.fromisoformat(row["meeting"]["start"])
    assert datetime.fromisoformat("2026-03-11T09:00-05:00") <= start < datetime.fromisoformat("2026-03-11T12:00-05:00")
    # Every field the contract lists is in the JSON line.
    assert {"id", "outcome", "reached_human", "digits", "meeting", "voicemail_left", "voicemail_after_beep",
            "disclosed_ai", "do_not_call", "deferred_until", "transcript", "passed", "failures"} <= set(row)
    assert row["disclosed_ai"] is True and row["do_not_call"] is False
