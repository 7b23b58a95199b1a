"""What each line of a call's transcript means for the call: the one rule set both shells run.

- an agent line that says it is an AI assistant is the AI disclosure (domain.disclosure);
- a callee line raises objections (domain.objections), may ask to be taken off the list, and may be a key
  moment that wakes the coach (an objection or a transfer: domain.callee_words).
"""
from __future__ import annotations

from dataclasses import dataclass

from domain.callee_words import Heard, heard
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


def agent_line_discloses(text: str) -> bool:
    """The agent's line discloses that it is an AI assistant."""
    return discloses_ai(text)


def read_callee_line(text: str, first_name: str = "") -> CalleeLine:
    kind, _ = heard(text, first_name)
    objections = tuple(objections_in(text))
    moment = OBJECTION if objections or kind is Heard.OBJECTION else TRANSFER if kind is Heard.TRANSFER else None
    return CalleeLine(objections=objections, opt_out=kind is Heard.OPT_OUT, transfer=kind is Heard.TRANSFER,
                      key_moment=moment)
