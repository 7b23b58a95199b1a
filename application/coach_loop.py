"""Runs the sales coach beside a live call without ever holding the call up.

Every `interval_s` (and at once after a key moment such as an objection or a
transfer) the loop sends the transcript so far to the coach. Guidance reaches
the agent through `apply`, which updates its instructions without interrupting
speech. A review that is slow or fails is skipped and logged; the call goes on.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

from application.ports.sales_coach import SalesCoach
from domain.call_record import TranscriptLine
from domain.coaching import Guidance

log = logging.getLogger(__name__)


class CoachLoop:
    def __init__(self, coach: SalesCoach, apply: Callable[[Guidance], Awaitable[None]], *,
                 interval_s: float = 15.0, timeout_s: float = 5.0):
        self.coach = coach
        self.apply = apply
        self.interval_s = interval_s
        self.timeout_s = timeout_s
        self.transcript: list[TranscriptLine] = []
        self.guidance: list[Guidance] = []
        self.skipped = 0
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._reviewed_upto = 0

    def heard(self, line: TranscriptLine) -> None:
        self.transcript.append(line)

    def key_moment(self, kind: str) -> None:
        log.debug("coach woken by %s", kind)
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="sales-coach")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def review_now(self) -> Guidance | None:
        """One review, bounded by the timeout; None when skipped."""
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
        await self.apply(guidance)
        return guidance

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval_s)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()
            await self.review_now()
