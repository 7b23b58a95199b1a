"""The agent side of a real call: one LiveKit job runs the sales agent on the OpenAI Realtime model.

The ARQ job (infrastructure.livekit_call_line) created the room, dispatched this
agent by name with ids as JSON metadata, and dials the callee. Here, in order:
read and check the metadata; load campaign, contact and script; build the brief,
the call's actions on LiveKit room controls and the SalesAgent; start the
AgentSession (ivr_detection on) before the callee answers; start the answering-
machine detector once the SIP participant is in the room (still ringing); when
its `sip.callStatus` turns active, greet at once (the greeting plays as soon as
the detector lets speech through: a human's "Hello?" is enough). While the call
runs: heartbeats on the hand-back every `heartbeat_interval_s`, transcripts into
CallProgress and the coach loop, the coach's guidance into the agent's
instructions, each turn's latency onto the result, the callee's transcript stream
forwarded to `callee_listeners` (the phone-tree fast path plugs in there), the
beep detector on the callee's audio when a voicemail greeting was detected.
At the end, on every path (errors included): hang up the SIP leg, delete the room
and publish the CallResult through the hand-back.
"""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Awaitable, Callable, Mapping, Protocol

from application.agent_brief import AgentBrief, CallIdentity, build_brief
from application.book_meeting import BookMeeting, MeetingRequest, Rep
from application.call_actions import CallActions
from application.call_progress import CallProgress, LineEnding
from application.call_result_codec import result_to_dict, to_jsonable
from application.call_stages import CallStages
from application.coach_loop import CoachLoop
from application.meeting_scheduling import BookMeetingScheduler
from application.phone_tree_fast_path import PhoneTreeFastPath
from application.ports.call_controls import CallControls
from application.voicemail_watch import VoicemailWatch
from application.ports.call_handback import CallHandback
from application.ports.call_line import CallResult
from application.ports.clock import Clock
from application.ports.compliance import DoNotCallList
from application.ports.repositories import CampaignRepository, ContactRepository
from application.ports.sales_coach import SalesCoach
from application.ports.scripts import ScriptCatalog
from application.ports.telemetry import Telemetry
from domain.call_record import TranscriptLine
from domain.campaign import Campaign
from domain.contact import Contact
from domain.coaching import Guidance, objections_in
from domain.outcomes import CallOutcome
from domain.voicemail import VoicemailDecision, VoicemailStep
from infrastructure.livekit_call_line import CALLEE_IDENTITY, DISPATCH_METADATA_VERSION
from infrastructure.offline_listening import discloses_ai
from infrastructure.sales_agent import SalesAgent
from infrastructure.turn_latency import TurnLatencies

log = logging.getLogger(__name__)

SIP_CALL_STATUS = "sip.callStatus"
SIP_ACTIVE = "active"
GREETING_INSTRUCTIONS = ("The callee just picked up. Speak first now: say the greeting line from your script "
                         "(it discloses that you are an AI assistant and that the call is recorded), "
                         "unless what you hear is an automated menu or a voicemail greeting.")
BEEP_INSTRUCTIONS = ("The voicemail beep just sounded. Call leave_voicemail now, then say the voicemail "
                     "message once, then call record_outcome with voicemail_left and end_call.")
NO_BEEP_INSTRUCTIONS = ("The voicemail greeting has ended without a beep. Call leave_voicemail now, then say the "
                        "voicemail message once, then call record_outcome with voicemail_left and end_call.")
_PUBLISH_ATTEMPTS = 3


# ---------------------------------------------------------------- dispatch metadata

class DispatchMetadataError(ValueError):
    """The job's metadata is not what LiveKitCallLine sends; the message names the field."""


@dataclass(frozen=True)
class DispatchMetadata:
    """What LiveKitCallLine.dispatch_metadata puts on the job: ids only, never the phone number."""

    call_id: str
    campaign_id: str
    contact_id: str
    step: int
    final_step: bool
    batch: str
    script_id: str | None
    callee_identity: str
    max_call_duration_s: int
    attempt: int = 0  # > 0: a callback the worker queued (absent from older senders: 0)
    v: int = DISPATCH_METADATA_VERSION


def call_id_in(raw: Any) -> str | None:
    """The call id of metadata too broken to parse fully, so the failure can still be handed back."""
    try:
        data = json.loads(raw) if isinstance(raw, (str, bytes)) else raw
    except ValueError:
        return None
    call_id = data.get("call_id") if isinstance(data, dict) else None
    if isinstance(call_id, str) and call_id and not any(c.isspace() for c in call_id):
        return call_id
    return None


def parse_dispatch_metadata(raw: str | bytes | None) -> DispatchMetadata:
    """The metadata as sent by LiveKitCallLine; raises DispatchMetadataError naming what is wrong."""
    if not raw:
        raise DispatchMetadataError("dispatch metadata is empty (the agent must be dispatched by the call line)")
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise DispatchMetadataError(f"dispatch metadata is not JSON ({exc.msg} at {exc.pos})") from None
    if not isinstance(data, dict):
        raise DispatchMetadataError(f"dispatch metadata must be a JSON object, got {type(data).__name__}")
    version = data.get("v")
    if version != DISPATCH_METADATA_VERSION:
        raise DispatchMetadataError(
            f"dispatch metadata version {version!r} is not supported (expected {DISPATCH_METADATA_VERSION})")

    def text(name: str, *, optional: bool = False) -> str | None:
        value = data.get(name)
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value.strip():
            raise DispatchMetadataError(f"dispatch metadata: {name} must be a non-empty string, got {value!r}")
        return value

    def integer(name: str, minimum: int) -> int:
        value = data.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise DispatchMetadataError(f"dispatch metadata: {name} must be an integer >= {minimum}, got {value!r}")
        return value

    call_id = text("call_id")
    if any(c.isspace() for c in call_id):
        raise DispatchMetadataError(f"dispatch metadata: call_id must not contain spaces, got {call_id!r}")
    final_step = data.get("final_step")
    if not isinstance(final_step, bool):
        raise DispatchMetadataError(f"dispatch metadata: final_step must be true or false, got {final_step!r}")
    return DispatchMetadata(
        call_id=call_id, campaign_id=text("campaign_id"), contact_id=text("contact_id"),
        step=integer("step", 0), final_step=final_step, batch=text("batch"),
        script_id=text("script_id", optional=True),
        callee_identity=text("callee_identity", optional=True) or CALLEE_IDENTITY,
        max_call_duration_s=integer("max_call_duration_s", 1),
        attempt=integer("attempt", 0) if "attempt" in data else 0,
    )


# ---------------------------------------------------------------- configuration and dependencies

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
    amd_timeout_s: float = 6.0
    beep_detection: bool = True
    coach_interval_s: float = 15.0
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


class CalleeTranscriptListener(Protocol):
    """Hears the callee's words as they are transcribed (interim and final), before the model answers.

    The deterministic phone-tree fast path (application.phone_tree_fast_path.PhoneTreeFastPath,
    which has this shape) plugs in here: it may press keys through the call's CallControls
    without waiting for a model round trip. A listener that also has `async prompt_ended()`
    is told when the callee side stops speaking (the end of a menu prompt)."""

    async def hear(self, text: str, *, final: bool) -> Any: ...


# Builds a call's listeners once its controls and actions exist (after `prepare`).
ListenerFactory = Callable[["AgentCall", CallControls], CalleeTranscriptListener]


class CallSetupError(Exception):
    """The call cannot be run (unknown campaign or contact, script not renderable)."""


# ---------------------------------------------------------------- the call, without the room

class AgentCall:
    """One call's agent-side state and wiring, independent of the LiveKit room so tests can drive it.

    `prepare(controls)` builds the SalesAgent; `attach(session)` connects the session's
    events; `finish(report)` publishes the result once."""

    def __init__(self, metadata: DispatchMetadata, deps: AgentCallDeps, settings: AgentCallSettings):
        self.metadata = metadata
        self.deps = deps
        self.settings = settings
        self.progress = CallProgress(started_at=deps.clock.now())
        self.stages = CallStages(deps.telemetry, call_id=metadata.call_id)
        self.latencies = TurnLatencies()
        self.callee_listeners: list[CalleeTranscriptListener] = []
        self.coach = CoachLoop(deps.sales_coach, self.apply_guidance, interval_s=settings.coach_interval_s,
                               timeout_s=settings.coach_timeout_s)
        self.agent: SalesAgent | None = None
        self.contact: Contact | None = None
        self.campaign: Campaign | None = None
        self.brief: AgentBrief | None = None
        self.actions: CallActions | None = None
        self.report: dict[str, Any] = {"call_id": metadata.call_id}
        self.answered_at: datetime | None = None
        self.voicemail_greeting = False
        self.closed = asyncio.Event()
        self.close_reason: str | None = None
        self.published: dict[str, Any] | None = None
        self._heartbeat: asyncio.Task | None = None
        self._background: set[asyncio.Task] = set()

    # -- setup

    async def prepare(self, controls: CallControls) -> SalesAgent:
        """Load the campaign, contact and script; build the brief, the actions and the SalesAgent."""
        m = self.metadata
        campaign = await self.deps.campaigns.get(m.campaign_id)
        if campaign is None:
            raise CallSetupError(f"campaign {m.campaign_id} not found")
        contact = await self.deps.contacts.get(m.contact_id)
        if contact is None:
            raise CallSetupError(f"contact {m.contact_id} not found")
        script = await self.deps.scripts.for_campaign(m.batch, m.script_id)
        self.campaign, self.contact = campaign, contact
        try:
            self.brief = build_brief(script, contact, campaign, self.settings.identity, attempt=m.attempt,
                                     step=m.step)
        except ValueError as exc:
            raise CallSetupError(f"script cannot be rendered for this contact: {exc}") from None
        meeting = MeetingRequest(call_id=m.call_id, rep=Rep.from_campaign(campaign), contact=contact)
        self.actions = CallActions(progress=self.progress, controls=controls, do_not_call=self.deps.do_not_call,
                                   scheduler=BookMeetingScheduler(self.deps.book_meeting, meeting),
                                   clock=self.deps.clock, contact=contact, stages=self.stages, campaign=campaign)
        # Menus are answered by the deterministic fast path before the model hears them.
        self.fast_path = PhoneTreeFastPath.for_call(contact=contact, campaign_settings=campaign.settings,
                                                    controls=controls, progress=self.progress,
                                                    stages=self.stages)
        self.agent = SalesAgent(self.brief, self.actions, fast_path=self.fast_path)
        self.fast_path.channel = self.agent
        self.callee_listeners.append(self.fast_path)
        return self.agent

    def attach(self, session: Any) -> None:
        """Listen to `session` (an AgentSession): transcripts, latencies, the fast-path hook, its close."""
        session.on("conversation_item_added", self._on_item_added)
        session.on("user_input_transcribed", self._on_user_transcribed)
        session.on("user_state_changed", self._on_user_state)
        session.on("close", self._on_close)

    def start(self) -> None:
        """Start the hand-back heartbeat and the coach loop."""
        self.stages.dialing()
        if self._heartbeat is None:
            self._heartbeat = asyncio.create_task(self._beat(), name=f"handback-heartbeat-{self.metadata.call_id}")
        self.coach.start()

    # -- while the call runs

    async def apply_guidance(self, guidance: Guidance) -> None:
        """The coach's latest guidance replaces the previous one in the agent's instructions.

        update_instructions changes the next reply without interrupting the current speech."""
        if self.agent is None or self.brief is None:
            return
        await self.agent.update_instructions(f"{self.brief.instructions}\n\n{guidance.as_instructions()}")
        self.report["coach_updates"] = self.report.get("coach_updates", 0) + 1

    def answered(self) -> None:
        self.answered_at = self.deps.clock.now()
        self.stages.answered()
        self.report["answered_after_s"] = round((self.answered_at - self.progress.started_at).total_seconds(), 3)

    def amd_verdict(self, category: str, *, reason: str = "", delay_s: float | None = None) -> bool:
        """Note the answering-machine detector's verdict; True when the call should end now."""
        # The verdict's transcript stays out of the report: it is the callee's words.
        self.report["amd"] = {"category": category, "reason": reason,
                              "delay_s": round(delay_s, 3) if delay_s is not None else None}
        if category == "human":
            self.progress.reached_human = True
            self.stages.reached("person")
        elif category == "machine-ivr":
            self.progress.heard_menu = True
        elif category == "machine-vm":
            self.voicemail_greeting = True
            self.stages.reached("voicemail")
        elif category == "machine-unavailable":
            self.progress.record(CallOutcome.NO_ANSWER)
            self.progress.reason = "voicemail box unavailable"
            return True
        return False

    def beep_heard(self) -> bool:
        """A beep on the line; True when it is the voicemail's (after a voicemail greeting)."""
        if not self.voicemail_greeting or self.progress.voicemail_left:
            return False
        self.progress.beep(self.deps.clock.now())
        return True

    def failed(self, reason: str) -> None:
        """A technical fault ended the call (the result's outcome is FAILED unless the agent recorded one)."""
        log.error("call %s: %s", self.metadata.call_id, reason)
        self.progress.reason = reason
        if self.progress.outcome is None and not self.progress.voicemail_left and self.progress.meeting is None:
            self.progress.record(CallOutcome.FAILED)

    # -- the end

    def result(self, report: Mapping[str, Any] | None = None) -> CallResult:
        if not self.progress.ended and self.progress.line_ending is None:
            picked_up = self.answered_at is not None or any(l.speaker == "callee" for l in self.progress.transcript)
            self.progress.line_ending = LineEnding.HUNG_UP if picked_up else LineEnding.NO_ANSWER
        full = {**self.report, "latency": self.latencies.summary(),
                "coach": {"reviews": len(self.coach.guidance), "skipped": self.coach.skipped},
                "close_reason": self.close_reason, **({"session": dict(report)} if report else {})}
        result = self.progress.result(self.deps.clock.now(), report={"agent": _jsonable(full)})
        return replace(result, turn_latencies_ms=list(self.latencies.values_ms))

    async def finish(self, report: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Stop the loops and publish the result through the hand-back, once; returns the payload."""
        if self.published is not None:
            return self.published
        await self.coach.stop()
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            await asyncio.gather(self._heartbeat, return_exceptions=True)
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        result = self.result(report)
        if self.answered_at is None:
            self.stages.not_answered(result.outcome.value)
        self.stages.ended(result.outcome.value)
        payload = result_to_dict(result)
        await publish(self.deps.handback, self.metadata.call_id, payload)
        self.published = payload
        return payload

    # -- session events (sync callbacks: the emitter does not await)

    def _on_item_added(self, event: Any) -> None:
        item = event.item
        if getattr(item, "type", None) != "message" or item.role not in ("user", "assistant"):
            return
        text = (item.text_content or "").strip()
        if not text:
            return
        speaker = "callee" if item.role == "user" else "agent"
        line = TranscriptLine(speaker, text, self.deps.clock.now())
        self.progress.transcript.append(line)
        self.coach.heard(line)
        if speaker == "agent":
            self.latencies.add(item)
            if discloses_ai(text):
                self.progress.disclosed_ai = True
        else:
            kinds = objections_in(text)
            for kind in kinds:
                self.progress.objection(kind)
            if kinds:
                self.coach.key_moment("objection")

    def _on_user_transcribed(self, event: Any) -> None:
        if not self.callee_listeners or not event.transcript:
            return
        for listener in self.callee_listeners:
            self._spawn(self._forward(listener, event.transcript, bool(event.is_final)))

    def _on_user_state(self, event: Any) -> None:
        if getattr(event, "old_state", None) != "speaking" or getattr(event, "new_state", None) == "speaking":
            return
        for listener in self.callee_listeners:
            if hasattr(listener, "prompt_ended"):
                self._spawn(self._guarded(listener.prompt_ended()))

    async def _forward(self, listener: CalleeTranscriptListener, text: str, is_final: bool) -> None:
        await self._guarded(listener.hear(text, final=is_final))

    async def _guarded(self, step: Awaitable[Any]) -> None:
        try:
            await step
        except Exception as exc:  # a broken listener must not break the call
            log.warning("call %s: transcript listener failed (%s)", self.metadata.call_id, type(exc).__name__)

    def _on_close(self, event: Any) -> None:
        reason = getattr(event, "reason", None)
        self.close_reason = getattr(reason, "value", None) or (str(reason) if reason else None)
        error = getattr(event, "error", None)
        if error is not None:
            self.report["session_error"] = type(getattr(error, "error", error)).__name__
        self.closed.set()

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _beat(self) -> None:
        while True:
            try:
                await self.deps.handback.heartbeat(self.metadata.call_id)
            except Exception as exc:  # Redis blips: the next beat may pass; the waiter tolerates gaps
                log.warning("call %s: heartbeat failed (%s)", self.metadata.call_id, type(exc).__name__)
            await asyncio.sleep(self.settings.heartbeat_interval_s)


async def publish(handback: CallHandback, call_id: str, payload: dict[str, Any]) -> None:
    """Hand `payload` back, retrying a Redis blip twice; the last error is raised."""
    for attempt in range(1, _PUBLISH_ATTEMPTS + 1):
        try:
            await handback.publish(call_id, payload)
            return
        except (TypeError, ValueError):
            raise
        except Exception as exc:
            if attempt == _PUBLISH_ATTEMPTS:
                raise
            log.warning("call %s: hand-back publish failed (%s), retrying", call_id, type(exc).__name__)
            await asyncio.sleep(0.2 * attempt)


async def publish_setup_failure(handback: CallHandback, call_id: str | None, reason: str, clock: Clock) -> bool:
    """Hand back a FAILED result for a call that could not start; False when there is no call id to use."""
    log.error("agent job: %s", reason)
    if call_id is None:
        return False
    result = CallResult(outcome=CallOutcome.FAILED, ended_at=clock.now(), reason=reason,
                        report={"agent": {"call_id": call_id, "setup_failed": True}})
    await publish(handback, call_id, result_to_dict(result))
    return True


def _jsonable(report: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return to_jsonable(dict(report), "report")
    except TypeError as exc:
        # A report field that JSON cannot hold must not cost the call's result.
        log.warning("agent report trimmed: %s", exc)
        return {k: v for k, v in ((k, _or_none(v)) for k, v in report.items()) if v is not None}


def _or_none(value: Any) -> Any:
    try:
        return to_jsonable(value)
    except TypeError:
        return None


# ---------------------------------------------------------------- the LiveKit job

def realtime_model(settings: AgentCallSettings, *, http_session: Any = None, modalities: list[str] | None = None):
    """The OpenAI Realtime model with the configured voice and turn detection (`modalities`: tests use text)."""
    from livekit.plugins.openai import realtime
    from openai.types.realtime.realtime_audio_input_turn_detection import SemanticVad, ServerVad

    if settings.turn_detection == "semantic_vad":
        turn = SemanticVad(type="semantic_vad", eagerness=settings.vad_eagerness, create_response=True,
                           interrupt_response=True)
    else:
        turn = ServerVad(type="server_vad", silence_duration_ms=settings.vad_silence_ms, create_response=True,
                         interrupt_response=True)
    kwargs: dict[str, Any] = {"model": settings.realtime_model, "voice": settings.voice, "turn_detection": turn,
                              "api_key": settings.openai_api_key}
    if settings.openai_base_url:
        kwargs["base_url"] = settings.openai_base_url
    if http_session is not None:
        kwargs["http_session"] = http_session
    if modalities is not None:
        kwargs["modalities"] = modalities
    return realtime.RealtimeModel(**kwargs)


def amd_llm(settings: AgentCallSettings):
    from livekit.plugins import openai

    kwargs: dict[str, Any] = {"model": settings.amd_model, "api_key": settings.openai_api_key}
    if settings.openai_base_url:
        kwargs["base_url"] = settings.openai_base_url
    return openai.LLM(**kwargs)


def session_summary(ctx: Any, session: Any) -> dict[str, Any]:
    """The session report without chat history or events (they hold the callee's words)."""
    try:
        full = ctx.make_session_report(session).to_dict(include_chat_history=False, include_events=False)
    except Exception as exc:
        return {"unavailable": type(exc).__name__}
    keep = ("job_id", "room", "duration_ms", "user_turns", "errors", "close_reason", "usage", "sdk_version",
            "agent_name", "tags")
    return {k: full.get(k) for k in keep if k in full}


async def run_agent_call(ctx: Any, deps: AgentCallDeps, settings: AgentCallSettings, *,
                         listeners: list[ListenerFactory] | None = None,
                         model_factory: Callable[[AgentCallSettings], Any] = realtime_model) -> dict[str, Any] | None:
    """Run one dispatched call in `ctx` (a livekit JobContext); returns the published payload (None when the
    metadata had no usable call id to publish under)."""
    from livekit import rtc
    from livekit.agents import AgentSession, room_io

    raw = ctx.job.metadata
    try:
        metadata = parse_dispatch_metadata(raw)
    except DispatchMetadataError as exc:
        call_id = call_id_in(raw)
        await publish_setup_failure(deps.handback, call_id, str(exc), deps.clock)
        ctx.shutdown(reason="bad dispatch metadata")
        return None

    call = AgentCall(metadata, deps, settings)
    call.start()
    session = None
    controls = None
    try:
        await ctx.connect()
        from infrastructure.livekit_room_controls import LiveKitRoomControls

        controls = LiveKitRoomControls(ctx.room, ctx.api.room, callee_identity=metadata.callee_identity,
                                       current_speech=lambda: session.current_speech if session else None)
        agent = await call.prepare(controls)
        call.callee_listeners.extend(factory(call, controls) for factory in listeners or ())
        session = AgentSession(llm=model_factory(settings), ivr_detection=True)
        call.attach(session)
        await session.start(agent, room=ctx.room, record=False, room_options=room_io.RoomOptions(
            participant_identity=metadata.callee_identity,
            participant_kinds=[rtc.ParticipantKind.PARTICIPANT_KIND_SIP], close_on_disconnect=True))
        await _converse(ctx, call, session, controls, metadata)
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
            payload = await call.finish(summary)
        finally:
            ctx.shutdown(reason=call.close_reason or "call ended")
    return payload


async def _converse(ctx: Any, call: AgentCall, session: Any, controls: Any, metadata: DispatchMetadata) -> None:
    from livekit.agents.utils.participant import wait_for_participant, wait_for_participant_attribute

    room = ctx.room
    identity = metadata.callee_identity
    try:
        callee = await asyncio.wait_for(wait_for_participant(room, identity=identity),
                                        timeout=call.settings.answer_timeout_s)
    except asyncio.TimeoutError:
        call.progress.line_ending = LineEnding.NO_ANSWER
        call.progress.reason = "the callee never joined the room"
        return
    amd = await _start_amd(call, session, identity)
    try:
        try:
            # Speaking before the pickup is heard by no one (livekit/agents#1863): wait for `active`.
            await asyncio.wait_for(wait_for_participant_attribute(
                room, identity=identity, attribute=SIP_CALL_STATUS, value=SIP_ACTIVE),
                timeout=call.settings.answer_timeout_s)
        except (asyncio.TimeoutError, RuntimeError):
            call.progress.line_ending = LineEnding.NO_ANSWER
            return
        call.answered()
        session.generate_reply(instructions=GREETING_INSTRUCTIONS)
        if amd is not None:
            call._spawn(_take_verdict(call, amd, controls))
        if call.settings.beep_detection:
            call._spawn(_watch_beeps(call, session, callee, controls))
        # The session closes by itself only for some disconnect reasons; a phone leg dropped
        # by the trunk or a media timeout must end the call too, not leave the agent talking to no one.
        left = asyncio.Event()

        def on_left(participant: Any) -> None:
            if getattr(participant, "identity", None) == identity:
                left.set()

        room.on("participant_disconnected", on_left)
        ended = asyncio.ensure_future(controls.wait_ended())
        closed = asyncio.ensure_future(call.closed.wait())
        gone = asyncio.ensure_future(left.wait())
        try:
            done, _ = await asyncio.wait({ended, closed, gone}, timeout=metadata.max_call_duration_s,
                                         return_when=asyncio.FIRST_COMPLETED)
        finally:
            room.off("participant_disconnected", on_left)
            for waiter in (ended, closed, gone):
                waiter.cancel()
        if gone in done and not call.progress.ended and call.progress.line_ending is None:
            call.progress.line_ending = LineEnding.HUNG_UP
        elif not done:
            call.progress.line_ending = LineEnding.TIMED_OUT
            call.progress.reason = f"call reached its {metadata.max_call_duration_s} s limit"
        elif closed in done and not call.progress.ended and call.close_reason == "participant_disconnected":
            call.progress.line_ending = LineEnding.HUNG_UP
        elif closed in done and call.close_reason == "error":
            # An unrecoverable model error closed the session: a fault, not the callee hanging up.
            call.failed(f"{call.report.get('session_error', 'an error')} in the agent session")
    finally:
        if amd is not None:
            await amd.aclose()


async def _start_amd(call: AgentCall, session: Any, identity: str):
    """The detector, listening once the callee's track is up; its timers start at answer (sip.callStatus)."""
    if not call.settings.amd_enabled:
        return None
    from livekit.agents.voice.amd import AMD

    amd = AMD(session, llm=amd_llm(call.settings), participant_identity=identity, interrupt_on_machine=True,
              ivr_detection=True, suppress_compatibility_warning=True, wait_until_finished=False,
              detection_options={"timeout": call.settings.amd_timeout_s})
    await amd.__aenter__()
    return amd


async def _take_verdict(call: AgentCall, amd: Any, controls: Any) -> None:
    try:
        verdict = await amd.execute()
    except RuntimeError:
        return
    end_now = call.amd_verdict(verdict.category.value, reason=verdict.reason, delay_s=verdict.delay)
    if end_now:
        await controls.hang_up()


class VoicemailListener:
    """The callee's audio after a voicemail verdict: when to leave the message, or to give up.

    The domain's VoicemailWatch decides: right after the beep, after the greeting ends
    when no beep comes, or never (a full mailbox, a greeting that never ends).
    """

    def __init__(self, call: AgentCall, sample_rate: int = 16000):
        self.call = call
        self.sample_rate = sample_rate
        self.watch: VoicemailWatch | None = None
        self.done = False

    def frame(self, pcm: bytes) -> VoicemailDecision | None:
        """A decision to act on (SPEAK or HANG_UP), once; None while there is nothing to do."""
        call = self.call
        if self.done or not call.voicemail_greeting or call.progress.voicemail_left:
            return None
        if self.watch is None:
            # Start at the verdict: the greeting's words so far tell whether a tone was promised.
            self.watch = VoicemailWatch(self.sample_rate)
            self.watch.greeting(" ".join(l.text for l in call.progress.transcript if l.speaker == "callee"))
        decision = self.watch.feed(pcm)
        if decision.step is VoicemailStep.WAIT:
            return None
        self.done = True
        if decision.step is VoicemailStep.SPEAK and self.watch.beep is not None:
            call.beep_heard()
        elif decision.step is VoicemailStep.HANG_UP:
            call.progress.record(decision.outcome or CallOutcome.NO_ANSWER)
            call.progress.reason = decision.reason
        return decision


async def _watch_beeps(call: AgentCall, session: Any, callee: Any, controls: Any) -> None:
    """Feed the callee's audio to the voicemail listener; speak the message or hang up as it decides."""
    from livekit import rtc

    listener = VoicemailListener(call)
    stream = rtc.AudioStream.from_participant(participant=callee, track_source=rtc.TrackSource.SOURCE_MICROPHONE,
                                              sample_rate=listener.sample_rate, num_channels=1)
    try:
        async for event in stream:
            decision = listener.frame(event.frame.data.tobytes())
            if decision is None:
                continue
            if decision.step is VoicemailStep.SPEAK:
                session.generate_reply(instructions=BEEP_INSTRUCTIONS if listener.watch.beep is not None
                                       else NO_BEEP_INSTRUCTIONS)
            else:
                await controls.hang_up()
            return
    finally:
        await stream.aclose()
