"""How the ARQ job learns how a call ended from the agent process that ran it.

The agent side calls `heartbeat(call_id)` every few seconds while the call runs
and `publish(call_id, payload)` once at the end (payload: a CallResult encoded by
application.call_result_codec). The job side calls `wait(call_id, timeout)`.
A result published before `wait` starts is not lost: it is kept for a while.
"""
from __future__ import annotations

from typing import Any, Protocol

AGENT_LOST = "agent_lost"


def lost_agent_marker(silent_for_s: float) -> dict[str, Any]:
    """What `wait` returns when the agent stopped sending heartbeats."""
    return {AGENT_LOST: True, "silent_for_s": round(silent_for_s, 3)}


GIVE_UP_TIMEOUT = "timeout"


def give_up(now: float, deadline: float, silent_for_s: float, lost_after_s: float) -> dict[str, Any] | str | None:
    """The waiting rule every adapter shares: GIVE_UP_TIMEOUT past the deadline, the lost-agent
    marker once heartbeats have been silent too long, else None (keep waiting)."""
    if now >= deadline:
        return GIVE_UP_TIMEOUT
    if silent_for_s >= lost_after_s:
        return lost_agent_marker(silent_for_s)
    return None


def is_agent_lost(payload: dict[str, Any] | None) -> bool:
    return payload is not None and payload.get(AGENT_LOST) is True


class CallHandback(Protocol):
    async def publish(self, call_id: str, payload: dict[str, Any]) -> None:
        """Hand the call's result to whoever waits on `call_id` (agent side). The payload must be JSON-ready."""

    async def heartbeat(self, call_id: str) -> None:
        """Say the agent handling `call_id` is alive (agent side)."""

    async def wait(self, call_id: str, timeout: float) -> dict[str, Any] | None:
        """The published payload; `lost_agent_marker(...)` when no heartbeat nor result
        arrived for the adapter's `lost_after_s`; None when `timeout` seconds passed.

        Waiting does not consume the result: a second `wait` sees it again."""
