"""Where finished jobs announce their outcome (contracts section 4)."""
from __future__ import annotations

from typing import Protocol

from domain.outcome_event import OutcomeEvent


class OutcomeEvents(Protocol):
    async def publish(self, event: OutcomeEvent) -> None:
        """Append one event; raises when it could not be stored (the job is then retried)."""

    async def read(self, *, after: str = "0", count: int = 1000) -> list[tuple[str, OutcomeEvent]]:
        """Events after the entry id `after`, oldest first, with their entry ids."""
