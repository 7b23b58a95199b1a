"""Leaving a voicemail: when to start speaking, and a message that fits.

`VoicemailTiming` is fed what happens after a voicemail box answers (the
greeting's words, speech activity, a beep from `BeepDetector`, the clock) and
says when to speak: right after the beep; or, when no beep comes, once the
greeting has ended (silence), waiting a little longer when the greeting
promised a tone. A full or unset mailbox ends the call as `no_answer` without
a message. Times are seconds on one clock (e.g. since the call was answered).

`prepare_message` keeps the message under 30 s at a normal speaking rate
(150 words a minute): it refuses a longer script with an error that says by
how much, or trims it to whole sentences when asked to.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from domain.beep_detector import BeepEvent
from domain.outcomes import CallOutcome
from domain.voicemail_detector import Answerer, classify_greeting

WORDS_PER_MINUTE = 150
MAX_MESSAGE_SECONDS = 30.0
_SENTENCE_PAUSE_S = 0.3  # a speaker breathes between sentences


class VoicemailTooLong(ValueError):
    """The message would run past the voicemail limit."""

    def __init__(self, seconds: float, limit: float, words: int, words_per_minute: int):
        over = max(1, int((seconds - limit) * words_per_minute / 60 + 0.999))
        super().__init__(
            f"voicemail message takes about {seconds:.1f} s ({words} words at {words_per_minute} words a minute); "
            f"the limit is {limit:.0f} s: cut about {over} words"
        )
        self.seconds = seconds
        self.limit = limit


@dataclass(frozen=True)
class VoicemailMessage:
    text: str
    seconds: float
    trimmed: bool = False


_SENTENCES = re.compile(r"[^.!?]+[.!?]*")


def estimate_seconds(text: str, words_per_minute: int = WORDS_PER_MINUTE) -> float:
    """Speaking time of `text` at `words_per_minute`, with a short pause per sentence."""
    if words_per_minute <= 0:
        raise ValueError(f"words_per_minute must be positive, got {words_per_minute}")
    words = len(text.split())
    sentences = len([s for s in _SENTENCES.findall(text) if s.strip()])
    return words * 60.0 / words_per_minute + _SENTENCE_PAUSE_S * max(sentences - 1, 0)


def prepare_message(text: str, *, max_seconds: float = MAX_MESSAGE_SECONDS, trim: bool = False,
                    words_per_minute: int = WORDS_PER_MINUTE) -> VoicemailMessage:
    """The message to leave, checked against `max_seconds`.

    Too long: raise `VoicemailTooLong`, or with `trim=True` keep the leading
    whole sentences that fit (still raising when not even the first fits).
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError("voicemail message is empty")
    if max_seconds <= 0:
        raise ValueError(f"max_seconds must be positive, got {max_seconds}")
    text = " ".join(text.split())
    seconds = estimate_seconds(text, words_per_minute)
    if seconds < max_seconds:
        return VoicemailMessage(text, round(seconds, 1))
    if not trim:
        raise VoicemailTooLong(seconds, max_seconds, len(text.split()), words_per_minute)
    kept: list[str] = []
    for sentence in (s.strip() for s in _SENTENCES.findall(text)):
        if not sentence:
            continue
        if estimate_seconds(" ".join(kept + [sentence]), words_per_minute) >= max_seconds:
            break
        kept.append(sentence)
    if not kept:
        first = _SENTENCES.findall(text)[0].strip()
        raise VoicemailTooLong(estimate_seconds(first, words_per_minute), max_seconds,
                               len(first.split()), words_per_minute)
    short = " ".join(kept)
    return VoicemailMessage(short, round(estimate_seconds(short, words_per_minute), 1), trimmed=True)


class VoicemailStep(str, Enum):
    WAIT = "wait"
    SPEAK = "speak"        # start the message now
    HANG_UP = "hang_up"    # end the call without a message (see `outcome`)


@dataclass(frozen=True)
class VoicemailDecision:
    step: VoicemailStep
    reason: str
    outcome: CallOutcome | None = None


_PROMISES_TONE = re.compile(r"\b(?:tone|beep)\b")


class VoicemailTiming:
    """When to start speaking into a voicemail box (see the module docstring).

    `silence_s`: silence that ends a greeting. `beep_grace_s`: how long after a
    greeting that promised a tone to wait for it before speaking anyway.
    `guard_s`: pause after the beep so the first word is recorded.
    `max_wait_s`: a greeting that never ends gives up the message.
    """

    def __init__(self, *, silence_s: float = 1.2, beep_grace_s: float = 2.5, guard_s: float = 0.2,
                 max_wait_s: float = 45.0):
        for name, value in (("silence_s", silence_s), ("beep_grace_s", beep_grace_s),
                            ("max_wait_s", max_wait_s)):
            if value <= 0:
                raise ValueError(f"{name} must be positive, got {value}")
        if guard_s < 0:
            raise ValueError(f"guard_s must not be negative, got {guard_s}")
        self.silence_s, self.beep_grace_s, self.guard_s, self.max_wait_s = silence_s, beep_grace_s, guard_s, max_wait_s
        self._text = ""
        self._started: float | None = None
        self._last_speech: float | None = None
        self._beep_end: float | None = None
        self._full = False
        self.spoke_after_beep: bool | None = None  # set when SPEAK is returned

    def greeting(self, text: str, at_s: float) -> VoicemailDecision:
        """Words of the greeting as transcribed, heard at `at_s`."""
        self._text = f"{self._text} {text}".strip()
        self._speech(at_s)
        verdict = classify_greeting(self._text)
        if verdict.answerer is Answerer.MAILBOX_FULL:
            self._full = True
            return VoicemailDecision(VoicemailStep.HANG_UP, f"mailbox cannot take a message ({verdict.cue})",
                                     CallOutcome.NO_ANSWER)
        return VoicemailDecision(VoicemailStep.WAIT, "greeting in progress")

    def beep(self, event: BeepEvent) -> None:
        """The beep detector heard the tone."""
        self._beep_end = event.end_s

    def tick(self, now_s: float, *, speech_active: bool = False) -> VoicemailDecision:
        """The clock moved on; `speech_active` is the voice-activity state of the far end."""
        if self._full:
            return VoicemailDecision(VoicemailStep.HANG_UP, "mailbox cannot take a message", CallOutcome.NO_ANSWER)
        if self._started is None:
            self._started = now_s
        if speech_active:
            if self._beep_end is not None and now_s > self._beep_end + 0.05:
                self._beep_end = None  # the greeting went on: that tone was part of it
            self._speech(now_s)
        if self._beep_end is not None:
            if now_s >= self._beep_end + self.guard_s:
                self.spoke_after_beep = True
                return VoicemailDecision(VoicemailStep.SPEAK, "beep heard")
            return VoicemailDecision(VoicemailStep.WAIT, "beep just ended")
        if now_s - self._started >= self.max_wait_s:
            return VoicemailDecision(VoicemailStep.HANG_UP, f"greeting still going after {self.max_wait_s:.0f} s",
                                     CallOutcome.NO_ANSWER)
        if self._last_speech is None or speech_active:
            return VoicemailDecision(VoicemailStep.WAIT, "waiting for the greeting")
        quiet = now_s - self._last_speech
        wait = self.silence_s + (self.beep_grace_s if _PROMISES_TONE.search(self._text.lower()) else 0.0)
        if quiet >= wait:
            self.spoke_after_beep = False
            return VoicemailDecision(VoicemailStep.SPEAK, f"greeting ended {quiet:.1f} s ago and no beep came")
        return VoicemailDecision(VoicemailStep.WAIT, "greeting may not be over")

    def _speech(self, at_s: float) -> None:
        if self._started is None:
            self._started = at_s
        self._last_speech = at_s if self._last_speech is None else max(self._last_speech, at_s)
