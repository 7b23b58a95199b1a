"""Where a call's artifacts live inside a bucket or folder, and the transcript document format.

Shared by the S3 and local adapters and by the LiveKit egress request, so a
recording uploaded by LiveKit sits next to the transcript uploaded by the worker.
"""
from __future__ import annotations

import json
import re
from typing import Any

from infrastructure.call_result_codec import to_jsonable, transcript_line_to_dict
from domain.call_record import TranscriptLine

TRANSCRIPT_FORMAT = "docshield.call-transcript/1"
_CALL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}\Z")
_EXTENSION = re.compile(r"^\.[a-z0-9]{1,8}\Z")


def checked_call_id(call_id: str) -> str:
    if not isinstance(call_id, str) or not _CALL_ID.match(call_id) or ".." in call_id:
        raise ValueError(f"call_id must be 1-128 letters, digits, '_', '-' or '.', got {call_id!r}")
    return call_id


def checked_prefix(prefix: str) -> str:
    """'' or a relative path ending with '/'."""
    if prefix and (not prefix.endswith("/") or prefix.startswith("/") or ".." in prefix.split("/")):
        raise ValueError(f"prefix must be empty or a relative path ending with '/', got {prefix!r}")
    return prefix


def transcript_key(call_id: str, prefix: str = "") -> str:
    return f"{checked_prefix(prefix)}{checked_call_id(call_id)}/transcript.json"


def recording_key(call_id: str, extension: str = ".ogg", prefix: str = "") -> str:
    if not _EXTENSION.match(extension):
        raise ValueError(f"extension must look like '.ogg', got {extension!r}")
    return f"{checked_prefix(prefix)}{checked_call_id(call_id)}/recording{extension}"


def transcript_document(call_id: str, lines: list[TranscriptLine], report: dict) -> bytes:
    """One JSON object: the transcript lines (speaker, text, timestamp) and the session report."""
    if not isinstance(report, dict):
        raise TypeError(f"report must be a dict, got {type(report).__name__}")
    document: dict[str, Any] = {
        "format": TRANSCRIPT_FORMAT,
        "call_id": checked_call_id(call_id),
        "transcript": [transcript_line_to_dict(line) for line in lines],
        "report": to_jsonable(report, "report"),
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def content_type_for(key: str) -> str:
    for suffix, kind in ((".json", "application/json"), (".ogg", "audio/ogg"), (".mp3", "audio/mpeg"),
                         (".mp4", "audio/mp4"), (".m4a", "audio/mp4"), (".wav", "audio/wav")):
        if key.endswith(suffix):
            return kind
    return "application/octet-stream"
