"""CallResult <-> plain JSON-ready dict: the hand-back's wire format (infrastructure.redis_handback) and the
stored artifacts' JSON helpers.

The hand-back port speaks CallResult; its Redis adapter encodes on the agent side and decodes on the job
side with this module. Datetimes travel as ISO 8601 strings (timezone kept), enums by value.
"""
from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from enum import Enum
import logging
from typing import Any

from application.ports.call_handback import UnreadableResult
from application.ports.call_line import CallResult
from domain.call_record import TranscriptLine
from domain.front_desk import FrontDeskDetails
from domain.meeting import Meeting
from domain.outcomes import CallOutcome

CODEC_VERSION = 1


log = logging.getLogger(__name__)


class CallResultDecodeError(UnreadableResult):
    """The payload is not a CallResult this codec understands; the message names the field."""


def result_to_dict(result: CallResult) -> dict[str, Any]:
    """A JSON-serialisable dict holding every field of `result`."""
    return {
        "v": CODEC_VERSION,
        "outcome": result.outcome.value,
        "ended_at": _iso(result.ended_at),
        "reached_human": result.reached_human,
        "digits": list(result.digits),
        "transcript": [transcript_line_to_dict(line) for line in result.transcript],
        "voicemail_left": result.voicemail_left,
        "voicemail_after_beep": result.voicemail_after_beep,
        "disclosed_ai": result.disclosed_ai,
        "meeting": _meeting_to_dict(result.meeting) if result.meeting else None,
        "decline_reason": result.decline_reason,
        "callback_at": _iso(result.callback_at),
        "next_step": result.next_step,
        "objections": list(result.objections),
        "recording_key": result.recording_key,
        "turn_latencies_ms": [float(x) for x in result.turn_latencies_ms],
        "reason": result.reason,
        "report": to_jsonable(result.report, "report"),
        "front_desk": result.front_desk.as_dict() if result.front_desk else None,
        "decision_maker_reached": result.decision_maker_reached,
        "first_reply_s": result.first_reply_s,
        "verdict_s": result.verdict_s,
        "pitched": result.pitched,
    }


def _front_desk(value: dict | None) -> FrontDeskDetails | None:
    if value is None:
        return None
    try:
        return FrontDeskDetails.from_dict(value)
    except (KeyError, TypeError, ValueError) as exc:
        raise CallResultDecodeError(f"front_desk: {exc}") from None


def result_from_dict(data: Any) -> CallResult:
    """The CallResult encoded by `result_to_dict`; raises CallResultDecodeError naming what is wrong."""
    if not isinstance(data, dict):
        raise CallResultDecodeError(f"call result must be an object, got {type(data).__name__}")
    version = data.get("v", CODEC_VERSION)
    if version != CODEC_VERSION:
        raise CallResultDecodeError(f"call result version {version!r} is not supported (expected {CODEC_VERSION})")
    unknown = set(data) - {f.name for f in fields(CallResult)} - {"v"}
    if unknown:
        raise CallResultDecodeError(f"call result has unknown fields: {', '.join(sorted(unknown))}")
    try:
        outcome = CallOutcome.parse(_required(data, "outcome", str))
    except ValueError as exc:
        raise CallResultDecodeError(f"outcome: {exc}") from None
    meeting = data.get("meeting")
    return CallResult(
        outcome=outcome,
        ended_at=_parse_dt(_required(data, "ended_at", str), "ended_at"),
        reached_human=_optional(data, "reached_human", bool, False),
        digits=[_typed(d, str, "digits[]") for d in _optional(data, "digits", list, [])],
        transcript=[transcript_line_from_dict(line, i) for i, line in enumerate(_optional(data, "transcript", list, []))],
        voicemail_left=_optional(data, "voicemail_left", bool, False),
        voicemail_after_beep=_optional(data, "voicemail_after_beep", bool, None),
        disclosed_ai=_optional(data, "disclosed_ai", bool, False),
        meeting=_meeting_from_dict(meeting) if meeting is not None else None,
        decline_reason=_optional(data, "decline_reason", str, None),
        callback_at=_parse_dt(data["callback_at"], "callback_at") if data.get("callback_at") else None,
        next_step=_optional(data, "next_step", str, None),
        objections=[_typed(o, str, "objections[]") for o in _optional(data, "objections", list, [])],
        front_desk=_front_desk(_optional(data, "front_desk", dict, None)),
        recording_key=_optional(data, "recording_key", str, None),
        turn_latencies_ms=[float(_typed(x, (int, float), "turn_latencies_ms[]"))
                           for x in _optional(data, "turn_latencies_ms", list, [])],
        reason=_optional(data, "reason", str, None),
        report=_optional(data, "report", dict, {}),
        decision_maker_reached=_optional(data, "decision_maker_reached", bool, None),
        first_reply_s=_seconds(data, "first_reply_s"),
        verdict_s=_seconds(data, "verdict_s"),
        pitched=_optional(data, "pitched", bool, None),
    )


def transcript_line_to_dict(line: TranscriptLine) -> dict[str, Any]:
    return {"speaker": line.speaker, "text": line.text, "at": _iso(line.at)}


def transcript_line_from_dict(data: Any, index: int = 0) -> TranscriptLine:
    where = f"transcript[{index}]"
    if not isinstance(data, dict):
        raise CallResultDecodeError(f"{where} must be an object, got {type(data).__name__}")
    at = data.get("at")
    return TranscriptLine(
        speaker=_required(data, "speaker", str, where),
        text=_required(data, "text", str, where),
        at=_parse_dt(at, f"{where}.at") if at else None,
    )


def to_jsonable(value: Any, where: str = "value") -> Any:
    """`value` with datetimes as ISO strings, enums by value, tuples/sets as lists.

    Raises TypeError naming the path of anything else that JSON cannot hold."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value.value if isinstance(value, Enum) else value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"{where}: key {k!r} is not a string")
            out[k] = to_jsonable(v, f"{where}.{k}")
        return out
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v, f"{where}[{i}]") for i, v in enumerate(value)]
    raise TypeError(f"{where}: a {type(value).__name__} cannot be stored as JSON")


def _meeting_to_dict(meeting: Meeting) -> dict[str, Any]:
    return {
        "start": _iso(meeting.start), "end": _iso(meeting.end), "event_id": meeting.event_id,
        "attendee_email": meeting.attendee_email, "video_link": meeting.video_link,
        "calendar_id": meeting.calendar_id,
    }


def _meeting_from_dict(data: Any) -> Meeting:
    if not isinstance(data, dict):
        raise CallResultDecodeError(f"meeting must be an object, got {type(data).__name__}")
    return Meeting(
        start=_parse_dt(_required(data, "start", str, "meeting"), "meeting.start"),
        end=_parse_dt(_required(data, "end", str, "meeting"), "meeting.end"),
        event_id=_required(data, "event_id", str, "meeting"),
        attendee_email=_optional(data, "attendee_email", str, ""),
        video_link=_optional(data, "video_link", str, ""),
        calendar_id=_optional(data, "calendar_id", str, ""),
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse_dt(value: Any, where: str) -> datetime:
    if not isinstance(value, str):
        raise CallResultDecodeError(f"{where} must be an ISO 8601 string, got {type(value).__name__}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CallResultDecodeError(f"{where}: {value!r} is not an ISO 8601 datetime") from None
    if parsed.tzinfo is None:
        raise CallResultDecodeError(f"{where}: {value!r} has no timezone")
    return parsed


def _required(data: dict, key: str, kind: type, where: str = "call result") -> Any:
    if key not in data or data[key] is None:
        raise CallResultDecodeError(f"{where}: missing {key}")
    return _typed(data[key], kind, f"{where}.{key}" if where != "call result" else key)


def _optional(data: dict, key: str, kind: type, default: Any) -> Any:
    value = data.get(key)
    if value is None:
        return default
    return _typed(value, kind, key)


def _seconds(data: dict, key: str) -> float | None:
    value = _optional(data, key, (int, float), None)
    return float(value) if value is not None else None


def _typed(value: Any, kind: type | tuple[type, ...], where: str) -> Any:
    # bool is an int in Python; a boolean where a number belongs is a producer bug.
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        expected = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise CallResultDecodeError(f"{where} must be {expected}, got {type(value).__name__}")
    return value


def trim_report(report: dict[str, Any]) -> dict[str, Any]:
    """`report` without the fields JSON cannot hold (logged): such a field must not cost the call's result."""
    try:
        to_jsonable(report, "report")
        return report
    except TypeError as exc:
        log.warning("call report trimmed: %s", exc)
    kept = {}
    for key, value in report.items():
        try:
            kept[key] = to_jsonable(value) if isinstance(key, str) else None
        except TypeError:
            continue
    return {k: v for k, v in kept.items() if v is not None}
