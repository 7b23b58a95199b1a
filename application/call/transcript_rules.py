"""What each line of a call's transcript means for the call: the one rule set both shells run.

- an agent line that says it is an AI assistant is the AI disclosure (domain.disclosure);
- a callee line raises objections (domain.objections), may ask to be taken off the list, may be a key
  moment that wakes the coach (an objection or a transfer: domain.callee_words), and may be the person the
  call asks for saying it is them ("Speaking.", "This is Dr. Kent": domain.callee_words.asked_for_speaking).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from domain.callee_words import Heard, asked_for_speaking, heard
from domain.disclosure import discloses_ai
from domain.objections import objections_in

OBJECTION = "objection"
TRANSFER = "transfer"


@dataclass(frozen=True)
class CalleeLine:
    objections: tuple[str, ...]
    opt_out: bool
    transfer: bool
    key_moment: str | None  # wakes the coach: OBJECTION or TRANSFER
    asked_for: bool = False  # the person the call asks for says it is them


def agent_line_discloses(text: str) -> bool:
    """The agent's line discloses that it is an AI assistant."""
    return discloses_ai(text)


def read_callee_line(text: str, first_name: str = "", answers_to: Iterable[str] = ()) -> CalleeLine:
    """What the line means; `answers_to`: the names of the person the call asks for (Contact.answers_to)."""
    kind, _ = heard(text, first_name)
    objections = tuple(objections_in(text))
    moment = OBJECTION if objections or kind is Heard.OBJECTION else TRANSFER if kind is Heard.TRANSFER else None
    return CalleeLine(objections=objections, opt_out=kind is Heard.OPT_OUT, transfer=kind is Heard.TRANSFER,
                      key_moment=moment, asked_for=asked_for_speaking(text, answers_to))
