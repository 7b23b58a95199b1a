"""The sales coach's view of a call: where it stands and what to do next.

A coach reads the running transcript and returns Guidance; the rule-based
coach here needs no model, and the OpenAI coach returns the same shape.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Sequence

from domain.call_record import TranscriptLine
from domain.objections import objections_in


class Stage(str, Enum):
    OPENING = "opening"
    GATEKEEPER = "gatekeeper"
    PITCH = "pitch"
    OBJECTION = "objection"
    SCHEDULING = "scheduling"
    CLOSING = "closing"


@dataclass(frozen=True)
class Guidance:
    stage: Stage
    next_move: str
    missed: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    source: str = "rules"

    def as_instructions(self) -> str:
        """The block appended to the agent's instructions (replacing the previous one)."""
        lines = [f"Coach (stage: {self.stage.value}): {self.next_move}"]
        lines += [f"- You missed: {m}" for m in self.missed]
        lines += [f"- Warning: {w}" for w in self.warnings]
        return "\n".join(lines)


_AI_QUESTION = re.compile(r"\b(robot|a machine|an ai|artificial|real person|a computer|automated)\b", re.I)
_DISCLOSURE = re.compile(r"\bai assistant\b", re.I)
_RECORDED = re.compile(r"\brecord(ed|ing)\b", re.I)
_FORBIDDEN = {
    "quoted a price": re.compile(r"\$\s?\d|\b\d+\s?(dollars|per month|a month)\b", re.I),
    "promised coverage": re.compile(r"\b(guarantee|guaranteed|fully covered|we will cover)\b", re.I),
    "gave legal or medical advice": re.compile(r"\b(you should sue|legal advice|diagnos|prescri)", re.I),
}
_SCHEDULING = re.compile(r"\b(works best|which of those|what time|schedule|calendar|slot)\b", re.I)
_AGREEMENT = re.compile(r"\b(sure|yes|sounds good|that works|okay|ok)\b", re.I)


@dataclass
class RuleBasedCoach:
    """Deterministic coaching from the transcript: stage, missed steps, rule warnings."""

    handled_objections: set[str] = field(default_factory=set)

    def review(self, transcript: Sequence[TranscriptLine]) -> Guidance:
        agent = [l.text for l in transcript if l.speaker == "agent"]
        callee = [l.text for l in transcript if l.speaker == "callee"]
        missed: list[str] = []
        warnings: list[str] = []
        if agent and not _DISCLOSURE.search(" ".join(agent[:2])):
            missed.append("say you are an AI assistant calling for DocShield in the opening")
        if agent and not _RECORDED.search(" ".join(agent[:2])):
            missed.append("say that the call is recorded")
        for label, pattern in _FORBIDDEN.items():
            if any(pattern.search(t) for t in agent):
                warnings.append(f"you {label}; never do that: offer the call with the licensed advisor instead")
        last_callee = callee[-1] if callee else ""
        if _AI_QUESTION.search(last_callee):
            return Guidance(Stage.OBJECTION, "answer truthfully that you are an AI assistant, then continue",
                            tuple(missed), tuple(warnings))
        raised = objections_in(last_callee)
        if raised:
            kind = raised[0]
            return Guidance(Stage.OBJECTION, f"acknowledge and use the '{kind}' handler, then ask for the meeting",
                            tuple(missed), tuple(warnings))
        if agent and _SCHEDULING.search(agent[-1]):
            if _AGREEMENT.search(last_callee):
                return Guidance(Stage.SCHEDULING, "confirm the slot, book it, and read back the time zone",
                                tuple(missed), tuple(warnings))
            return Guidance(Stage.SCHEDULING, "offer two or three concrete times in the callee's time zone",
                            tuple(missed), tuple(warnings))
        if len(agent) <= 1:
            return Guidance(Stage.OPENING, "confirm you are speaking with the decision maker", tuple(missed),
                            tuple(warnings))
        return Guidance(Stage.PITCH, "give the one-line value proposition and ask for a 15-minute call",
                        tuple(missed), tuple(warnings))
