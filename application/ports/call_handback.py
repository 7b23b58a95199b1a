"""How the ARQ job learns how a call ended from the agent process that ran it.

The agent side calls `heartbeat(call_id)` every few seconds while the call runs
and `publish(call_id, result)` once at the end. The job side calls
`wait(call_id, timeout)`: the CallResult, `AgentLost` when the heartbeats stopped,
or None at the timeout. A result published before `wait` starts is not lost: it
is kept for a while. How the result travels (JSON on Redis) is the adapter's.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from application.ports.call_line import CallResult


@dataclass(frozen=True)
class AgentLost:
    """No heartbeat nor result for the adapter's `lost_after_s`."""

    silent_for_s: float


class UnreadableResult(ValueError):
    """A result was published but cannot be read back as a CallResult; the message names what is wrong."""


GIVE_UP_TIMEOUT = "timeout"


def give_up(now: float, deadline: float, silent_for_s: float, lost_after_s: float) -> AgentLost | str | None:
    """The waiting rule every adapter shares: GIVE_UP_TIMEOUT past the deadline, AgentLost once
    heartbeats have been silent too long, else None (keep waiting)."""
    if now >= deadline:
        return GIVE_UP_TIMEOUT
    if silent_for_s >= lost_after_s:
        return AgentLost(round(silent_for_s, 3))
    return None


class CallHandback(Protocol):
    async def publish(self, call_id: str, result: CallResult) -> None:
        """Hand the call's result to whoever waits on `call_id` (agent side)."""

    async def heartbeat(self, call_id: str) -> None:
        """Say the agent handling `call_id` is alive (agent side)."""

    async def wait(self, call_id: str, timeout: float) -> CallResult | AgentLost | None:
        """The published result; AgentLost when no heartbeat nor result arrived for the adapter's
        `lost_after_s`; None when `timeout` seconds passed. Raises UnreadableResult for a result
        that cannot be read back.

        Waiting does not consume the result: a second `wait` sees it again."""
