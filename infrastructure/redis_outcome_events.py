"""OutcomeEvents on the Redis stream `docshield:outcomes` (contracts section 4).

One entry per event, field `event` holding the JSON below; the stream is capped
with `MAXLEN ~` so it never grows without bound. Consumers in any language read it
with XREAD or XREADGROUP.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from redis.asyncio import Redis

from domain.meeting import Interval
from domain.outcome_event import EVENT_VERSION, OutcomeEvent, ScheduledCall
from domain.outcomes import CallOutcome

STREAM = "docshield:outcomes"
MAX_LEN = 100_000


class RedisOutcomeEvents:
    """`redis`: a redis.asyncio client (decode_responses False)."""

    def __init__(self, redis: Redis, *, stream: str = STREAM, max_len: int = MAX_LEN):
        if max_len <= 0:
            raise ValueError(f"max_len must be positive, got {max_len}")
        self.redis = redis
        self.stream = stream
        self.max_len = max_len

    async def publish(self, event: OutcomeEvent) -> None:
        await self.redis.xadd(self.stream, {"event": encode(event)}, maxlen=self.max_len, approximate=True)

    async def read(self, *, after: str = "0", count: int = 1000) -> list[tuple[str, OutcomeEvent]]:
        answer = await self.redis.xread({self.stream: after}, count=count)
        entries = answer[0][1] if answer else []
        return [(_text(entry_id), decode(fields[b"event"])) for entry_id, fields in entries]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _time(value: datetime | None) -> str | None:
    return value.astimezone(timezone.utc).isoformat() if value is not None else None


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def to_wire(event: OutcomeEvent) -> dict[str, Any]:
    """The event as the JSON object of contracts section 4 (plus `attempt`)."""
    return {
        "v": EVENT_VERSION,
        "job_id": event.job_id,
        "campaign_id": event.campaign_id,
        "step": event.step,
        "attempt": event.attempt,
        "outcome": event.outcome.value,
        "at": _time(event.at),
        "call_id": event.call_id,
        "reached_human": event.reached_human,
        "meeting": ({"start": _time(event.meeting.start), "end": _time(event.meeting.end)}
                    if event.meeting else None),
        "callback_at": _time(event.callback_at),
        "next_step": event.next_step,
        "scheduled": ({"step": event.scheduled.step, "attempt": event.scheduled.attempt,
                       "at": _time(event.scheduled.at)} if event.scheduled else None),
        "deferred_until": _time(event.deferred_until),
    }


def encode(event: OutcomeEvent) -> bytes:
    return json.dumps(to_wire(event), separators=(",", ":")).encode()


def decode(raw: bytes | str) -> OutcomeEvent:
    data = json.loads(raw)
    if data.get("v") != EVENT_VERSION:
        raise ValueError(f"unknown outcome event version {data.get('v')!r}")
    meeting = data.get("meeting")
    scheduled = data.get("scheduled")
    return OutcomeEvent(
        job_id=data["job_id"], campaign_id=data["campaign_id"], step=data["step"],
        outcome=CallOutcome(data["outcome"]), at=_parse_time(data["at"]), call_id=data.get("call_id"),
        attempt=data.get("attempt", 0), reached_human=bool(data.get("reached_human")),
        meeting=Interval(_parse_time(meeting["start"]), _parse_time(meeting["end"])) if meeting else None,
        callback_at=_parse_time(data.get("callback_at")), next_step=data.get("next_step"),
        scheduled=(ScheduledCall(scheduled["step"], scheduled.get("attempt", 0), _parse_time(scheduled["at"]))
                   if scheduled else None),
        deferred_until=_parse_time(data.get("deferred_until")),
    )
