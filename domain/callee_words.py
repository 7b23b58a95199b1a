"""What a callee's utterance is, read literally: hold, transfer, a refusal to connect, an opt-out, a question
about the AI, a callback, a decline, an objection (domain.objections), agreement.

Deterministic keyword reading, shared by the call's transcript rules (key moments for the coach, an opt-out
asked for) and by the offline brain that stands in for the model in simulations.
"""
from __future__ import annotations

import re
from enum import Enum
from functools import lru_cache

from domain.objections import first_objection
from domain.person_names import HONORIFIC


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


def _any(*phrases: str) -> re.Pattern[str]:
    return re.compile("|".join(phrases), re.IGNORECASE)


_HOLD = _any(r"please hold", r"on hold", r"your call is important", r"remain on the line", r"stay on the line",
             r"next available", r"can you hold")
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


@lru_cache(maxsize=2048)  # an utterance is read at each turn while it is in the history
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
    objection = first_objection(t)
    if objection is not None:
        return Heard.OBJECTION, objection
    if _CONFIRMS.search(t):  # "Yes, that's me." says who is speaking; it agrees to nothing yet
        return Heard.CONFIRMS_IDENTITY, None
    if _ACCEPT.search(t):
        return Heard.ACCEPT, None
    if (first_name and re.search(rf"\b(?:this is|i.m|it.s) {re.escape(first_name.lower())}\b", low)
                              and len(low) < 40):
        return Heard.CONFIRMS_IDENTITY, None
    return Heard.OTHER, None


# "This is Dr. Kent" gives the titled name; "Cara's voicemail" gives none.
_SELF_NAMED = re.compile(rf"\b(?:[Tt]his is|[Ii]t's|[Ii]'m|[Mm]y name is)\s+({HONORIFIC}\s+[A-Z][a-z]+)\b(?!'s)"
                         rf"|\b({HONORIFIC}\s+[A-Z][a-z]+) speaking\b"
                         rf"|\b(?:[Tt]his is|[Ii]t's|[Ii]'m|[Mm]y name is) (?!{HONORIFIC}\b)([A-Z][a-z]+)\b(?!'s)"
                         rf"|\b(?!{HONORIFIC}\b)([A-Z][a-z]+) speaking\b")


def self_named(text: str) -> str | None:
    """The name a person gives for themself, as they may be addressed: "Amy" from "Lakeside Ortho, this is
    Amy.", "Tom" from "Tom speaking", "Dr. Kent" from "This is Dr. Kent."; None when they give none."""
    found = _SELF_NAMED.search(text)
    return next(g for g in found.groups() if g) if found else None


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def email_said(text: str) -> str | None:
    m = _EMAIL.search(text)
    return m.group(0).rstrip(".") if m else None
