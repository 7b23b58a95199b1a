"""`docshield report` over a seeded SecantusDB: every figure of --json against one computed here, on its own."""
from __future__ import annotations

import asyncio
import json
import math
import os
import uuid
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from secantus import SecantusDBServer

from entrypoints.cli import main
from tests.fresh_process import run_snippet
from tests.report_seed import BATCH, seed

N = 10_000
# The definitions, written out here rather than taken from the code under test.
NOT_DIALED = {"deferred", "skipped", "wrong_number"}
ANSWERED = {"meeting_booked", "declined", "callback_requested", "voicemail_left", "opted_out",
            "gatekeeper_blocked", "ivr_dead_end"}
CONVERSATIONS = {"meeting_booked", "declined", "callback_requested", "opted_out", "gatekeeper_blocked"}
PRICES = {"PRICE_TELEPHONY_PER_MIN": "0.02", "PRICE_REALTIME_PER_MIN": "0.3", "PRICE_LIVEKIT_PER_MIN": "0.01"}
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@pytest.fixture(scope="module")
def report_server():
    """This module's own server: its 10,000 records are thrown away with it (dropping them on the shared
    server cost 230 s under xdist, and leaving them there slowed the tests after it)."""
    server = SecantusDBServer(host="127.0.0.1", port=0, storage_path=":memory:")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def seeded_db(report_server):
    from motor.motor_asyncio import AsyncIOMotorClient

    name = f"report_{uuid.uuid4().hex[:8]}"
    now = datetime.now(timezone.utc)

    async def go():
        client = AsyncIOMotorClient(report_server.uri)
        try:
            return await seed(client[name], N, now)
        finally:
            client.close()

    seeded = asyncio.run(go())
    return name, seeded, now


@pytest.fixture
def on_db(monkeypatch, tmp_path, report_server):
    def use(database: str) -> None:
        monkeypatch.setenv("MONGODB_URI", report_server.uri)
        monkeypatch.setenv("MONGODB_DATABASE", database)
        monkeypatch.setenv("DATA_DIR", str(tmp_path))
        for key, value in PRICES.items():
            monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    return use


def nearest_rank(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


def expected_figures(seeded, now: datetime, since: timedelta, batch: str | None) -> dict:
    start = now - since
    rs = [r for r in seeded.records if r.started_at >= start
          and (batch is None or seeded.batch_of[r.campaign_id] == batch)]
    outcome = Counter(r.outcome.value for r in rs)
    dialed = [r for r in rs if r.outcome.value not in NOT_DIALED]
    answered = [r for r in rs if r.outcome.value in ANSWERED]
    live = [r for r in answered if r.outcome.value != "voicemail_left"]
    booked = outcome["meeting_booked"]
    conversations = sum(outcome[o] for o in CONVERSATIONS)
    latencies = [x for r in rs for x in r.turn_latencies_ms]
    first = [r.first_reply_s for r in rs if r.first_reply_s is not None]
    verdict = [r.verdict_s for r in rs if r.verdict_s is not None]
    hist = Counter(int(x // 250) * 250 for x in latencies)
    objections = defaultdict(lambda: [0, 0])
    for r in rs:
        for kind in r.objections:
            objections[kind][0] += 1
            objections[kind][1] += r.outcome.value == "meeting_booked"
    hours, days = defaultdict(lambda: [0, 0]), defaultdict(lambda: [0, 0])
    for r in dialed:
        if r.callee_timezone is None:
            continue
        local = r.started_at.astimezone(ZoneInfo(r.callee_timezone))
        for table, key in ((hours, str(local.hour)), (days, WEEKDAYS[local.weekday()])):
            table[key][0] += 1
            table[key][1] += r.outcome.value in ANSWERED
    by_day = defaultdict(Counter)
    for r in rs:
        by_day[r.started_at.astimezone(timezone.utc).date().isoformat()][r.outcome.value] += 1
    decisions = defaultdict(Counter)
    campaigns = {cid for cid, b in seeded.batch_of.items() if batch is None or b == batch}
    for d in seeded.decisions:
        if d["decidedAt"].replace(tzinfo=timezone.utc) >= start and d["campaignId"] in campaigns:
            decisions[d["rule"]][d["verdict"]] += 1
    minutes = sum((r.ended_at - r.started_at).total_seconds() for r in dialed) / 60
    per_min = sum(float(v) for v in PRICES.values())
    dm_recorded = [r for r in rs if r.decision_maker_reached is not None]
    pitch_recorded = [r for r in rs if r.pitched is not None]
    return {
        "calls": len(rs),
        "outcomes": dict(outcome),
        "reach": (sum(r.reached_human for r in live), len(live)),
        "booking": (booked, conversations),
        "latency": (len(latencies), nearest_rank(latencies, 0.5), nearest_rank(latencies, 0.95)),
        "first_reply": (len(first), nearest_rank(first, 0.5), nearest_rank(first, 0.95)),
        "verdict": (len(verdict), nearest_rank(verdict, 0.5), nearest_rank(verdict, 0.95)),
        "histogram": {str(k): v for k, v in hist.items()},
        "funnel": [len(dialed), len(answered), sum(r.reached_human for r in answered),
                   sum(bool(r.decision_maker_reached) for r in dm_recorded) if dm_recorded else None,
                   sum(bool(r.pitched) for r in pitch_recorded) if pitch_recorded else None, booked],
        "funnel_notes": (len(dm_recorded), len(pitch_recorded), len(dialed)),
        "voicemails": sum(r.voicemail_left for r in rs),
        "callbacks_scheduled": sum(r.callback_at is not None for r in rs),
        "objections": {k: {"calls": c, "booked": b} for k, (c, b) in objections.items()},
        "hours": {k: {"dialed": d, "answered": a, "rate": a / d} for k, (d, a) in hours.items()},
        "weekdays": {k: {"dialed": d, "answered": a, "rate": a / d} for k, (d, a) in days.items()},
        "no_zone": sum(r.callee_timezone is None for r in dialed),
        "by_day": {d: dict(c) for d, c in by_day.items()},
        "decisions": {rule: dict(v) for rule, v in decisions.items()},
        "failures": dict(Counter(r.reason for r in rs if r.outcome.value == "failed")),
        "minutes": minutes, "total": minutes * per_min,
        "per_call": minutes * per_min / len(dialed), "per_booking": minutes * per_min / booked,
        "first_at": min(r.started_at for r in rs), "last_at": max(r.started_at for r in rs),
    }


def run_report(capsys, *args: str) -> dict:
    assert main(["report", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("args, since, batch", [
    ([], timedelta(days=7), None),
    (["--since", "3d", "--batch", BATCH], timedelta(days=3), BATCH),
], ids=["7-days-all-batches", "3-days-one-batch"])
def test_every_figure_equals_the_one_computed_from_the_seeded_records(seeded_db, on_db, capsys, args, since, batch):
    name, seeded, now = seeded_db
    on_db(name)
    got = run_report(capsys, *args)
    want = expected_figures(seeded, now, since, batch)

    assert got["empty"] is False and got["calls"] == want["calls"] and want["calls"] > 1000
    assert got["outcomes"] == want["outcomes"]
    criteria = {c["name"]: c for c in got["criteria"]}
    reached, live = want["reach"]
    assert criteria["reach a human"]["measured"] == reached / live
    assert criteria["reach a human"]["passed"] is (reached / live > 0.95)
    booked, conversations = want["booking"]
    assert criteria["book a meeting"]["measured"] == booked / conversations
    assert criteria["book a meeting"]["passed"] is (booked / conversations > 0.15)
    turns, p50, p95 = want["latency"]
    assert (got["latency"]["turns"], got["latency"]["p50_ms"], got["latency"]["p95_ms"]) == (turns, p50, p95)
    assert criteria["agent reply p50"]["measured"] == p50 / 1000
    assert criteria["agent reply p95"]["measured"] == p95 / 1000
    assert criteria["agent reply p95"]["passed"] is (p95 / 1000 < 1.5)
    assert got["latency"]["histogram_ms"] == want["histogram"]
    assert (got["first_reply_s"]["calls"], got["first_reply_s"]["p50"], got["first_reply_s"]["p95"]) == \
        want["first_reply"]
    assert criteria["first reply p50 (callee's first word to the agent's)"]["measured"] == want["first_reply"][1]
    assert (got["verdict_s"]["calls"], got["verdict_s"]["p50"], got["verdict_s"]["p95"]) == want["verdict"]
    assert criteria["uptime in business hours"]["passed"] is None
    assert [s["calls"] for s in got["funnel"]] == want["funnel"]
    dm_recorded, pitch_recorded, dialed = want["funnel_notes"]
    assert got["funnel"][3]["note"] == f"recorded on {dm_recorded} of {dialed} dialed calls"
    assert got["funnel"][4]["note"] == f"recorded on {pitch_recorded} of {dialed} dialed calls"
    assert 0 < want["funnel"][4] < pitch_recorded  # the seed pitched on some calls, not all
    assert [s["stage"] for s in got["funnel"]] == ["dialed", "answered", "reached a person",
                                                   "reached the decision maker", "pitched", "booked"]
    assert got["voicemails_left"] == want["voicemails"]
    assert got["callbacks_requested"] == want["outcomes"].get("callback_requested", 0)
    assert got["callbacks_scheduled"] == want["callbacks_scheduled"]
    assert got["objections"] == want["objections"]
    assert got["answer_rate_by_hour"] == want["hours"]
    assert got["answer_rate_by_weekday"] == want["weekdays"]
    assert got["dialed_without_zone"] == want["no_zone"]
    assert got["outcomes_by_day"] == want["by_day"]
    assert got["compliance"]["decisions_by_rule"] == want["decisions"]
    assert got["compliance"]["opted_out"] == want["outcomes"].get("opted_out", 0)
    assert got["compliance"]["deferred"] == sum(v.get("defer", 0) for v in want["decisions"].values())
    assert got["compliance"]["skipped"] == sum(v.get("skip", 0) for v in want["decisions"].values())
    assert got["failures_by_reason"] == want["failures"]
    costs = got["costs"]
    assert costs["dialed_minutes"] == pytest.approx(want["minutes"], rel=1e-12)
    assert costs["total"] == pytest.approx(want["total"], rel=1e-12)
    assert costs["per_call"] == pytest.approx(want["per_call"], rel=1e-12)
    assert costs["per_booked_meeting"] == pytest.approx(want["per_booking"], rel=1e-12)
    assert datetime.fromisoformat(got["first_call_at"]) == want["first_at"]
    assert datetime.fromisoformat(got["last_call_at"]) == want["last_at"]


def test_the_text_report_names_each_criterion_and_its_result(seeded_db, on_db, capsys):
    on_db(seeded_db[0])
    assert main(["report", "--since", "1d"]) == 0
    out = capsys.readouterr().out
    for words in ("reach a human", "book a meeting", "agent reply p95", "funnel", "objections", "per booked meeting"):
        assert words in out


def test_an_empty_database_says_so_and_exits_0(on_db, capsys):
    on_db(f"empty_{uuid.uuid4().hex[:8]}")
    assert main(["report"]) == 0
    assert "No calls recorded in the last 7d" in capsys.readouterr().out
    got = run_report(capsys, "--since", "all")
    assert got["empty"] is True and got["calls"] == 0
    assert got["costs"]["per_call"] is None and got["costs"]["per_booked_meeting"] is None
    assert all(c["measured"] is None and c["passed"] is None for c in got["criteria"])
    page = Path("empty.html")
    assert main(["report", "--html", str(page)]) == 0
    assert "No calls recorded in this window" in page.read_text(encoding="utf-8")
    assert "<figure" not in page.read_text(encoding="utf-8")


def test_the_command_leaves_no_driver_thread_behind_to_wait_for_at_exit(report_server, tmp_path):
    """pymongo's exit hook joins every monitor thread still alive, and each looks at its stop flag only every
    0.5 s: a report on Motor waited up to half a second after printing. Its reads go through pymongo's asyncio
    client, whose monitors are tasks stopped by close(). Run in a fresh process: pytest's own threads aside."""
    script = ("import sys, threading; from entrypoints.cli import main; code = main(sys.argv[1:]); "
              "print([t.name for t in threading.enumerate()]); sys.exit(code)")
    env = dict(os.environ, MONGODB_URI=report_server.uri, MONGODB_DATABASE=f"empty_{uuid.uuid4().hex[:8]}",
               DATA_DIR=str(tmp_path))
    done = run_snippet(script, "report", "--json", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    *printed, threads = done.stdout.strip().splitlines()
    assert json.loads("\n".join(printed))["empty"] is True
    assert threads == "['MainThread']"


@pytest.mark.parametrize("since", ["7x", "0d", "-3d", "seven days", ""])
def test_a_bad_since_is_a_usage_error(since, capsys):
    assert main(["report", "--since", since]) == 2
    err = capsys.readouterr().err
    assert "Usage: docshield report" in err and "--since" in err


# Calls near month and year ends, two of them a year apart to the day (Feb 1): the hour a call is counted
# in is read off its day of the month over a window of at most 28 UTC days, and off its year and day of the
# year over a longer one; either way each call lands in its own UTC day and the callee's local hour.
HOURS_ZONES = ("America/New_York", "America/Los_Angeles", None)
HOURS_STARTS = [datetime(2025, 1, 31, 23, 59, tzinfo=timezone.utc), datetime(2025, 2, 1, 10, 30, tzinfo=timezone.utc),
                datetime(2025, 3, 1, 10, 30, tzinfo=timezone.utc), datetime(2025, 3, 1, 0, 0, tzinfo=timezone.utc),
                datetime(2025, 12, 31, 23, 30, tzinfo=timezone.utc), datetime(2026, 1, 1, 0, 30, tzinfo=timezone.utc),
                datetime(2026, 2, 1, 10, 15, tzinfo=timezone.utc), datetime(2024, 2, 29, 12, 0, tzinfo=timezone.utc)]


@pytest.fixture(scope="module")
def hours_db(report_server):
    """`HOURS_STARTS`' calls (each twice, with another outcome and zone) in a database of their own."""
    from motor.motor_asyncio import AsyncIOMotorClient

    from domain.call_record import CallRecord
    from domain.outcomes import CallOutcome
    from infrastructure.mongo_models import CallRecordDoc

    records = [CallRecord(call_id=f"hours-{i}-{j}", campaign_id="c", step=0, outcome=outcome, started_at=at,
                          ended_at=at + timedelta(seconds=30), callee_timezone=HOURS_ZONES[(i + j) % 3])
               for i, at in enumerate(HOURS_STARTS)
               for j, outcome in enumerate((CallOutcome.DECLINED, CallOutcome.NO_ANSWER))]
    name = f"hours_{uuid.uuid4().hex[:8]}"

    async def go():
        client = AsyncIOMotorClient(report_server.uri)
        try:
            await client[name]["call_records"].insert_many(
                [CallRecordDoc.from_domain(r).model_dump_doc() for r in records])
        finally:
            client.close()

    asyncio.run(go())
    return name, records


@pytest.mark.parametrize("since, until", [
    (datetime(2025, 2, 1, tzinfo=timezone.utc), datetime(2025, 3, 1, 12, tzinfo=timezone.utc)),  # 29 days: Feb 1, Mar 1
    (datetime(2025, 2, 2, tzinfo=timezone.utc), datetime(2025, 3, 1, 12, tzinfo=timezone.utc)),  # 28 days
    (datetime(2025, 1, 31, 23, 59, tzinfo=timezone.utc), datetime(2025, 2, 27, tzinfo=timezone.utc)),
    (datetime(2025, 12, 20, tzinfo=timezone.utc), datetime(2026, 1, 5, tzinfo=timezone.utc)),  # over the year's end
    (datetime(2025, 1, 1, tzinfo=timezone.utc), datetime(2026, 3, 1, tzinfo=timezone.utc)),  # Feb 1 in two years
    (None, datetime(2026, 3, 1, tzinfo=timezone.utc)),  # every call, Feb 29 too
    (datetime(2025, 3, 1, 0, 0, 1, tzinfo=timezone.utc), datetime(2025, 3, 1, 10, 30, tzinfo=timezone.utc)),  # none
], ids=["29-days", "28-days", "from-a-month-end", "over-the-year-end", "a-year-apart", "all", "empty"])
def test_each_call_is_counted_in_its_own_utc_day_and_local_hour(hours_db, report_server, since, until):
    from pymongo import AsyncMongoClient

    from application.ports.call_statistics import ReportWindow
    from infrastructure.mongo_call_statistics import MongoCallStatistics

    name, records = hours_db

    async def figures():
        client = AsyncMongoClient(report_server.uri, tz_aware=False)
        try:
            return await MongoCallStatistics(client[name]).figures(ReportWindow(since=since, until=until))
        finally:
            await client.close()

    got = asyncio.run(figures())
    inside = [r for r in records if (since is None or r.started_at >= since) and r.started_at < until]
    by_day: dict = defaultdict(Counter)
    by_local: Counter = Counter()
    for r in inside:
        by_day[r.started_at.date().isoformat()][r.outcome] += 1
        if r.callee_timezone is not None:
            local = r.started_at.astimezone(ZoneInfo(r.callee_timezone))
            by_local[(local.weekday(), local.hour, r.outcome)] += 1
    assert {d: dict(c) for d, c in got.by_day.items()} == {d: dict(c) for d, c in by_day.items()}
    assert got.by_local_time == dict(by_local)
    assert list(got.by_day) == sorted(by_day)
    assert got.first_call_at == (min(r.started_at for r in inside) if inside else None)
    assert got.last_call_at == (max(r.started_at for r in inside) if inside else None)
