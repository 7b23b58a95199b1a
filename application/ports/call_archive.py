"""Where call records and closed campaigns go when they stop being active."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol


class CallArchive(Protocol):
    async def prepare(self) -> None:
        """Make sure the archive can expire what it holds (the TTL indexes exist). Idempotent."""

    async def move_call_records(self, *, started_before: datetime, keep_for: timedelta, now: datetime) -> int:
        """Move call records that started before `started_before` into the archive; returns how many moved.

        Each archived record is deleted by the archive `keep_for` after the call
        started. A move copies before it deletes, so an interrupted run leaves
        every record in at least one place and the next run finishes it.
        """

    async def move_closed_campaigns(self, *, closed_before: datetime, keep_for: timedelta, now: datetime) -> int:
        """Move campaigns that closed (completed or opted out) before `closed_before`; returns how many moved.

        Same guarantees as `move_call_records`, dated by when the campaign closed.
        """

    async def forget_front_desk(self, *, learned_before: datetime) -> int:
        """Clear what the front desk told (personal data on the contact) when it was learned before
        `learned_before`; returns how many contacts were cleared."""
