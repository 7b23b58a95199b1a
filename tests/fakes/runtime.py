"""Fakes for the clock, telemetry, scripts and artifacts ports."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta

from domain.call_record import CallRecord
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

