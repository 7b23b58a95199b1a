"""The LiveKit shell over the call core: one LiveKit job runs the sales agent on the OpenAI Realtime model.

The ARQ job (infrastructure.livekit_call_line) created the room, dispatched this agent with ids as JSON
metadata (infrastructure.agent_dispatch) and dials the callee. This shell only does what needs the room:
load the call's records and build the core (application.call.core) and the SalesAgent; start the
AgentSession before the callee answers; start the answering-machine detector (AMD) once the SIP participant
is in the room; when its `sip.callStatus` turns active, tell the core and greet. Then it feeds the core the
line's events (session transcripts, the detector's verdict, the callee's audio for the beep detector, the
session closing, the phone leg dropping, the time limit) and carries out what the core answers (a reply
with instructions, a hang-up). Heartbeats go to the hand-back while the call runs; at the end, on every
path: hang up the SIP leg, delete the room and hand the core's CallResult back.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from application.book_meeting import BookMeeting
from application.call.brief import CallIdentity
from application.call.core import CallCore, CallPorts, CallSettings, CallSetupError
from application.ports.call_controls import CallControls
from application.ports.call_handback import CallHandback
from application.ports.call_line import CallResult
from application.ports.clock import Clock
from application.ports.compliance import DoNotCallList
from application.ports.repositories import CampaignRepository, ContactRepository
from application.ports.sales_coach import SalesCoach
from application.ports.scripts import ScriptCatalog
from application.ports.telemetry import Telemetry
from domain.campaign import MAX_FOLLOW_UPS_PER_STEP
from domain.outcomes import CallOutcome
from infrastructure.agent_dispatch import (DispatchMetadata, DispatchMetadataError, call_id_in, parse_dispatch_metadata,
                                           publish, publish_setup_failure)
from infrastructure.answering_machine import DETECTION_TIMEOUT_S
from infrastructure.livekit_line_events import converse, session_summary
from infrastructure.openai_realtime import realtime_model
from infrastructure.sales_agent import SalesAgent
from infrastructure.session_feed import SessionFeed
from infrastructure.turn_latency import TurnLatencies

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class AgentCallSettings:
    """The agent worker's configuration (from infrastructure.settings.Settings)."""

    identity: CallIdentity = field(default_factory=CallIdentity)
    realtime_model: str = "gpt-realtime"
    voice: str = "marin"
    openai_api_key: str | None = None
    openai_base_url: str | None = None
    turn_detection: str = "semantic_vad"  # or server_vad
    vad_eagerness: str = "auto"  # semantic_vad: low | medium | high | auto
    vad_silence_ms: int = 500  # server_vad
    amd_model: str = "gpt-4.1-mini"  # a text model: AMD cannot run on the realtime model
    amd_enabled: bool = True
    amd_timeout_s: float = DETECTION_TIMEOUT_S
    beep_detection: bool = True
    coach_interval_s: float = 15.0
    max_follow_ups: int = MAX_FOLLOW_UPS_PER_STEP  # callbacks the worker places per step (the promise)
    coach_timeout_s: float = 5.0
    heartbeat_interval_s: float = 2.0
    answer_timeout_s: float = 120.0  # dispatch + ringing; the call line's ringing timeout ends it first

    def __post_init__(self) -> None:
        if self.turn_detection not in ("semantic_vad", "server_vad"):
            raise ValueError(f"turn_detection must be semantic_vad or server_vad, got {self.turn_detection!r}")
        if not 0 < self.heartbeat_interval_s <= 5:
            # RedisHandback judges an agent lost after 15 s: three beats must fit in it.
            raise ValueError(f"heartbeat_interval_s must be in (0, 5], got {self.heartbeat_interval_s}")
        for name in ("coach_interval_s", "coach_timeout_s", "amd_timeout_s", "answer_timeout_s"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")


@dataclass
class AgentCallDeps:
    """Ports the agent side needs; containers.Container provides each one."""

    campaigns: CampaignRepository
    contacts: ContactRepository
    scripts: ScriptCatalog
    do_not_call: DoNotCallList
    book_meeting: BookMeeting
    sales_coach: SalesCoach
    handback: CallHandback
    clock: Clock
    telemetry: Telemetry | None = None  # dial, conversation, navigation and booking spans of this side


class AgentCall(SessionFeed):
    """One dispatched call: the core, plus what only the room has (heartbeats, transcripts, latencies).

    `prepare(controls)` builds the core and the SalesAgent; `attach(session)` feeds the session's events
    to the core; `finish(summary)` hands the result back once."""

    def __init__(self, metadata: DispatchMetadata, deps: AgentCallDeps, settings: AgentCallSettings):
        self.metadata, self.deps, self.settings = metadata, deps, settings
        self.core: CallCore | None = None
        self.agent: SalesAgent | None = None
        self.session: Any = None
        self.controls: CallControls | None = None
        self.latencies = TurnLatencies()
        self.report: dict[str, Any] = {"call_id": metadata.call_id}
        self.closed = asyncio.Event()
        self.close_reason: str | None = None
        self.published: CallResult | None = None
        self._heartbeat: asyncio.Task | None = None

    async def prepare(self, controls: CallControls) -> SalesAgent:
        """Load the campaign, contact and script; build the core and the SalesAgent."""
        m, deps = self.metadata, self.deps
        campaign = await deps.campaigns.get(m.campaign_id)
        if campaign is None:
            raise CallSetupError(f"campaign {m.campaign_id} not found")
        contact = await deps.contacts.get(m.contact_id)
        if contact is None:
            raise CallSetupError(f"contact {m.contact_id} not found")
        script = await deps.scripts.for_campaign(m.batch, m.script_id)
        ports = CallPorts(do_not_call=deps.do_not_call, book_meeting=deps.book_meeting,
                          sales_coach=deps.sales_coach, clock=deps.clock, telemetry=deps.telemetry)
        self.core = CallCore(call_id=m.call_id, campaign=campaign, contact=contact, script=script,
                             identity=self.settings.identity, controls=controls, ports=ports,
                             settings=CallSettings(coach_interval_s=self.settings.coach_interval_s,
                                                   coach_timeout_s=self.settings.coach_timeout_s,
                                                   detector=self.settings.amd_enabled,
                                                   max_follow_ups=self.settings.max_follow_ups),
                             step=m.step, attempt=m.attempt)
        self.controls = controls
        self.agent = SalesAgent(self.core.brief, self.core.actions, fast_path=self.core.fast_path)
        self.core.connect(self.agent)
        self.core.dialing()
        return self.agent

    def attach(self, session: Any) -> None:
        """Feed `session`'s (an AgentSession's) events to the core, and learn why it closed."""
        super().attach(session)
        session.on("close", self._on_close)

    def start(self) -> None:
        """Start the hand-back heartbeat and the coach loop."""
        if self._heartbeat is None:
            self._heartbeat = asyncio.create_task(self._beat(), name=f"handback-heartbeat-{self.metadata.call_id}")
        if self.core is not None:
            self.core.coach.start()

    def answered(self) -> None:
        self.core.answered()
        self.report["answered_after_s"] = round(
            (self.core.progress.answered_at - self.core.progress.started_at).total_seconds(), 3)

    def failed(self, reason: str) -> None:
        if self.core is not None:
            return self.core.failed(reason)
        log.error("call %s: %s", self.metadata.call_id, reason)
        self.report["failed"] = reason

    async def finish(self, summary: dict[str, Any] | None = None) -> CallResult:
        """Stop the loops and hand the result back, once; returns it."""
        if self.published is not None:
            return self.published
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            await asyncio.gather(self._heartbeat, return_exceptions=True)
        agent = {**self.report, "latency": self.latencies.summary(), "close_reason": self.close_reason,
                 **({"session": dict(summary)} if summary else {})}
        if self.core is None:
            result = CallResult(outcome=CallOutcome.FAILED, ended_at=self.deps.clock.now(),
                                reason=self.report.get("failed"), report={"agent": agent})
        else:
            result = await self.core.finish()
            result = replace(result, turn_latencies_ms=list(self.latencies.values_ms),
                             report={"agent": {**agent, **result.report}})
        await publish(self.deps.handback, self.metadata.call_id, result)
        self.published = result
        return result

    # -- session events (sync callbacks: the emitter does not await)

    def agent_line(self, item: Any) -> None:
        self.latencies.add(item)

    def _on_close(self, event: Any) -> None:
        reason = getattr(event, "reason", None)
        self.close_reason = getattr(reason, "value", None) or (str(reason) if reason else None)
        error = getattr(event, "error", None)
        if error is not None:
            self.report["session_error"] = type(getattr(error, "error", error)).__name__
        self.closed.set()

    async def _beat(self) -> None:
        while True:
            try:
                await self.deps.handback.heartbeat(self.metadata.call_id)
            except Exception as exc:  # Redis blips: the next beat may pass; the waiter tolerates gaps
                log.warning("call %s: heartbeat failed (%s)", self.metadata.call_id, type(exc).__name__)
            await asyncio.sleep(self.settings.heartbeat_interval_s)


ListenerFactory = Callable[[AgentCall, CallControls], Any]  # extra callee listeners (core.listeners)


async def run_agent_call(ctx: Any, deps: AgentCallDeps, settings: AgentCallSettings, *,
                         listeners: list[ListenerFactory] | None = None,
                         model_factory: Callable[[AgentCallSettings], Any] = realtime_model) -> CallResult | None:
    """Run one dispatched call in `ctx` (a livekit JobContext); returns the result handed back (None when the
    metadata had no usable call id to hand it back under)."""
    from livekit import rtc
    from livekit.agents import AgentSession, room_io

    from infrastructure.livekit_room_controls import LiveKitRoomControls

    raw = ctx.job.metadata
    try:
        metadata = parse_dispatch_metadata(raw)
    except DispatchMetadataError as exc:
        await publish_setup_failure(deps.handback, call_id_in(raw), str(exc), deps.clock)
        ctx.shutdown(reason="bad dispatch metadata")
        return None
    call = AgentCall(metadata, deps, settings)
    call.start()
    session = controls = None
    try:
        await ctx.connect()
        controls = LiveKitRoomControls(ctx.room, ctx.api.room, callee_identity=metadata.callee_identity,
                                       current_speech=lambda: session.current_speech if session else None)
        agent = await call.prepare(controls)
        call.core.listeners.extend(factory(call, controls) for factory in listeners or ())
        call.start()
        session = AgentSession(llm=model_factory(settings), ivr_detection=True)
        call.attach(session)
        await session.start(agent, room=ctx.room, record=False, room_options=room_io.RoomOptions(
            participant_identity=metadata.callee_identity,
            participant_kinds=[rtc.ParticipantKind.PARTICIPANT_KIND_SIP], close_on_disconnect=True))
        await converse(ctx.room, call, session, controls)
    except CallSetupError as exc:
        call.failed(f"not started: {exc}")
    except Exception as exc:
        call.failed(f"{type(exc).__name__} in the agent session")
        log.debug("call %s: agent session failed", metadata.call_id, exc_info=True)
    finally:
        if controls is not None:
            await controls.end_now()
        summary = None
        if session is not None:
            # Closed first: the report's duration and close reason exist only after.
            await asyncio.gather(session.aclose(), return_exceptions=True)
            summary = session_summary(ctx, session)
        try:
            result = await call.finish(summary)
        finally:
            ctx.shutdown(reason=call.close_reason or "call ended")
    return result

