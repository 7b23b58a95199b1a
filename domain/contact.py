"""The person and practice a campaign calls."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from domain.front_desk import FrontDeskDetails
from domain.person_on_the_line import name_parts

MAX_NAME_CHARS = 100
MAX_EMAIL_CHARS = 254

# Terminal escape sequences (colours, cursor moves, titles) as a whole, before the
# remaining control characters go one by one.
_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
                    r"[A-Za-z]{2,63}")


def clean_name(value: str, *, what: str = "name", max_chars: int = MAX_NAME_CHARS) -> str:
    """A name as it may be spoken and stored: terminal escapes and control characters removed,
    runs of white space made one space; ValueError when nothing is left or it is too long."""
    text = _ESCAPES.sub("", value or "")
    text = "".join(" " if ch.isspace() else ch for ch in text if ch.isspace() or
                   not unicodedata.category(ch).startswith("C"))
    text = " ".join(text.split())
    if not text:
        raise ValueError(f"{what} is empty once control characters are removed")
    if len(text) > max_chars:
        raise ValueError(f"{what} has {len(text)} characters; at most {max_chars}")
    return text


def checked_email(value: str) -> str:
    """An email address as given (trimmed), or "" for none; ValueError when it is not one."""
    text = (value or "").strip()
    if not text:
        return ""
    if len(text) > MAX_EMAIL_CHARS or not _EMAIL.fullmatch(text):
        raise ValueError("not an email address (name@domain.tld)")
    return text


@dataclass
class Contact:
    id: str
    first_name: str
    last_name: str
    phone: str  # E.164
    practice: str
    title: str = ""
    email: str = ""
    state: str | None = None  # two-letter US state; derived from the phone when None
    timezone: str | None = None  # IANA name; derived from the phone when None
    extra: dict[str, str] = field(default_factory=dict)
    known: FrontDeskDetails = FrontDeskDetails()  # what the front desk told earlier calls

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def sought_name(self) -> str:
        """Whom a call asks for: the decision maker an earlier call's front desk named, else the contact.
        The one rule: the greeting, the script's name placeholders and a callback all ask for this person."""
        return self.known.decision_maker or self.full_name

    @property
    def ask_for(self) -> str:
        """Whom a call asks for, at their extension when it is known ("Dr. Kent at extension 214")."""
        name = self.sought_name
        return f"{name} at extension {self.known.extension}" if self.known.extension else name

    def template_fields(self) -> dict[str, str]:
        """The values a Script may interpolate, by placeholder name. The name placeholders (`{first_name}`,
        `{last_name}`, `{full_name}`) name the person sought, so a stored script written for the contact
        ("May I speak with {first_name} {last_name}?") asks for the decision maker once one is known."""
        first, last = name_parts(self.known.decision_maker) if self.known.decision_maker \
            else (self.first_name, self.last_name)
        fields = {
            "first_name": first,
            "last_name": last,
            "full_name": self.sought_name,
            "ask_for": self.ask_for,
            "title": self.title,
            "practice": self.practice,
            "practice_name": self.practice,
            "email": self.email,
            "state": self.state or "",
        }
        fields.update(self.extra)
        return fields
