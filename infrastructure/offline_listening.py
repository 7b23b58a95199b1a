"""How the offline brain reads what the other side of the line said (text mode).

Deterministic keyword reading, good enough for simulated practices and for
tests: the menu choice defers to the domain's phone-tree logic where it exists.
Line events that have no words reach text mode as cues: "[beep]", "[silence]".
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from zoneinfo import ZoneInfo

BEEP = "[beep]"
SILENCE = "[silence]"


class Heard(str, Enum):
    BEEP = "beep"
    SILENCE = "silence"
    VOICEMAIL_GREETING = "voicemail_greeting"
    MENU = "menu"
    HOLD = "hold"
    TRANSFER = "transfer"
    BLOCKED = "blocked"
    OPT_OUT = "opt_out"
    ROBOT_QUESTION = "robot_question"
    CALLBACK = "callback"
    DECLINE = "decline"
    SLOT_CHOICE = "slot_choice"  # decided by the brain, which knows the offers
    NO_SLOT_FITS = "no_slot_fits"
    ACCEPT = "accept"
    CONFIRMS_IDENTITY = "confirms_identity"
    OBJECTION = "objection"
    OTHER = "other"


def _any(*phrases: str) -> re.Pattern:
    return re.compile("|".join(phrases), re.IGNORECASE)


_VOICEMAIL = _any(r"leave (?:a|your) message", r"after the (?:tone|beep)", r"voice ?mail", r"mailbox",
                  r"not available to take your call", r"can't come to the phone", r"record your message")
_MENU = _any(r"\bpress\b", r"\bdial\b\s+\d", r"\bsay\b\s+['\"]?\w+['\"]?")
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
    if low == BEEP or "[beep]" in low:
        return Heard.BEEP, None
    if low == SILENCE:
        return Heard.SILENCE, None
    if _VOICEMAIL.search(t):
        return Heard.VOICEMAIL_GREETING, None
    if _MENU.search(t) and re.search(r"\b(?:press|dial)\b", low):
        return Heard.MENU, None
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


# --- menus ----------------------------------------------------------------------------------

_OPTION = re.compile(
    r"(?:(?:for|to reach|to speak (?:to|with)|if you (?:are|need|want)|for the)\s+(?P<what1>[^.,;]+?)[,]?\s+"
    r"(?:please\s+)?(?:press|dial)\s+(?P<key1>[0-9*#]))"
    r"|(?:(?:press|dial)\s+(?P<key2>[0-9*#])\s+(?:for|to reach|to speak (?:to|with)|to)\s+(?P<what2>[^.,;]+))",
    re.IGNORECASE)
_SPEECH = re.compile(r"\bsay\s+['\"]?(?P<word>[a-z]+)['\"]?(?:\s+(?:for|to)\s+(?P<what>[^.,;]+))?", re.IGNORECASE)
_PREFERENCES = ("office manager", "practice manager", "practice administrator", "administrator", "manager",
                "operator", "front desk", "reception", "receptionist", "all other", "other", "staff", "everything else")


@dataclass(frozen=True)
class MenuChoice:
    digits: str | None = None
    word: str | None = None


def menu_options(text: str) -> list[tuple[str, str]]:
    """(key, what it leads to) in the order said."""
    out = []
    for m in _OPTION.finditer(text):
        key = m.group("key1") or m.group("key2")
        what = (m.group("what1") or m.group("what2") or "").strip().lower()
        out.append((key, what))
    return out


def choose_from_menu(text: str, *, first_name: str, last_name: str, title: str) -> MenuChoice | None:
    """The option that leads closest to the contact: their name, their title, a manager, an operator."""
    targets = [w.lower() for w in (f"{first_name} {last_name}", first_name, last_name) if w.strip()]
    if title:
        targets.append(title.lower())
    targets.extend(_PREFERENCES)
    options = menu_options(text)
    speech = [(m.group("word").lower(), (m.group("what") or "").lower()) for m in _SPEECH.finditer(text)]
    for target in targets:
        for key, what in options:
            if target in what:
                return MenuChoice(digits=key)
        for word, what in speech:
            if target in what or target == word:
                return MenuChoice(word=word)
    for word, _what in speech:
        if word in ("operator", "representative", "reception", "agent"):
            return MenuChoice(word=word)
    return None


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
