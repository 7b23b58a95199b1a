"""The OpenAI models of a live call: the Realtime model the agent talks with, and the text model the
answering-machine detector runs on (AMD cannot run on the realtime model)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from infrastructure.livekit_agent_session import AgentCallSettings


def realtime_model(settings: "AgentCallSettings", *, http_session: Any = None, modalities: list[str] | None = None):
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


def amd_llm(settings: "AgentCallSettings"):
    from livekit.plugins import openai

    kwargs: dict[str, Any] = {"model": settings.amd_model, "api_key": settings.openai_api_key}
    if settings.openai_base_url:
        kwargs["base_url"] = settings.openai_base_url
    return openai.LLM(**kwargs)
