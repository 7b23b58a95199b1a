"""A logging filter that keeps phone numbers, emails and transcript text out of every log line.

Attach it to each handler (`install_redaction`): a handler filter sees every
record that reaches the handler, whichever logger it came from, which a logger
filter does not. It rewrites the record in place (message, args, extras,
exception text), so handlers after it see the redacted record too.
"""
from __future__ import annotations

import json
import logging
import re
import unicodedata
from typing import Any

from domain.personal_data import mask_email, mask_phone

TRANSCRIPT_REDACTED = "[transcript redacted]"

# Keys (in dict args and `extra=`) whose values are what someone said on a call.
TRANSCRIPT_KEYS = frozenset({"transcript", "utterance", "says", "speech", "text", "user_input", "said", "lines"})

# Every pattern is linear in the text: the lookbehinds let a match start only at a token's
# start and each repetition is bounded, so a long token costs one pass (a 100 KB job id
# once took 17 s through an unanchored email pattern). Each field is capped first.
MAX_FIELD_CHARS = 4000
MAX_TRACEBACK_CHARS = 16000
MATCHER_TRIES = 64  # candidates libphonenumber examines per field: the patterns below still see every digit

_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}")
_SEP = r"[ ./_-]"
# E.164, optionally spaced: +15125550143, +44 20 7946 0958, +1(512)555-0143, +1_512_555_0143.
_E164 = re.compile(r"(?<![\w+])\+[1-9](?:[ ./_()-]{0,2}\d){6,14}(?!\d)")
# US: (512) 555-0143, 512-555-0143, 512/555/0143, 1-512-555-0143, 5125550143, x5125550143.
_US = re.compile(r"(?:(?<![\w+])|(?<=[xX]))(?:1" + _SEP + r"?)?(?:\([2-9]\d{2}\)[\s./_-]?|[2-9]\d{2}" + _SEP +
                 r"?)[2-9]\d{2}" + _SEP + r"?\d{4}(?!\d)")
# A local number without its area code: 555-0143, 555.0143.
_LOCAL = re.compile(r"(?:(?<![\w+./-])|(?<=[xX]))[2-9]\d{2}[-. ]\d{4}(?![\w-]|\.\d)")
_OTHER_DIGIT = re.compile(r"(?![0-9])\d")  # any Unicode decimal digit that is not ASCII

_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "taskName"}


def capped(text: str, limit: int = MAX_FIELD_CHARS) -> str:
    return text if len(text) <= limit else f"{text[:limit]}...[{len(text) - limit} more characters]"


def _plain_digits(text: str) -> str:
    """Full-width and other scripts' digits (and +, -, parentheses) as ASCII, so the patterns see them."""
    text = unicodedata.normalize("NFKC", text)
    return _OTHER_DIGIT.sub(lambda m: str(unicodedata.decimal(m.group(), 0)), text)


def _written_numbers(text: str) -> str:
    """Numbers as people write them anywhere in a text, found by libphonenumber's matcher (imported at the
    first text with a digit: a command that logs none, like `report --json`, does not load it)."""
    import phonenumbers

    matcher = phonenumbers.PhoneNumberMatcher(text, "US", leniency=phonenumbers.Leniency.VALID,
                                              max_tries=MATCHER_TRIES)
    spans = [(m.start, m.end) for m in matcher]
    for start, end in reversed(spans):
        text = text[:start] + mask_phone(text[start:end]) + text[end:]
    return text


def redact_text(text: str, limit: int = MAX_FIELD_CHARS) -> str:
    """The text, capped at `limit` characters, with each email and phone number masked."""
    text = capped(text, limit)
    if not text.isascii():
        text = _plain_digits(text)
    if "@" in text:
        text = _EMAIL.sub(lambda m: mask_email(m.group()), text)
    if not any(c.isdigit() for c in text):
        return text
    text = _written_numbers(text)
    text = _E164.sub(lambda m: mask_phone(m.group()), text)
    text = _US.sub(lambda m: mask_phone(m.group()), text)
    return _LOCAL.sub(lambda m: mask_phone(m.group()), text)


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


# What a driver's structured log record may show: names, ids and timings, never a document.
_DRIVER_FIELDS = ("message", "commandName", "databaseName", "durationMS", "requestId", "operationId",
                  "driverConnectionId", "serverConnectionId", "serverHost", "serverPort", "clientId")


def _driver_summary(message: Any) -> str:
    fields = getattr(message, "_kwargs", None)
    if not isinstance(fields, dict):
        return "[driver log without documents]"
    kept = {k: fields[k] for k in _DRIVER_FIELDS if k in fields and isinstance(fields[k], (str, int, float))}
    if "failure" in fields:
        kept["failure"] = "[redacted]"
    return json.dumps(kept, default=str)


class RedactingFilter(logging.Filter):
    """Masks personal data in the record; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_docshield_redacted", False):
            return True
        if record.name.startswith("pymongo."):
            # pymongo's command log carries whole commands and replies (contact documents): keep
            # only its names and timings, at every level.
            record.msg, record.args = _driver_summary(record.msg), ()
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
            record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info), MAX_TRACEBACK_CHARS)
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact_text(record.exc_text, MAX_TRACEBACK_CHARS)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info, MAX_TRACEBACK_CHARS)
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
