"""A local stand-in for OpenAI's /v1/chat/completions that checks what arrives."""
from __future__ import annotations

import json

from aiohttp import web

from tests.stubs.local_aiohttp import serve


class ChatCompletionsStub:
    def __init__(self, answer: dict | None = None, status: int = 200):
        self.answer = answer
        self.status = status
        self.requests: list[dict] = []
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def start(self) -> "ChatCompletionsStub":
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._complete)
        self._runner, port = await serve(app)
        self.base_url = f"http://127.0.0.1:{port}/v1"
        return self

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    async def _complete(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append({"body": body, "auth": request.headers.get("Authorization", "")})
        if self.status != 200:
            return web.json_response({"error": {"message": "stub failure", "type": "server_error"}},
                                     status=self.status)
        return web.json_response({
            "id": "chatcmpl-stub", "object": "chat.completion", "created": 0, "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": json.dumps(self.answer)}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        })
