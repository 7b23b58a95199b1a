"""The sales coach beside a call: reviews the transcript and steers the agent, never holding the call up.

A review happens at a key moment (the call's transcript rules name them: an objection, a transfer, an
opt-out) and whenever `interval_s` has passed since the last one. Guidance reaches the agent through
`apply`, which replaces the coach's block in its instructions without interrupting speech. A review that
is slow (`timeout_s`) or fails is skipped and logged; the call goes on exactly as without it.

Two ways to run it, one set of rules:
- beside live speech (`start`/`stop`): a background task wakes on a key moment or after the interval;
- between discrete turns (`before_reply`, text mode): the review is awaited right before the agent's
  reply, on the call's own clock, so its guidance is in that very reply (livekit/agents#1971).
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any, Awaitable, Callable

from application.ports.clock import Clock
from application.ports.sales_coach import SalesCoach
from domain.call_record import TranscriptLine
from domain.coaching import Guidance

log = logging.getLogger(__name__)

INTERVAL = "interval"


class CoachLoop:
    def __init__(self, coach: SalesCoach | None, apply: Callable[[Guidance], Awaitable[None]], *,
                 interval_s: float = 15.0, timeout_s: float = 5.0, clock: Clock | None = None):
        if interval_s <= 0 or timeout_s <= 0:
            raise ValueError(f"coach interval_s and timeout_s must be > 0, got {interval_s} and {timeout_s}")
        self.coach = coach
        self.apply = apply
        self.interval_s = interval_s
        self.timeout_s = timeout_s
        self.clock = clock
        self.transcript: list[TranscriptLine] = []
        self.guidance: list[Guidance] = []
        self.given: list[dict[str, Any]] = []  # each guidance applied: when, why, what (the call's report)
        self.skipped = 0
        self.not_applied = 0  # guidance that could not be put into the instructions
        self._wake = asyncio.Event()
        self._moment: str | None = None
        self._last_review: datetime | None = None
        self._task: asyncio.Task | None = None
        self._reviewed_upto = 0

    def heard(self, line: TranscriptLine) -> None:
        self.transcript.append(line)
        if self._last_review is None:
            self._last_review = line.at  # the interval counts from the first words on the line

    def key_moment(self, kind: str) -> None:
        log.debug("coach woken by %s", kind)
        self._moment = kind
        self._wake.set()

    # -- beside live speech

    def start(self) -> None:
        if self._task is None and self.coach is not None:
            self._task = asyncio.create_task(self._run(), name="sales-coach")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval_s)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()
            await self.review_now()

    # -- between turns

    async def before_reply(self) -> Guidance | None:
        """Review now when a key moment is pending or the interval has passed on the call's clock."""
        now = self.clock.now() if self.clock else None
        due = (now is not None and self._last_review is not None
               and (now - self._last_review).total_seconds() >= self.interval_s)
        if self._moment is None and not due:
            return None
        self._wake.clear()
        return await self.review_now()

    # -- one review

    async def review_now(self) -> Guidance | None:
        """One review, bounded by the timeout; None when skipped or when nothing new was said."""
        moment, self._moment = self._moment or INTERVAL, None
        if self.coach is None:  # a call without a coach
            return None
        if self.clock is not None:
            self._last_review = self.clock.now()
        if len(self.transcript) == self._reviewed_upto:
            return None
        snapshot = list(self.transcript)
        try:
            guidance = await asyncio.wait_for(self.coach.review(snapshot), timeout=self.timeout_s)
        except asyncio.TimeoutError:
            self.skipped += 1
            log.warning("coach review skipped: no answer within %.1f s", self.timeout_s)
            return None
        except Exception as exc:  # a broken coach must never break the call
            self.skipped += 1
            log.warning("coach review skipped: %s", type(exc).__name__)
            return None
        self._reviewed_upto = len(snapshot)
        self.guidance.append(guidance)
        try:
            await self.apply(guidance)
        except Exception as exc:  # nor guidance that cannot reach the agent
            self.not_applied += 1
            log.warning("coach guidance not applied: %s", type(exc).__name__)
            return None
        at = self.clock.now() if self.clock else snapshot[-1].at
        self.given.append({"at": at.isoformat() if at else None,
                           "moment": moment, "stage": guidance.stage.value, "next_move": guidance.next_move,
                           "missed": list(guidance.missed), "warnings": list(guidance.warnings),
                           "source": guidance.source})
        return guidance

    def report(self) -> dict[str, Any]:
        """The coach's part of the call's report."""
        return {"reviews": len(self.guidance), "skipped": self.skipped, "not_applied": self.not_applied,
                "given": list(self.given)}
