"""CallLine on LiveKit: room, agent dispatch, egress recording, SIP dial, hand-back, teardown.

One call, in order: create the room; dispatch the agent by name with the call's
context as metadata (ids only, no personal data); start the room-composite audio
egress to S3; `on_dialing()`; dial with `create_sip_participant(wait_until_answered)`;
then wait for the agent's result through the CallHandback. Whatever happens
(errors, cancellation), the SIP leg is hung up, the egress stopped and the room
deleted before `conduct` returns or raises.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass, replace
from typing import Any, Awaitable, Callable

import aiohttp
from google.protobuf.duration_pb2 import Duration
from livekit import api
from livekit.api.twirp_client import ServerError, SipCallError

from application.call.stages import CallStages
from application.errors import TransientFault
from application.ports.call_handback import AgentLost, CallHandback, UnreadableResult
from application.ports.call_line import CallRequest, CallResult, DialingHook
from application.ports.clock import Clock
from application.ports.telemetry import Telemetry
from domain.outcomes import CallOutcome
from infrastructure.call_artifact_layout import checked_prefix, recording_key
from infrastructure.sip_outcomes import TWIRP_NO_ANSWER_CODES, outcome_for_sip_status
from infrastructure.system_clock import SystemClock

log = logging.getLogger(__name__)

DISPATCH_METADATA_VERSION = 1
CALLEE_IDENTITY = "callee"
AGENT_LOST_REASON = "agent lost"


@dataclass(frozen=True)
class LiveKitCallSettings:
    """What the adapter needs from configuration (LIVEKIT_* and the SIP trunk)."""

    url: str
    api_key: str
    api_secret: str
    sip_trunk_id: str  # the outbound trunk, ST_...
    agent_name: str  # the name the agent worker registers with (explicit dispatch)
    ringing_timeout_s: int = 30
    max_call_duration_s: int = 15 * 60
    handback_margin_s: float = 60.0  # on top of max_call_duration_s before giving up on the agent
    empty_timeout_s: int = 60
    max_participants: int = 4  # agent, callee, egress recorder, one transfer target
    krisp_enabled: bool = True
    request_timeout_s: float = 10.0
    room_prefix: str = "call-"

    def __post_init__(self) -> None:
        for name in ("url", "api_key", "api_secret", "sip_trunk_id", "agent_name"):
            if not getattr(self, name):
                raise ValueError(f"LiveKit setting {name} must be set")
        for name in ("ringing_timeout_s", "max_call_duration_s", "empty_timeout_s", "max_participants"):
            if getattr(self, name) <= 0:
                raise ValueError(f"LiveKit setting {name} must be positive, got {getattr(self, name)}")
        if self.handback_margin_s < 0 or self.request_timeout_s <= 0:
            raise ValueError("handback_margin_s must be >= 0 and request_timeout_s > 0")


@dataclass(frozen=True)
class EgressS3Settings:
    """Where LiveKit Egress uploads the recording. Empty credentials: the egress
    service's own (or `assume_role_arn`). Egress cannot send SSE headers, so the
    bucket's default encryption must be on (S3Artifacts.ensure_bucket sets it)."""

    bucket: str
    prefix: str = "calls/"  # the same prefix as S3Artifacts, so the recording sits by the transcript
    region: str = ""
    endpoint: str = ""
    access_key: str = ""
    secret: str = ""
    assume_role_arn: str = ""
    force_path_style: bool = False

    def __post_init__(self) -> None:
        if not self.bucket:
            raise ValueError("egress bucket must be set")
        checked_prefix(self.prefix)


@dataclass
class _Leg:
    """What one call created on the server, for teardown."""

    room: str
    room_created: bool = False
    egress_id: str | None = None
    sip_requested: bool = False


class LiveKitCallLine:
    """`handback`: the CallHandback the agent publishes to. `recording`: None disables egress.
    `api_factory` builds a LiveKitAPI per call (default: from `settings`). `telemetry` gets the dial
    and conversation stages (menus and booking run in the agent worker, which traces them itself)."""

    def __init__(self, settings: LiveKitCallSettings, handback: CallHandback, *,
                 recording: EgressS3Settings | None = None, clock: Clock | None = None,
                 api_factory: Callable[[], api.LiveKitAPI] | None = None, telemetry: Telemetry | None = None,
                 pace: Callable[[], Awaitable[None]] | None = None):
        self.settings = settings
        # Awaited before each request that sets a call up (the account's rate limit); never before a
        # hang-up, egress stop or room deletion: ending a call must not wait for quota.
        self.pace = pace
        self.telemetry = telemetry
        self.handback = handback
        self.recording = recording
        self.clock = clock or SystemClock()
        self._api_factory = api_factory or self._default_api
        self._teardowns: set[asyncio.Task] = set()

    def room_name(self, call_id: str) -> str:
        return f"{self.settings.room_prefix}{call_id}"

    def dispatch_metadata(self, request: CallRequest) -> dict[str, Any]:
        """What the agent receives as job metadata: ids to load the rest, never the phone number."""
        return {
            "v": DISPATCH_METADATA_VERSION,
            "call_id": request.call_id,
            "campaign_id": request.campaign.id,
            "contact_id": request.contact.id,
            "step": request.step,
            "final_step": request.final_step,
            "batch": request.campaign.batch,
            "script_id": request.campaign.script_id,
            "callee_identity": CALLEE_IDENTITY,
            "max_call_duration_s": self.settings.max_call_duration_s,
            "attempt": request.attempt,
        }

    async def conduct(self, request: CallRequest, on_dialing: DialingHook) -> CallResult:
        lk = self._api_factory()
        leg = _Leg(room=self.room_name(request.call_id))
        try:
            return await self._conduct(lk, leg, request, on_dialing)
        finally:
            # A task, shielded: a second cancellation must not leave the phone line up.
            teardown = asyncio.create_task(self._teardown(lk, leg, request.call_id))
            self._teardowns.add(teardown)
            teardown.add_done_callback(self._teardowns.discard)
            await asyncio.shield(teardown)

    async def _conduct(self, lk: api.LiveKitAPI, leg: _Leg, request: CallRequest,
                       on_dialing: DialingHook) -> CallResult:
        s = self.settings
        report: dict[str, Any] = {"room": leg.room}
        try:
            await lk.room.create_room(api.CreateRoomRequest(
                name=leg.room, empty_timeout=s.empty_timeout_s, max_participants=s.max_participants))
            leg.room_created = True
            dispatch = await lk.agent_dispatch.create_dispatch(api.CreateAgentDispatchRequest(
                agent_name=s.agent_name, room=leg.room, metadata=json.dumps(self.dispatch_metadata(request))))
            report["dispatch_id"] = dispatch.id
            if self.recording is not None:
                info = await lk.egress.start_room_composite_egress(self._egress_request(leg.room, request.call_id))
                leg.egress_id = info.egress_id
                report["egress_id"] = info.egress_id
        except ServerError as exc:
            if exc.status >= 500 or exc.status == 429:
                raise TransientFault("livekit", f"{exc.code}: {exc.message}") from exc
            # A refusal (bad credentials, unknown agent, bad request) will not pass by retrying.
            log.error("call %s: LiveKit refused the call setup (%s)", request.call_id, exc.code)
            return self._ended(CallOutcome.FAILED, f"not dialed: LiveKit refused the call setup ({exc.code})",
                               report)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise TransientFault("livekit", f"{type(exc).__name__} before dialing") from exc

        stages = CallStages(self.telemetry, call_id=request.call_id)
        await on_dialing()
        leg.sip_requested = True
        result = None
        try:
            result = await self._after_dialing(lk, leg, request, report, stages)
            return result
        except Exception as exc:  # the phone may have rung: report, never raise
            log.exception("call %s: failed after dialing", request.call_id)
            return self._ended(CallOutcome.FAILED, f"{type(exc).__name__} after dialing", report)
        finally:
            stages.ended(result.outcome.value if result else None)

    async def _after_dialing(self, lk: api.LiveKitAPI, leg: _Leg, request: CallRequest,
                             report: dict[str, Any], stages: CallStages) -> CallResult:
        s = self.settings
        dial_started = time.monotonic()
        stages.dialing()
        try:
            participant = await lk.sip.create_sip_participant(self._dial_request(leg.room, request))
        except SipCallError as exc:
            stages.not_answered(f"SIP {exc.sip_status_code}")
            return self._ended(outcome_for_sip_status(exc.sip_status_code),
                               f"SIP {exc.sip_status_code} {exc.sip_status or ''}".strip(), report)
        except ServerError as exc:
            stages.not_answered(exc.code)
            if exc.code in TWIRP_NO_ANSWER_CODES:
                return self._ended(CallOutcome.NO_ANSWER, f"no answer ({exc.code})", report)
            log.error("call %s: dial refused (%s, HTTP %s)", request.call_id, exc.code, exc.status)
            return self._ended(CallOutcome.FAILED, f"dial refused by LiveKit ({exc.code})", report)
        except asyncio.TimeoutError:
            stages.not_answered("no_answer")
            return self._ended(CallOutcome.NO_ANSWER, "no answer before the ringing timeout", report)
        except aiohttp.ClientError as exc:
            stages.not_answered(type(exc).__name__)
            return self._ended(CallOutcome.FAILED, f"LiveKit unreachable while dialing ({type(exc).__name__})",
                               report)
        stages.answered()
        report["answer_after_s"] = round(time.monotonic() - dial_started, 3)
        report["sip_call_id"] = participant.sip_call_id

        try:
            result = await self.handback.wait(request.call_id, timeout=s.max_call_duration_s + s.handback_margin_s)
        except UnreadableResult as exc:
            log.error("call %s: unreadable agent result (%s)", request.call_id, exc)
            return self._ended(CallOutcome.FAILED, f"agent result unreadable: {exc}", report)
        if result is None:
            return self._ended(CallOutcome.FAILED, "no result from the agent before the call's time limit", report)
        if isinstance(result, AgentLost):
            log.error("call %s: agent lost (silent %.1f s)", request.call_id, result.silent_for_s)
            return self._ended(CallOutcome.FAILED, AGENT_LOST_REASON, report)
        if self.recording is not None and result.recording_key is None:
            result = replace(result, recording_key=self._recording_key(request.call_id))
        return replace(result, report={**result.report, "livekit": report})

    async def _teardown(self, lk: api.LiveKitAPI, leg: _Leg, call_id: str) -> None:
        try:
            # Hang up first: deleting the room alone has left phone calls up (livekit/agents#1033).
            if leg.sip_requested:
                await self._quietly(call_id, "hang up", lk.room.remove_participant(
                    api.RoomParticipantIdentity(room=leg.room, identity=CALLEE_IDENTITY)))
            if leg.egress_id:
                await self._quietly(call_id, "stop egress", lk.egress.stop_egress(
                    api.StopEgressRequest(egress_id=leg.egress_id)))
            if leg.room_created:
                await self._quietly(call_id, "delete room", lk.room.delete_room(api.DeleteRoomRequest(room=leg.room)))
        finally:
            await lk.aclose()

    @staticmethod
    async def _quietly(call_id: str, what: str, step) -> None:
        try:
            await step
        except ServerError as exc:
            # Already gone (callee hung up, egress ended with the room) is the normal case.
            if exc.code not in ("not_found", "failed_precondition"):
                log.warning("call %s: could not %s (%s)", call_id, what, exc.code)
        except Exception as exc:
            log.warning("call %s: could not %s (%s)", call_id, what, type(exc).__name__)

    def _egress_request(self, room: str, call_id: str) -> api.RoomCompositeEgressRequest:
        r = self.recording
        assert r is not None
        upload = api.S3Upload(bucket=r.bucket, region=r.region, endpoint=r.endpoint, access_key=r.access_key,
                              secret=r.secret, assume_role_arn=r.assume_role_arn, force_path_style=r.force_path_style,
                              tagging="kind=recording", metadata={"call-id": call_id})
        return api.RoomCompositeEgressRequest(
            room_name=room, audio_only=True, audio_mixing=api.AudioMixing.DUAL_CHANNEL_AGENT,
            file_outputs=[api.EncodedFileOutput(file_type=api.EncodedFileType.OGG,
                                                filepath=self._recording_key(call_id), s3=upload)])

    def _recording_key(self, call_id: str) -> str:
        assert self.recording is not None
        return recording_key(call_id, ".ogg", self.recording.prefix)

    def _dial_request(self, room: str, request: CallRequest) -> api.CreateSIPParticipantRequest:
        s = self.settings
        return api.CreateSIPParticipantRequest(
            sip_trunk_id=s.sip_trunk_id, sip_call_to=request.contact.phone, room_name=room,
            participant_identity=CALLEE_IDENTITY, participant_name=CALLEE_IDENTITY,
            participant_attributes={"docshield.call_id": request.call_id},
            wait_until_answered=True, play_dialtone=False, krisp_enabled=s.krisp_enabled,
            # The agent gets ids, not the number: keep it out of participant attributes too.
            hide_phone_number=True,
            ringing_timeout=Duration(seconds=s.ringing_timeout_s),
            max_call_duration=Duration(seconds=s.max_call_duration_s),
        )

    def _ended(self, outcome: CallOutcome, reason: str, report: dict) -> CallResult:
        return CallResult(outcome=outcome, ended_at=self.clock.now(), reason=reason,
                          report={"livekit": dict(report)})

    def _default_api(self) -> api.LiveKitAPI:
        s = self.settings
        timeout = aiohttp.ClientTimeout(total=s.request_timeout_s)
        if self.pace is None:
            return api.LiveKitAPI(s.url, s.api_key, s.api_secret, timeout=timeout)
        pace = self.pace

        async def before(session, context, params) -> None:
            if not params.url.path.endswith(_UNPACED):
                await pace()

        trace = aiohttp.TraceConfig()
        trace.on_request_start.append(before)
        return _OwnSessionAPI(s.url, s.api_key, s.api_secret,
                              session=aiohttp.ClientSession(timeout=timeout, trace_configs=[trace]))


# Twirp methods that end a call: sent at once, whatever the rate limit.
_UNPACED = ("/RemoveParticipant", "/StopEgress", "/DeleteRoom")


class _OwnSessionAPI(api.LiveKitAPI):
    """A LiveKitAPI on a session it was given, closed with it."""

    async def aclose(self) -> None:
        await super().aclose()
        await self._session.close()
