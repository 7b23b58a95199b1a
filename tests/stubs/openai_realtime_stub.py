"""A local OpenAI Realtime endpoint (WebSocket) that answers each response.create with a text reply.

Given `script` (tests/stubs/scripted_model.next_turn), it answers from the
conversation it was sent instead, with text and function calls, as a model that
calls tools would. It also serves GET /v1/models/{name}, checking the key.

It speaks the events livekit's RealtimeModel reads (conversation.item.added,
response.created echoing metadata.client_event_id, response.output_item.added,
response.content_part.added, response.output_text.delta/done,
response.output_item.done, response.done with usage) and keeps every client
event it received, so tests can check what the model was sent and when.
"""
from __future__ import annotations

import itertools
import json
from typing import Any, Callable

from aiohttp import WSMsgType, web

from tests.stubs.local_aiohttp import ModelEndpoint, serve
from tests.stubs.scripted_model import Item, Said, ToolOutput, Turn


class RealtimeStub(ModelEndpoint):
    def __init__(self, replies: list[str] | None = None, *, script: Callable[[list[Item]], Turn] | None = None,
                 api_key: str | None = None, models: tuple[str, ...] = ("gpt-realtime",)):
        self.replies = list(replies or [])
        self.script = script
        self.api_key = api_key
        self.models = models
        self.calls: list[tuple[str, dict]] = []  # every function call the stub made, in order
        self.received: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self._ids = itertools.count(1)
        self._items: list[str] = []
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def start(self) -> "RealtimeStub":
        app = web.Application()
        app.router.add_get("/v1/realtime", self._socket)
        app.router.add_get("/v1/models/{name}", self._model)
        self._runner, self.port = await serve(app)
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.received if e.get("type") == kind]

    def _id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids)}"

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        self.paths.append(request.path_qs)
        if not self._key_ok(request):
            return web.json_response({"error": {"message": "Incorrect API key provided"}}, status=401)
        conversation: list[Item] = []
        call_names: dict[str, str] = {}
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "session.created", "event_id": self._id("ev"),
                            "session": {"id": "sess_1", "object": "realtime.session", "type": "realtime"}})
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            event = json.loads(msg.data)
            self.received.append(event)
            kind = event.get("type")
            if kind == "conversation.item.create":
                item = {**event["item"], "status": "completed", "object": "realtime.item"}
                self._remember(item, conversation, call_names)
                previous = event.get("previous_item_id")
                # Like the server: an unknown anchor means the end of the conversation.
                previous = previous if previous in self._items else (self._items[-1] if self._items else None)
                self._items.append(item["id"])
                await ws.send_json({"type": "conversation.item.added", "event_id": self._id("ev"),
                                    "previous_item_id": previous, "item": item})
            elif kind == "conversation.item.delete":
                await ws.send_json({"type": "conversation.item.deleted", "event_id": self._id("ev"),
                                    "item_id": event["item_id"]})
            elif kind == "response.create":
                if self.script is not None:
                    await self._respond_scripted(ws, event, conversation, call_names)
                else:
                    await self._respond(ws, event)
        return ws

    @staticmethod
    def _remember(item: dict[str, Any], conversation: list[Item], call_names: dict[str, str]) -> None:
        if item.get("type") == "message":
            text = " ".join(part.get("text") or part.get("transcript") or "" for part in item.get("content", []))
            conversation.append(Said(item.get("role", "user"), text))
        elif item.get("type") == "function_call_output":
            conversation.append(ToolOutput(call_names.get(item.get("call_id", ""), "?"), item.get("output", "")))

    async def _respond_scripted(self, ws: web.WebSocketResponse, event: dict[str, Any], conversation: list[Item],
                                call_names: dict[str, str]) -> None:
        instructions = (event.get("response") or {}).get("instructions")
        # A reply asked for with instructions (generate_reply): the model reads them for this response only.
        turn = self.script(conversation + [Said("system", instructions)] if instructions else conversation)
        response_id = self._id("resp")
        metadata = (event.get("response") or {}).get("metadata") or {}
        output: list[dict[str, Any]] = []
        await ws.send_json({"type": "response.created", "event_id": self._id("ev"),
                            "response": {"id": response_id, "object": "realtime.response", "status": "in_progress",
                                         "output": [], "metadata": metadata}})
        if turn.text:
            item_id = self._id("item")
            previous = self._items[-1] if self._items else None
            self._items.append(item_id)
            conversation.append(Said("assistant", turn.text))
            await self._send_text(ws, response_id, item_id, len(output), turn.text, previous)
            output.append({"id": item_id, "type": "message", "role": "assistant", "status": "completed",
                           "content": [{"type": "output_text", "text": turn.text}]})
        for name, arguments in turn.tools:
            item_id, call_id = self._id("item"), self._id("call")
            call_names[call_id] = name
            self.calls.append((name, arguments))
            item = {"id": item_id, "object": "realtime.item", "type": "function_call", "status": "completed",
                    "name": name, "call_id": call_id, "arguments": json.dumps(arguments)}
            previous = self._items[-1] if self._items else None
            self._items.append(item_id)
            for message in (
                {"type": "response.output_item.added", "response_id": response_id, "output_index": len(output),
                 "item": {**item, "status": "in_progress", "arguments": ""}},
                {"type": "conversation.item.added", "previous_item_id": previous, "item": item},
                {"type": "response.function_call_arguments.done", "response_id": response_id, "item_id": item_id,
                 "output_index": len(output), "call_id": call_id, "name": name, "arguments": item["arguments"]},
                {"type": "response.output_item.done", "response_id": response_id, "output_index": len(output),
                 "item": item},
            ):
                await ws.send_json({**message, "event_id": self._id("ev")})
            output.append(item)
        await ws.send_json({"type": "response.done", "event_id": self._id("ev"),
                            "response": {"id": response_id, "object": "realtime.response", "status": "completed",
                                         "output": output, "metadata": metadata, "usage": _USAGE}})

    async def _send_text(self, ws: web.WebSocketResponse, response_id: str, item_id: str, index: int,
                         text: str, previous: str | None) -> None:
        base = {"response_id": response_id, "item_id": item_id, "output_index": index, "content_index": 0}
        pending = {"id": item_id, "object": "realtime.item", "type": "message", "role": "assistant",
                   "status": "in_progress", "content": []}
        done_item = {**pending, "status": "completed", "content": [{"type": "output_text", "text": text}]}
        for message in (
            {"type": "response.output_item.added", "response_id": response_id, "output_index": index, "item": pending},
            {"type": "conversation.item.added", "previous_item_id": previous, "item": pending},
            {"type": "response.content_part.added", **base, "part": {"type": "text", "text": ""}},
            {"type": "response.output_text.delta", **base, "delta": text},
            {"type": "response.output_text.done", **base, "text": text},
            {"type": "response.output_item.done", "response_id": response_id, "output_index": index,
             "item": done_item},
        ):
            await ws.send_json({**message, "event_id": self._id("ev")})

    async def _respond(self, ws: web.WebSocketResponse, event: dict[str, Any]) -> None:
        text = self.replies.pop(0) if self.replies else "Mm-hm."
        response_id, item_id = self._id("resp"), self._id("item")
        metadata = (event.get("response") or {}).get("metadata") or {}
        base = {"response_id": response_id, "item_id": item_id, "output_index": 0, "content_index": 0}
        self._items.append(item_id)
        pending = {"id": item_id, "object": "realtime.item", "type": "message", "role": "assistant",
                   "status": "in_progress", "content": []}
        done_item = {**pending, "status": "completed", "content": [{"type": "output_text", "text": text}]}
        usage = _USAGE
        for message in (
            {"type": "response.created", "response": {"id": response_id, "object": "realtime.response",
                                                      "status": "in_progress", "output": [], "metadata": metadata}},
            {"type": "response.output_item.added", "response_id": response_id, "output_index": 0, "item": pending},
            {"type": "response.content_part.added", **base, "part": {"type": "text", "text": ""}},
            {"type": "response.output_text.delta", **base, "delta": text},
            {"type": "response.output_text.done", **base, "text": text},
            {"type": "response.output_item.done", "response_id": response_id, "output_index": 0, "item": done_item},
            {"type": "response.done", "response": {"id": response_id, "object": "realtime.response",
                                                   "status": "completed", "output": [done_item],
                                                   "metadata": metadata, "usage": usage}},
        ):
            await ws.send_json({**message, "event_id": self._id("ev")})


# What every response reports it used: tests check the simulation adds these up.
_USAGE = {"total_tokens": 30, "input_tokens": 20, "output_tokens": 10,
          "input_token_details": {"text_tokens": 20, "audio_tokens": 0, "cached_tokens": 0},
          "output_token_details": {"text_tokens": 10, "audio_tokens": 0}}
