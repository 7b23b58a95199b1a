"""An in-memory OutcomeEvents: a list, with entry ids like a stream's."""
from __future__ import annotations

from domain.outcome_event import OutcomeEvent


class InMemoryOutcomeEvents:
    def __init__(self, *, fail: bool = False):
        self.events: list[OutcomeEvent] = []
        self.fail = fail

    async def publish(self, event: OutcomeEvent) -> None:
        if not isinstance(event, OutcomeEvent):
            raise TypeError(f"expected an OutcomeEvent, got {type(event).__name__}")
        if self.fail:
            raise ConnectionError("outcome stream unreachable")
        self.events.append(event)

    async def read(self, *, after: str = "0", count: int = 1000) -> list[tuple[str, OutcomeEvent]]:
        start = int(after.split("-")[0]) if after != "0" else 0
        numbered = [(f"{i}-0", event) for i, event in enumerate(self.events, start=1)]
        return [(entry_id, event) for entry_id, event in numbered if int(entry_id.split("-")[0]) > start][:count]
