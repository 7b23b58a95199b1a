"""Where transcripts, session reports and recordings go (encrypted at rest)."""
from __future__ import annotations

from typing import Protocol

from domain.call_record import TranscriptLine


class CallArtifacts(Protocol):
    async def put_transcript(self, call_id: str, lines: list[TranscriptLine], report: dict) -> str:
        """Store the transcript and session report; returns the object key."""

    async def get_transcript(self, key: str) -> dict: ...

    async def url_for(self, key: str, expires_s: int = 3600) -> str:
        """A URL an operator can open (presigned for S3)."""

    async def delete(self, key: str) -> None: ...
