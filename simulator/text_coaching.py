"""The sales coach in a text-mode call (simulator, demo, tests), on the call's own clock.

Production runs the CoachLoop as a background task beside live speech. In text
mode turns are discrete and time is simulated, so the review happens between
turns instead: right before the agent's reply when the callee has just raised an
objection or is transferring the call, and whenever `interval_s` of call time
has passed since the last review. The review is awaited (bounded by the loop's
timeout) so that its guidance is in the agent's instructions for the very next
reply, as livekit/agents#1971 warns it may not be. A coach that fails or hangs
is skipped; the call goes on exactly as without it.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Sequence

from application.coach_loop import CoachLoop
from application.ports.clock import Clock
from application.ports.sales_coach import SalesCoach
from domain.call_record import TranscriptLine
from domain.coaching import Guidance, objections_in
from infrastructure.offline_listening import Heard, heard
from infrastructure.sales_agent import SalesAgent

log = logging.getLogger(__name__)


class TextCoaching:
    """Reviews the call with `coach` and steers `agent`; `given` lists the guidance applied, for the report."""

    def __init__(self, coach: SalesCoach, agent: SalesAgent, clock: Clock, *, interval_s: float = 15.0,
                 timeout_s: float = 1.0):
        if interval_s <= 0 or timeout_s <= 0:
            raise ValueError(f"coach interval_s and timeout_s must be > 0, got {interval_s} and {timeout_s}")
        self.agent = agent
        self.clock = clock
        self.interval_s = interval_s
        self.loop = CoachLoop(coach, self._apply, interval_s=interval_s, timeout_s=timeout_s)
        self.given: list[dict[str, Any]] = []
        self.failures = 0  # guidance that could not be put into the instructions
        self._moment = "interval"
        self._last_review: datetime | None = None

    def catch_up(self, transcript: Sequence[TranscriptLine]) -> None:
        """Give the coach the call's lines it has not seen yet (`transcript` is the whole call so far)."""
        for line in transcript[len(self.loop.transcript):]:
            self.loop.heard(line)
            if self._last_review is None:
                self._last_review = line.at  # the interval counts from the first words on the line

    async def before_reply(self, callee_text: str, transcript: Sequence[TranscriptLine]) -> Guidance | None:
        """Review now if the callee's words are a key moment or the interval has passed; never raises."""
        self.catch_up(transcript)
        moment = self._key_moment(callee_text)
        now = self.clock.now()
        due = self._last_review is not None and (now - self._last_review).total_seconds() >= self.interval_s
        if moment is None and not due:
            return None
        self._moment = moment or "interval"
        if moment is not None:
            self.loop.key_moment(moment)
        self._last_review = now
        try:
            return await self.loop.review_now()
        except Exception as exc:  # applying guidance must not break the call either
            self.failures += 1
            log.warning("coach guidance not applied: %s", type(exc).__name__)
            return None

    def report(self) -> dict[str, Any]:
        """The coach's part of the call's session report."""
        return {"reviews": len(self.loop.guidance), "skipped": self.loop.skipped, "not_applied": self.failures,
                "given": list(self.given)}

    def _key_moment(self, text: str) -> str | None:
        if objections_in(text):
            return "objection"
        kind, _ = heard(text, self.agent.brief.contact.first_name)
        if kind is Heard.OBJECTION:
            return "objection"
        if kind is Heard.TRANSFER:
            return "transfer"
        return None

    async def _apply(self, guidance: Guidance) -> None:
        # The coach's block replaces the previous one: the brief's instructions stay the base.
        await self.agent.update_instructions(f"{self.agent.brief.instructions}\n\n{guidance.as_instructions()}")
        self.given.append({"at": self.clock.now().isoformat(), "moment": self._moment, "stage": guidance.stage.value,
                           "next_move": guidance.next_move, "missed": list(guidance.missed),
                           "warnings": list(guidance.warnings), "source": guidance.source})
