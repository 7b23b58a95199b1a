"""CallHandback on Redis: one stream per call holding heartbeats and the result (as JSON, by
infrastructure.call_result_codec).

A stream (not a list) because reading it does not consume it: a job that dies
after reading can be replayed and read the same result again. Liveness is judged
on the waiting side's monotonic clock, so clocks on different hosts never matter.
"""
from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from typing import Any

from redis.asyncio import Redis

from application.ports.call_handback import GIVE_UP_TIMEOUT, AgentLost, give_up
from application.ports.call_line import CallResult
from infrastructure.call_result_codec import CallResultDecodeError, result_from_dict, result_to_dict, trim_report

_RESULT = b"result"
_BEAT = b"beat"
# Heartbeats after the result would trim it only past this many entries.
_MAX_ENTRIES = 200


class RedisHandback:
    """`redis`: a redis.asyncio client (decode_responses must be False).

    `lost_after_s`: silence (no heartbeat, no result) after which `wait` reports the agent lost;
    the agent should beat at least three times within it. `ttl_s`: how long a call's stream
    lives after its last entry."""

    def __init__(self, redis: Redis, *, lost_after_s: float = 15.0, ttl_s: int = 24 * 3600,
                 prefix: str = "docshield:handback"):
        if lost_after_s <= 0:
            raise ValueError(f"lost_after_s must be positive, got {lost_after_s}")
        if ttl_s <= 0:
            raise ValueError(f"ttl_s must be positive, got {ttl_s}")
        self.redis = redis
        self.lost_after_s = lost_after_s
        self.ttl_s = int(ttl_s)
        self.prefix = prefix

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> "RedisHandback":
        return cls(Redis.from_url(url), **kwargs)

    async def aclose(self) -> None:
        await self.redis.aclose()

    def key(self, call_id: str) -> str:
        return f"{self.prefix}:{_checked_call_id(call_id)}"

    async def publish(self, call_id: str, result: CallResult) -> None:
        await self._append(call_id, {b"type": _RESULT, b"payload": encode(result)})

    async def heartbeat(self, call_id: str) -> None:
        await self._append(call_id, {b"type": _BEAT})

    async def wait(self, call_id: str, timeout: float) -> CallResult | AgentLost | None:
        key = self.key(call_id)
        if timeout < 0:
            raise ValueError(f"timeout must be >= 0, got {timeout}")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        last_seen = loop.time()
        last_id: bytes | str = "0-0"
        first = True
        while True:
            now = loop.time()
            silent = now - last_seen
            if not first:
                verdict = give_up(now, deadline, silent, self.lost_after_s)
                if verdict is not None:
                    return None if verdict == GIVE_UP_TIMEOUT else verdict
            block_s = max(0.0, min(deadline - now, self.lost_after_s - silent))
            # BLOCK 0 would mean forever; the first read only looks at what is there.
            block_ms = None if first else max(1, int(block_s * 1000))
            first = False
            reply = await self.redis.xread({key: last_id}, block=block_ms)
            for _stream, entries in reply or ():
                for entry_id, fields in entries:
                    last_id = entry_id
                    last_seen = loop.time()
                    if fields.get(b"type") == _RESULT:
                        return decode(fields[b"payload"])

    async def _append(self, call_id: str, fields: dict[bytes, bytes]) -> None:
        key = self.key(call_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xadd(key, fields, maxlen=_MAX_ENTRIES, approximate=True)
            pipe.expire(key, self.ttl_s)
            await pipe.execute()


def _checked_call_id(call_id: str) -> str:
    if not isinstance(call_id, str) or not call_id or any(c.isspace() for c in call_id):
        raise ValueError(f"call_id must be a non-empty string without spaces, got {call_id!r}")
    return call_id


def encode(result: CallResult) -> bytes:
    """The result as the stream carries it: JSON, with any report field JSON cannot hold left out."""
    if not isinstance(result, CallResult):
        raise TypeError(f"hand-back result must be a CallResult, got {type(result).__name__}")
    payload = result_to_dict(replace(result, report=trim_report(result.report)))
    return json.dumps(payload, separators=(",", ":")).encode()


def decode(raw: bytes) -> CallResult:
    """The CallResult in a stream entry; raises UnreadableResult (CallResultDecodeError) naming what is wrong."""
    try:
        payload = json.loads(raw)
    except ValueError as exc:
        raise CallResultDecodeError(f"hand-back result is not JSON ({exc})") from None
    return result_from_dict(payload)
