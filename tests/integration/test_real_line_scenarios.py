"""One scenario per prompt of every real phone-line corpus (scenarios/real_lines.yaml) through `docshield simulate`
(the CLI, on the test servers): every one passes, and the things that must never happen do not."""
from __future__ import annotations

import json
from pathlib import Path

import yaml

from domain.menu_navigator import DEFAULT_POLICY
from domain.menu_reader import OptionKind, read_menu
from entrypoints.cli import main
from simulator.real_line_scenarios import CORPORA
from simulator.real_line_scenarios import scenarios as generated
from simulator.scenario import load_file
from tests.integration.sales_manager_reading import contact_names, transcript_defects
from tests.integration.test_cli import on_test_servers  # noqa: F401  (the fixture)

FILE = Path(__file__).parents[2] / "scenarios" / "real_lines.yaml"


def test_the_shipped_file_is_the_generators_output_for_every_prompt_of_every_corpus():
    shipped = yaml.safe_load(FILE.read_text())["scenarios"]
    assert shipped == generated()
    prompts = sum(len(yaml.safe_load(c.read_text())["prompts"]) for c in CORPORA)
    assert len(shipped) == prompts and len(CORPORA) >= 2 and prompts >= 270


def test_every_real_line_scenario_passes_through_docshield_simulate_and_nothing_is_said_to_a_machine(
        on_test_servers, capsys):  # noqa: F811
    code = main(["simulate", str(FILE), "--json"])
    rows = {row["id"]: row for row in (json.loads(line) for line in capsys.readouterr().out.splitlines()
                                       if line.startswith("{"))}
    scenarios = {s.id: s for s in load_file(FILE)}
    assert rows.keys() == scenarios.keys()
    failed = {k: row["failures"] for k, row in rows.items() if not row["passed"]}
    assert (code, failed) == (0, {})
    read = {k: transcript_defects(row["transcript"], contact_names(scenarios[k]), voicemail_left=row["voicemail_left"])
            for k, row in rows.items()}
    assert {k: v for k, v in read.items() if v} == {}  # no dead air, wrong name or repeated opener
    for key, row in rows.items():
        scenario = scenarios[key]
        kind = key.split("-")[1]
        agent = [t["text"] for t in row["transcript"] if t["speaker"] == "agent"]
        if kind in ("carrier", "mailbox"):
            # An intercept or a mailbox that takes no message: not a word, no message.
            assert agent == [] and not row["voicemail_left"], key
        if row["voicemail_left"]:
            assert row["voicemail_after_beep"] is True, key
        if kind in ("voicemail", "spanish"):
            # A machine that takes a message hears one thing only: the message, after the beep (no pitch, no greeting).
            assert len(agent) <= 1, (key, agent)
        start = scenario.line["start"]
        if start.kind == "menu":
            # Never a key for an emergency, an urgent line or the on-call page.
            never = {o.key for o in read_menu(start.text).options
                     if o.key and (o.kind is OptionKind.EMERGENCY or DEFAULT_POLICY.rank(o.phrase) is None)}
            assert not never & set(row["digits"]), (key, row["digits"])
        if start.kind == "screener":
            # One short turn to the screener, naming the agent, the AI, the company, whom and why.
            first = agent[0]
            assert "AI assistant" in first and "DocShield" in first and "Dana Reyes" in first, key
    outcomes = {row["outcome"] for row in rows.values()}
    assert {"wrong_number", "busy", "no_answer", "voicemail_left", "declined"} <= outcomes
