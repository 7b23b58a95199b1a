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
    """Records stages as (name, attributes); open stages also as ("end:" + name, attributes) when ended,
    and `parents[name]` is the name of the stage each was opened under (None at the top)."""

    def __init__(self, parent: str | None = None, root: "FakeTelemetry | None" = None):
        self.stages: list[tuple[str, dict]] = []
        self.finished: list[CallRecord] = []
        self.parents: dict[str, str | None] = {}
        self._parent = parent
        self._root = root or self
        self._ended = False

    @contextmanager
    def stage(self, name: str, **attributes):
        self._root.stages.append((name, attributes))
        self._root.parents[name] = self._parent
        yield

    def open_stage(self, name: str, **attributes) -> "FakeTelemetry":
        self._root.stages.append((name, attributes))
        self._root.parents[name] = self._parent
        return FakeTelemetry(name, self._root)

    def end(self, **attributes) -> None:
        if not self._ended:
            self._ended = True
            self._root.stages.append(("end:" + str(self._parent), attributes))

    def anchor(self) -> "FakeTelemetry":
        return self

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

