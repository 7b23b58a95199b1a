"""The line's events on a LiveKit room, fed to the call core by the agent job (infrastructure.livekit_agent_session).

After the callee's SIP participant joins: the answering-machine detector starts (its timers start at
answer); `sip.callStatus` turning active is the answer (the greeting is asked for at once: speaking
before the pickup is heard by no one, livekit/agents#1863); the detector's verdict, the callee's audio
(for the beep detector in the core's voicemail timing), the session closing, the phone leg dropping and
the call's time limit are told to the core; its answers are carried out by `call.act`. At the end, the
session's report is kept without the callee's words (`session_summary`).
"""
from __future__ import annotations

import asyncio
from typing import Any

from application.call.core import GREETING_INSTRUCTIONS, Reply
from application.call.progress import LineEnding
from infrastructure.answering_machine import start_detector, take_verdict

SIP_CALL_STATUS = "sip.callStatus"
SIP_ACTIVE = "active"


async def converse(room: Any, call: Any, session: Any, controls: Any) -> None:
    """Run the call on `room` until it ends (`call`: an AgentCall that has been prepared)."""
    from livekit.agents.utils.participant import wait_for_participant, wait_for_participant_attribute

    core, settings, metadata = call.core, call.settings, call.metadata
    identity = metadata.callee_identity
    try:
        callee = await asyncio.wait_for(wait_for_participant(room, identity=identity),
                                        timeout=settings.answer_timeout_s)
    except asyncio.TimeoutError:
        core.not_answered(LineEnding.NO_ANSWER, "the callee never joined the room")
        return
    amd = await _start_amd(call, session, identity)
    try:
        try:
            await asyncio.wait_for(wait_for_participant_attribute(
                room, identity=identity, attribute=SIP_CALL_STATUS, value=SIP_ACTIVE),
                timeout=settings.answer_timeout_s)
        except (asyncio.TimeoutError, RuntimeError):
            return  # never answered: the core's "did the callee pick up" makes it a no-answer
        call.answered()
        call.act(Reply(GREETING_INSTRUCTIONS))
        if amd is not None:
            core.spawn(take_verdict(call, amd))
        if settings.beep_detection:
            core.spawn(_feed_audio(call, callee))
        # A timer of the call's, not work on what was heard: it lives and dies with the conversation.
        dead_air = asyncio.ensure_future(_listen_for_dead_air(call))
        try:
            await _until_the_end(room, call, controls, identity, metadata.max_call_duration_s)
        finally:
            dead_air.cancel()
    finally:
        if amd is not None:
            await amd.aclose()


async def _until_the_end(room: Any, call: Any, controls: Any, identity: str, limit_s: int) -> None:
    # The session closes by itself only for some disconnect reasons; a phone leg dropped by the trunk or
    # a media timeout must end the call too, not leave the agent talking to no one.
    core = call.core
    left = asyncio.Event()

    def on_left(participant: Any) -> None:
        if getattr(participant, "identity", None) == identity:
            left.set()

    room.on("participant_disconnected", on_left)
    ended = asyncio.ensure_future(controls.wait_ended())
    closed = asyncio.ensure_future(call.closed.wait())
    gone = asyncio.ensure_future(left.wait())
    try:
        done, _ = await asyncio.wait({ended, closed, gone}, timeout=limit_s, return_when=asyncio.FIRST_COMPLETED)
    finally:
        room.off("participant_disconnected", on_left)
        for waiter in (ended, closed, gone):
            waiter.cancel()
    if not done:
        core.timed_out(f"call reached its {limit_s} s limit")
    elif closed in done and call.close_reason == "error":
        # An unrecoverable model error closed the session: a fault, not the callee hanging up.
        core.failed(f"{call.report.get('session_error', 'an error')} in the agent session")
    elif gone in done or (closed in done and call.close_reason == "participant_disconnected"):
        core.hung_up()


async def _listen_for_dead_air(call: Any) -> None:
    await asyncio.sleep(call.core.settings.silent_line_s)
    call.act(call.core.silence(call.core.settings.silent_line_s))


async def _start_amd(call: Any, session: Any, identity: str):
    """The detector, listening once the callee's track is up; its timers start at answer (sip.callStatus)."""
    if not call.settings.amd_enabled:
        return None
    from infrastructure.openai_realtime import amd_llm

    return await start_detector(session, amd_llm(call.settings), timeout_s=call.settings.amd_timeout_s,
                                participant_identity=identity)


async def _feed_audio(call: Any, callee: Any) -> None:
    """The callee's audio, for the core's voicemail timing (it acts only after a voicemail verdict)."""
    from livekit import rtc

    core = call.core
    stream = rtc.AudioStream.from_participant(participant=callee, track_source=rtc.TrackSource.SOURCE_MICROPHONE,
                                              sample_rate=core.settings.sample_rate, num_channels=1)
    try:
        async for event in stream:
            action = core.line_audio(event.frame.data.tobytes())
            if action is not None:
                call.act(action)
                return
    finally:
        await stream.aclose()


def session_summary(ctx: Any, session: Any) -> dict[str, Any]:
    """The session report without chat history or events (they hold the callee's words)."""
    try:
        full = ctx.make_session_report(session).to_dict(include_chat_history=False, include_events=False)
    except Exception as exc:
        return {"unavailable": type(exc).__name__}
    keep = ("job_id", "room", "duration_ms", "user_turns", "errors", "close_reason", "usage", "sdk_version",
            "agent_name", "tags")
    return {k: full.get(k) for k in keep if k in full}
