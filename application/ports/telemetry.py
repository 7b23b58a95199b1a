"""Traces and metrics, as the use cases see them."""
from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any, Protocol

from domain.call_record import CallRecord


class StageScope(Protocol):
    """Where new stage spans go: under the current span (Telemetry) or under a given one (anchors, open stages)."""

    def stage(self, name: str, **attributes: Any) -> AbstractContextManager[None]:
        """A span around one stage of a job (job, compliance, claim, dial, ...)."""

    def open_stage(self, name: str, **attributes: Any) -> "OpenStage":
        """A stage that starts now and ends when `end()` is called, from any task; it does not become current."""


class OpenStage(StageScope, Protocol):
    def end(self, **attributes: Any) -> None:
        """End the stage, adding `attributes`; later calls do nothing."""


class Telemetry(StageScope, Protocol):
    def anchor(self) -> StageScope:
        """A handle on the current stage: stages opened through it are its children, whatever
        task or context opens them later (event callbacks, tool calls of an agent framework)."""

    def call_finished(self, record: CallRecord) -> None:
        """Count the outcome and record per-call figures."""


class NoTelemetry:
    """The Telemetry that records nothing: the default where none is given."""

    def stage(self, name: str, **attributes: Any) -> AbstractContextManager[None]:
        return nullcontext()

    def open_stage(self, name: str, **attributes: Any) -> "NoTelemetry":
        return self

    def end(self, **attributes: Any) -> None:
        return None

    def anchor(self) -> "NoTelemetry":
        return self

    def call_finished(self, record: CallRecord) -> None:
        return None


NO_TELEMETRY = NoTelemetry()
