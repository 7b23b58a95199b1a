"""A local OpenAI Realtime endpoint (WebSocket) that answers each response.create with a text reply.

It speaks the events livekit's RealtimeModel reads (conversation.item.added,
response.created echoing metadata.client_event_id, response.output_item.added,
response.content_part.added, response.output_text.delta/done,
response.output_item.done, response.done with usage) and keeps every client
event it received, so tests can check what the model was sent and when.
"""
from __future__ import annotations

import itertools
import json
from typing import Any

from aiohttp import WSMsgType, web

from tests.stubs.local_aiohttp import serve


class RealtimeStub:
    def __init__(self, replies: list[str]):
        self.replies = list(replies)
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
        self._runner, self.port = await serve(app)
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.received if e.get("type") == kind]

    def _id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids)}"

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        self.paths.append(request.path_qs)
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
                await self._respond(ws, event)
        return ws

    async def _respond(self, ws: web.WebSocketResponse, event: dict[str, Any]) -> None:
        text = self.replies.pop(0) if self.replies else "Mm-hm."
        response_id, item_id = self._id("resp"), self._id("item")
        metadata = (event.get("response") or {}).get("metadata") or {}
        base = {"response_id": response_id, "item_id": item_id, "output_index": 0, "content_index": 0}
        self._items.append(item_id)
        pending = {"id": item_id, "object": "realtime.item", "type": "message", "role": "assistant",
                   "status": "in_progress", "content": []}
        done_item = {**pending, "status": "completed", "content": [{"type": "output_text", "text": text}]}
        usage = {"total_tokens": 30, "input_tokens": 20, "output_tokens": 10,
                 "input_token_details": {"text_tokens": 20, "audio_tokens": 0, "cached_tokens": 0},
                 "output_token_details": {"text_tokens": 10, "audio_tokens": 0}}
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
