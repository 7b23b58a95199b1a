"""One scenario per real phone-line prompt (scenarios/real_lines.yaml) through the real pipeline:
every one passes, and the things that must never happen do not."""
from __future__ import annotations

from pathlib import Path

import yaml

from domain.menu_navigator import DEFAULT_POLICY
from domain.menu_reader import OptionKind, read_menu
from simulator.real_line_scenarios import scenarios as generated
from simulator.scenario import load_file
from simulator.simulation import Simulation
from tests.integration.pipeline_world import make_settings
from tests.integration.sales_manager_reading import contact_names, transcript_defects

FILE = Path(__file__).parents[2] / "scenarios" / "real_lines.yaml"


def test_the_shipped_file_is_the_generators_output_for_every_corpus_prompt():
    shipped = yaml.safe_load(FILE.read_text())["scenarios"]
    assert shipped == generated()
    assert len(shipped) >= 200


async def test_every_real_line_scenario_passes_and_nothing_is_said_to_a_machine(tmp_path, redis_url, mongo_uri):
    runs = await Simulation(make_settings(tmp_path, redis_url, mongo_uri)).run(load_file(FILE))
    failed = {r.scenario.id: r.failures for r in runs if not r.passed}
    assert failed == {}, failed
    read = {r.scenario.id: transcript_defects(r.observed["transcript"], contact_names(r.scenario),
                                              voicemail_left=r.observed["voicemail_left"]) for r in runs}
    assert {k: v for k, v in read.items() if v} == {}  # no dead air, wrong name or repeated opener
    for run in runs:
        kind = run.scenario.id.split("-")[1]
        agent = [t["text"] for t in run.observed["transcript"] if t["speaker"] == "agent"]
        if kind in ("carrier", "mailbox"):
            # An intercept or a mailbox that takes no message: not a word, no message.
            assert agent == [] and not run.observed["voicemail_left"], run.scenario.id
        if run.observed["voicemail_left"]:
            assert run.observed["voicemail_after_beep"] is True, run.scenario.id
        if kind in ("voicemail", "spanish"):
            # A machine that takes a message hears one thing only: the message, after the beep (no pitch, no greeting).
            assert len(agent) <= 1, (run.scenario.id, agent)
        start = run.scenario.line["start"]
        if start.kind == "menu":
            # Never a key for an emergency, an urgent line or the on-call page.
            never = {o.key for o in read_menu(start.text).options
                     if o.key and (o.kind is OptionKind.EMERGENCY or DEFAULT_POLICY.rank(o.phrase) is None)}
            assert not never & set(run.observed["digits"]), (run.scenario.id, run.observed["digits"])
        if run.scenario.line["start"].kind == "screener":
            # One short turn to the screener, naming the agent, the AI, the company, whom and why.
            first = agent[0]
            assert "AI assistant" in first and "DocShield" in first and "Dana Reyes" in first, run.scenario.id
    outcomes = {r.observed["outcome"] for r in runs}
    assert {"wrong_number", "busy", "no_answer", "voicemail_left", "declined"} <= outcomes
