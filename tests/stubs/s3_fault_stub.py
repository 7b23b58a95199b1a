"""A fault-injecting front for a real S3 (moto): S3-style 503 SlowDown and stalls from a script, else forwarded."""
from __future__ import annotations

import asyncio

import aiohttp
from aiohttp import web

from tests.stubs.local_aiohttp import serve

SLOW_DOWN = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
             b'<Message>Please reduce your request rate.</Message><RequestId>stub</RequestId></Error>')
_HOP_BY_HOP = {"host", "content-length", "transfer-encoding", "connection"}


class S3FaultStub:
    """`script` is consumed one entry per request: "slowdown" (503 SlowDown), "timeout" (no answer for
    `stall_s`) or "ok" (forwarded to `upstream`); once empty, every request is forwarded.
    `requests` records (method, path, answer) in arrival order."""

    def __init__(self, upstream: str, script: list[str], *, stall_s: float = 2.0):
        for entry in script:
            if entry not in ("slowdown", "timeout", "ok"):
                raise ValueError(f"script entries are slowdown, timeout or ok; got {entry!r}")
        self.upstream = upstream.rstrip("/")
        self.script = list(script)
        self.stall_s = stall_s
        self.requests: list[tuple[str, str, str]] = []
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self.port = 0

    async def start(self) -> "S3FaultStub":
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._http = aiohttp.ClientSession(auto_decompress=False)
        self._runner, self.port = await serve(app)
        return self

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()
        if self._http:
            await self._http.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def answers(self) -> list[str]:
        return [answer for _, _, answer in self.requests]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        answer = self.script.pop(0) if self.script else "ok"
        self.requests.append((request.method, request.path, answer))
        body = await request.read()
        if answer == "slowdown":
            return web.Response(status=503, body=SLOW_DOWN, content_type="application/xml")
        if answer == "timeout":
            await asyncio.sleep(self.stall_s)
            return web.Response(status=503, body=SLOW_DOWN, content_type="application/xml")
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        async with self._http.request(request.method, self.upstream + request.path_qs, headers=headers,
                                      data=body) as upstream:
            payload = await upstream.read()
            out = {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP_BY_HOP}
            return web.Response(status=upstream.status, body=payload, headers=out)
