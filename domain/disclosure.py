"""What the agent must say: that it is an AI assistant, for whom it calls, and that the call is recorded.

Several states require every party's consent to record (e.g. Cal. Penal Code
§ 632, Fla. Stat. § 934.03, 18 Pa. C.S. § 5703), so the recording notice is in
every opening line, not only for those states. The FCC treats AI-generated
voices as "artificial" under the TCPA (Declaratory Ruling FCC 24-17, 2024), and
some states require a bot to disclose itself (Cal. Bus. & Prof. Code § 17941);
the opening line says so, and a direct question gets a truthful answer.

These checks read transcripts; they are deliberately literal so that a test
failing on them points at a line that really does not say it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Mapping

# A negation within two words before the phrase: "I'm not an AI assistant".
_NEGATED_TAIL = re.compile(r"(?:\bnot|n't|\bnever|\bno)\s+(?:[\w']+\s+){0,2}$", re.IGNORECASE)

_AI = re.compile(
    r"\b(?:an?\s+)?(?:AI|A\.I\.|artificial[\s-]+intelligence)(?:[\s-]+(?:powered|based|driven))?"
    r"[\s-]+(?:virtual\s+)?(?:assistant|agent|voice\s+assistant)\b",
    re.IGNORECASE,
)
_RECORDED = re.compile(
    r"\b(?:(?:is|are|will\s+be|may\s+be|might\s+be|being|gets|is\s+being)\s+recorded"
    r"|recorded\s+line|record(?:s|ing)?\s+(?:this|the|our)\s+(?:call|conversation))\b",
    re.IGNORECASE,
)
_ROBOT_QUESTION = re.compile(
    r"\b(?:robot|bot|machine|computer|recording|automated|real\s+person|human|an?\s+AI|artificial)\b.*\?|"
    r"\b(?:am\s+i\s+(?:talking|speaking)\s+(?:to|with)\s+(?:a|an)\s+(?:real|person|human|robot|machine|AI))",
    re.IGNORECASE,
)
_ADMITS_AI = re.compile(
    r"\b(?:an?\s+)?(?:AI|A\.I\.|artificial[\s-]+intelligence|virtual\s+assistant|automated\s+assistant)\b",
    re.IGNORECASE,
)
_CLAIMS_HUMAN = re.compile(
    r"\b(?:i\s*'?\s*a?m|i\s+am)\s+(?:a\s+)?(?:real\s+)?(?:person|human(?:\s+being)?)\b"
    r"|\bnot\s+an?\s+(?:robot|bot|machine|AI)\b",
    re.IGNORECASE,
)


def _negated_before(text: str, match: re.Match, window: int = 32) -> bool:
    return _NEGATED_TAIL.search(text[max(0, match.start() - window):match.start()]) is not None


def _affirmed(pattern: re.Pattern, text: str) -> bool:
    return any(not _negated_before(text, m) for m in pattern.finditer(text or ""))


def discloses_ai(text: str) -> bool:
    """True when the line says, without negating it, that the speaker is an AI assistant."""
    return _affirmed(_AI, text) and not claims_human(text)


def discloses_recording(text: str) -> bool:
    """True when the line says the call is (or may be) recorded, and does not deny it."""
    return _affirmed(_RECORDED, text)


def names_company(text: str, company: str = "DocShield") -> bool:
    """True when the line names the company the agent calls for (case and spacing ignored)."""
    squeeze = re.compile(r"[\s\-]+")
    return squeeze.sub("", company).lower() in squeeze.sub("", text or "").lower()


def claims_human(text: str) -> bool:
    """True when the line claims the speaker is a person (a false answer for the agent)."""
    return _CLAIMS_HUMAN.search(text or "") is not None


def admits_ai(text: str) -> bool:
    """True when a reply says the speaker is an AI (in any words) and does not claim to be a person."""
    return _affirmed(_ADMITS_AI, text) and not claims_human(text)


def asks_if_robot(text: str) -> bool:
    """True when a callee's line asks whether they are talking to a machine or a person."""
    return _ROBOT_QUESTION.search(text or "") is not None


@dataclass(frozen=True)
class DisclosureCheck:
    ai: bool
    company: bool
    recording: bool
    truthful_when_asked: bool  # True when never asked
    opening: str | None

    @property
    def ok(self) -> bool:
        return self.ai and self.company and self.recording and self.truthful_when_asked

    def missing(self) -> list[str]:
        """What the transcript failed to say, for a test's failure message."""
        names = {"ai": "AI assistant disclosure", "company": "company name", "recording": "recording notice",
                 "truthful_when_asked": "truthful answer to 'are you a robot?'"}
        return [label for key, label in names.items() if not getattr(self, key)]


def _lines(transcript: Iterable) -> list[tuple[str, str]]:
    lines = []
    for item in transcript:
        if isinstance(item, Mapping):
            lines.append((str(item.get("speaker", "")), str(item.get("text", ""))))
        elif isinstance(item, (tuple, list)):
            lines.append((str(item[0]), str(item[1])))
        else:  # a TranscriptLine-like object
            lines.append((str(getattr(item, "speaker", "")), str(getattr(item, "text", ""))))
    return lines


def check_transcript(transcript: Iterable, company: str = "DocShield", agent: str = "agent") -> DisclosureCheck:
    """Check a transcript ({speaker, text} mappings, (speaker, text) pairs or objects with those fields).

    The agent's first line must disclose the AI, the company and the recording;
    every agent reply to a "are you a robot?" question must say it is an AI and
    never claim to be a person.
    """
    lines = _lines(transcript)
    agent_lines = [text for speaker, text in lines if speaker.lower() == agent]
    opening = agent_lines[0] if agent_lines else None
    truthful = True
    for i, (speaker, text) in enumerate(lines):
        if speaker.lower() != agent and asks_if_robot(text):
            reply = next((t for s, t in lines[i + 1:] if s.lower() == agent), None)
            if reply is None or not admits_ai(reply):
                truthful = False
    text = opening or ""
    return DisclosureCheck(ai=discloses_ai(text), company=names_company(text, company),
                           recording=discloses_recording(text), truthful_when_asked=truthful, opening=opening)
