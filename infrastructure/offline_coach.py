"""The rule-based coach behind the SalesCoach port (offline brain, demo, simulator)."""
from __future__ import annotations

from typing import Sequence

from domain.call_record import TranscriptLine
from domain.coaching import Guidance, RuleBasedCoach


class OfflineCoach:
    def __init__(self):
        self.rules = RuleBasedCoach()

    async def review(self, transcript: Sequence[TranscriptLine]) -> Guidance:
        return self.rules.review(transcript)
