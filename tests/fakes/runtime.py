"""Fakes for the clock, telemetry, scripts and artifacts ports."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta

from domain.call_record import CallRecord, TranscriptLine
from domain.script import Script, default_script


class FakeClock:
    def __init__(self, now: datetime):
        self.current = now

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta) -> None:
        self.current += timedelta(**delta)


class FakeTelemetry:
    def __init__(self):
        self.stages: list[tuple[str, dict]] = []
        self.finished: list[CallRecord] = []

    @contextmanager
    def stage(self, name: str, **attributes):
        self.stages.append((name, attributes))
        yield

    def call_finished(self, record: CallRecord) -> None:
        self.finished.append(record)


class FakeScriptCatalog:
    def __init__(self, script: Script | None = None):
        self.by_batch: dict[str, Script] = {}
        self.default = script or default_script()

    async def for_campaign(self, batch: str, script_id: str | None) -> Script:
        return self.by_batch.get(batch, self.default)

    async def save(self, batch: str, script: Script) -> None:
        self.by_batch[batch] = script


class MemoryArtifacts:
    def __init__(self, fail: Exception | None = None):
        self.objects: dict[str, dict] = {}
        self.fail = fail

    async def put_transcript(self, call_id: str, lines: list[TranscriptLine], report: dict) -> str:
        if self.fail:
            raise self.fail
        key = f"transcripts/{call_id}.json"
        self.objects[key] = {"lines": [(l.speaker, l.text) for l in lines], "report": report}
        return key

    async def get_transcript(self, key: str) -> dict:
        return self.objects[key]

    async def url_for(self, key: str, expires_s: int = 3600) -> str:
        return f"memory://{key}"

    async def delete(self, key: str) -> None:
        self.objects.pop(key, None)
