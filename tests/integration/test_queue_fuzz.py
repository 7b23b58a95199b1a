"""Hostile and broken payloads on the queue: each job rejected with a reason, the worker alive, no code run."""
from __future__ import annotations

import json
import pickle
import random
from pathlib import Path

import pytest
from arq.connections import create_pool

from entrypoints.worker import run_worker
from infrastructure.arq_jobs import FUNCTION_NAME, deserialize, job_info, redis_settings, serialize
from tests.integration.pipeline_world import make_settings, pipeline, seed_campaign

CID = "65f0c0ffee0000000000abcd"


@pytest.fixture
def settings(tmp_path, redis_url, mongo_uri):
    return make_settings(tmp_path, redis_url, mongo_uri)


def random_json(rng: random.Random, depth: int = 0):
    kinds = ["int", "str", "float", "bool", "null"] + (["list", "dict"] if depth < 3 else [])
    kind = rng.choice(kinds)
    if kind == "int":
        return rng.choice([0, -1, 2**63, rng.randint(-10**6, 10**6)])
    if kind == "str":
        return "".join(rng.choice("ab:{}\"\\\u00e9\u2603 0") for _ in range(rng.randint(0, 12)))
    if kind == "float":
        return rng.choice([1.5, -0.0, 1e308])
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "null":
        return None
    if kind == "list":
        return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {rng.choice(["f", "a", "k", "t", "et", "x"]): random_json(rng, depth + 1) for _ in range(rng.randint(0, 5))}


def envelope(**changes) -> dict:
    body = {"t": 1, "f": FUNCTION_NAME, "a": [], "k": {"campaign_id": CID, "step": 0, "final_step": False},
            "et": 1700000000000}
    body.update(changes)
    return body


def hostile_payloads(marker: Path) -> list[tuple[str, bytes]]:
    class Exploit:
        def __reduce__(self):
            return (Path.touch, (marker,))

    rng = random.Random(8)
    cases: list[tuple[str, bytes]] = [
        ("pickle", pickle.dumps(Exploit())),
        ("pickle-protocol-0", pickle.dumps(Exploit(), protocol=0)),
        ("not-json", b"\x00\xff{{{"),
        ("json-list", b"[1, 2, 3]"),
        ("json-string", b'"conduct_outbound_call"'),
        ("empty", b""),
        ("huge-payload", json.dumps(envelope(k={"campaign_id": "a" * 5_000_000, "step": 0,
                                                "final_step": False})).encode()),
        ("deeply-nested", b"[" * 100_000 + b"]" * 100_000),
        ("function-is-a-list", json.dumps(envelope(f=["x"])).encode()),
        ("function-is-a-dict", json.dumps(envelope(f={"a": 1})).encode()),
        ("kwargs-is-a-list", json.dumps(envelope(k=[1, 2])).encode()),
        ("args-is-a-string", json.dumps(envelope(a="abc")).encode()),
        ("args-given", json.dumps(envelope(a=[CID, 0, False])).encode()),
        ("try-is-a-string", json.dumps(envelope(t="9")).encode()),
        ("enqueue-time-is-a-string", json.dumps(envelope(et="yesterday")).encode()),
        ("step-is-a-string", json.dumps(envelope(k={"campaign_id": CID, "step": "0", "final_step": False})).encode()),
        ("step-is-a-bool", json.dumps(envelope(k={"campaign_id": CID, "step": True, "final_step": False})).encode()),
        ("step-is-huge", json.dumps(envelope(k={"campaign_id": CID, "step": 10**30, "final_step": False})).encode()),
        ("final-is-a-string", json.dumps(envelope(k={"campaign_id": CID, "step": 0, "final_step": "no"})).encode()),
        ("extra-kwarg", json.dumps(envelope(k={"campaign_id": CID, "step": 0, "final_step": False,
                                               "__class__": "os.system"})).encode()),
    ]
    cases += [(f"random-{i}", json.dumps(random_json(rng)).encode()) for i in range(12)]
    for i in range(12):
        broken = {key: random_json(rng, 2) for key in rng.sample(["f", "a", "k", "t", "et"], rng.randint(1, 3))}
        cases.append((f"random-envelope-{i}", json.dumps(envelope(**broken)).encode()))
    return cases


async def test_every_hostile_job_is_rejected_with_a_reason_and_the_worker_lives_on(settings, tmp_path):
    marker = tmp_path / "code-ran"
    cases = hostile_payloads(marker)
    async with pipeline(settings) as (container, line):
        pool = await create_pool(redis_settings(settings.redis_url), job_serializer=serialize,
                                 job_deserializer=deserialize, default_queue_name=settings.queue_name)
        for index, (name, payload) in enumerate(cases):
            job_id = f"fuzz:{index}:{name}"
            await pool.set(f"arq:job:{job_id}", payload)
            await pool.zadd(settings.queue_name, {job_id: index + 1})  # ARQ never starts a job scored 0
        good = await seed_campaign(container)
        await pool.set(f"arq:job:call:{good}:0", serialize(envelope(k={"campaign_id": good, "step": 0,
                                                                       "final_step": False})))
        await pool.zadd(settings.queue_name, {f"call:{good}:0": len(cases) + 1})

        await run_worker(settings, burst=True, container=container)

        for index, (name, _) in enumerate(cases):
            info = await job_info(pool, f"fuzz:{index}:{name}", settings.queue_name)
            assert info["status"] == "complete", (name, info)
            assert info["success"] is False, (name, info)
            reason = info["result"]
            assert isinstance(reason, dict) and reason.get("message"), (name, reason)
        good_info = await job_info(pool, f"call:{good}:0", settings.queue_name)
        assert good_info["success"] is True, good_info
        assert await pool.zcard(settings.queue_name) == 0
        await pool.aclose()
    assert not marker.exists()
    assert line.dialed == [f"{good}:0"]
