"""A small local stand-in for LiveKit's server API (Twirp: protobuf over HTTP POST).

It parses each request with livekit.protocol's own classes, checks the bearer JWT
with livekit-api's TokenVerifier and the grant each method needs, records every
request, keeps just enough state (rooms, participants, egresses) to answer like
the server, and fails on demand with Twirp error bodies the way LiveKit does
(SIP failures carry `meta.sip_status_code` / `meta.sip_status`).
"""
from __future__ import annotations

import json
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from aiohttp import web
from livekit import api
from livekit.protocol import agent_dispatch, egress, room, sip
from livekit.protocol import models

from tests.stubs.local_aiohttp import serve

Hook = Callable[[Any], Awaitable[None]]

_TWIRP_HTTP_STATUS = {
    "canceled": 408, "invalid_argument": 400, "malformed": 400, "deadline_exceeded": 408, "not_found": 404,
    "bad_route": 404, "already_exists": 409, "permission_denied": 403, "unauthenticated": 401,
    "resource_exhausted": 429, "failed_precondition": 412, "aborted": 409, "out_of_range": 400,
    "unimplemented": 501, "internal": 500, "unavailable": 503, "dataloss": 500, "unknown": 500,
}


@dataclass
class StubRequest:
    service: str
    method: str
    message: Any
    claims: api.access_token.Claims


@dataclass
class ScriptedError:
    code: str
    msg: str = ""
    meta: dict[str, str] = field(default_factory=dict)
    status: int | None = None  # HTTP status; the Twirp code's own status when None

    @property
    def http_status(self) -> int:
        return self.status or _TWIRP_HTTP_STATUS.get(self.code, 500)


class TwirpFailure(Exception):
    def __init__(self, error: ScriptedError):
        super().__init__(error.msg)
        self.error = error


def _room_create(c, m) -> bool:
    return bool(c.video and c.video.room_create)


def _room_admin(c, m) -> bool:
    return bool(c.video and c.video.room_admin and c.video.room == m.room)


def _room_record(c, m) -> bool:
    return bool(c.video and c.video.room_record)


def _sip_call(c, m) -> bool:
    return bool(c.sip and c.sip.call)


class LiveKitTwirpStub:
    """Start with `await stub.start()`; point `api.LiveKitAPI(stub.url, stub.api_key, stub.api_secret)` at it."""

    def __init__(self, api_key: str = "stub-key", api_secret: str = "stub-secret-that-is-long-enough-for-hs256"):
        self.api_key = api_key
        self.api_secret = api_secret
        self.requests: list[StubRequest] = []
        self.rejected: list[tuple[str, str]] = []  # (method, why) for requests refused for auth
        self.rooms: dict[str, room.CreateRoomRequest] = {}
        self.participants: dict[str, set[str]] = defaultdict(set)
        self.egresses: dict[str, egress.EgressInfo] = {}
        self._failures: dict[str, deque[ScriptedError]] = defaultdict(deque)
        self._hooks: dict[str, Hook] = {}
        self._verifier = api.TokenVerifier(api_key, api_secret)
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self._routes = {
            ("RoomService", "CreateRoom"): (room.CreateRoomRequest, _room_create, self._create_room),
            ("RoomService", "DeleteRoom"): (room.DeleteRoomRequest, _room_create, self._delete_room),
            ("RoomService", "RemoveParticipant"): (room.RoomParticipantIdentity, _room_admin, self._remove),
            ("AgentDispatchService", "CreateDispatch"): (
                agent_dispatch.CreateAgentDispatchRequest, _room_admin, self._dispatch),
            ("Egress", "StartRoomCompositeEgress"): (egress.RoomCompositeEgressRequest, _room_record, self._egress),
            ("Egress", "StopEgress"): (egress.StopEgressRequest, _room_record, self._stop_egress),
            ("SIP", "CreateSIPParticipant"): (sip.CreateSIPParticipantRequest, _sip_call, self._sip_participant),
        }

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> "LiveKitTwirpStub":
        app = web.Application()
        app.router.add_post("/twirp/livekit.{service}/{method}", self._handle)
        self._runner, self.port = await serve(app)
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # Scripting

    def fail(self, method: str, code: str, msg: str = "", *, meta: dict[str, str] | None = None,
             status: int | None = None, times: int = 1) -> None:
        """The next `times` calls of `method` answer with this Twirp error."""
        for _ in range(times):
            self._failures[method].append(ScriptedError(code, msg or code, dict(meta or {}), status))

    def fail_sip(self, sip_status_code: int, sip_status: str, *, code: str = "unavailable",
                 status: int | None = None) -> None:
        """The next dial fails the way LiveKit reports a SIP final response."""
        self.fail("CreateSIPParticipant", code, f"sip status: {sip_status_code}: {sip_status}",
                  meta={"sip_status_code": str(sip_status_code), "sip_status": sip_status}, status=status)

    def on(self, method: str, hook: Hook) -> None:
        """Run `hook(request_message)` before answering `method` (to delay, to act as the agent, to raise)."""
        self._hooks[method] = hook

    def calls(self, method: str) -> list[Any]:
        return [r.message for r in self.requests if r.method == method]

    @property
    def methods(self) -> list[str]:
        return [r.method for r in self.requests]

    # Serving

    async def _handle(self, request: web.Request) -> web.Response:
        service, method = request.match_info["service"], request.match_info["method"]
        route = self._routes.get((service, method))
        if route is None:
            return _error(ScriptedError("bad_route", f"no handler for {service}/{method}"))
        if request.content_type != "application/protobuf":
            return _error(ScriptedError("malformed", f"content type {request.content_type}"))
        request_class, allowed, handler = route
        message = request_class.FromString(await request.read())
        auth = request.headers.get("Authorization", "")
        try:
            claims = self._verifier.verify(auth.removeprefix("Bearer "))
        except Exception as exc:
            self.rejected.append((method, f"token: {exc}"))
            return _error(ScriptedError("unauthenticated", str(exc)))
        if not allowed(claims, message):
            self.rejected.append((method, "missing grant"))
            return _error(ScriptedError("permission_denied", f"{method} needs another grant"))
        self.requests.append(StubRequest(service, method, message, claims))
        try:
            hook = self._hooks.get(method)
            if hook is not None:
                await hook(message)
            if self._failures[method]:
                raise TwirpFailure(self._failures[method].popleft())
            reply = handler(message)
        except TwirpFailure as failure:
            return _error(failure.error)
        return web.Response(body=reply.SerializeToString(), content_type="application/protobuf")

    def _create_room(self, m: room.CreateRoomRequest) -> models.Room:
        self.rooms[m.name] = m
        return models.Room(sid=f"RM_{uuid.uuid4().hex[:12]}", name=m.name, empty_timeout=m.empty_timeout,
                           max_participants=m.max_participants)

    def _delete_room(self, m: room.DeleteRoomRequest) -> room.DeleteRoomResponse:
        if self.rooms.pop(m.room, None) is None:
            raise TwirpFailure(ScriptedError("not_found", "room not found"))
        self.participants.pop(m.room, None)
        return room.DeleteRoomResponse()

    def _remove(self, m: room.RoomParticipantIdentity) -> room.RemoveParticipantResponse:
        if m.identity not in self.participants.get(m.room, set()):
            raise TwirpFailure(ScriptedError("not_found", "participant not found"))
        self.participants[m.room].discard(m.identity)
        return room.RemoveParticipantResponse()

    def _dispatch(self, m: agent_dispatch.CreateAgentDispatchRequest) -> agent_dispatch.AgentDispatch:
        self._require_room(m.room)
        return agent_dispatch.AgentDispatch(id=f"AD_{uuid.uuid4().hex[:12]}", agent_name=m.agent_name,
                                            room=m.room, metadata=m.metadata)

    def _egress(self, m: egress.RoomCompositeEgressRequest) -> egress.EgressInfo:
        self._require_room(m.room_name)
        info = egress.EgressInfo(egress_id=f"EG_{uuid.uuid4().hex[:12]}", room_name=m.room_name,
                                 status=egress.EgressStatus.EGRESS_STARTING)
        self.egresses[info.egress_id] = info
        return info

    def _stop_egress(self, m: egress.StopEgressRequest) -> egress.EgressInfo:
        info = self.egresses.get(m.egress_id)
        if info is None or info.status != egress.EgressStatus.EGRESS_STARTING:
            raise TwirpFailure(ScriptedError("failed_precondition", "egress not active"))
        info.status = egress.EgressStatus.EGRESS_ENDING
        return info

    def _sip_participant(self, m: sip.CreateSIPParticipantRequest) -> sip.SIPParticipantInfo:
        self._require_room(m.room_name)
        self.participants[m.room_name].add(m.participant_identity)
        return sip.SIPParticipantInfo(participant_id=f"PA_{uuid.uuid4().hex[:12]}",
                                      participant_identity=m.participant_identity, room_name=m.room_name,
                                      sip_call_id=f"SCL_{uuid.uuid4().hex[:12]}")

    def _require_room(self, name: str) -> None:
        if name not in self.rooms:
            raise TwirpFailure(ScriptedError("not_found", f"room {name} not found"))


def _error(error: ScriptedError) -> web.Response:
    body = {"code": error.code, "msg": error.msg}
    if error.meta:
        body["meta"] = error.meta
    return web.Response(status=error.http_status, text=json.dumps(body), content_type="application/json")


