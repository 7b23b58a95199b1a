"""Traces and metrics, as the use cases see them."""
from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Protocol

from domain.call_record import CallRecord


class Telemetry(Protocol):
    def stage(self, name: str, **attributes: Any) -> AbstractContextManager[None]:
        """A span around one stage of a job (job, compliance, claim, dial, ...)."""

    def call_finished(self, record: CallRecord) -> None:
        """Count the outcome and record per-call figures."""
