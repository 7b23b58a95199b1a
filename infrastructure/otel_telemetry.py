"""The Telemetry port on OpenTelemetry: a span per stage, counters per outcome."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from opentelemetry import metrics, trace

from domain.call_record import CallRecord


class OtelTelemetry:
    def __init__(self, tracer_provider=None, meter_provider=None):
        self.tracer = (tracer_provider or trace.get_tracer_provider()).get_tracer("docshield.worker")
        meter = (meter_provider or metrics.get_meter_provider()).get_meter("docshield.worker")
        self.calls = meter.create_counter("docshield.calls", description="calls by outcome")
        self.duration = meter.create_histogram("docshield.call.duration", unit="s")
        self.turn_latency = meter.create_histogram("docshield.turn.latency", unit="ms",
                                                   description="end of callee speech to first agent audio")

    @contextmanager
    def stage(self, name: str, **attributes: Any) -> Iterator[None]:
        with self.tracer.start_as_current_span(name, attributes={k: _attr(v) for k, v in attributes.items()}):
            yield

    def call_finished(self, record: CallRecord) -> None:
        labels = {"outcome": record.outcome.value, "reached_human": record.reached_human}
        self.calls.add(1, labels)
        if record.duration_s is not None:
            self.duration.record(record.duration_s, labels)
        for latency in record.turn_latencies_ms:
            self.turn_latency.record(latency)


def _attr(value: Any) -> Any:
    return value if isinstance(value, (str, bool, int, float)) else str(value)
