"""OpenTelemetry providers for the worker: OTLP export when OTEL_EXPORTER_OTLP_ENDPOINT is set.

Without an endpoint nothing leaves the process: metrics are still counted (the gauges and
`check-status` read them), but spans are recorded only when something takes them (an
endpoint, or a test's in-memory exporter). A span nobody reads still cost ids, attributes
and bookkeeping for each of the agent framework's spans: about 7% of a simulation's CPU.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter

from infrastructure.otel_telemetry import OtelTelemetry, WorkerGauges

log = logging.getLogger(__name__)


@dataclass
class TelemetryRuntime:
    tracer_provider: TracerProvider | trace.NoOpTracerProvider
    meter_provider: MeterProvider
    telemetry: OtelTelemetry
    gauges: WorkerGauges
    exporting_to: str | None = None
    _closed: bool = field(default=False, repr=False)

    def shutdown(self) -> None:
        """Flush and stop the exporters (once)."""
        if self._closed:
            return
        self._closed = True
        if isinstance(self.tracer_provider, TracerProvider):
            self.tracer_provider.shutdown()
        self.meter_provider.shutdown()


def setup_telemetry(settings, *, span_exporter: SpanExporter | None = None,
                    metric_readers: list[MetricReader] | None = None, make_global: bool = False) -> TelemetryRuntime:
    """Tracer and meter providers named after OTEL_SERVICE_NAME and the worker id.

    `span_exporter` / `metric_readers` are added as given (tests pass in-memory ones);
    with OTEL_EXPORTER_OTLP_ENDPOINT the OTLP/HTTP exporters are added too.
    `make_global` installs them as the process's providers (once per process)."""
    resource = Resource.create({"service.name": settings.otel_service_name,
                                "service.instance.id": settings.worker_id})
    endpoint = settings.otel_exporter_otlp_endpoint
    tracer_provider: TracerProvider | trace.NoOpTracerProvider = (
        TracerProvider(resource=resource) if span_exporter is not None or endpoint else trace.NoOpTracerProvider())
    readers = list(metric_readers or [])
    if span_exporter is not None and isinstance(tracer_provider, TracerProvider):
        tracer_provider.add_span_processor(SimpleSpanProcessor(span_exporter))
    if endpoint and isinstance(tracer_provider, TracerProvider):
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        base = endpoint.rstrip("/")
        tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{base}/v1/traces")))
        readers.append(PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=f"{base}/v1/metrics"),
                                                     export_interval_millis=15000))
        log.info("exporting traces and metrics by OTLP/HTTP to %s", base)
    meter_provider = MeterProvider(resource=resource, metric_readers=readers)
    if make_global:
        trace.set_tracer_provider(tracer_provider)
        metrics.set_meter_provider(meter_provider)
    gauges = WorkerGauges()
    telemetry = OtelTelemetry(tracer_provider, meter_provider, gauges)
    return TelemetryRuntime(tracer_provider, meter_provider, telemetry, gauges, endpoint)


async def sample_worker_gauges(gauges: WorkerGauges, redis, queue_name: str, worker, interval_s: float) -> None:
    """Keep queue depth and in-flight calls fresh for the observable gauges (runs until cancelled)."""
    from infrastructure.queue_status import read_queue

    while True:
        try:
            gauges.in_flight = sum(1 for t in worker.tasks.values() if not t.done())
            gauges.queue_depth = (await read_queue(redis, queue_name, show_deferred=0)).depth
        except asyncio.CancelledError:
            raise
        except Exception:  # a Redis blip leaves the last values; the next sample retries
            log.debug("could not sample the queue", exc_info=True)
        await asyncio.sleep(interval_s)
