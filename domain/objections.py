"""The objections a callee raises, by kind: the one vocabulary the call's rules, the coach and the
simulated callee share (contracts section 3).

Each kind is a set of patterns; `objections_in` lists every kind an utterance raises, in the
table's order. A plain "no thank you" is a decline, not an objection: it is not in here.
"""
from __future__ import annotations

import re


def _any(*phrases: str) -> re.Pattern[str]:
    return re.compile("|".join(phrases), re.IGNORECASE)


OBJECTIONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("who_is_this", _any(r"who is this", r"who(?:'s| is) calling", r"who are you", r"what company")),
    ("already_insured", _any(r"already (?:have|got) (?:malpractice |a |an )?(?:insurance|coverage|policy|carrier)",
                             r"already insured", r"we're covered", r"we are covered",
                             r"happy with our (?:carrier|insurer|policy)")),
    ("send_information", _any(r"send (?:me|us)? ?(?:some )?(?:information|info|something|details|an email)",
                              r"email (?:me|us)")),
    ("cost", _any(r"how much", r"\bcost\b", r"\bprice\b", r"expensive", r"premium")),
    ("too_busy", _any(r"too busy", r"really busy", r"swamped", r"no time", r"don't have time")),
    ("bad_time", _any(r"bad time", r"not a good time", r"in the middle of", r"with a patient", r"in a meeting")),
    ("not_interested", _any(r"not interested", r"no interest")),
)
OBJECTION_KINDS: tuple[str, ...] = tuple(kind for kind, _ in OBJECTIONS)


def objections_in(text: str) -> list[str]:
    """Every objection kind `text` raises, in the table's order."""
    return [kind for kind, pattern in OBJECTIONS if pattern.search(text or "")]


def first_objection(text: str) -> str | None:
    """The first objection kind `text` raises, or None."""
    kinds = objections_in(text)
    return kinds[0] if kinds else None
