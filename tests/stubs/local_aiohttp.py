"""Serving a stub's aiohttp application on a free loopback port."""
from __future__ import annotations

from aiohttp import web


async def serve(app: web.Application) -> tuple[web.AppRunner, int]:
    """Start `app` on 127.0.0.1 and a free port; returns the runner (clean it up to stop) and the port."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]


class ModelEndpoint:
    """What both OpenAI stand-ins share: the key check and GET /v1/models/{name} (the simulator's access check)."""

    api_key: str | None
    models: tuple[str, ...]

    def _key_ok(self, request: web.Request) -> bool:
        return self.api_key is None or request.headers.get("Authorization") == f"Bearer {self.api_key}"

    async def _model(self, request: web.Request) -> web.Response:
        if not self._key_ok(request):
            return web.json_response({"error": {"message": "Incorrect API key provided",
                                                "code": "invalid_api_key"}}, status=401)
        name = request.match_info["name"]
        if name not in self.models:
            return web.json_response({"error": {"message": f"The model '{name}' does not exist",
                                                "code": "model_not_found"}}, status=404)
        return web.json_response({"id": name, "object": "model", "owned_by": "stub"})
