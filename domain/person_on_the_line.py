"""Who the agent is speaking with, and the name to address them by: the one rule the call core and the
offline brain both follow, so that a hello, an introduction or a farewell never names someone else
(issue 14: "Speaking." from the doctor the front desk put us through to is the doctor, not the contact).

Read from the callee's lines as they come, literally:
- the front desk naming who handles it ("Dr. Kent handles that") makes that person the one sought;
- a transfer ("I'll put you through") brings a new party nobody has named yet;
- "This is Dr. Kent." / "Jay speaking." names whoever speaks; they are the called person when the name is one
  the sought person or the contact goes by;
- "Speaking." / "Yes, that's me." / "This is he." confirms being the one sought.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from domain.callee_words import Heard, heard, self_named
from domain.front_desk import named_to_handle
from domain.person_names import HONORIFIC

_TITLE_WORD = re.compile(rf"^{HONORIFIC}\s+")


def name_parts(name: str) -> tuple[str, str]:
    """A name as a script's `{first_name}` and `{last_name}` say it: "Dr. Kent" is addressed whole
    ("Thanks, Dr. Kent."), "Maria Lopez" by her first name."""
    name = " ".join(name.split())
    if _TITLE_WORD.match(name):
        return name, ""
    first, _, last = name.partition(" ")
    return first, last


def _goes_by(given: str, name: str) -> bool:
    """`given` ("Dr. Kent", "Jay") is a way to address the person called `name` ("Dr. Kent", "Jay Kent")."""
    given_words, name_words = given.lower().replace(".", "").split(), name.lower().replace(".", "").split()
    if not given_words or not name_words:
        return False
    if _TITLE_WORD.match(given):
        return given_words[-1] == name_words[-1]  # "Dr. Kent" is Jay Kent, Dr. Kent, Doctor Kent
    return given_words[0] == name_words[0] and not _TITLE_WORD.match(name)


@dataclass
class PersonOnTheLine:
    """Whom the call seeks and whom the agent is speaking with; fed every callee line in order."""

    sought: str  # the name the call asks for: the decision maker the front desk named, else the contact
    contact: str  # the contact's full name (also a person the call is for)
    name: str | None = None  # how to address whoever is on the line, once they said who they are
    called_person: bool = False  # whoever is on the line is the person the call is for

    def callee_said(self, text: str) -> None:
        kind, _ = heard(text)
        named_by_desk = named_to_handle(text)
        if named_by_desk and not self.called_person:
            self.sought = named_by_desk  # "Dr. Kent handles that": the one to ask for, and to be put through to
        if kind is Heard.TRANSFER:
            self.name, self.called_person = None, False
            return
        given = self_named(text)
        if given is not None:
            self.name = given
            self.called_person = any(_goes_by(given, who) for who in (self.sought, self.contact))
        elif kind is Heard.CONFIRMS_IDENTITY:
            self.name, self.called_person = name_parts(self.sought)[0], True

    @property
    def addressed_as(self) -> str | None:
        """The name to address whoever is on the line by; None for a receptionist or someone not yet named."""
        return self.name if self.called_person else None

    @property
    def is_the_contact(self) -> bool:
        """Whoever is on the line is the contact of record (or has not said otherwise): the contact's email
        address is theirs. Dr. Kent, put through by the front desk for Jay Underwood, is someone else."""
        return self.name is None or not self.called_person or _goes_by(self.name, self.contact)
