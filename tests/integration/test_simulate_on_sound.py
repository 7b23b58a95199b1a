"""`docshield simulate --audio`: shipped scenarios on sound, with the same expectations as in text.

The practice speaks through the offline voice on an 8 kHz mu-law line, with its beep and line noise; the
agent hears it through silero VAD and the offline recognizer and answers aloud; the callee side recognizes
the agent's speech. Real time, three calls at a time: about two minutes on 2 cores. Timings are
measured by benchmarks/audio_timing.py, not asserted here; what is asserted is what happened on the line.
The answering-machine detector runs as on a live call, with the domain's classifier as its text model; its
window is widened here (AMD_TIMEOUT_S) so that its verdict depends on the words and the silences, not on
how much CPU a shared machine leaves the recognizer (the benchmark times the product's own window).
"""
from __future__ import annotations

import json

import pytest
import yaml

from entrypoints.cli import main

SHIPPED = [("scenarios/menus.yaml", "ortho-two-level-menu"), ("scenarios/voicemail.yaml", "voicemail-with-beep"),
           ("scenarios/voicemail.yaml", "voicemail-without-beep"), ("scenarios/objections.yaml", "interrupts-the-pitch"),
           ("scenarios/gatekeepers.yaml", "gatekeeper-transfers")]


@pytest.fixture(scope="module")
def on_sound(tmp_path_factory, redis_server, mongo_server):
    """One `simulate --audio --json` run of the five shipped scenarios (copied as they are into one file)."""
    tmp = tmp_path_factory.mktemp("sound")
    picked = []
    for path, scenario_id in SHIPPED:
        picked += [s for s in yaml.safe_load(open(path))["scenarios"] if s["id"] == scenario_id]
    assert [s["id"] for s in picked] == [i for _, i in SHIPPED]
    (tmp / "sound.yaml").write_text(yaml.safe_dump({"scenarios": picked}))
    env = {"REDIS_URL": redis_server.url, "MONGODB_URI": mongo_server.uri, "MONGODB_DATABASE": "sound", "DATA_DIR": str(tmp),
           "MEMORY_LIMIT_MB": "8192", "MAX_CONCURRENT_CALLS": "3", "AMD_TIMEOUT_S": "30"}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        code, runs = _simulate(tmp / "sound.yaml")
        # Real time on 2 shared cores: when the machine is starved, VAD falls behind and cuts words, and a
        # call can go astray on a mangled transcript (or a person meant to talk over the pitch answers only
        # after it, every turn being seconds late). Such a scenario is run once more, alone; a rule that is
        # wrong fails both times.
        failed = [s for s in picked if not runs[s["id"]]["passed"] or (_interrupts(s) and not
                                                                      runs[s["id"]]["audio"]["interruptions"])]
        if failed:
            (tmp / "again.yaml").write_text(yaml.safe_dump({"scenarios": failed}))
            patch.setenv("MAX_CONCURRENT_CALLS", "1")
            code, again = _simulate(tmp / "again.yaml")
            runs.update(again)
            code = 0 if all(r["passed"] for r in runs.values()) else 1
    return code, runs


def _interrupts(scenario: dict) -> bool:
    return any(node.get("interrupts") for node in scenario["line"].values())


def _simulate(path) -> tuple[int, dict]:
    import io
    from contextlib import redirect_stdout

    out = io.StringIO()
    with redirect_stdout(out):
        # A generous bound per call, so a slow machine is not a failure.
        code = main(["simulate", str(path), "--audio", "--json", "--time-limit", "900"])
    return code, {r["id"]: r for r in (json.loads(line) for line in out.getvalue().splitlines() if line.strip())}


def test_every_scenario_passes_on_sound_as_in_text(on_sound):
    code, runs = on_sound
    failures = {i: (r["outcome"], r["failures"], [f"{t['speaker']}: {t['text'][:60]}" for t in r["transcript"]])
                for i, r in runs.items() if not r["passed"]}
    assert code == 0 and not failures, "\n".join(f"{i}: {f}" for i, f in failures.items())


def test_the_two_level_menu_is_answered_with_one_key_after_the_option_was_heard(on_sound):
    _, runs = on_sound
    menu = runs["ortho-two-level-menu"]
    assert menu["digits"] == ["4"]
    assert len(menu["audio"]["key_after_option_s"]) == 1 and menu["audio"]["key_after_option_s"][0] > 0


def test_the_voicemail_message_starts_after_the_beep_and_never_over_the_greeting(on_sound):
    _, runs = on_sound
    box = runs["voicemail-with-beep"]
    assert box["voicemail_after_beep"] is True
    assert box["audio"]["voicemail_after_beep_s"] is not None and box["audio"]["voicemail_after_beep_s"] > 0
    for scenario_id in ("voicemail-with-beep", "voicemail-without-beep"):
        assert runs[scenario_id]["audio"]["overlap_machine_s"] == 0.0, scenario_id


def test_the_agent_stops_when_the_callee_talks_over_its_pitch(on_sound):
    _, runs = on_sound
    interrupted = runs["interrupts-the-pitch"]["audio"]["interruptions"]
    assert len(interrupted) == 1 and interrupted[0]["agent_stopped_after_s"] >= 0


def test_each_call_reports_its_timings(on_sound):
    _, runs = on_sound
    for run in runs.values():
        audio = run["audio"]
        assert audio["verdict_s"] is not None and audio["verdict_s"] >= 0, run["id"]
    people = [runs[i]["audio"]["response_median_s"] for i in ("gatekeeper-transfers", "interrupts-the-pitch")]
    assert all(m is not None and m > 0 for m in people)


def test_the_answering_machine_detector_tells_the_people_from_the_boxes_on_sound(on_sound):
    _, runs = on_sound
    heard = {i: (r["audio"]["detector"], r["audio"]["verdict_by"]) for i, r in runs.items()}
    for person in ("gatekeeper-transfers", "interrupts-the-pitch"):
        assert heard[person] == ("human", "amd"), heard
    for box in ("voicemail-with-beep", "voicemail-without-beep"):
        assert heard[box] == ("machine-vm", "amd"), heard
