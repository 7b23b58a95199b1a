"""Shared fixtures: real Redis and MongoDB (SecantusDB) servers for the whole session."""
from __future__ import annotations

import uuid

import pytest
from hypothesis import settings as hypothesis_settings
from secantus import SecantusDBServer

from tests.servers import RedisServer

# Property tests check rules, not speed (speed lives in benchmarks/): hypothesis's 200 ms deadline per
# example turned a slow example on a loaded CI machine into a Flaky failure of a correct rule.
hypothesis_settings.register_profile("docshield", deadline=None)
hypothesis_settings.load_profile("docshield")


@pytest.fixture(scope="session")
def redis_server():
    server = RedisServer().start()
    yield server
    server.close()


@pytest.fixture
async def redis_url(redis_server):
    from redis.asyncio import Redis

    client = Redis.from_url(redis_server.url)
    await client.flushall()
    await client.aclose()
    return redis_server.url


@pytest.fixture(scope="session")
def mongo_server():
    server = SecantusDBServer(host="127.0.0.1", port=0, storage_path=":memory:")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mongo_uri(mongo_server) -> str:
    return mongo_server.uri


@pytest.fixture
async def mongo_db(mongo_server):
    """A fresh database per test, on a Motor client bound to this test's event loop."""
    from motor.motor_asyncio import AsyncIOMotorClient

    client = AsyncIOMotorClient(mongo_server.uri)
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield client[name]
    await client.drop_database(name)
    client.close()


@pytest.fixture
async def mongo_engine(mongo_db):
    from odmantic import AIOEngine

    engine = AIOEngine(client=mongo_db.client, database=mongo_db.name)
    await engine.configure_database([])
    return engine


@pytest.fixture(scope="session")
def s3_endpoint():
    """moto's S3 server over HTTP on a free loopback port."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
