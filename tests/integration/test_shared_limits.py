"""Account-wide rate limits and breakers: every worker process on one Redis spends one quota
and obeys one breaker (LiveKit and Google Calendar stubs count what reaches them)."""
from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path

import pytest

from application.errors import DependencyUnavailable, TransientFault
from infrastructure.resilience import ResilienceConfig
from infrastructure.resilience.proxy import Guards
from infrastructure.resilience.shared_store import SharedStore
from tests.stubs.google_calendar_stub import GoogleCalendarStub
from tests.stubs.livekit_twirp_stub import LiveKitTwirpStub

WORKER = Path(__file__).with_name("account_limits_worker.py")
ROOT = Path(__file__).resolve().parents[2]


def worker_env(redis_url: str, livekit: LiveKitTwirpStub, calendar: GoogleCalendarStub, tmp_path,
               resilience: dict) -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "REDIS_URL": redis_url, "DATA_DIR": str(tmp_path),
            "LIVEKIT_URL": livekit.url, "LIVEKIT_API_KEY": livekit.api_key, "LIVEKIT_API_SECRET": livekit.api_secret,
            "SIP_OUTBOUND_TRUNK_ID": "ST_stub", "OPENAI_API_KEY": "sk-stub", "DNC_HASH_KEY": "a-test-secret",
            "GOOGLE_CLIENT_ID": calendar.client_id, "GOOGLE_CLIENT_SECRET": calendar.client_secret,
            "GOOGLE_REFRESH_TOKEN": "stub-refresh-token", "GOOGLE_TOKEN_URI": calendar.token_uri,
            "GOOGLE_CALENDAR_ENDPOINT": calendar.api_endpoint, "CALENDAR_TOKEN": calendar.issue_token(),
            "RESILIENCE": json.dumps(resilience), "LOG_LEVEL": "WARNING"}


async def spawn(env: dict, kind: str, count: int, *, wait_for_go: bool = False) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, str(WORKER), kind, str(count), env={**env, **({"WAIT_FOR_GO": "1"} if wait_for_go else {})},
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)


async def go(process: asyncio.subprocess.Process) -> list[str]:
    """Let a worker started with wait_for_go make its calls; what it printed."""
    assert (await process.stdout.readline()).decode().strip() == "ready"
    process.stdin.write(b"go\n")
    await process.stdin.drain()
    return await lines(process)


async def lines(process: asyncio.subprocess.Process) -> list[str]:
    out, _ = await process.communicate()
    return out.decode().splitlines()


@pytest.fixture
async def stubs():
    livekit = await LiveKitTwirpStub().start()
    calendar = GoogleCalendarStub().start()
    yield livekit, calendar
    calendar.stop()
    await livekit.stop()


@pytest.mark.slow
async def test_four_workers_together_send_at_most_the_limit_to_each_stub(redis_url, stubs, tmp_path):
    livekit, calendar = stubs
    ten_a_minute = {"calls": 10, "per_s": 60}
    env = worker_env(redis_url, livekit, calendar, tmp_path, {
        "livekit": {"rate": ten_a_minute}, "calendar": {"rate": {**ten_a_minute, "fixed_window": False}}})
    workers = [await spawn(env, "both", 6) for _ in range(4)]
    try:
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline and (
                len(livekit.calls("CreateRoom")) < 10 or len(calendar.requests_to("freeBusy")) < 10):
            await asyncio.sleep(0.1)
        await asyncio.sleep(3)  # 48 calls were asked for: the rest wait for the window to move
        assert len(livekit.calls("CreateRoom")) == 10
        assert len(calendar.requests_to("freeBusy")) == 10
    finally:
        for worker in workers:
            if worker.returncode is None:
                worker.kill()
    said = [line for worker in workers for line in await lines(worker)]
    for kind in ("livekit", "calendar"):
        assert [line for line in said if line.startswith(kind)] == [f"{kind} ok"] * 10, \
            f"{kind}: the other calls were still waiting, none failed"


@pytest.mark.slow
async def test_a_breaker_opened_by_one_workers_faults_refuses_the_other_workers(redis_url, stubs, tmp_path):
    livekit, calendar = stubs
    livekit.fail("CreateRoom", "unavailable", times=100)  # 503 until the end of the test
    env = worker_env(redis_url, livekit, calendar, tmp_path, {
        "livekit": {"breaker": {"errors": 3, "open_s": 120, "reset_s": 240}, "rate": None}})
    first, *rest = [await spawn(env, "livekit", 5 if i == 0 else 2, wait_for_go=True) for i in range(4)]
    assert await go(first) == ["livekit fault TransientFault"] * 3 + ["livekit refused"] * 2
    assert len(livekit.calls("CreateRoom")) == 3
    others = await asyncio.gather(*[go(worker) for worker in rest])
    assert others == [["livekit refused"] * 2] * 3
    assert len(livekit.calls("CreateRoom")) == 3, "no other worker reached LiveKit while the breaker was open"


BREAKER = {"openai": {"breaker": {"errors": 2, "open_s": 0.5, "reset_s": 1}, "rate": None,
                      "on_server_error": None, "on_timeout": None, "on_network": None}}


class Unavailable(Exception):
    status = 503


async def failing():
    raise Unavailable()


async def passing():
    return "ok"


async def test_after_the_open_period_one_trial_call_passes_for_all_processes(redis_url):
    config = ResilienceConfig.from_json(json.dumps(BREAKER))
    a, b = (Guards(config, shared=SharedStore(redis_url)) for _ in range(2))  # two processes' guards
    try:
        for _ in range(2):
            with pytest.raises(TransientFault):
                await a["openai"].call(failing)
        with pytest.raises(DependencyUnavailable):
            await b["openai"].call(passing)
        await asyncio.sleep(0.6)
        first, second = await asyncio.gather(a["openai"].call(passing), b["openai"].call(passing),
                                             return_exceptions=True)
        assert sorted([type(first).__name__, type(second).__name__]) == ["DependencyUnavailable", "str"]
        assert await b["openai"].breaker.state() == "closed"
        # Within reset_s of the opening one fault re-opens it, for everyone.
        with pytest.raises(TransientFault):
            await b["openai"].call(failing)
        with pytest.raises(DependencyUnavailable):
            await a["openai"].call(passing)
    finally:
        await a.shared.aclose()
        await b.shared.aclose()


async def test_without_redis_each_process_limits_and_breaks_on_its_own(caplog):
    config = ResilienceConfig.from_json(json.dumps({
        **BREAKER, "livekit": {"rate": {"calls": 2, "per_s": 60}, "breaker": None}}))
    guards = Guards(config, shared=SharedStore("redis://127.0.0.1:1/0", timeout_s=0.2))
    try:
        await guards["livekit"].call(passing)
        await guards["livekit"].call(passing)
        with pytest.raises(asyncio.TimeoutError):  # the per-process limit holds the third call
            await asyncio.wait_for(guards["livekit"].call(passing), 0.5)
        for _ in range(2):
            with pytest.raises(TransientFault):
                await guards["openai"].call(failing)
        with pytest.raises(DependencyUnavailable):  # the per-process breaker opened
            await guards["openai"].call(passing)
        assert guards.shared.fallbacks >= 1
        assert "per-process limits and breakers" in caplog.text
    finally:
        await guards.shared.aclose()


@pytest.mark.slow
async def test_four_worker_processes_dial_each_step_once_within_the_shared_limit(redis_url, mongo_uri, stubs,
                                                                                   tmp_path):
    """`docshield start-worker` x4 placing real calls on the LiveKit stub (this test answers as the agent),
    with LiveKit limited to 10 requests a minute for the account: of 14 jobs' call setups, 10 requests
    reach LiveKit (hang-ups are never held back), the rest wait, and no step is dialed twice."""
    from datetime import datetime, timezone

    from application.ports.call_line import CallResult
    from domain.outcomes import CallOutcome
    from infrastructure.redis_handback import RedisHandback
    from tests.integration.pipeline_world import enqueue_first_steps, make_settings, seed_callable_campaigns

    livekit, calendar = stubs
    agent = RedisHandback.from_url(redis_url)
    answering: list[asyncio.Task] = []

    async def answer(call_id: str) -> None:
        await agent.heartbeat(call_id)
        await agent.publish(call_id, CallResult(outcome=CallOutcome.NO_ANSWER, ended_at=datetime.now(timezone.utc)))

    async def on_dial(message) -> None:
        answering.append(asyncio.create_task(answer(message.room_name.removeprefix("call-"))))

    livekit.on("CreateSIPParticipant", on_dial)
    env = worker_env(redis_url, livekit, calendar, tmp_path, {"livekit": {"rate": {"calls": 10, "per_s": 60}}})
    settings = make_settings(tmp_path, redis_url, mongo_uri)
    # One call at a time per worker: at most 4 rooms and 4 dispatches can precede a dial.
    env.update(MONGODB_URI=mongo_uri, MONGODB_DATABASE=settings.mongodb_database, POLL_DELAY_S="0.05",
               MEMORY_LIMIT_MB="8192", HEARTBEAT_INTERVAL_S="0.5", MAX_CONCURRENT_CALLS="1")
    campaign_ids = await seed_callable_campaigns(settings, 14)
    workers = [await asyncio.create_subprocess_exec(
        sys.executable, "-m", "entrypoints", "start-worker", cwd=ROOT, env={**env, "WORKER_ID": f"w{i}"},
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL) for i in range(4)]
    try:
        await enqueue_first_steps(settings, campaign_ids)
        def setup() -> list[str]:
            return [m for m in livekit.methods if m not in ("RemoveParticipant", "StopEgress", "DeleteRoom")]

        deadline = time.monotonic() + 150
        while time.monotonic() < deadline and len(setup()) < 10:
            await asyncio.sleep(0.1)
        await asyncio.sleep(3)  # the other 11 calls wait for the window to move
        assert len(setup()) == 10, "the account's 10 requests a minute, across four workers"
        dials = livekit.calls("CreateSIPParticipant")
        dispatched = {d.room: json.loads(d.metadata)["campaign_id"] for d in livekit.calls("CreateDispatch")}
        dialed_campaigns = [dispatched[d.room_name] for d in dials]
        assert len(dials) >= 2 and len(set(dialed_campaigns)) == len(dials), "no step dialed twice"
    finally:
        for worker in workers:
            if worker.returncode is None:
                worker.kill()
            await worker.wait()
        await asyncio.gather(*answering, return_exceptions=True)
        await agent.aclose()



SHIPPER = Path(__file__).with_name("logtail_shipper.py")


async def ship_from_processes(logtail, tmp_path, shared_redis_url: str, processes: int, records: int) -> list[int]:
    """`processes` worker-like processes each log `records` records at once; what each dropped."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATA_DIR": str(tmp_path), "LOGTAIL_SOURCE_TOKEN": logtail.token,
           "LOGTAIL_HOST": logtail.url, "LOG_LEVEL": "INFO", "SHARED_REDIS_URL": shared_redis_url,
           "RESILIENCE": json.dumps({"logtail_rate": {"calls": 10, "per_s": 60}})}
    shippers = [await asyncio.create_subprocess_exec(sys.executable, str(SHIPPER), str(records), env=env,
                                                     stdout=asyncio.subprocess.PIPE) for _ in range(processes)]
    return [int((await lines(shipper))[-1]) for shipper in shippers]


async def test_worker_processes_together_ship_at_most_the_accounts_log_rate(redis_url, tmp_path):
    """Four processes log 30 records each with Logtail limited to 10 records a minute for the account:
    10 reach Logtail in all (each process alone would ship 10: its own bucket holds 10), the rest are
    dropped and counted, none is queued to block a worker."""
    from tests.stubs.logtail_stub import LogtailStub

    logtail = LogtailStub().start()
    try:
        dropped = await ship_from_processes(logtail, tmp_path, redis_url, processes=4, records=30)
        shipped = [m for m in logtail.messages() if m.startswith("shipped record")]
    finally:
        logtail.stop()
    assert len(shipped) == 10, f"{len(shipped)} records reached Logtail"
    assert sum(dropped) == 4 * 30 - 10
    assert logtail.rejected == []


async def test_without_redis_each_process_ships_at_its_own_log_rate(tmp_path):
    from tests.stubs.logtail_stub import LogtailStub

    logtail = LogtailStub().start()
    try:
        dropped = await ship_from_processes(logtail, tmp_path, "redis://127.0.0.1:1/0", processes=2, records=30)
        shipped = [m for m in logtail.messages() if m.startswith("shipped record")]
    finally:
        logtail.stop()
    assert len(shipped) == 2 * 10 and dropped == [20, 20]


def test_a_log_batch_retried_after_a_server_error_is_counted_once(redis_url):
    from infrastructure.logtail_shipping import AccountWideShipping
    from infrastructure.resilience.policies import RateSpec

    sent: list[list] = []
    shipping = AccountWideShipping(lambda frame: sent.append(frame) or object(), RateSpec(calls=10, per_s=60),
                                   SharedStore(redis_url))
    first = [{"message": f"a{n}"} for n in range(6)]
    shipping(first)
    shipping(first)  # the flush thread's retry of the same batch
    shipping([{"message": f"b{n}"} for n in range(6)])
    assert [len(frame) for frame in sent] == [6, 6, 4]
    assert shipping.dropped == 2
