"""The sales coach: a second model that reviews the call and steers the agent."""
from __future__ import annotations

from typing import Protocol, Sequence

from domain.call_record import TranscriptLine
from domain.coaching import Guidance


class SalesCoach(Protocol):
    async def review(self, transcript: Sequence[TranscriptLine]) -> Guidance:
        """Guidance for the agent's next move; may be slow or fail (the loop copes)."""
