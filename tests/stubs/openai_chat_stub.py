"""A local stand-in for OpenAI's /v1/chat/completions that checks what arrives.

Given `script` (tests/stubs/scripted_model.next_turn), it answers a streamed
request from the messages it was sent, as server-sent chunks with text and
streamed tool calls, then a usage chunk, as the real endpoint does. It also
serves GET /v1/models/{name}, checking the key.
"""
from __future__ import annotations

import asyncio
import itertools
import json
from typing import Callable

from aiohttp import web

from tests.stubs.local_aiohttp import ModelEndpoint, serve
from tests.stubs.scripted_model import Item, Said, ToolOutput, Turn

USAGE = {"prompt_tokens": 40, "completion_tokens": 12, "total_tokens": 52,
         "prompt_tokens_details": {"cached_tokens": 0}}


class ChatCompletionsStub(ModelEndpoint):
    def __init__(self, answer: dict | None = None, status: int = 200, *,
                 script: Callable[[list[Item]], Turn] | None = None, api_key: str | None = None,
                 models: tuple[str, ...] = ("gpt-4.1-mini",), delay_s: float = 0.0):
        self.answer = answer
        self.delay_s = delay_s  # a slow model: each streamed answer waits this long before its first chunk
        self.status = status
        self.script = script
        self.api_key = api_key
        self.models = models
        self.calls: list[tuple[str, dict]] = []
        self._ids = itertools.count(1)
        self.requests: list[dict] = []
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def start(self) -> "ChatCompletionsStub":
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._complete)
        app.router.add_get("/v1/models/{name}", self._model)
        self._runner, port = await serve(app)
        self.base_url = f"http://127.0.0.1:{port}/v1"
        return self

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    async def _complete(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append({"body": body, "auth": request.headers.get("Authorization", "")})
        if not self._key_ok(request):
            return web.json_response({"error": {"message": "Incorrect API key provided"}}, status=401)
        if self.script is not None:
            return await self._stream(request, body)
        if self.status != 200:
            return web.json_response({"error": {"message": "stub failure", "type": "server_error"}},
                                     status=self.status)
        return web.json_response({
            "id": "chatcmpl-stub", "object": "chat.completion", "created": 0, "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": json.dumps(self.answer)}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        })

    @staticmethod
    def _conversation(messages: list[dict]) -> list[Item]:
        names = {call["id"]: call["function"]["name"] for m in messages for call in m.get("tool_calls") or []}
        conversation: list[Item] = []
        for index, message in enumerate(messages):
            content = message.get("content")
            if isinstance(content, list):
                content = " ".join(part.get("text", "") for part in content if isinstance(part, dict))
            # The first system message is the agent's instructions; a later one was given for this reply.
            said = message["role"] in ("user", "assistant") or (message["role"] == "system" and index > 0)
            if said and content:
                conversation.append(Said(message["role"], content))
            elif message["role"] == "tool":
                conversation.append(ToolOutput(names.get(message.get("tool_call_id", ""), "?"), content or ""))
        return conversation

    async def _stream(self, request: web.Request, body: dict) -> web.StreamResponse:
        turn = self.script(self._conversation(body.get("messages", [])))
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        base = {"id": f"chatcmpl-{next(self._ids)}", "object": "chat.completion.chunk", "created": 0,
                "model": body["model"]}

        async def send(delta: dict | None, finish: str | None = None, **extra) -> None:
            choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
            await response.write(f"data: {json.dumps({**base, 'choices': choices, **extra})}\n\n".encode())

        await send({"role": "assistant", "content": ""})
        if turn.text:
            await send({"content": turn.text})
        for index, (name, arguments) in enumerate(turn.tools):
            self.calls.append((name, arguments))
            text = json.dumps(arguments)
            await send({"tool_calls": [{"index": index, "id": f"call_{next(self._ids)}", "type": "function",
                                        "function": {"name": name, "arguments": ""}}]})
            for cut in range(0, len(text), 8):  # arguments arrive in pieces, as they do from the real endpoint
                await send({"tool_calls": [{"index": index, "function": {"arguments": text[cut:cut + 8]}}]})
        await send({}, "tool_calls" if turn.tools else "stop")
        await send(None, usage=USAGE)
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response
