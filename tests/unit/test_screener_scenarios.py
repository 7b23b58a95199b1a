"""The `screener` node of contracts section 3.1: read from a scenario file, played by the simulated practice."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from application.call.progress import LineEnding
from simulator.practice import Practice
from simulator.scenario import ScenarioError, load_file

HEAD = """
scenarios:
  - id: screened
    now: "2026-03-10T10:15:00-05:00"
    contact: {first_name: Dana, last_name: Reyes, practice: Lakeside Orthopedics, phone: "+15125550143"}
    line:
"""


def _load(tmp_path, line: str):
    path = tmp_path / "s.yaml"
    path.write_text(HEAD + line)
    return load_file(path)[0]


def _practice(scenario):
    clock = [datetime(2026, 3, 10, 15, 15, tzinfo=timezone.utc)]
    practice = Practice(scenario, lambda: clock[0], lambda s: clock.__setitem__(0, clock[0] + timedelta(seconds=s)))
    return practice, clock


def test_a_screener_node_is_read_with_its_fields_and_defaults(tmp_path):
    scenario = _load(tmp_path, """
      start: {screener: "Please say your name and the reason for your call.", then: dana, on_silence: vm}
      dana: {person: decision_maker}
      vm: {voicemail: "Leave a message."}
""")
    node = scenario.line["start"]
    assert (node.kind, node.then, node.on_silence, node.beep) == ("screener", "dana", "vm", False)


@pytest.mark.parametrize("line, field", [
    ('      start: {screener: "Say your name."}\n', "line.start.then"),
    ('      start: {screener: "Say your name.", then: nobody}\n', "line.start.then"),
    ('      start: {screener: "Say your name.", then: start, on_silence: gone}\n', "line.start.on_silence"),
    ('      start: {screener: "Say your name.", then: start, options: {"1": start}}\n', "line.start.options"),
])
def test_a_bad_screener_names_the_field(tmp_path, line, field):
    with pytest.raises(ScenarioError) as caught:
        _load(tmp_path, line)
    assert caught.value.field == field


def test_the_screener_passes_the_call_on_only_with_name_company_and_reason(tmp_path):
    scenario = _load(tmp_path, """
      start: {screener: "Please say your name and the reason for your call.", then: dana}
      dana: {person: decision_maker, says: "This is Dana."}
""")
    practice, clock = _practice(scenario)
    assert practice.pick_up() == "Please say your name and the reason for your call."
    practice.hear("Hi, this is Alex.")
    again = practice.next_utterance()
    assert "company" in again and "reason" in again and practice.node.name == "start"
    practice.hear("This is Alex, an AI assistant with DocShield, calling for Dana Reyes about malpractice coverage.")
    before = clock[0]
    assert practice.next_utterance() == "This is Dana."
    assert practice.node.name == "dana" and practice.screened_by == "start" and clock[0] > before


def test_silence_or_a_second_bad_answer_goes_to_on_silence_or_hangs_up(tmp_path):
    scenario = _load(tmp_path, """
      start: {screener: "Before I connect you, say your name.", then: dana}
      dana: {person: decision_maker}
""")
    practice, _clock = _practice(scenario)
    practice.pick_up()
    assert practice.next_utterance() is None
    assert practice.ended is LineEnding.HUNG_UP and practice.screened_by is None


def test_a_screener_that_rings_nobody_ends_as_no_answer(tmp_path):
    scenario = _load(tmp_path, """
      start: {screener: "State your name and reason for calling.", then: nobody, beep: true}
      nobody: {no_answer: true}
""")
    practice, _clock = _practice(scenario)
    practice.pick_up()
    practice.hear("This is Alex from DocShield, calling about coverage.")
    assert practice.next_utterance() is None
    assert practice.ended is LineEnding.NO_ANSWER
