"""A logging filter that keeps phone numbers, emails and transcript text out of every log line.

Attach it to each handler (`install_redaction`): a handler filter sees every
record that reaches the handler, whichever logger it came from, which a logger
filter does not. It rewrites the record in place (message, args, extras,
exception text), so handlers after it see the redacted record too.
"""
from __future__ import annotations

import logging
import re
from typing import Any

from domain.personal_data import mask_email, mask_phone

TRANSCRIPT_REDACTED = "[transcript redacted]"

# Keys (in dict args and `extra=`) whose values are what someone said on a call.
TRANSCRIPT_KEYS = frozenset({"transcript", "utterance", "says", "speech", "text", "user_input", "said", "lines"})

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# E.164, optionally spaced: +15125550143, +44 20 7946 0958, +1(512)555-0143.
_E164 = re.compile(r"(?<![\w+])\+[1-9](?:[ .()-]{0,2}\d){6,14}(?!\d)")
# US: (512) 555-0143, 512-555-0143, 512.555.0143, 1-512-555-0143, 5125550143.
_US = re.compile(r"(?<![\w+])(?:1[ .-]?)?(?:\([2-9]\d{2}\)[\s.-]?|[2-9]\d{2}[ .-]?)[2-9]\d{2}[ .-]?\d{4}(?!\d)")

_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "taskName"}


def redact_text(text: str) -> str:
    """The text with each email and phone number masked (mask_email / mask_phone)."""
    text = _EMAIL.sub(lambda m: mask_email(m.group()), text)
    text = _E164.sub(lambda m: mask_phone(m.group()), text)
    return _US.sub(lambda m: mask_phone(m.group()), text)


def _is_transcript(value: Any) -> bool:
    if type(value).__name__ == "TranscriptLine":
        return True
    return isinstance(value, (list, tuple)) and bool(value) and all(_is_transcript(v) for v in value)


def _holds_speech(key: str) -> bool:
    # livekit-agents marks user data with a `pii` segment (`lk.pii.transcript`, `lk.pii.user_input`).
    return key.lower() in TRANSCRIPT_KEYS or "pii" in key.lower().split(".")


def redact_value(value: Any, key: str | None = None) -> Any:
    if key is not None and _holds_speech(key) and value not in (None, "", [], ()):
        return TRANSCRIPT_REDACTED
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if _is_transcript(value):
        return TRANSCRIPT_REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact_value(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return type(value)(redact_value(v) for v in value) if not isinstance(value, set) else \
            {redact_value(v) for v in value}
    # Any other object: judge it by how it would print (a dataclass repr holds its fields).
    try:
        shown = str(value)
    except Exception:
        return "[unprintable]"
    cleaned = redact_text(shown)
    return cleaned if cleaned != shown else value


class RedactingFilter(logging.Filter):
    """Masks personal data in the record; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_docshield_redacted", False):
            return True
        if isinstance(record.msg, str):
            record.msg = redact_text(record.msg)
        else:
            record.msg = redact_value(record.msg)
        if isinstance(record.args, dict):
            record.args = redact_value(record.args)
        elif record.args:
            record.args = tuple(redact_value(a) for a in record.args)
        if record.exc_info:
            # Exception messages carry whatever the failing code put in them; keep the text, masked.
            record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD:
                record.__dict__[key] = redact_value(value, key)
        record._docshield_redacted = True
        return True


def install_redaction(logger: logging.Logger | None = None) -> RedactingFilter:
    """Put one RedactingFilter on every handler of `logger` (the root by default)."""
    target = logger or logging.getLogger()
    redaction = RedactingFilter()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(redaction)
    return redaction
