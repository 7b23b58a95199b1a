"""`docshield simulate --model openai...` end to end, on local endpoints that speak OpenAI's wire protocols.

The Realtime model (WebSocket events, text modality) and a chat-completions model
(streamed tool calls) each play a scripted, well-behaved model
(tests/stubs/scripted_model.py): they book a meeting, leave a voicemail after the
beep and honour an opt-out through the real worker pipeline, as the offline brain
does. Nothing reaches the network.
"""
from __future__ import annotations

import asyncio
import json
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from entrypoints.cli import main
from tests.stubs.openai_chat_stub import USAGE as CHAT_USAGE
from tests.stubs.openai_chat_stub import ChatCompletionsStub
from tests.stubs.openai_realtime_stub import RealtimeStub
from tests.stubs.scripted_model import INTRODUCTION, Turn, next_turn

KEY = "sk-test-local"
CONTACT = {"first_name": "Dana", "last_name": "Reyes", "title": "Practice Administrator",
           "practice": "Lakeside Orthopedics", "phone": "+15125550143", "email": "dana@lakeside.example",
           "timezone": "America/Chicago", "state": "TX"}
CALENDAR = {"timezone": "America/New_York", "working_hours": "09:00-17:00", "busy": []}


def scenario(id_: str, line: dict, expect: dict) -> dict:
    return {"id": id_, "now": "2026-03-10T10:15:00-05:00", "contact": dict(CONTACT), "calendar": CALENDAR,
            "line": line, "expect": expect}


SCENARIOS = [
    scenario("books-a-meeting",
             {"start": {"person": "decision_maker", "says": "This is Dana.", "decision": "accept"}},
             {"outcome": "meeting_booked", "reached_human": True, "disclosed_ai": True}),
    scenario("voicemail-after-the-beep",
             {"start": {"voicemail": "Hi, you've reached Lakeside Orthopedics. Please leave a message after the "
                                     "beep.", "beep": True}},
             {"outcome": "voicemail_left", "voicemail_after_beep": True, "reached_human": False}),
    scenario("honours-an-opt-out",
             {"start": {"person": "decision_maker", "says": "This is Dana.", "decision": "opt_out"}},
             {"outcome": "opted_out", "do_not_call": True, "no_meeting": True}),
]


@contextmanager
def served(stub):
    """Run an aiohttp stub on its own loop in a thread: the CLI runs its own event loop in this one."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(stub.start(), loop).result(10)
    try:
        yield stub
    finally:
        asyncio.run_coroutine_threadsafe(stub.stop(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


@pytest.fixture
def scenario_file(tmp_path) -> Path:
    path = tmp_path / "model.yaml"
    path.write_text(yaml.safe_dump({"scenarios": SCENARIOS}))
    return path


@pytest.fixture
def on_servers(monkeypatch, tmp_path, redis_url, mongo_uri):
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("MONGODB_URI", mongo_uri)
    monkeypatch.setenv("MONGODB_DATABASE", f"model_{tmp_path.name[-20:]}".replace("-", "_"))
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MEMORY_LIMIT_MB", "8192")
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.chdir(tmp_path)


def simulate(capsys, *args: str) -> tuple[int, list[dict], str]:
    code = main(["simulate", *args, "--json"])
    captured = capsys.readouterr()
    return code, [json.loads(line) for line in captured.out.splitlines() if line.strip()], captured.err


@pytest.mark.parametrize("model, stub_class, name", [
    ("openai:gpt-realtime", RealtimeStub, "gpt-realtime"),
    ("openai-chat:gpt-4.1-mini", ChatCompletionsStub, "gpt-4.1-mini"),
], ids=["realtime", "chat"])
def test_a_scripted_model_books_leaves_a_voicemail_and_honours_an_opt_out(
        on_servers, scenario_file, monkeypatch, capsys, model, stub_class, name):
    with served(stub_class(script=next_turn, api_key=KEY, models=(name,))) as stub:
        monkeypatch.setenv("OPENAI_BASE_URL", stub.base_url)
        code, runs, err = simulate(capsys, str(scenario_file), "--model", model)
    by_id = {run["id"]: run for run in runs}
    assert code == 0, (err[-3000:], {k: (r["outcome"], r["failures"], r["transcript"]) for k, r in by_id.items()})
    assert set(by_id) == {s["id"] for s in SCENARIOS}
    assert by_id["books-a-meeting"]["meeting"] is not None
    assert by_id["voicemail-after-the-beep"]["voicemail_after_beep"] is True
    assert by_id["honours-an-opt-out"]["do_not_call"] is True
    # The model's calls really came over the wire, and the product ran them.
    called = [call for call, _ in stub.calls]
    assert {"check_availability", "book_meeting", "leave_voicemail", "add_to_do_not_call"} <= set(called)
    for run in runs:
        assert run["model"] == name
        assert run["usage"]["input_tokens"] > 0 and run["usage"]["output_tokens"] > 0
        assert run["cost_usd"] is not None and run["cost_usd"] > 0


def test_usage_and_cost_add_up_what_the_endpoint_reported(on_servers, scenario_file, monkeypatch, capsys):
    with served(ChatCompletionsStub(script=next_turn, api_key=KEY, models=("gpt-4.1-mini",))) as stub:
        monkeypatch.setenv("OPENAI_BASE_URL", stub.base_url)
        monkeypatch.setenv("MODEL_PRICES", '{"gpt-4.1-mini": {"input": 1000000, "output": 2000000}}')
        page = scenario_file.parent / "report.html"
        code, runs, _ = simulate(capsys, str(scenario_file), "--model", "openai-chat:gpt-4.1-mini",
                                 "--report", str(page))
    assert code == 0
    requests = len(stub.requests)
    usage = {"input_tokens": sum(r["usage"]["input_tokens"] for r in runs),
             "output_tokens": sum(r["usage"]["output_tokens"] for r in runs)}
    assert usage == {"input_tokens": requests * CHAT_USAGE["prompt_tokens"],
                     "output_tokens": requests * CHAT_USAGE["completion_tokens"]}
    # One dollar per input token and two per output token, at these prices.
    assert sum(r["cost_usd"] for r in runs) == pytest.approx(usage["input_tokens"] + 2 * usage["output_tokens"])
    shown = page.read_text()
    for run in runs:  # the report shows each call's tokens and cost too
        assert f"{run['usage']['input_tokens']} tokens in" in shown and f"${run['cost_usd']:.4f}" in shown


def test_repeat_reports_each_scenarios_pass_rate(on_servers, scenario_file, capsys):
    code, runs, _ = simulate(capsys, str(scenario_file), "--model", "offline", "--repeat", "3")
    assert code == 0
    assert len(runs) == 3 * len(SCENARIOS)
    for scenario_id in (s["id"] for s in SCENARIOS):
        mine = [r for r in runs if r["id"] == scenario_id]
        assert sorted(r["repeat"] for r in mine) == [1, 2, 3]
        assert {r["pass_rate"] for r in mine} == {1.0}


def test_a_scenario_that_fails_in_some_runs_gets_a_partial_pass_rate(on_servers, tmp_path, capsys):
    # The second scenario expects what will not happen: its pass rate is 0 while the first's is 1.
    path = tmp_path / "mixed.yaml"
    wrong = dict(SCENARIOS[2], id="expects-the-wrong-thing", expect={"outcome": "meeting_booked"})
    path.write_text(yaml.safe_dump({"scenarios": [SCENARIOS[2], wrong]}))
    code, runs, _ = simulate(capsys, str(path), "--model", "offline", "--repeat", "2")
    assert code == 1
    rates = {r["id"]: r["pass_rate"] for r in runs}
    assert rates == {"honours-an-opt-out": 1.0, "expects-the-wrong-thing": 0.0}


@pytest.mark.parametrize("argv, env, code, message", [
    (["--model", "openai:gpt-realtime"], {"OPENAI_API_KEY": ""}, 2, "needs OPENAI_API_KEY"),
    (["--model", "gpt-realtime"], {}, 2, "--model must be offline, openai:MODEL"),
    (["--model", "openai:gpt-realtime"], {"OPENAI_API_KEY": "sk-wrong"}, 1, "refused OPENAI_API_KEY"),
    (["--model", "openai:gpt-nonesuch"], {}, 1, "'gpt-nonesuch' is unknown"),
    (["--model", "openai:gpt-realtime", "--repeat", "0"], {}, 2, "--repeat"),
], ids=["no-key", "bad-form", "wrong-key", "unknown-model", "bad-repeat"])
def test_a_model_that_cannot_be_used_is_one_clear_line_before_any_call(
        on_servers, scenario_file, monkeypatch, capsys, argv, env, code, message):
    with served(RealtimeStub(script=next_turn, api_key=KEY, models=("gpt-realtime",))) as stub:
        monkeypatch.setenv("OPENAI_BASE_URL", stub.base_url)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        assert main(["simulate", str(scenario_file), *argv]) == code
        assert stub.paths == []  # no conversation was started
    err = capsys.readouterr().err
    assert message in err


def test_a_model_that_never_ends_the_call_is_cut_off_at_the_turn_cap(on_servers, scenario_file, monkeypatch,
                                                                      capsys):
    def chatty(conversation):
        return Turn(INTRODUCTION)  # pitches forever, never books, never hangs up

    with served(ChatCompletionsStub(script=chatty, api_key=KEY, models=("gpt-4.1-mini",))) as stub:
        monkeypatch.setenv("OPENAI_BASE_URL", stub.base_url)
        code, runs, _ = simulate(capsys, str(scenario_file), "--model", "openai-chat:gpt-4.1-mini",
                                 "--max-turns", "2")
    assert code == 1
    talk = next(r for r in runs if r["id"] == "books-a-meeting")
    assert talk["passed"] is False and "2 turns" in (talk["reason"] or ""), (talk["outcome"], talk["reason"], talk["transcript"])
    assert sum(1 for line in talk["transcript"] if line["speaker"] == "agent") <= 2


def test_a_model_slower_than_the_time_limit_fails_the_call_instead_of_hanging_the_run(
        on_servers, tmp_path, monkeypatch, capsys):
    path = tmp_path / "one.yaml"
    path.write_text(yaml.safe_dump({"scenarios": [SCENARIOS[0]]}))
    with served(ChatCompletionsStub(script=next_turn, api_key=KEY, models=("gpt-4.1-mini",), delay_s=6)) as stub:
        monkeypatch.setenv("OPENAI_BASE_URL", stub.base_url)
        code, runs, _ = simulate(capsys, str(path), "--model", "openai-chat:gpt-4.1-mini", "--time-limit", "1")
    assert code == 1
    assert "time limit of 1 s" in runs[0]["reason"]
