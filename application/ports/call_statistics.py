"""Where the report's figures come from: counted where the call records live, never loaded whole."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from domain.call_record import CallRecord
from domain.call_report import CallFigures


@dataclass(frozen=True)
class ReportWindow:
    since: datetime | None  # None: every record
    until: datetime
    batch: str | None = None  # only the campaigns of this batch


@dataclass(frozen=True)
class ListedCall:
    """One call for the report page: the record with who was called (staff only)."""

    record: CallRecord
    practice: str = ""
    contact_name: str = ""
    timezone: str | None = None  # the practice's zone
    transcript: list[dict] = field(default_factory=list)  # {speaker, text} lines, when stored


class CallStatistics(Protocol):
    async def figures(self, window: ReportWindow) -> CallFigures:
        """Every figure of the report over the records (and compliance decisions) of `window`."""

    async def recent_calls(self, window: ReportWindow, limit: int) -> list[ListedCall]:
        """The `limit` most recent calls of `window`, newest first, with practice and contact names."""
