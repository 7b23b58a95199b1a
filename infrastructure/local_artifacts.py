"""CallArtifacts in a local folder, for the demo and for development without S3.

Not encrypted: files are readable by their owner only (0600 in 0700 folders).
"""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from domain.call_record import TranscriptLine
from infrastructure.call_artifact_layout import checked_prefix, recording_key, transcript_document, transcript_key


class LocalArtifacts:
    """Settings: `root`, the folder (created when missing); `prefix` ('' or 'path/')."""

    def __init__(self, root: str | os.PathLike, *, prefix: str = "calls/"):
        self.root = Path(root).resolve()
        self.prefix = checked_prefix(prefix)

    async def put_transcript(self, call_id: str, lines: list[TranscriptLine], report: dict) -> str:
        key = transcript_key(call_id, self.prefix)
        body = transcript_document(call_id, lines, report)
        await asyncio.to_thread(self._write, key, lambda out: out.write(body))
        return key

    async def get_transcript(self, key: str) -> dict:
        path = self._path(key)
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise KeyError(key) from None
        return json.loads(data)

    async def url_for(self, key: str, expires_s: int = 3600) -> str:
        if expires_s < 1:
            raise ValueError(f"expires_s must be at least 1, got {expires_s}")
        path = self._path(key)
        if not path.exists():
            raise KeyError(key)
        return path.as_uri()

    async def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    async def put_recording(self, call_id: str, source: str | os.PathLike | BinaryIO,
                            *, extension: str = ".ogg") -> str:
        """Copy a recording from a file path or a binary stream; returns its key."""
        key = recording_key(call_id, extension, self.prefix)

        def copy(out: BinaryIO) -> None:
            if isinstance(source, (str, os.PathLike)):
                with open(source, "rb") as stream:
                    shutil.copyfileobj(stream, out, 1024 * 1024)
            elif hasattr(source, "read") and not isinstance(source, (bytes, bytearray)):
                shutil.copyfileobj(source, out, 1024 * 1024)
            else:
                raise TypeError(f"recording source must be a path or a binary stream, got {type(source).__name__}")

        await asyncio.to_thread(self._write, key, copy)
        return key

    def _path(self, key: str) -> Path:
        relative = PurePosixPath(key)
        if not key or relative.is_absolute() or ".." in relative.parts:
            raise ValueError(f"artifact key must be a relative path inside the store, got {key!r}")
        return self.root.joinpath(*relative.parts)

    def _write(self, key: str, fill) -> None:
        path = self._path(key)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Write then rename, so a reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as out:
                fill(out)
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
