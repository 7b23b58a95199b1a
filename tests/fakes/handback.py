"""An in-memory CallHandback with the same timing rules as the Redis one."""
from __future__ import annotations

import asyncio

from application.ports.call_handback import GIVE_UP_TIMEOUT, AgentLost, give_up
from application.ports.call_line import CallResult
from infrastructure.redis_handback import decode, encode


class InMemoryHandback:
    def __init__(self, *, lost_after_s: float = 15.0):
        if lost_after_s <= 0:
            raise ValueError(f"lost_after_s must be positive, got {lost_after_s}")
        self.lost_after_s = lost_after_s
        self.entries: dict[str, list[tuple[str, bytes | None]]] = {}
        self._changed: dict[str, asyncio.Event] = {}

    async def publish(self, call_id: str, result: CallResult) -> None:
        # Encoded as Redis carries it, so the fake refuses what Redis would refuse and shares nothing.
        self._append(call_id, ("result", encode(result)))

    async def heartbeat(self, call_id: str) -> None:
        self._append(call_id, ("beat", None))

    async def wait(self, call_id: str, timeout: float) -> CallResult | AgentLost | None:
        _check(call_id)
        if timeout < 0:
            raise ValueError(f"timeout must be >= 0, got {timeout}")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        last_seen = loop.time()
        seen = 0
        first = True
        while True:
            entries = self.entries.get(call_id, [])
            if len(entries) > seen:
                last_seen = loop.time()
                for kind, payload in entries[seen:]:
                    if kind == "result" and payload is not None:
                        return decode(payload)
                seen = len(entries)
            now = loop.time()
            silent = now - last_seen
            if not first:
                verdict = give_up(now, deadline, silent, self.lost_after_s)
                if verdict is not None:
                    return None if verdict == GIVE_UP_TIMEOUT else verdict
            first = False
            event = self._changed.setdefault(call_id, asyncio.Event())
            event.clear()
            try:
                await asyncio.wait_for(event.wait(), max(0.0, min(deadline - now, self.lost_after_s - silent)))
            except asyncio.TimeoutError:
                pass

    def _append(self, call_id: str, entry: tuple[str, bytes | None]) -> None:
        _check(call_id)
        self.entries.setdefault(call_id, []).append(entry)
        event = self._changed.get(call_id)
        if event is not None:
            event.set()


def _check(call_id: str) -> None:
    if not isinstance(call_id, str) or not call_id or any(c.isspace() for c in call_id):
        raise ValueError(f"call_id must be a non-empty string without spaces, got {call_id!r}")
