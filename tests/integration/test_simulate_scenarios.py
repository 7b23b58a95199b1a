"""Every shipped scenario through the real pipeline (one worker session), and what a failure says."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from benchmarks.phone_tree import shortest
from domain.outcomes import CallOutcome
from entrypoints.cli import main
from simulator.scenario import ScenarioError, load_file, load_files
from simulator.report import write_html
from simulator.simulation import Simulation
from tests.integration.pipeline_world import make_settings
from tests.integration.sales_manager_reading import contact_names, transcript_defects
from tests.integration.test_report_page import check_in_chromium

# scenarios/real_lines.yaml (one scenario per real prompt) runs in test_real_line_scenarios.py, beside this one.
SCENARIOS = sorted(str(p) for p in (Path(__file__).parents[2] / "scenarios").glob("*.yaml")
                   if p.name != "real_lines.yaml")


async def test_every_shipped_scenario_passes_through_the_real_worker(tmp_path, redis_url, mongo_uri):
    scenarios = load_files(SCENARIOS)
    assert len(scenarios) >= 30
    simulation = Simulation(make_settings(tmp_path, redis_url, mongo_uri), with_report=True)
    runs = await simulation.run(scenarios)
    failed = {r.scenario.id: r.failures for r in runs if not r.passed}
    assert failed == {}, failed
    # A sales manager reading any of these calls finds no dead air, no wrong name, no repeated opener.
    read = {r.scenario.id: transcript_defects(r.observed["transcript"], contact_names(r.scenario),
                                              voicemail_left=r.observed["voicemail_left"]) for r in runs}
    assert {k: v for k, v in read.items() if v} == {}
    outcomes = {r.observed["outcome"] for r in runs}
    assert outcomes >= {"meeting_booked", "declined", "callback_requested", "voicemail_left", "no_answer", "busy",
                        "wrong_number", "opted_out", "gatekeeper_blocked", "ivr_dead_end", "deferred", "skipped"}
    for run in runs:
        line = run.scenario.line
        if run.scenario.source.endswith("phone_trees.yaml"):
            # The keys pressed are a shortest path to the decision maker in the scenario's own graph.
            best = shortest(_tree(run.scenario))
            words = [t["text"] for t in run.observed["transcript"] if t["speaker"] == "agent"
                     and any(t["text"].lower() in n.speech for n in line.values())]
            steps = len(run.observed["digits"]) + len(words)
            assert best is not None and steps == best, (run.scenario.id, run.observed["digits"], words)
        if run.observed["voicemail_left"]:
            beeps = any(n.kind == "voicemail" and n.beep for n in line.values())
            assert run.observed["voicemail_after_beep"] is beeps, run.scenario.id
            assert "voicemail_after_beep" in run.scenario.expect, f"{run.scenario.id} does not check the beep"
    # Whether the person asked for came to the line: the call core's judgement from the words (what a live call
    # records) is the simulated line's truth on every call, both ways.
    judged = {r.scenario.id: (r.observed["decision_maker_reached"], r.observed["decision_maker_on_the_line"])
              for r in runs if r.observed["decision_maker_on_the_line"] is not None}
    assert {k: v for k, v in judged.items() if v[0] is not v[1]} == {}
    assert {truth for _, truth in judged.values()} == {True, False}
    full = next(r for r in runs if r.scenario.id == "mailbox-full")
    assert full.observed["outcome"] == "no_answer" and not full.observed["voicemail_left"]
    assert [line["speaker"] for line in full.observed["transcript"]] == ["callee"]
    booked = next(r for r in runs if r.scenario.id == "ortho-two-level-menu")
    assert booked.observed["transcript"][0]["speaker"] == "callee"
    assert any("AI assistant" in line["text"] for line in booked.observed["transcript"])
    # The post-call summary, read back from MongoDB: a callback leaves its time as the next step.
    callback = next(r for r in runs if r.scenario.id == "callback-pacific")
    assert callback.observed["callback_at"] is not None
    assert callback.observed["next_step"] == "Call back Wednesday March 11 at 10:00 AM Pacific, as the contact asked."
    assert all(r.observed["next_step"] is None for r in runs if r.observed["outcome"] in ("meeting_booked", "declined"))
    # The coach's guidance, read back from the stored session report.
    objected = [r for r in runs if r.observed["objections"] and r.observed["reached_human"]]
    assert objected and all(any(g["moment"] == "objection" and g["stage"] == "objection"
                                for g in r.observed["coaching"]) for r in objected), \
        [(r.scenario.id, r.observed["coaching"]) for r in objected]
    # At-least-once: the redelivered job published its event again, dialed nothing, queued no second call.
    again = next(r for r in runs if r.scenario.id == "callback-redelivered-job-queues-no-second-call")
    assert (again.observed["dials"], again.observed["events_published"], again.observed["scheduled_calls"]) == (1, 2, 1)
    # Every job published an event, and none carries the contact's name, number or email.
    for run in runs:
        event = run.observed["event"]
        assert event is not None, run.scenario.id
        flat = json.dumps({k: v for k, v in event.items() if k not in ("job_id", "campaign_id", "call_id")})
        contact = run.scenario.contact
        for personal in (contact["first_name"], contact["last_name"], contact["phone"][-7:], "@"):
            assert personal not in flat, (run.scenario.id, personal)
    # The report page: this run's figures and charts on top (counted from its records), then every call.
    figures = simulation.report.report.figures
    assert figures.calls == sum(1 for r in runs if r.observed["outcome"] != "deferred")
    assert {o.value for o in figures.by_outcome} == outcomes - {"deferred"}
    # The simulated line knows who answered: every call it placed records whether the decision maker was
    # reached (a number the line reports invalid too), and every call that booked reached them.
    dialed = [r for r in runs if r.observed["outcome"] not in ("deferred", "skipped", "wrong_number")]
    assert len(dialed) <= figures.total("decision_maker_recorded") <= len(dialed) + sum(
        1 for r in runs if r.observed["outcome"] == "wrong_number")
    assert figures.total("decision_maker") >= figures.outcome_calls(CallOutcome.MEETING_BOOKED) > 0
    assert figures.first_reply_s.count == 0  # the simulated clock does not model the agent's reply time
    # The pitch (issue 17): the core records it on every call it ran; the report counts the calls that pitched.
    pitched = [r for r in runs if r.observed["pitched"]]
    assert all(r.observed["pitched"] for r in runs if r.observed["outcome"] == "meeting_booked")
    assert not any(r.observed["pitched"] for r in runs if not r.observed["reached_human"])
    funnel = {s.name: s.calls for s in simulation.report.report.funnel}
    assert funnel["pitched"] == len(pitched) == figures.total("pitched") > 0
    assert figures.total("pitched_recorded") == sum(1 for r in runs if r.observed["pitched"] is not None) \
        > len(pitched)
    page = tmp_path / "report.html"
    write_html(runs, page, simulation.report)
    text = page.read_text()
    assert text.count("<figure class=chart") == 5 and text.count("<details id=call-") == len(runs)
    assert "Next step: Call back Wednesday March 11 at 10:00 AM Pacific" in text
    assert "coach, changing the reply below: after objection, stage objection" in text
    # The voicemail box's audio is playable on each call that reached one (its greeting is in the transcript).
    reached_a_box = {r.scenario.id for r in runs if any(
        n.kind == "voicemail" and any(line["text"] == n.text for line in r.observed["transcript"])
        for n in r.scenario.line.values())}
    assert {"voicemail-with-beep", "hold-then-voicemail"} <= reached_a_box
    assert text.count("<audio controls") == len(reached_a_box)
    # Each call's objections are listed with it.
    calls = re.findall(r"<details id=call-\d+>.*?</details>", text, flags=re.S)
    for run in objected:
        listed = "objections: " + ", ".join(run.observed["objections"])
        assert any(run.scenario.id in call and listed in call for call in calls), run.scenario.id
    assert "CDT" in text or "CST" in text  # the practices' own zones
    check_in_chromium(page, tmp_path, audio=len(reached_a_box))


def _tree(scenario) -> dict:
    """A scenario's line in the benchmark's tree form."""
    nodes = {}
    for name, node in scenario.line.items():
        body: dict = {node.kind: node.role if node.kind == "person" else (node.text or True)}
        if node.kind == "person":
            body["person"] = node.role
        body.update({k: v for k, v in (("options", node.options), ("speech", node.speech),
                                       ("on_timeout", node.on_timeout), ("transfers_to", node.transfers_to)) if v})
        nodes[name] = body
    return {"start": "start", "nodes": nodes}


async def test_a_wrong_expectation_fails_naming_the_key_and_why(tmp_path, redis_url, mongo_uri):
    source = tmp_path / "wrong.yaml"
    source.write_text((Path(SCENARIOS[0]).parent / "line_endings.yaml").read_text().replace("outcome: busy", "outcome: meeting_booked"))
    scenarios = [s for s in load_file(source) if s.id == "busy-line"]
    assert scenarios, "the busy-line scenario moved"
    [run] = await Simulation(make_settings(tmp_path, redis_url, mongo_uri)).run(scenarios)
    assert not run.passed
    assert run.failures == ["outcome: expected meeting_booked, got busy"]


@pytest.mark.parametrize("broken, field", [
    ("expect:\n      outcome: booked", "expect.outcome"),
    ("objections: [already_insured, grumpy]", "objections[1]"),
    ("options: {\"1\": nowhere}", "options.1"),
])
def test_an_invalid_file_names_the_file_the_scenario_and_the_field(tmp_path, broken, field):
    path = tmp_path / "bad.yaml"
    path.write_text(f"""scenarios:
  - id: broken-one
    now: "2026-03-10T10:15:00-05:00"
    contact: {{first_name: A, last_name: B, practice: P, phone: "+15125550143"}}
    line:
      start: {{menu: "For the manager press 1.", options: {{"1": dm}}}}
      dm: {{person: decision_maker, {broken if broken.startswith("objections") else "decision: accept"}}}
    {broken if broken.startswith("expect") else "expect: {outcome: meeting_booked}"}
""".replace('options: {"1": dm}', broken if broken.startswith("options") else 'options: {"1": dm}'))
    with pytest.raises(ScenarioError) as caught:
        load_file(path)
    message = str(caught.value)
    assert str(path) in message and "broken-one" in message and field in message


def test_simulate_exits_2_on_an_invalid_file(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text("scenarios:\n  - id: x\n    now: yesterday\n")
    assert main(["simulate", str(path), "--json"]) == 2
    assert "bad.yaml" in capsys.readouterr().err


def test_the_reader_finds_the_contacts_name_said_to_whoever_the_front_desk_put_through():
    """The transcript of the defect issue 14 names (before the fix): the doctor comes on and is called Jay."""
    line = [{"speaker": "callee", "text": "Granite Sports Medicine, this is Tom."},
            {"speaker": "agent", "text": "Hi, this is Alex, an AI assistant calling for DocShield. This call is "
                                         "recorded. May I speak with Jay Underwood?"},
            {"speaker": "callee", "text": "Dr. Kent handles that. One moment, I'll put you through."},
            {"speaker": "callee", "text": "Speaking."}]
    wrong = line + [{"speaker": "agent", "text": "Hi Jay, this is Alex. Would a short call be useful?"}]
    right = line + [{"speaker": "agent", "text": "Hi Dr. Kent, this is Alex. Would a short call be useful?"}]
    assert transcript_defects(wrong, ("Jay", "Dr. Kent"), voicemail_left=False) == [
        "wrong name 'Jay' in 'Hi Jay, this is Alex. Would a short call be useful?'"]
    assert transcript_defects(right, ("Jay", "Dr. Kent"), voicemail_left=False) == []
