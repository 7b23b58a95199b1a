"""Call artifacts as files under a local folder: the embedded default for the demo."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

from domain.call_record import TranscriptLine


class LocalArtifacts:
    def __init__(self, root: Path):
        self.root = Path(root)

    async def put_transcript(self, call_id: str, lines: list[TranscriptLine], report: dict) -> str:
        key = f"transcripts/{call_id}.json"
        body = {"call_id": call_id, "report": report, "transcript": [
            {"speaker": l.speaker, "text": l.text, "at": l.at.isoformat() if l.at else None} for l in lines]}
        await asyncio.to_thread(self._write, key, json.dumps(body, default=str, indent=1).encode())
        return key

    async def get_transcript(self, key: str) -> dict:
        return json.loads(await asyncio.to_thread((self.root / key).read_bytes))

    async def url_for(self, key: str, expires_s: int = 3600) -> str:
        return (self.root / key).resolve().as_uri()

    async def delete(self, key: str) -> None:
        (self.root / key).unlink(missing_ok=True)

    def _write(self, key: str, data: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
