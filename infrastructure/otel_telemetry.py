"""The Telemetry port on OpenTelemetry: a span per stage, metrics per outcome and stage."""
from __future__ import annotations

import time
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

from opentelemetry import metrics, trace
from opentelemetry.metrics import CallbackOptions, Observation

from domain.call_record import CallRecord
from domain.outcomes import CallOutcome


@dataclass
class WorkerGauges:
    """Values sampled by the worker (queue depth, calls in flight), read by observable gauges."""

    queue_depth: int = 0
    in_flight: int = 0


class OtelTelemetry:
    """Metrics (names are stable; dashboards rely on them):
    docshield.calls{outcome,reached_human}, docshield.call.duration (s), docshield.turn.latency (ms),
    docshield.stage.duration{stage} (ms), docshield.calls.reached_human_rate and
    docshield.calls.booking_rate (of dialed calls, this process), docshield.queue.depth,
    docshield.calls.in_flight, docshield.breaker.transitions{dependency,state}."""

    def __init__(self, tracer_provider=None, meter_provider=None, gauges: WorkerGauges | None = None):
        self.tracer = (tracer_provider or trace.get_tracer_provider()).get_tracer("docshield.worker")
        meter = (meter_provider or metrics.get_meter_provider()).get_meter("docshield.worker")
        self.gauges = gauges or WorkerGauges()
        self._dialed = 0
        self._reached = 0
        self._booked = 0
        self.calls = meter.create_counter("docshield.calls", description="calls by outcome")
        self.duration = meter.create_histogram("docshield.call.duration", unit="s")
        self.turn_latency = meter.create_histogram("docshield.turn.latency", unit="ms",
                                                   description="end of callee speech to first agent audio")
        self.stage_latency = meter.create_histogram("docshield.stage.duration", unit="ms",
                                                    description="time spent in each stage of a job")
        self.breaker_transitions = meter.create_counter("docshield.breaker.transitions",
                                                        description="circuit breaker state changes")
        meter.create_observable_gauge("docshield.calls.reached_human_rate", [self._reach_rate],
                                      description="share of dialed calls that reached a person")
        meter.create_observable_gauge("docshield.calls.booking_rate", [self._booking_rate],
                                      description="share of dialed calls that booked a meeting")
        meter.create_observable_gauge("docshield.queue.depth", [self._queue_depth],
                                      description="jobs ready or deferred on the queue")
        meter.create_observable_gauge("docshield.calls.in_flight", [self._in_flight],
                                      description="calls this worker is conducting now")

    def stage(self, name: str, **attributes: Any) -> AbstractContextManager[None]:
        return _stage(self, None, name, attributes)

    def open_stage(self, name: str, **attributes: Any) -> "OpenSpan":
        return OpenSpan(self, None, name, attributes)

    def anchor(self) -> "SpanAnchor":
        return SpanAnchor(self, trace.get_current_span())

    def call_finished(self, record: CallRecord) -> None:
        labels = {"outcome": record.outcome.value, "reached_human": record.reached_human}
        self.calls.add(1, labels)
        if record.outcome.dialed:
            self._dialed += 1
            self._reached += bool(record.reached_human)
            self._booked += record.outcome is CallOutcome.MEETING_BOOKED
        if record.duration_s is not None:
            self.duration.record(record.duration_s, labels)
        for latency in record.turn_latencies_ms:
            self.turn_latency.record(latency)

    def breaker_changed(self, dependency: str, state: str) -> None:
        self.breaker_transitions.add(1, {"dependency": dependency, "state": state})

    def _reach_rate(self, options: CallbackOptions):
        if self._dialed:
            yield Observation(self._reached / self._dialed)

    def _booking_rate(self, options: CallbackOptions):
        if self._dialed:
            yield Observation(self._booked / self._dialed)

    def _queue_depth(self, options: CallbackOptions):
        yield Observation(self.gauges.queue_depth)

    def _in_flight(self, options: CallbackOptions):
        yield Observation(self.gauges.in_flight)


class SpanAnchor:
    """Stages opened through it are children of `span` (explicit parent, not the current context)."""

    def __init__(self, telemetry: OtelTelemetry, span: trace.Span | None):
        self._telemetry = telemetry
        self._span = span

    def stage(self, name: str, **attributes: Any) -> AbstractContextManager[None]:
        return _stage(self._telemetry, self._span, name, attributes)

    def open_stage(self, name: str, **attributes: Any) -> "OpenSpan":
        return OpenSpan(self._telemetry, self._span, name, attributes)


class OpenSpan(SpanAnchor):
    """A stage span started now and ended by `end()`, from whichever task sees the stage end."""

    def __init__(self, telemetry: OtelTelemetry, parent: trace.Span | None, name: str, attributes: dict[str, Any]):
        context = trace.set_span_in_context(parent) if parent is not None else None
        span = telemetry.tracer.start_span(name, context=context, attributes=_attrs(attributes))
        super().__init__(telemetry, span)
        self.name = name
        self._started = time.perf_counter()
        self._ended = False

    def end(self, **attributes: Any) -> None:
        if self._ended:
            return
        self._ended = True
        if attributes:
            self._span.set_attributes(_attrs(attributes))
        self._span.end()
        self._telemetry.stage_latency.record((time.perf_counter() - self._started) * 1000, {"stage": self.name})


@contextmanager
def _stage(telemetry: OtelTelemetry, parent: trace.Span | None, name: str,
           attributes: dict[str, Any]) -> Iterator[None]:
    started = time.perf_counter()
    context = trace.set_span_in_context(parent) if parent is not None else None
    try:
        with telemetry.tracer.start_as_current_span(name, context=context, attributes=_attrs(attributes)):
            yield
    finally:
        telemetry.stage_latency.record((time.perf_counter() - started) * 1000, {"stage": name})


def _attrs(attributes: dict[str, Any]) -> dict[str, Any]:
    return {k: _attr(v) for k, v in attributes.items() if v is not None}


def _attr(value: Any) -> Any:
    return value if isinstance(value, (str, bool, int, float)) else str(value)
