"""HTTP health endpoints for the container's health check and an orchestrator.

GET /healthz  liveness: the event loop answers; 200 with the worker's state.
GET /readyz   readiness: Redis and MongoDB answer a ping within the timeout; 200, or 503 naming what failed.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

from aiohttp import web

log = logging.getLogger(__name__)

Check = Callable[[], Awaitable[object]]


class HealthServer:
    def __init__(self, checks: dict[str, Check], *, state: Callable[[], str] = lambda: "running",
                 host: str = "0.0.0.0", port: int = 8080, timeout_s: float = 2.0):
        self.checks = checks
        self.state = state
        self.host = host
        self.port = port
        self.timeout_s = timeout_s
        self._runner: web.AppRunner | None = None

    async def start(self) -> int:
        """Listen; returns the bound port (useful with port 0)."""
        app = web.Application()
        app.router.add_get("/healthz", self._live)
        app.router.add_get("/readyz", self._ready)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        log.info("health endpoints on http://%s:%d/healthz and /readyz", self.host, self.port)
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _live(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "alive", "state": self.state()})

    async def _ready(self, request: web.Request) -> web.Response:
        names = list(self.checks)
        results = await asyncio.gather(*(self._check(self.checks[n]) for n in names))
        report = dict(zip(names, results))
        ready = all(v == "ok" for v in report.values()) and self.state() == "running"
        return web.json_response({"status": "ready" if ready else "not ready", "state": self.state(),
                                  "checks": report}, status=200 if ready else 503)

    async def _check(self, check: Check) -> str:
        try:
            await asyncio.wait_for(check(), self.timeout_s)
            return "ok"
        except asyncio.TimeoutError:
            return f"no answer within {self.timeout_s:g} s"
        except Exception as exc:
            return type(exc).__name__


def dependency_checks(redis, mongodb_ping: Check) -> dict[str, Check]:
    """Ping Redis and MongoDB with the worker's own clients (MongoDB's check fails until its set-up is done)."""
    return {"redis": redis.ping, "mongodb": mongodb_ping}
