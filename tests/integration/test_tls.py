"""TLS to Redis end to end (a TLS-only redis-server on loopback with a self-signed CA), and the
REQUIRE_TLS setting that refuses plain text to other hosts."""
from __future__ import annotations

import asyncio

import pytest
from arq.connections import create_pool

from application.commands import ConductCallCommand
from entrypoints.worker import run_worker
from infrastructure.arq_jobs import deserialize, enqueue_call, job_info, redis_settings, serialize
from infrastructure.resilience import ResilienceConfig
from infrastructure.resilience.proxy import Guards
from infrastructure.resilience.shared_store import SharedStore
from infrastructure.settings import ConfigError, load_settings
from tests.integration.pipeline_world import make_settings, pipeline, seed_campaign
from tests.tls_redis import NoTlsRedis, TlsRedisServer


@pytest.fixture(scope="module")
def tls_redis():
    server = TlsRedisServer()
    try:
        server.start()
    except NoTlsRedis as exc:
        pytest.skip(f"{exc}: `make test` installs Debian's redis-server, which has TLS")
    yield server
    server.close()


async def test_a_job_runs_end_to_end_over_rediss(tmp_path, tls_redis, mongo_uri):
    settings = make_settings(tmp_path, tls_redis.url, mongo_uri, require_tls=True)
    async with pipeline(settings) as (container, line):
        campaign_id = await seed_campaign(container)
        pool = await create_pool(redis_settings(tls_redis.url), job_serializer=serialize,
                                 job_deserializer=deserialize, default_queue_name=settings.queue_name)
        try:
            await enqueue_call(pool, ConductCallCommand(campaign_id, 0, False), queue_name=settings.queue_name)
            await asyncio.wait_for(run_worker(settings, burst=True, container=container), 60)
            info = await job_info(pool, f"call:{campaign_id}:0", settings.queue_name)
        finally:
            await pool.aclose()
        assert info["success"] is True and info["result"]["outcome"] == "no_answer"
        assert line.dialed == [f"{campaign_id}:0"]
        # The account-wide limits reach the same Redis over TLS.
        guards = Guards(ResilienceConfig.from_json('{"livekit": {"rate": {"calls": 1, "per_s": 60}}}'),
                        shared=SharedStore(tls_redis.url))
        try:
            async def call():
                return "ok"
            assert await guards["livekit"].call(call) == "ok"
            assert guards.shared.fallbacks == 0
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(guards["livekit"].call(call), 0.5)
        finally:
            await guards.shared.aclose()


async def test_the_server_certificate_is_checked(tls_redis):
    from redis.asyncio import Redis

    for url in (tls_redis.url.split("?")[0],  # the system CAs do not know the test CA
                tls_redis.url.replace("rediss://", "redis://")):  # plain text to a TLS-only port
        client = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        with pytest.raises(Exception):
            await client.ping()
        await client.aclose()
    pool = await create_pool(redis_settings(tls_redis.url))
    assert await pool.ping()
    await pool.aclose()


@pytest.mark.parametrize("redis_url, mongodb_uri, refused", [
    ("redis://:secret@cache.internal:6379/0", None, "REDIS_URL: plain-text redis:// to cache.internal"),
    ("redis://10.0.0.5:6379", None, "REDIS_URL: plain-text redis:// to 10.0.0.5"),
    (None, "mongodb://app:secret@db1.internal:27017,db2.internal:27017/?replicaSet=rs0",
     "MONGODB_URI: plain-text connection to db1.internal"),
    (None, "mongodb+srv://app:secret@cluster0.example.net/?tls=false", "MONGODB_URI: plain-text connection"),
])
def test_plain_text_to_another_host_is_refused_naming_the_variable(tmp_path, monkeypatch, redis_url, mongodb_uri,
                                                                   refused):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as err:
        load_settings(redis_url=redis_url, mongodb_uri=mongodb_uri, require_tls=True)
    [problem] = err.value.problems
    assert refused in problem and "REQUIRE_TLS" in problem and "secret" not in problem
    load_settings(redis_url=redis_url, mongodb_uri=mongodb_uri, require_tls=False)  # allowed when not required


@pytest.mark.parametrize("redis_url, mongodb_uri", [
    ("rediss://cache.internal:6380/0", "mongodb+srv://app:secret@cluster0.example.net/"),
    ("redis://127.0.0.1:6379/0", "mongodb://localhost:27017/"),
    ("redis://[::1]:6379", "mongodb://db.internal:27017/?tls=true"),
    ("unix:///run/redis.sock", "mongodb://db.internal/?ssl=true"),
    (None, None),  # the embedded services
])
def test_tls_loopback_and_embedded_are_accepted(tmp_path, monkeypatch, redis_url, mongodb_uri):
    monkeypatch.chdir(tmp_path)
    load_settings(redis_url=redis_url, mongodb_uri=mongodb_uri, require_tls=True)
