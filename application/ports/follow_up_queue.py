"""Where the worker queues the follow-up calls it promised (a callback the callee asked for)."""
from __future__ import annotations

from datetime import datetime
from typing import Protocol

from application.commands import ConductCallCommand


class FollowUpQueue(Protocol):
    async def schedule(self, command: ConductCallCommand, at: datetime) -> bool:
        """Queue `command` to run at `at`, once: False when the same job id is already queued
        (or its result is still kept), so a redelivered job never queues a second call."""

    async def scheduled(self, campaign_id: str) -> list[tuple[ConductCallCommand, datetime]]:
        """The follow-ups of a campaign still waiting on the queue, with their run times."""

    async def cancel(self, campaign_id: str) -> int:
        """Remove a campaign's waiting follow-ups (erasure); how many were removed."""
