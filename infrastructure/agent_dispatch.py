"""The agent job's side of the dispatch contract with the ARQ job (infrastructure.livekit_call_line).

The ARQ job dispatches the agent with ids as JSON metadata (never the phone number) and waits on the
hand-back; here: reading and checking that metadata, and handing a result back (retrying a Redis blip),
including the FAILED result of a call that could not start.
"""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any

from application.ports.call_handback import CallHandback
from application.ports.call_line import CallResult
from application.ports.clock import Clock
from domain.outcomes import CallOutcome
from infrastructure.livekit_call_line import CALLEE_IDENTITY, DISPATCH_METADATA_VERSION

log = logging.getLogger(__name__)

_PUBLISH_ATTEMPTS = 3


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


async def publish(handback: CallHandback, call_id: str, result: CallResult) -> None:
    """Hand `result` back, retrying a Redis blip twice; the last error is raised."""
    for attempt in range(1, _PUBLISH_ATTEMPTS + 1):
        try:
            await handback.publish(call_id, result)
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
    await publish(handback, call_id, result)
    return True
