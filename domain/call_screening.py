"""Call screeners (Google Call Screen, iPhone "Ask Reason for Calling", answering services): answer once, briefly.

A screener asks who is calling and why before it rings the person. The
agent answers in one short turn that front-loads what the person reads on
the screen: its name, that it is an AI assistant, the company, whom it calls
for and why (`screener_reply`). Then `ScreeningWatch` decides from what comes
next: a person picks up (go on with the call), a voicemail greeting (wait for
the beep), a full mailbox or a carrier message (end), or silence until
`silence_s` (end as `no_answer`: nobody picked up).

`missing_from_introduction` is the screener's side of the same rule: which
of name, company and reason an introduction left out (the simulated
screener passes the call on only when nothing is missing).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from domain.outcomes import CallOutcome
from domain.voicemail_detector import Answerer, GreetingVerdict

SCREENING_REASON = "the practice's malpractice coverage"


def screener_reply(*, agent_name: str, company: str, contact_name: str, reason: str = SCREENING_REASON) -> str:
    """The one turn said to a call screener (name, AI assistant, company, for whom, why)."""
    for field, value in (("agent_name", agent_name), ("company", company), ("contact_name", contact_name),
                         ("reason", reason)):
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{field} must be a non-empty string")
    return (f"This is {agent_name.strip()}, an AI assistant with {company.strip()}, calling for "
            f"{contact_name.strip()} about {reason.strip()}.")


_NAME = re.compile(r"\b(?:this is|my name is|i am|i'm|it's|name's)\s+[a-z][\w'-]*", re.IGNORECASE)
_COMPANY = re.compile(r"\b(?:with|from|at|of|on behalf of|calling for|representing)\s+[a-z0-9][\w&'.-]*",
                      re.IGNORECASE)
_REASON = re.compile(r"\b(?:about|regarding|concerning|re|reason|because|calling to|to discuss|to talk about)\b",
                     re.IGNORECASE)


def missing_from_introduction(text: str) -> list[str]:
    """Which of "name", "company", "reason" the caller's words did not give (empty: all given)."""
    if not isinstance(text, str):
        raise TypeError(f"introduction must be a str, not {type(text).__name__}")
    missing = []
    if not _NAME.search(text):
        missing.append("name")
    if not _COMPANY.search(text):
        missing.append("company")
    if not _REASON.search(text):
        missing.append("reason")
    return missing


class ScreeningStep(str, Enum):
    WAIT = "wait"                    # the screener is ringing the person: stay silent
    TALK = "talk"                    # a person picked up: greet them, the call goes on
    WAIT_FOR_BEEP = "wait_for_beep"  # the screener sent the call to voicemail
    ANSWER_AGAIN = "answer_again"    # the screener asked again (once): repeat the introduction
    END = "end"                      # end the call with `outcome`


@dataclass(frozen=True)
class ScreeningDecision:
    step: ScreeningStep
    reason: str
    outcome: CallOutcome | None = None


class ScreeningWatch:
    """What to do after the introduction was given to a screener (see the module docstring)."""

    def __init__(self, *, silence_s: float = 25.0, max_answers: int = 2):
        if silence_s <= 0:
            raise ValueError(f"silence_s must be positive, got {silence_s}")
        if max_answers < 1:
            raise ValueError(f"max_answers must be at least 1, got {max_answers}")
        self.silence_s = silence_s
        self.max_answers = max_answers
        self.answers = 1  # the introduction already given
        self._since: float | None = None

    def answered(self, at_s: float) -> None:
        """The introduction (or its repeat) ended at `at_s`."""
        self._since = at_s

    def heard(self, verdict: GreetingVerdict, at_s: float) -> ScreeningDecision:
        """The line spoke again after the introduction; `verdict` classifies those words."""
        self._since = at_s
        answerer = verdict.answerer
        if answerer is Answerer.HUMAN:
            return ScreeningDecision(ScreeningStep.TALK, f"a person picked up ({verdict.cue})")
        if answerer is Answerer.VOICEMAIL:
            return ScreeningDecision(ScreeningStep.WAIT_FOR_BEEP, f"the screener sent the call to voicemail ({verdict.cue})")
        if verdict.final_outcome is not None:
            return ScreeningDecision(ScreeningStep.END, f"the line ended the call ({verdict.cue})", verdict.final_outcome)
        if answerer is Answerer.SCREENING:
            if self.answers < self.max_answers:
                self.answers += 1
                return ScreeningDecision(ScreeningStep.ANSWER_AGAIN, "the screener asked again")
            return ScreeningDecision(ScreeningStep.END, "the screener keeps asking; nobody picked up",
                                     CallOutcome.NO_ANSWER)
        return ScreeningDecision(ScreeningStep.WAIT, "the screener is ringing the person")

    def tick(self, now_s: float) -> ScreeningDecision:
        """The clock moved on with nobody speaking."""
        if self._since is None:
            self._since = now_s
        if now_s - self._since >= self.silence_s:
            return ScreeningDecision(ScreeningStep.END, f"nobody picked up within {self.silence_s:.0f} s of the "
                                                        "introduction", CallOutcome.NO_ANSWER)
        return ScreeningDecision(ScreeningStep.WAIT, "waiting for the person to pick up")
