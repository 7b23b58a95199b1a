"""An in-memory CallArtifacts; its URLs are data: URLs so they can really be opened."""
from __future__ import annotations

import base64
import json
import os
from typing import BinaryIO

from domain.call_record import TranscriptLine
from infrastructure.call_artifact_layout import (
    checked_prefix, content_type_for, recording_key, transcript_document, transcript_key,
)


class InMemoryArtifacts:
    def __init__(self, *, prefix: str = "calls/"):
        self.prefix = checked_prefix(prefix)
        self.objects: dict[str, bytes] = {}

    async def put_transcript(self, call_id: str, lines: list[TranscriptLine], report: dict) -> str:
        key = transcript_key(call_id, self.prefix)
        self.objects[key] = transcript_document(call_id, lines, report)
        return key

    async def get_transcript(self, key: str) -> dict:
        return json.loads(self.objects[key])

    async def url_for(self, key: str, expires_s: int = 3600) -> str:
        if expires_s < 1:
            raise ValueError(f"expires_s must be at least 1, got {expires_s}")
        body = self.objects[key]
        return f"data:{content_type_for(key)};base64,{base64.b64encode(body).decode()}"

    async def delete(self, key: str) -> None:
        self.objects.pop(key, None)

    async def put_recording(self, call_id: str, source: str | os.PathLike | BinaryIO,
                            *, extension: str = ".ogg") -> str:
        key = recording_key(call_id, extension, self.prefix)
        if isinstance(source, (str, os.PathLike)):
            with open(source, "rb") as stream:
                self.objects[key] = stream.read()
        elif hasattr(source, "read") and not isinstance(source, (bytes, bytearray)):
            self.objects[key] = source.read()
        else:
            raise TypeError(f"recording source must be a path or a binary stream, got {type(source).__name__}")
        return key
