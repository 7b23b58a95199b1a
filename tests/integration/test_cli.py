"""The docshield command line: help everywhere, usage errors exit 2, commands work on real servers."""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import pytest

from entrypoints.cli import app, main
from tests.fresh_process import run_snippet
from tests.integration.pipeline_world import ANY_DAY, noon_somewhere


def command_paths(typer_app) -> list[list[str]]:
    import typer

    root = typer.main.get_command(typer_app)
    paths = []

    def walk(cmd, prefix):
        for name, sub in getattr(cmd, "commands", {}).items():
            paths.append(prefix + [name])
            walk(sub, prefix + [name])

    walk(root, [])
    return paths


def test_the_contract_commands_exist():
    names = {" ".join(p) for p in command_paths(app)}
    assert {"start-worker", "seed-queue", "check-status", "stop-worker"} <= names


@pytest.mark.parametrize("path", [[]] + command_paths(app), ids=lambda p: " ".join(p) or "docshield")
def test_every_command_has_help(path, capsys):
    assert main(path + ["--help"]) == 0
    out = capsys.readouterr().out
    assert "Usage: docshield" in out and "--help" in out


@pytest.mark.parametrize("path", [["jobs", "requeue"], ["replay"]])
def test_a_job_id_argument_is_described_in_the_contracts_form_with_the_attempt(path):
    """Contracts section 1: `call:{campaign_id}:{step}`, and `call:{campaign_id}:{step}:{attempt}` for a callback
    the worker queued; the help says both, as the one parser (application.commands.parse_job_id) reads them."""
    shown = subprocess.run([sys.executable, "-m", "entrypoints", *path, "--help"], capture_output=True, text=True,
                           env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}, timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert "call:{campaign_id}:{step}:{attempt}" in shown.stdout and "call:{campaign_id}:{step}" in shown.stdout
    assert "<campaign id>" not in shown.stdout


@pytest.mark.parametrize("argv, fragment", [
    (["no-such-command"], "No such command"),
    (["seed-queue", "not-an-id"], "24-hex"),
    (["seed-queue", "65f0c0ffee0000000000abcd", "--step", "-1"], "step must be an integer >= 0"),
    (["seed-queue", "65f0c0ffee0000000000abcd", "--step", "one"], "--step"),
    (["check-status", "--bogus"], "--bogus"),
])
def test_usage_errors_exit_2_with_the_commands_help(argv, fragment, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Usage: docshield" in err and fragment in err


def test_a_missing_campaign_id_exits_2_with_an_example(capsys):
    assert main(["seed-queue"]) == 2
    err = capsys.readouterr().err
    assert "CAMPAIGN_ID" in err and "For example: docshield seed-queue" in err


def test_a_configuration_problem_exits_1_naming_the_variable(monkeypatch, capsys):
    monkeypatch.setenv("MAX_CONCURRENT_CALLS", "zero")
    monkeypatch.setenv("LOG_LEVEL", "loud")
    assert main(["check-status"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert any(line.startswith("config: MAX_CONCURRENT_CALLS") for line in err)
    assert any(line.startswith("config: LOG_LEVEL") for line in err)


def test_misspelt_keys_in_the_env_file_are_named_with_the_closest_setting(on_test_servers, tmp_path, capsys):
    (tmp_path / ".env").write_text("MAX_CONCURENT_CALLS=3\nLOG_LEVL=debug\nQUEUE_NAME=docshield:calls\n"
                                   "SOMETHING_ELSE_ENTIRELY=1\n")
    assert main(["check-status", "--json"]) == 0
    err = capsys.readouterr().err
    assert "unknown setting MAX_CONCURENT_CALLS is ignored; did you mean MAX_CONCURRENT_CALLS?" in err
    assert "unknown setting LOG_LEVL is ignored; did you mean LOG_LEVEL?" in err
    assert "unknown setting SOMETHING_ELSE_ENTIRELY is ignored" in err
    assert "QUEUE_NAME" not in err


@pytest.fixture
def on_test_servers(monkeypatch, tmp_path, redis_url, mongo_uri):
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("MONGODB_URI", mongo_uri)
    monkeypatch.setenv("MONGODB_DATABASE", f"cli_{tmp_path.name[-20:]}".replace("-", "_"))
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("POLL_DELAY_S", "0.05")
    monkeypatch.setenv("MEMORY_LIMIT_MB", "8192")
    monkeypatch.chdir(tmp_path)


def call_and_show(campaign_id: str, capsys) -> dict:
    """Queue the campaign's first call, let a burst worker place it, and read `campaign show --json`."""
    assert main(["seed-queue", campaign_id]) == 0
    assert main(["start-worker", "--burst"]) == 0
    capsys.readouterr()
    assert main(["campaign", "show", campaign_id, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


async def allow_any_day(campaign_id: str) -> None:
    from containers import build_container, close_container
    from infrastructure.settings import load_settings

    container = await build_container(load_settings())
    try:
        campaigns = await container.campaigns()
        campaign = await campaigns.get(campaign_id)
        campaign.settings = ANY_DAY
        await campaigns.save(campaign)
    finally:
        await close_container(container)


def test_add_seed_work_and_show_a_campaign(on_test_servers, capsys):
    # A toll-free number names no zone of its own, so the contact's zone (noon now) alone governs, at any hour;
    # a geographic number's own zones always apply as well.
    assert main(["campaign", "add", "--first-name", "Dana", "--last-name", "Reyes", "--phone", "+18005550143",
                 "--practice", "Lakeside Orthopedics", "--timezone", noon_somewhere()]) == 0
    campaign_id = capsys.readouterr().out.strip()
    asyncio.run(allow_any_day(campaign_id))
    assert main(["seed-queue", "--campaign-id", campaign_id, "--step", "0"]) == 0
    assert "queued call:" in capsys.readouterr().out
    assert main(["seed-queue", campaign_id]) == 0
    assert "already queued" in capsys.readouterr().out
    assert main(["check-status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["queue"]["ready"] == 1
    assert main(["start-worker", "--burst"]) == 0
    banner = next(line for line in capsys.readouterr().err.splitlines() if "starting: queue=" in line)
    assert "queue=docshield:calls concurrency=4" in banner and "redis=redis://127.0.0.1:" in banner
    assert "calls=simulated line" in banner and "data_dir=" in banner
    assert main(["campaign", "show", campaign_id, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [c["outcome"] for c in shown["calls"]] == ["gatekeeper_blocked"]
    assert [d["verdict"] for d in shown["decisions"]] == ["allow"]


def test_a_bad_phone_number_is_refused_without_echoing_it(on_test_servers, capsys):
    assert main(["campaign", "add", "--first-name", "A", "--last-name", "B", "--phone", "+1555012345",
                 "--practice", "P"]) == 2
    err = capsys.readouterr().err
    assert "not a valid phone number" in err and "555012345" not in err


def test_stop_worker_with_no_live_worker_fails_clearly(on_test_servers, capsys):
    assert main(["stop-worker"]) == 1
    assert "no live worker" in capsys.readouterr().err


def test_the_do_not_call_list_from_the_command_line(on_test_servers, tmp_path, capsys):
    assert main(["dnc", "add", "(512) 555-0143", "--reason", "asked by phone"]) == 0
    out = capsys.readouterr().out
    assert "added" in out and "5550143" not in out
    assert main(["dnc", "add", "+15125550143"]) == 0
    assert "already on the list" in capsys.readouterr().out
    csv = tmp_path / "dnc.csv"
    csv.write_text("phone\n+12125550100\nnot a number\n+13105550101\n")
    assert main(["dnc", "import", str(csv)]) == 1
    captured = capsys.readouterr()
    assert f"{csv}:3:" in captured.err
    assert main(["dnc", "list", "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert len(entries) == 3 and all("•••" in e["number"] for e in entries)
    assert main(["dnc", "remove", "+15125550143"]) == 0
    assert "removed" in capsys.readouterr().out
    assert main(["dnc", "add", "12"]) == 2


def test_a_number_on_the_list_is_never_called(on_test_servers, capsys):
    assert main(["campaign", "add", "--first-name", "Dana", "--last-name", "Reyes", "--phone", "+15125550143",
                 "--practice", "Lakeside Orthopedics"]) == 0
    campaign_id = capsys.readouterr().out.strip()
    assert main(["dnc", "add", "+15125550143"]) == 0
    shown = call_and_show(campaign_id, capsys)
    assert [c["outcome"] for c in shown["calls"]] == ["skipped"]
    assert shown["decisions"][0]["rule"] == "internal_dnc"


def test_the_demo_calls_its_sample_practices_and_all_pass(on_test_servers, capsys, tmp_path, redis_url, mongo_uri):
    from entrypoints.cli.simulate_commands import DEMO_FILE
    from simulator.scenario import load_file
    from simulator.simulation import Simulation
    from tests.integration.pipeline_world import make_settings
    from tests.integration.sales_manager_reading import contact_names, transcript_defects

    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    for outcome in ("meeting_booked", "voicemail_left", "gatekeeper_blocked", "deferred"):
        assert outcome in out
    assert "6/6 scenarios passed" in out
    # Each call is printed whole: the booked one down to the booking the summary reports.
    words = " ".join(out.split())
    assert words.count("=> meeting_booked") == words.count("You're all set for") >= 2
    # The same practices again (the simulated clock and the offline brain make each call the same): every line
    # of every call is in what the demo printed, in order, and a sales manager reading them finds no dead air,
    # no wrong name and no repeated opener.
    runs = asyncio.run(Simulation(make_settings(tmp_path / "again", redis_url, mongo_uri)).run(load_file(DEMO_FILE)))
    assert len(runs) == 6 and all(r.observed["transcript"] for r in runs if r.observed["outcome"] != "deferred")
    for run in runs:
        whole = " ".join(" ".join(f"{t['speaker']:>6}: {t['text']}".split()) for t in run.observed["transcript"])
        assert whole in words, run.scenario.id
        assert transcript_defects(run.observed["transcript"], contact_names(run.scenario),
                                  voicemail_left=run.observed["voicemail_left"]) == [], run.scenario.id


def test_showing_a_campaign_that_does_not_exist_fails_with_one_line(on_test_servers, capsys):
    assert main(["campaign", "show", "65f0c0ffee0000000000ffff"]) == 1
    assert capsys.readouterr().err.strip() == "error DS102: no campaign 65f0c0ffee0000000000ffff"


def test_version_prints_the_installed_version(capsys):
    from importlib.metadata import version

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"docshield {version('docshield-voice-worker')}"


def test_a_process_freezes_its_objects_out_of_the_last_collection_and_keeps_its_output_and_exit_code(tmp_path):
    """The interpreter's last garbage collection walked every object the imports made (about 0.15 s after the
    output); `python -m entrypoints` freezes them first. Output and exit codes are what they were."""
    from importlib.metadata import version

    hook = ("import atexit, gc, runpy, sys\n"
            "atexit.register(lambda: sys.stderr.write(f'frozen at exit: {gc.get_freeze_count() > 0}\\n'))\n"
            "runpy.run_module('entrypoints', run_name='__main__', alter_sys=True)\n")
    env = dict(os.environ, DATA_DIR=str(tmp_path))
    shown = run_snippet(hook, "--version", env=env, cwd=tmp_path)
    assert shown.returncode == 0 and shown.stdout == f"docshield {version('docshield-voice-worker')}\n"
    assert "frozen at exit: True" in shown.stderr
    refused = run_snippet(hook, "report", "--since", "7x", env=env, cwd=tmp_path)
    assert refused.returncode == 2 and "Usage: docshield report" in refused.stderr
    assert "frozen at exit: True" in refused.stderr


def test_the_collector_is_paused_while_the_commands_are_imported_and_runs_again_after(tmp_path):
    """Importing the commands ran the collector over their objects again and again (107 young, 10 middle and
    one full collection, none of them finding garbage to speak of): paused for the imports, enabled after."""
    script = ("import collections, gc, sys\n"
              "runs = collections.Counter()\n"
              "gc.callbacks.append(lambda phase, info: runs.update([info['generation']]) if phase == 'start' else None)\n"
              "import entrypoints.cli\n"
              "during = dict(runs)\n"
              "gc.collect()\n"
              "print(during.get(1, 0), during.get(2, 0), gc.isenabled(), runs[2] - during.get(2, 0))\n")
    done = run_snippet(script, env=dict(os.environ, DATA_DIR=str(tmp_path)), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "0", "True", "1"]  # no older collection while importing; it works after


def test_a_campaign_is_assigned_to_a_rep_and_listed(on_test_servers, capsys):
    base = ["campaign", "add", "--first-name", "Dana", "--last-name", "Reyes", "--phone", "+15125550143",
            "--practice", "Lakeside Orthopedics"]
    assert main(base + ["--batch", "spring", "--rep-name", "Sam Carter", "--rep-email", "sam@docshield.example",
                        "--rep-calendar-id", "sam@docshield.example", "--rep-clerk-user", "user_2abc"]) == 0
    assigned = capsys.readouterr().out.strip()
    assert main(base + ["--batch", "fall"]) == 0
    default = capsys.readouterr().out.strip()

    assert main(["campaign", "list", "--json"]) == 0
    rows = {r["campaign_id"]: r for r in json.loads(capsys.readouterr().out)}
    assert set(rows) == {assigned, default}
    assert (rows[assigned]["rep_name"], rows[assigned]["rep_calendar_id"]) == ("Sam Carter", "sam@docshield.example")
    assert (rows[default]["rep_name"], rows[default]["rep_calendar_id"]) == ("your DocShield advisor", "primary")
    assert main(["campaign", "list", "--batch", "spring", "--json"]) == 0
    assert [r["campaign_id"] for r in json.loads(capsys.readouterr().out)] == [assigned]
    assert main(["campaign", "list", "--status", "completed", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["campaign", "list"]) == 0
    listed = capsys.readouterr().out
    assert assigned in listed and default in listed and "5550143" not in listed

    async def stored():
        from containers import build_container, close_container
        from infrastructure.settings import load_settings

        container = await build_container(load_settings())
        try:
            return await (await container.campaigns()).get(assigned)
        finally:
            await close_container(container)

    campaign = asyncio.run(stored())
    assert campaign.rep_email == "sam@docshield.example" and campaign.settings["rep_user_id"] == "user_2abc"


@pytest.mark.parametrize("extra, hint", [
    (["--rep-email", "not-an-email"], "--rep-email"),
    (["--rep-name", "  "], "--rep-name"),
    (["--rep-calendar-id", ""], "--rep-calendar-id"),
])
def test_a_bad_rep_is_a_usage_error(extra, hint, capsys):
    argv = ["campaign", "add", "--first-name", "Dana", "--last-name", "Reyes", "--phone", "+15125550143",
            "--practice", "Lakeside Orthopedics"] + extra
    assert main(argv) == 2
    assert hint in capsys.readouterr().err


def test_an_unknown_status_is_a_usage_error(capsys):
    assert main(["campaign", "list", "--status", "sleeping"]) == 2
    assert "--status" in capsys.readouterr().err
