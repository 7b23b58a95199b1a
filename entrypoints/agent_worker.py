"""The LiveKit agent worker process (`docshield agent-worker start|dev`).

Thin: registers `entrypoint` under the configured agent name (explicit dispatch
only) and hands over to livekit-agents' worker CLI. Each job builds the
container, takes its ports, and runs infrastructure.livekit_agent_session.
"""
from __future__ import annotations

import inspect
import logging
from typing import Any

from livekit.agents import AgentServer, JobContext, cli

from application.call.brief import CallIdentity
from containers import build_container, close_container
from infrastructure.agent_dispatch import call_id_in, publish_setup_failure
from infrastructure.livekit_agent_session import AgentCallDeps, AgentCallSettings, run_agent_call
from infrastructure.log_redaction import install_redaction
from infrastructure.redis_handback import RedisHandback
from infrastructure.settings import Settings, load_settings
from infrastructure.system_clock import SystemClock
from infrastructure.worker_operations import process_telemetry

log = logging.getLogger(__name__)


def agent_call_settings(settings: Settings) -> AgentCallSettings:
    return AgentCallSettings(
        identity=CallIdentity(agent_name=settings.agent_display_name, company=settings.company_name,
                              callback_number=settings.callback_number),
        realtime_model=settings.openai_realtime_model, voice=settings.openai_voice,
        openai_api_key=settings.openai_api_key, openai_base_url=settings.openai_base_url,
        turn_detection=settings.openai_turn_detection, vad_eagerness=settings.openai_vad_eagerness,
        amd_model=settings.amd_model, amd_enabled=settings.amd_enabled, amd_timeout_s=settings.amd_timeout_s,
        coach_interval_s=settings.coach_interval_s, max_follow_ups=settings.max_follow_ups_per_step,
        heartbeat_interval_s=min(settings.heartbeat_interval_s, 5.0),
    )


def agent_worker_problems(settings: Settings) -> list[str]:
    """What stops this process from serving real calls; empty when it can start."""
    problems = []
    # Embedded servers would give each job process its own empty database and queue.
    if not settings.redis_url:
        problems.append("REDIS_URL: required by the agent worker (the ARQ worker waits on it for results)")
    if not settings.mongodb_uri:
        problems.append("MONGODB_URI: required by the agent worker (campaigns, contacts, scripts)")
    for name in ("livekit_url", "livekit_api_key", "livekit_api_secret", "openai_api_key"):
        if not getattr(settings, name):
            problems.append(f"{name.upper()}: required by the agent worker")
    return problems


async def _port(provider_result: Any) -> Any:
    return await provider_result if inspect.isawaitable(provider_result) else provider_result


async def entrypoint(ctx: JobContext) -> None:
    """One dispatched call (runs in a job process; settings come from the inherited environment)."""
    settings = load_settings()
    # A job process starts with livekit's log forwarding and no tracer of ours: redact
    # what it forwards, and export its spans (navigation, booking) like the ARQ worker's.
    install_redaction()
    process_telemetry(settings)
    container = await build_container(settings)
    try:
        try:
            deps = AgentCallDeps(
                campaigns=await _port(container.campaigns()), contacts=await _port(container.contacts()),
                scripts=await _port(container.scripts()), do_not_call=await _port(container.do_not_call()),
                book_meeting=await _port(container.book_meeting()),
                sales_coach=await _port(container.sales_coach()),
                handback=await _port(container.handback()), clock=container.clock(),
                telemetry=container.telemetry())
        except Exception as exc:
            # MongoDB or a client could not be reached: say so to the waiting job at once rather
            # than let it wait for the agent-lost timeout while the callee hears silence.
            await _hand_back_setup_failure(ctx, settings, f"{type(exc).__name__} while loading the call's services")
            return
        await run_agent_call(ctx, deps, agent_call_settings(settings))
    finally:
        await close_container(container)


async def _hand_back_setup_failure(ctx: JobContext, settings: Settings, reason: str) -> None:
    handback = RedisHandback.from_url(settings.redis_url)
    try:
        await publish_setup_failure(handback, call_id_in(ctx.job.metadata), reason, SystemClock())
    finally:
        await handback.aclose()
        ctx.shutdown(reason="agent setup failed")


def build_server(settings: Settings) -> AgentServer:
    server = AgentServer()
    server.rtc_session(entrypoint, agent_name=settings.agent_name)
    return server


def run(settings: Settings) -> None:
    """Hand over to livekit-agents' CLI (it reads `start` / `dev` and its options from sys.argv)."""
    cli.run_app(build_server(settings))
