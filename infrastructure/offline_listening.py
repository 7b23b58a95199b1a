"""How the offline brain reads what the other side of the line said (text mode).

Deterministic keyword reading of a conversation with a person, good enough for
simulated practices and tests. Machines (menus, voicemail boxes, carriers) are
recognised by the domain (voicemail_detector, menu_navigator), not here. Line
events without words reach the model as a `LineCue` that the agent side writes
from the audio (beep detector and voice activity).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class LineCue:
    """What the agent side heard without words after a greeting: a beep that ended, or quiet since a moment.

    Times are seconds since the greeting's audio began; `now_s` is when the cue was sent.
    """

    kind: str  # "beep" or "quiet"
    at_s: float
    now_s: float
    frequency_hz: float = 0.0

    _BEEP = re.compile(r"^\[line: beep (\d+(?:\.\d+)?) Hz ended at (\d+(?:\.\d+)?) s; now (\d+(?:\.\d+)?) s\]$")
    _QUIET = re.compile(r"^\[line: quiet since (\d+(?:\.\d+)?) s; now (\d+(?:\.\d+)?) s\]$")

    def render(self) -> str:
        if self.kind == "beep":
            return f"[line: beep {self.frequency_hz:.0f} Hz ended at {self.at_s:.2f} s; now {self.now_s:.2f} s]"
        return f"[line: quiet since {self.at_s:.2f} s; now {self.now_s:.2f} s]"

    @classmethod
    def parse(cls, text: str) -> "LineCue | None":
        t = text.strip()
        m = cls._BEEP.match(t)
        if m:
            return cls("beep", float(m.group(2)), float(m.group(3)), float(m.group(1)))
        m = cls._QUIET.match(t)
        if m:
            return cls("quiet", float(m.group(1)), float(m.group(2)))
        return None


class Heard(str, Enum):
    HOLD = "hold"
    TRANSFER = "transfer"
    BLOCKED = "blocked"
    OPT_OUT = "opt_out"
    ROBOT_QUESTION = "robot_question"
    CALLBACK = "callback"
    DECLINE = "decline"
    NO_SLOT_FITS = "no_slot_fits"
    ACCEPT = "accept"
    CONFIRMS_IDENTITY = "confirms_identity"
    OBJECTION = "objection"
    OTHER = "other"


def _any(*phrases: str) -> re.Pattern:
    return re.compile("|".join(phrases), re.IGNORECASE)


_HOLD = _any(r"please hold", r"on hold", r"your call is important", r"remain on the line", r"stay on the line",
             r"next available")
_TRANSFER = _any(r"put you through", r"transfer(?:ring)? you", r"connect(?:ing)? you", r"one moment",
                 r"let me (?:get|grab) (?:her|him|them)", r"hold on")
_BLOCKED = _any(r"not available", r"can't put you through", r"cannot put you through", r"take a message",
                r"doesn't take (?:these|sales) calls", r"don't put (?:sales )?calls through", r"not taking calls",
                r"won't be able to connect")
_OPT_OUT = _any(r"take (?:me|us|this number) off", r"remove (?:me|us|this number|my number)", r"do not call",
                r"don't call (?:me|us|here)? ?again", r"stop calling", r"put (?:me|us) on your do.not.call")
_ROBOT = _any(r"\brobot\b", r"\bmachine\b", r"real person", r"\bhuman\b", r"\ban ai\b", r"\bbot\b",
              r"recording\?")
_CALLBACK = _any(r"call (?:me|us)? ?back", r"try (?:me|us)? ?(?:again )?(?:later|next)", r"call again (?:on|next)")
_DECLINE = _any(r"we'll pass", r"no,? thank you", r"no thanks", r"not for us", r"we're all set", r"i'll pass",
                r"not going to", r"going to say no")
_NO_SLOT = _any(r"none of (?:those|these|them)", r"neither", r"doesn't work", r"don't work", r"won't work")
_ACCEPT = _any(r"\bsure\b", r"sounds good", r"let's (?:do|set|book|find)", r"that would be (?:fine|good|useful|helpful)",
               r"\bokay,? let's", r"happy to", r"i'm interested", r"\byes,? (?:let's|please|that)")
_CONFIRMS = _any(r"^\s*(?:yes,? )?(?:this is (?:she|he|them|me)|speaking|that's me|it's me)\b")
_OBJECTIONS = (
    ("who_is_this", _any(r"who is this", r"who(?:'s| is) calling", r"who are you", r"what company")),
    ("already_insured", _any(r"already (?:have|got) (?:malpractice |a |an )?(?:insurance|coverage|policy|carrier)",
                             r"already insured", r"we're covered", r"happy with our (?:carrier|insurer|policy)")),
    ("send_information", _any(r"send (?:me|us)? ?(?:some )?(?:information|info|something|details|an email)",
                              r"email (?:me|us)")),
    ("cost", _any(r"how much", r"\bcost\b", r"\bprice\b", r"expensive", r"premium")),
    ("too_busy", _any(r"too busy", r"really busy", r"swamped", r"no time")),
    ("bad_time", _any(r"bad time", r"not a good time", r"in the middle of", r"with a patient")),
    ("not_interested", _any(r"not interested", r"no interest")),
)


def heard(text: str, first_name: str = "") -> tuple[Heard, str | None]:
    """What an utterance is, and for objections which kind."""
    t = text.strip()
    low = t.lower()
    if _OPT_OUT.search(t):
        return Heard.OPT_OUT, None
    if _ROBOT.search(t) and "?" in t:
        return Heard.ROBOT_QUESTION, None
    if _HOLD.search(t) and not _TRANSFER.search(t):
        return Heard.HOLD, None
    if _BLOCKED.search(t):
        return Heard.BLOCKED, None
    if _TRANSFER.search(t):
        return Heard.TRANSFER, None
    if _CALLBACK.search(t):
        return Heard.CALLBACK, None
    if _NO_SLOT.search(t):
        return Heard.NO_SLOT_FITS, None
    if _DECLINE.search(t):
        return Heard.DECLINE, None
    for kind, pattern in _OBJECTIONS:
        if pattern.search(t):
            return Heard.OBJECTION, kind
    if _ACCEPT.search(t):
        return Heard.ACCEPT, None
    if _CONFIRMS.search(t) or (first_name and re.search(rf"\b(?:this is|i.m|it.s) {re.escape(first_name.lower())}\b", low)
                              and len(low) < 40):
        return Heard.CONFIRMS_IDENTITY, None
    return Heard.OTHER, None


# --- times said aloud -------------------------------------------------------------------------

_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_CLOCK = r"(\d{1,2}):(\d{2})\s*([AaPp])\.?[Mm]\.?"
_DAY = r"(?:(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday),?\s+)?(" + "|".join(_MONTHS) + r")\s+(\d{1,2})"
_AT = re.compile(_DAY + r",?\s+at\s+" + _CLOCK, re.IGNORECASE)
_BETWEEN = re.compile(_DAY + r",?\s+(?:between|from)\s+" + _CLOCK + r"\s+(?:and|to|until)\s+" + _CLOCK, re.IGNORECASE)


def _moment(month: str, day: str, hour: str, minute: str, meridiem: str, now: datetime, tz: ZoneInfo) -> datetime:
    h = int(hour) % 12 + (12 if meridiem.lower() == "p" else 0)
    local_now = now.astimezone(tz)
    candidate = datetime(local_now.year, _MONTHS.index(month.lower()) + 1, int(day), h, int(minute), tzinfo=tz)
    if candidate < local_now - timedelta(days=180):  # "January 5" said in December
        candidate = candidate.replace(year=candidate.year + 1)
    return candidate


def times_said(text: str, now: datetime, tz: ZoneInfo) -> list[datetime]:
    """Every "March 17 at 10:00 AM" in `text`, read on the listener's clock."""
    return [_moment(m.group(1), m.group(2), m.group(3), m.group(4), m.group(5), now, tz) for m in _AT.finditer(text)]


def windows_said(text: str, now: datetime, tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """Every "March 11 between 9:00 AM and 5:00 PM" in `text`."""
    out = []
    for m in _BETWEEN.finditer(text):
        start = _moment(m.group(1), m.group(2), m.group(3), m.group(4), m.group(5), now, tz)
        end = _moment(m.group(1), m.group(2), m.group(6), m.group(7), m.group(8), now, tz)
        if end > start:
            out.append((start, end))
    return out


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def email_said(text: str) -> str | None:
    m = _EMAIL.search(text)
    return m.group(0).rstrip(".") if m else None


_AI = re.compile(r"\b(?:an? )?(?:AI|artificial intelligence)(?: assistant| agent| system)?\b|\bvirtual assistant\b")


def discloses_ai(text: str) -> bool:
    """The agent said it is an AI (the compliance module's check replaces this when present)."""
    try:
        from domain.disclosure import discloses_ai as domain_check
    except ImportError:
        return bool(_AI.search(text))
    return domain_check(text)
