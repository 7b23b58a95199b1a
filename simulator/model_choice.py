"""Which model plays the agent in a simulation (`docshield simulate --model`), and what its run cost.

- `offline`: the offline brain (no credentials, deterministic).
- `openai:MODEL` or `openai-realtime:MODEL`: the OpenAI Realtime model that takes the real calls, in text
  modality, configured exactly as on a live call (same SalesAgent, tools, instructions and call core).
- `openai-chat:MODEL`: a chat-completions model (cheaper, for quick prompt checks; not what takes calls).

Base URL and key come from OPENAI_BASE_URL and OPENAI_API_KEY, so an OpenAI-compatible endpoint or a
proxy can stand in. Before any scenario runs, `check_access` asks the endpoint for the model once, so a
wrong key or an unknown model is one clear line, not forty failed scenarios.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import urlsplit

import httpx

OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1"

class ModelUnavailable(Exception):
    """The --model value cannot be used as given (a usage error: unknown form, no key)."""


class ModelRefused(Exception):
    """The endpoint refused the model or the key (the run fails before any scenario)."""


@dataclass(frozen=True)
class ModelChoice:
    kind: str  # offline | realtime | chat
    name: str

    @property
    def label(self) -> str:
        return "offline" if self.kind == "offline" else f"openai-{self.kind}:{self.name}"

    @property
    def remote(self) -> bool:
        return self.kind != "offline"


_PREFIXES = {"openai:": "realtime", "openai-realtime:": "realtime", "openai-chat:": "chat"}


def parse_model(text: str, *, api_key: str | None) -> ModelChoice:
    """The choice named by `--model`, or ModelUnavailable naming what is wrong."""
    if text == "offline":
        return ModelChoice("offline", "offline-script")
    for prefix, kind in _PREFIXES.items():
        if text.startswith(prefix):
            name = text[len(prefix):].strip()
            if not name:
                raise ModelUnavailable(f"--model {text}: name the model after the colon, e.g. {prefix}gpt-realtime")
            if not api_key:
                raise ModelUnavailable(f"--model {text} needs OPENAI_API_KEY (in the environment or the .env file)")
            return ModelChoice(kind, name)
    raise ModelUnavailable(f"--model must be offline, openai:MODEL (the Realtime model), openai-realtime:MODEL "
                           f"or openai-chat:MODEL; got {text!r}")


async def check_access(choice: ModelChoice, *, api_key: str, base_url: str | None, timeout_s: float = 10.0) -> None:
    """Ask the endpoint for the model once; ModelRefused with one clear line when the key or model is wrong."""
    base = (base_url or OPENAI_DEFAULT_BASE_URL).rstrip("/")
    host = urlsplit(base).netloc or base
    try:
        async with httpx.AsyncClient(timeout=timeout_s) as client:
            response = await client.get(f"{base}/models/{choice.name}", headers={"Authorization": f"Bearer {api_key}"})
    except httpx.HTTPError as exc:
        raise ModelRefused(f"cannot reach the model endpoint {host} ({type(exc).__name__}); "
                           f"check OPENAI_BASE_URL and the network") from None
    if response.status_code in (401, 403):
        raise ModelRefused(f"the model endpoint {host} refused OPENAI_API_KEY (HTTP {response.status_code}); "
                           f"check the key")
    if response.status_code == 404:
        raise ModelRefused(f"the model {choice.name!r} is unknown at {host} (HTTP 404); check the name after "
                           f"--model {choice.label.split(':')[0]}:")
    if response.status_code >= 400:
        raise ModelRefused(f"the model endpoint {host} answered HTTP {response.status_code} for model "
                           f"{choice.name!r}")


def model_factory(choice: ModelChoice, settings: Any, clock: Any, http_session: Any = None) -> Callable[..., Any]:
    """brief, contact zone, menu policy -> the llm.LLM (or RealtimeModel) that plays the agent on one call.

    The Realtime model is built by the same function as on a live call (voice, turn detection and all),
    only in text modality: what a simulation measures is what a call would run.
    """
    if choice.kind == "offline":
        from simulator.offline_brain import OfflineBrain

        return lambda brief, zone, policy: OfflineBrain(brief, clock, zone, policy)
    if choice.kind == "realtime":
        from dataclasses import replace

        from entrypoints.agent_worker import agent_call_settings
        from infrastructure.openai_realtime import realtime_model

        call_settings = replace(agent_call_settings(settings), realtime_model=choice.name)
        return lambda brief, zone, policy: realtime_model(call_settings, http_session=http_session,
                                                          modalities=["text"])
    from livekit.plugins import openai

    return lambda brief, zone, policy: openai.LLM(model=choice.name, api_key=settings.openai_api_key,
                                                  base_url=settings.openai_base_url or None)
