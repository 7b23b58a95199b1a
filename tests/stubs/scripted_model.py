"""A scripted sales conversation for the model stubs: what a well-behaved model answers at each turn.

Both local model endpoints (the Realtime WebSocket and chat completions) read the
conversation off the wire, turn it into `Said`/`ToolOutput` items, and ask
`next_turn` what to send back; each endpoint then speaks its own protocol. The
script knows nothing of the scenario: like a real model it reads only what it
was sent (the callee's words, the instructions a reply was asked for with, the
tools' answers), so the product's own rules decide every line event.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Union

INTRODUCTION = ("Hi, this is Alex, an AI assistant calling for DocShield; this call is recorded. We help independent "
                "practices cut their malpractice premiums. Would a short call with your advisor be worth it?")
OPT_OUT = "Understood, I've taken this number off our list. Sorry to have bothered you. Goodbye."
VOICEMAIL = ("Hello, this is Alex, an AI assistant calling for DocShield about your practice's malpractice "
             "coverage. Please call us back at your convenience. Thank you.")

_LEAVE_IT_NOW = re.compile(r"Call leave_voicemail now")  # the instructions of the reply the call core asks for
_MACHINE = re.compile(r"\b(?:leave (?:a|your) (?:message|name)|after the (?:tone|beep)|voice ?mail)\b", re.I)
_OPT_OUT = re.compile(r"\b(?:take (?:us|me|this number) off|stop calling|do not call|don't call|remove (?:us|me))\b",
                      re.I)
_ACCEPT = re.compile(r"\b(?:sure|sounds good|let'?s (?:do|set)|happy to|yes)\b", re.I)
_CHOICE = re.compile(r"\b(?:first|that one|works for me|works)\b", re.I)


@dataclass
class Said:
    role: str  # user | assistant | system (instructions given for this reply)
    text: str


@dataclass
class ToolOutput:
    name: str
    output: str


Item = Union[Said, ToolOutput]


@dataclass
class Turn:
    text: str | None = None
    tools: list[tuple[str, dict]] = field(default_factory=list)


def _payload(output: str) -> dict:
    try:
        value = json.loads(output)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def next_turn(conversation: list[Item]) -> Turn:
    """The reply to the conversation so far."""
    if not conversation:
        return Turn()
    last = conversation[-1]
    offers = next((_payload(i.output).get("offers") for i in reversed(conversation)
                   if isinstance(i, ToolOutput) and _payload(i.output).get("offers")), None)
    if isinstance(last, ToolOutput):
        payload = _payload(last.output)
        if last.name == "leave_voicemail":
            return Turn(VOICEMAIL, [("end_call", {})])
        if payload.get("booked"):
            return Turn("You're all set; the invitation is on its way. Thank you, goodbye.",
                        [("record_outcome", {"outcome": "meeting_booked"}), ("end_call", {})])
        if payload.get("offers"):
            return Turn(f"I have {payload['offers'][0]['spoken']}. Does that work?")
        return Turn()
    if last.role == "system":
        return Turn(tools=[("leave_voicemail", {})]) if _LEAVE_IT_NOW.search(last.text) else Turn()
    if last.role != "user":
        return Turn()
    text = last.text
    if _MACHINE.search(text):
        return Turn()  # never talk over a greeting: wait to be told the moment has come
    if _OPT_OUT.search(text):
        return Turn(OPT_OUT, [("add_to_do_not_call", {"reason": "asked to be removed"}),
                              ("record_outcome", {"outcome": "opted_out"}), ("end_call", {})])
    if offers and _CHOICE.search(text):
        return Turn(tools=[("book_meeting", {"start": offers[0]["start"]})])
    if _ACCEPT.search(text):
        return Turn(tools=[("check_availability", {})])
    return Turn(INTRODUCTION)
