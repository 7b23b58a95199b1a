"""`docshield jobs`: failed and deferred jobs listed, failed ones put back without dialing a step twice,
the queue emptied only after a confirmation. Real Redis, MongoDB and worker."""
from __future__ import annotations

import asyncio
import io
import json
import sys
import time

import pytest
from bson import ObjectId

from domain.campaign import Campaign
from domain.contact import Contact
from entrypoints.cli import main
from tests.integration.pipeline_world import ANY_DAY, midnight_somewhere, noon_somewhere
from tests.integration.test_cli import on_test_servers  # noqa: F401 - the fixture

pytestmark = pytest.mark.usefixtures("on_test_servers")


async def add_campaign(campaign_id: str, timezone: str) -> None:
    """A campaign with a chosen id, as the sales tool would have created it. The number is toll-free: it
    names no zone of its own, so `timezone` alone governs the calling hours (a geographic number's own
    zones always apply as well: a Texas number at noon in Tokyo is not callable at night in Texas)."""
    from containers import build_container, close_container
    from infrastructure.settings import load_settings

    container = await build_container(load_settings())
    try:
        contact = Contact(id=str(ObjectId()), first_name="Dana", last_name="Reyes", phone="+18005550143",
                          practice="Lakeside Orthopedics", timezone=timezone)
        await (await container.contacts()).add(contact)
        await (await container.campaigns()).add(Campaign(id=campaign_id, contact_id=contact.id, settings=ANY_DAY))
    finally:
        await close_container(container)


def cli_json(argv, capsys):
    capsys.readouterr()
    assert main(argv + ["--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_requeue_failed_puts_back_only_the_steps_without_an_outcome(capsys):
    fresh, done = str(ObjectId()), str(ObjectId())
    # Both jobs fail: their campaigns do not exist yet when the worker takes them.
    for campaign_id in (fresh, done):
        assert main(["seed-queue", campaign_id]) == 0
    assert main(["start-worker", "--burst"]) == 0
    failed = cli_json(["jobs", "failed"], capsys)
    assert sorted(j["job_id"] for j in failed) == sorted([f"call:{fresh}:0", f"call:{done}:0"])
    assert all("unknown campaign" in j["reason"] or "no campaign" in j["reason"] for j in failed), failed

    asyncio.run(add_campaign(fresh, noon_somewhere()))
    asyncio.run(add_campaign(done, noon_somewhere()))
    # Step 0 of `done` gets its call another way (replay) before anyone requeues.
    assert main(["replay", f"call:{done}:0"]) == 0

    outcome = cli_json(["jobs", "requeue", "--failed"], capsys)
    assert outcome["requeued"] == [f"call:{fresh}:0"]
    assert [s["job_id"] for s in outcome["skipped"]] == [f"call:{done}:0"]
    assert "already has a final outcome" in outcome["skipped"][0]["reason"]
    assert main(["start-worker", "--burst"]) == 0
    for campaign_id in (fresh, done):
        shown = cli_json(["campaign", "show", campaign_id], capsys)
        assert len(shown["calls"]) == 1, shown  # one call each: nothing dialed twice
    assert cli_json(["jobs", "failed"], capsys) == [
        j for j in cli_json(["jobs", "failed"], capsys) if j["job_id"] == f"call:{done}:0"]

    capsys.readouterr()
    assert main(["jobs", "requeue", f"call:{done}:0"]) == 1
    assert "error DS104" in capsys.readouterr().err
    assert main(["jobs", "requeue", f"call:{ObjectId()}:3"]) == 1
    assert "error DS102" in capsys.readouterr().err
    assert main(["jobs", "requeue"]) == 2


async def enqueue_callback(campaign_id: str) -> None:
    """The follow-up (attempt 1) of step 0, as the worker queues it when the callee asks to be called back."""
    from application.commands import ConductCallCommand
    from infrastructure.arq_jobs import enqueue_call
    from infrastructure.settings import load_settings
    from tests.faults.fault_world import arq_pool

    settings = load_settings()
    pool = await arq_pool(settings)
    try:
        await enqueue_call(pool, ConductCallCommand(campaign_id, 0, False, 1), queue_name=settings.queue_name)
    finally:
        await pool.aclose()


def test_a_failed_callback_is_requeued_though_its_first_attempt_has_an_outcome(capsys):
    campaign_id = str(ObjectId())
    assert main(["seed-queue", campaign_id]) == 0
    asyncio.run(enqueue_callback(campaign_id))
    assert main(["start-worker", "--burst"]) == 0  # both fail: no such campaign yet
    assert sorted(j["job_id"] for j in cli_json(["jobs", "failed"], capsys)) == [
        f"call:{campaign_id}:0", f"call:{campaign_id}:0:1"]
    asyncio.run(add_campaign(campaign_id, noon_somewhere()))
    assert main(["replay", f"call:{campaign_id}:0"]) == 0  # attempt 0 gets its outcome

    outcome = cli_json(["jobs", "requeue", "--failed"], capsys)
    assert outcome["requeued"] == [f"call:{campaign_id}:0:1"]  # the callback is its own attempt
    assert [s["job_id"] for s in outcome["skipped"]] == [f"call:{campaign_id}:0"]


async def set_last_word(job_id: str, word: dict) -> None:
    from redis.asyncio import Redis

    from infrastructure.arq_jobs import LAST_RESULT_PREFIX
    from infrastructure.settings import load_settings

    redis = Redis.from_url(load_settings().redis_url)
    try:
        await redis.set(LAST_RESULT_PREFIX + job_id, json.dumps(word))
    finally:
        await redis.aclose()


def deferred_first_step() -> str:
    """A campaign whose first step the worker deferred (its callee's zone is at midnight; a fixed zone such
    as Etc/GMT-12 is in its calling window half the day); its id."""
    campaign_id = str(ObjectId())
    asyncio.run(add_campaign(campaign_id, midnight_somewhere()))
    assert main(["seed-queue", campaign_id]) == 0
    assert main(["start-worker", "--burst"]) == 0
    return campaign_id


def test_deferred_jobs_say_when_and_why(capsys, monkeypatch):
    campaign_id = deferred_first_step()
    deferred = cli_json(["jobs", "deferred"], capsys)
    assert [j["job_id"] for j in deferred] == [f"call:{campaign_id}:0"]
    assert deferred[0]["reason"] and deferred[0]["run_at"]
    capsys.readouterr()
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["jobs", "deferred"]) == 0
    out = capsys.readouterr().out
    assert f"call:{campaign_id}:0" in out and " in " in out and deferred[0]["reason"] in out

    # A long reason (an open breaker's, say) folds to 80 columns and keeps every word.
    long_reason = "calendar unavailable: breaker open after 5 errors in 60 s (last: 503 Service Unavailable " \
                  "from the Google Calendar API); the job comes back when the breaker may have closed"
    asyncio.run(set_last_word(f"call:{campaign_id}:0", {"status": "waiting", "reason": long_reason}))
    assert main(["jobs", "deferred"]) == 0
    out = capsys.readouterr().out
    assert long_reason in " ".join(line.strip() for line in out.splitlines())
    assert all(len(line) <= 80 for line in out.splitlines()), out


def test_purge_asks_first_and_leaves_the_queue_alone_when_told_no(capsys, monkeypatch):
    for _ in range(3):
        assert main(["seed-queue", str(ObjectId())]) == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("n\n"))
    capsys.readouterr()
    assert main(["jobs", "purge"]) == 1
    assert "Remove every waiting job" in capsys.readouterr().err
    assert cli_json(["check-status"], capsys)["queue"]["ready"] == 3
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))
    assert main(["jobs", "purge"]) == 0
    assert "purged 3 job(s)" in capsys.readouterr().out
    assert cli_json(["check-status"], capsys)["queue"]["ready"] == 0
    assert main(["seed-queue", str(ObjectId())]) == 0
    assert cli_json(["jobs", "purge", "--yes"], capsys)["purged"]


async def write_poison(queue_name: str, valid_job: str) -> list[bytes]:
    """Queue members the way a careless or hostile producer writes them, with raw Redis commands."""
    from redis.asyncio import Redis

    from infrastructure.settings import load_settings

    far = str(time.time() * 1000 + 3_600_000)
    redis = Redis.from_url(load_settings().redis_url)
    try:
        poison = {b"call:\xff:0": far, f"call:{ObjectId()}:1".encode(): "+inf",
                  f"call:{ObjectId()}:2".encode(): "1e20", f"call:{ObjectId()}:3".encode(): far}
        for member, score in poison.items():
            await redis.execute_command("ZADD", queue_name, score, member)
        await redis.execute_command("SET", b"arq:job:" + list(poison)[3], b"not a job")  # a body, unreadable
        await redis.execute_command("ZADD", queue_name, far, valid_job)
        return list(poison)
    finally:
        await redis.aclose()


def test_deferred_and_purge_take_any_member_a_producer_wrote(capsys):
    from infrastructure.settings import load_settings

    campaign_id = str(ObjectId())
    assert main(["seed-queue", campaign_id, "--delay", "3600"]) == 0
    valid = f"call:{campaign_id}:0"
    poison = asyncio.run(write_poison(load_settings().queue_name, valid))
    listed = {j["job_id"]: j for j in cli_json(["jobs", "deferred"], capsys)}
    assert len(listed) == 5 and listed[valid]["kwargs"]["campaign_id"] == campaign_id
    unreadable = [j for j in listed.values() if j["job_id"] != valid]
    assert all("a worker moves it aside" in j["reason"] for j in unreadable), unreadable
    assert main(["jobs", "deferred"]) == 0  # the text view too: a score past any date runs "never"
    assert "never" in capsys.readouterr().out
    purged = cli_json(["jobs", "purge", "--yes"], capsys)["purged"]
    assert len(purged) == 5 and "call:\\xff:0" in purged and len(poison) == 4
    assert cli_json(["check-status"], capsys)["queue"]["deferred"] == 0
