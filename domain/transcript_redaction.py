"""Transcripts stored without names, phone numbers, emails or dates of birth, when a campaign asks for it.

A campaign asks with `settings["redact_transcripts"] = True`. Redaction is by
pattern, so it errs on the side of removing too much: a capitalised word after
"this is" is taken for a name, and any full date before 2016 for a date of birth
(a sales call schedules meetings in the future, never in the past).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Iterable

from domain.call_record import TranscriptLine
from domain.campaign import Campaign
from domain.contact import Contact

NAME = "[name]"
PHONE = "[phone]"
EMAIL = "[email]"
DATE_OF_BIRTH = "[date of birth]"

SETTING = "redact_transcripts"

_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
          r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d{2}"
_DATE = (rf"(?:\d{{1,2}}[/.-]\d{{1,2}}[/.-](?:\d{{4}}|\d{{2}})|\d{{4}}-\d{{1,2}}-\d{{1,2}}|"
         rf"{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?|{_DAY}\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR})?|{_YEAR})")
# A date right after words that announce a birth date.
_BIRTH_DATE = re.compile(
    rf"(?i)(\b(?:date\s+of\s+birth|birth\s*date|birthday|d\.?o\.?b\.?|born(?:\s+(?:on|in))?)"
    rf"(?:\s*(?:is|was|:|-|,))?\s*)({_DATE})\b")
# Any full date (day, month, year) with a year before 2016.
_OLD_FULL_DATE = re.compile(
    rf"(?i)\b(?:\d{{1,2}}[/.-]\d{{1,2}}[/.-](?:19\d{{2}}|200\d|201[0-5])|(?:19\d{{2}}|200\d|201[0-5])-\d{{1,2}}-\d{{1,2}}|"
    rf"{_MONTH}\s+{_DAY},?\s+(?:19\d{{2}}|200\d|201[0-5])|{_DAY}\s+(?:of\s+)?{_MONTH},?\s+(?:19\d{{2}}|200\d|201[0-5]))\b")

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_SPOKEN_EMAIL = re.compile(r"(?i)\b[\w.+-]+\s+at\s+[\w-]+(?:\s+dot\s+[\w-]+)*\s+dot\s+(?:com|org|net|edu|gov|us|io|co)\b")

_PHONE = re.compile(
    r"(?:\+\d[\d\s().-]{6,}\d"  # international, checked for 8-15 digits below
    r"|(?<![\w+])(?:1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-]?)\d{3}[\s.-]?\d{4}"  # North American
    r"|(?<![\w+])\d{3}[\s.-]\d{4})(?!\w)")  # seven-digit local
_DIGIT_WORD = r"(?:zero|oh|one|two|three|four|five|six|seven|eight|nine|double\s+\w+)"
_SPOKEN_PHONE = re.compile(rf"(?i)\b{_DIGIT_WORD}(?:[\s,.-]+{_DIGIT_WORD}){{6,}}\b")

_NAME_WORD = r"[A-Z][a-z]+(?:['’-][A-Za-z]+)?"
_INTRODUCED = re.compile(
    rf"(\b(?i:my\s+name\s+is|my\s+name's|this\s+is|i\s+am|i'm|i’m|speaking\s+with|speak\s+(?:to|with)|"
    rf"talk\s+to|ask\s+for|call\s+me|name\s+is)\s+)({_NAME_WORD}(?:\s+{_NAME_WORD})?)")
_HONORIFIC = re.compile(rf"\b((?:Dr|Doctor|Mr|Mrs|Ms|Miss|Mx)\.?\s+)({_NAME_WORD}(?:\s+{_NAME_WORD})?)")
# Capitalised words that follow "this is" / "I'm" without being names.
_NOT_NAMES = frozenset(
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July "
    "August September October November December The A An Not Just Sure Sorry Calling Here Fine Good Great "
    "Happy Glad Busy Okay Ok Yes No Hello Hi Thanks Thank Afraid Interested Actually Really Still Also "
    "Very So In On At From With About AI Google Dr Doctor Mr Mrs Ms Miss Mx".split())


@dataclass(frozen=True)
class TranscriptRedactor:
    """Replaces personal data in transcript text with placeholders ([name], [phone], [email], [date of birth]).

    `names` are names known to belong to the people on the call (the contact's
    first and last name); they are removed wherever they appear, in any case.
    """

    names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.names, str):
            raise TypeError("names must be a sequence of names, not one string")
        cleaned = tuple(sorted({n.strip() for n in self.names if n and len(n.strip()) >= 2},
                               key=len, reverse=True))
        object.__setattr__(self, "names", cleaned)
        pattern = None
        if cleaned:
            pattern = re.compile(r"(?i)(?<!\w)(?:" + "|".join(re.escape(n) for n in cleaned) + r")(?!\w)")
        object.__setattr__(self, "_known", pattern)

    @classmethod
    def for_contact(cls, contact: Contact) -> "TranscriptRedactor":
        known = contact.known.decision_maker
        return cls(names=(contact.first_name, contact.last_name, contact.full_name)
                   + ((known, *known.replace("Dr.", "").split()) if known else ()))

    def text(self, text: str) -> str:
        if not isinstance(text, str):
            raise TypeError(f"transcript text must be a string, got {type(text).__name__}")
        text = _EMAIL.sub(EMAIL, text)
        text = _SPOKEN_EMAIL.sub(EMAIL, text)
        text = _BIRTH_DATE.sub(lambda m: m.group(1) + DATE_OF_BIRTH, text)
        text = _OLD_FULL_DATE.sub(DATE_OF_BIRTH, text)
        text = _PHONE.sub(_phone_or_keep, text)
        text = _SPOKEN_PHONE.sub(PHONE, text)
        if self._known is not None:  # type: ignore[attr-defined]
            text = self._known.sub(NAME, text)  # type: ignore[attr-defined]
        text = _HONORIFIC.sub(_name_or_keep, text)
        text = _INTRODUCED.sub(_name_or_keep, text)
        return text

    def lines(self, lines: Iterable[TranscriptLine]) -> list[TranscriptLine]:
        return [replace(line, text=self.text(line.text)) for line in lines]


def redaction_requested(campaign: Campaign) -> bool:
    """Whether the campaign asks for redacted transcripts.

    Absent, None or False mean no. Any other value means yes: an unclear
    setting must not let personal data through.
    """
    value = (campaign.settings or {}).get(SETTING)
    if value is None or value is False:
        return False
    if isinstance(value, str) and value.strip().lower() in ("false", "no", "0", "off", ""):
        return False
    return not (isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0)


def transcript_to_store(lines: list[TranscriptLine], campaign: Campaign, contact: Contact) -> list[TranscriptLine]:
    """The transcript as it may be stored for this campaign: redacted when the campaign says so."""
    if not redaction_requested(campaign):
        return lines
    return TranscriptRedactor.for_contact(contact).lines(lines)


def _phone_or_keep(match: re.Match) -> str:
    digits = sum(ch.isdigit() for ch in match.group(0))
    if match.group(0).startswith("+") and not 8 <= digits <= 15:
        return match.group(0)
    return PHONE


def _name_or_keep(match: re.Match) -> str:
    words = match.group(2).split()
    if words[0] in _NOT_NAMES:
        return match.group(0)
    if len(words) > 1 and words[1] in _NOT_NAMES:
        return match.group(1) + NAME + match.group(0)[len(match.group(1)) + len(words[0]):]
    return match.group(1) + NAME
