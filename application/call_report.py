"""`docshield report`: the success criteria and the calls behind them, over every worker's records."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

from application.ports.call_statistics import CallStatistics, ListedCall, ReportWindow
from application.ports.clock import Clock
from application.ports.storage import CallArtifacts
from domain.call_report import CallReport, Prices

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportRequest:
    since: timedelta | None = None  # None: every record
    batch: str | None = None
    calls: int = 0  # how many recent calls to list (with their transcripts)
    until: datetime | None = None  # None: now


@dataclass
class ReportAnswer:
    report: CallReport
    calls: list[ListedCall] = field(default_factory=list)


class StepsDone(Protocol):
    """Who hears of the report's progress (the command line's bar): a step done, or steps found on the way."""

    def __call__(self, description: str | None = None) -> None: ...

    def more(self, steps: int) -> None: ...


class BuildCallReport:
    def __init__(self, statistics: CallStatistics, artifacts: CallArtifacts, clock: Clock, prices: Prices):
        self.statistics = statistics
        self.artifacts = artifacts
        self.clock = clock
        self.prices = prices

    async def __call__(self, request: ReportRequest, progress: StepsDone | None = None) -> ReportAnswer:
        """The report; `progress` hears of one step for the figures and one per listed call's transcript."""
        until = request.until or self.clock.now()
        window = ReportWindow(since=until - request.since if request.since is not None else None, until=until,
                              batch=request.batch)
        figures = await self.statistics.figures(window)
        report = CallReport.build(figures, self.prices, since=window.since, until=until, batch=request.batch)
        if progress is not None:
            progress("figures")
        calls: list[ListedCall] = []
        if request.calls and not report.empty:
            listed = await self.statistics.recent_calls(window, request.calls)
            if progress is not None:
                progress.more(len(listed))
            calls = list(await asyncio.gather(*(self._with_transcript(c, progress) for c in listed)))
        return ReportAnswer(report, calls)

    async def _with_transcript(self, call: ListedCall, progress: StepsDone | None) -> ListedCall:
        try:
            return await self._read_transcript(call)
        finally:
            if progress is not None:
                progress("transcripts")

    async def _read_transcript(self, call: ListedCall) -> ListedCall:
        key = call.record.transcript_key
        if not key:
            return call
        try:
            stored = await self.artifacts.get_transcript(key)
        except Exception as exc:  # a missing transcript must not cost the whole report
            log.warning("call %s: transcript not readable (%s)", call.record.call_id, type(exc).__name__)
            return call
        lines = [{"speaker": line.get("speaker", "?"), "text": line.get("text", "")}
                 for line in stored.get("transcript", [])]
        return replace(call, transcript=lines)
