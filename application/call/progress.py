"""The running state of one call, kept by the call core, the agent's tools and the line; turned into a CallResult.

Outcome precedence (`final_outcome`, the one place it is decided): a booked meeting, then an opt-out,
then the agent's recorded outcome, then a voicemail left, then how the line ended (no answer, busy,
invalid number), then "a person was reached" (declined), "a menu was heard" (a dead end), a hang-up
(no answer); FAILED when nothing else is known. A fault (`fail`) is FAILED unless the agent recorded an
outcome, left a voicemail or booked a meeting.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from application.ports.call_line import CallResult
from domain.front_desk import FrontDeskDetails
from domain.call_record import TranscriptLine
from domain.meeting import Meeting
from domain.outcomes import CallOutcome


class LineEnding(str, Enum):
    """How the line itself ended the call, when the agent did not."""

    NO_ANSWER = "no_answer"
    BUSY = "busy"
    INVALID_NUMBER = "invalid_number"
    HUNG_UP = "hung_up"  # the other side put the phone down (a menu, a person, a voicemail box)
    TIMED_OUT = "timed_out"  # the call ran past its turn budget


_LINE_OUTCOMES = {
    LineEnding.NO_ANSWER: CallOutcome.NO_ANSWER,
    LineEnding.BUSY: CallOutcome.BUSY,
    LineEnding.INVALID_NUMBER: CallOutcome.WRONG_NUMBER,
}


@dataclass
class CallProgress:
    started_at: datetime
    digits: list[str] = field(default_factory=list)
    objections: list[str] = field(default_factory=list)
    transcript: list[TranscriptLine] = field(default_factory=list)
    outcome: CallOutcome | None = None
    decline_reason: str | None = None
    callback_at: datetime | None = None
    next_step: str | None = None
    reached_human: bool = False
    heard_menu: bool = False
    beep_heard_at: datetime | None = None
    voicemail_left: bool = False
    voicemail_after_beep: bool | None = None
    disclosed_ai: bool = False
    meeting: Meeting | None = None
    follow_up: str | None = None
    opted_out: bool = False
    ended_by_agent: bool = False
    line_ending: LineEnding | None = None
    reason: str | None = None
    front_desk: FrontDeskDetails | None = None  # what the front desk told us on this call
    answered_at: datetime | None = None
    opt_out_asked: bool = False  # the callee asked not to be called again
    # What the report measures (None: not observed on this call).
    decision_maker_reached: bool | None = None
    pitched: bool = False  # the offer was put to a person (domain.pitch)
    verdict_s: float | None = None  # the human/machine verdict's delay, as the detector reports it
    callee_first_words_at: datetime | None = None
    agent_first_reply_at: datetime | None = None  # the agent's first words after the callee's

    @property
    def ended(self) -> bool:
        return self.ended_by_agent or self.line_ending is not None

    def said(self, speaker: str, text: str, at: datetime) -> None:
        self.transcript.append(TranscriptLine(speaker, text, at))

    # The live session reports when each side starts speaking; the text-mode simulator has no such moments
    # (its clock does not model the agent's reply time), so its calls leave the first reply unrecorded.
    def callee_speaking(self, at: datetime) -> None:
        """The other side starts speaking."""
        if self.callee_first_words_at is None:
            self.callee_first_words_at = at

    def agent_speaking(self, at: datetime) -> None:
        """The agent starts speaking; the first time after the callee's first words is its first reply."""
        if self.agent_first_reply_at is None and self.callee_first_words_at is not None \
                and at >= self.callee_first_words_at:
            self.agent_first_reply_at = at

    @property
    def first_reply_s(self) -> float | None:
        """Seconds from the callee's first words to the agent's; only on calls a person answered (a menu or a
        voicemail greeting speaks first, and the agent rightly stays silent through it)."""
        if not self.reached_human or self.heard_menu or self.voicemail_left:
            return None
        if self.callee_first_words_at is None or self.agent_first_reply_at is None:
            return None
        return round((self.agent_first_reply_at - self.callee_first_words_at).total_seconds(), 3)

    def pressed(self, digits: str) -> None:
        self.digits.extend(digits)

    def objection(self, kind: str) -> None:
        if kind not in self.objections:
            self.objections.append(kind)

    def beep(self, at: datetime) -> None:
        self.beep_heard_at = at

    def left_voicemail(self) -> None:
        self.voicemail_left = True
        self.voicemail_after_beep = self.beep_heard_at is not None

    def record(self, outcome: CallOutcome, *, decline_reason: str | None = None, callback_at: datetime | None = None,
               objections: list[str] | None = None, next_step: str | None = None) -> None:
        self.outcome = outcome
        self.decline_reason = decline_reason or self.decline_reason
        self.callback_at = callback_at or self.callback_at
        self.next_step = next_step or self.next_step
        for kind in objections or ():
            self.objection(kind)

    def fail(self, reason: str) -> None:
        """A technical fault ended the call: FAILED, unless the agent recorded an outcome, left a voicemail
        or booked a meeting (those happened and stand)."""
        self.reason = reason
        if self.outcome is None and not self.voicemail_left and self.meeting is None:
            self.record(CallOutcome.FAILED)

    @property
    def picked_up(self) -> bool:
        """Someone or something answered: the line said so, or words came from the other side."""
        return self.answered_at is not None or any(line.speaker == "callee" for line in self.transcript)

    def line_closed(self) -> None:
        """The call is over without anyone having said how: a hang-up once picked up, else no answer."""
        if not self.ended and self.line_ending is None:
            self.line_ending = LineEnding.HUNG_UP if self.picked_up else LineEnding.NO_ANSWER

    def final_outcome(self) -> CallOutcome:
        if self.meeting is not None:
            return CallOutcome.MEETING_BOOKED
        if self.opted_out:
            return CallOutcome.OPTED_OUT
        if self.outcome is not None:
            return self.outcome
        if self.voicemail_left:
            return CallOutcome.VOICEMAIL_LEFT
        if self.line_ending in _LINE_OUTCOMES:
            return _LINE_OUTCOMES[self.line_ending]
        if self.reached_human:
            return CallOutcome.DECLINED
        if self.heard_menu:
            return CallOutcome.IVR_DEAD_END
        if self.line_ending is LineEnding.HUNG_UP:
            return CallOutcome.NO_ANSWER
        return CallOutcome.FAILED

    def result(self, ended_at: datetime, report: dict | None = None) -> CallResult:
        outcome = self.final_outcome()
        reason = self.reason
        if outcome is CallOutcome.DECLINED and self.outcome is None and self.decline_reason is None \
                and self.line_ending is LineEnding.HUNG_UP:
            self.decline_reason = "the callee hung up"
        if self.follow_up:
            reason = f"{reason}; {self.follow_up}" if reason else self.follow_up
        return CallResult(
            outcome=outcome, ended_at=ended_at, reached_human=self.reached_human, digits=list(self.digits),
            transcript=list(self.transcript), voicemail_left=self.voicemail_left,
            voicemail_after_beep=self.voicemail_after_beep if self.voicemail_left else None,
            disclosed_ai=self.disclosed_ai, meeting=self.meeting, decline_reason=self.decline_reason,
            callback_at=self.callback_at, next_step=self.next_step, objections=list(self.objections), reason=reason,
            front_desk=self.front_desk,
            report=report or {}, decision_maker_reached=self.decision_maker_reached, first_reply_s=self.first_reply_s,
            verdict_s=self.verdict_s, pitched=self.pitched,
        )
