"""A small HTTP API that answers from a script: 500s, timeouts, then 200s. It records every request."""
from __future__ import annotations

import asyncio

from aiohttp import web

from tests.stubs.local_aiohttp import serve


class FlakyApiStub:
    """`script` is consumed one entry per request: "500", "503", "timeout", "400" or "ok"; then "ok" forever."""

    def __init__(self, script: list[str], *, stall_s: float = 2.0):
        self.script = list(script)
        self.stall_s = stall_s
        self.requests: list[tuple[str, str]] = []  # (path, what was answered)
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> "FlakyApiStub":
        app = web.Application()
        app.router.add_post("/rooms", self._rooms)
        self._runner, self.port = await serve(app)
        return self

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _rooms(self, request: web.Request) -> web.Response:
        body = await request.json()
        if not isinstance(body, dict) or not isinstance(body.get("name"), str):
            self.requests.append((request.path, "400"))
            return web.json_response({"error": "name required"}, status=400)
        answer = self.script.pop(0) if self.script else "ok"
        self.requests.append((request.path, answer))
        if answer == "timeout":
            await asyncio.sleep(self.stall_s)
            answer = "ok"
        if answer == "ok":
            return web.json_response({"name": body["name"]})
        return web.json_response({"error": answer}, status=int(answer))
