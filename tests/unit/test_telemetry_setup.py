"""The worker's OpenTelemetry providers: spans are recorded only when something takes them."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from infrastructure.settings import load_settings
from infrastructure.telemetry_setup import setup_telemetry


def test_without_an_endpoint_spans_cost_nothing_and_metrics_still_count(tmp_path):
    reader = InMemoryMetricReader()
    runtime = setup_telemetry(load_settings(None, data_dir=tmp_path), metric_readers=[reader])
    with runtime.telemetry.stage("job"):
        pass
    span = runtime.tracer_provider.get_tracer("livekit-agents").start_span("agent_turn")
    assert not span.is_recording()
    names = {m.name for r in reader.get_metrics_data().resource_metrics for s in r.scope_metrics for m in s.metrics}
    assert "docshield.stage.duration" in names
    runtime.shutdown()


def test_a_span_exporter_gets_every_span(tmp_path):
    spans = InMemorySpanExporter()
    runtime = setup_telemetry(load_settings(None, data_dir=tmp_path), span_exporter=spans)
    with runtime.telemetry.stage("job"):
        pass
    assert [s.name for s in spans.get_finished_spans()] == ["job"]
    runtime.shutdown()


def test_with_an_otlp_endpoint_spans_are_posted_there(tmp_path):
    posted: list[str] = []

    class Collector(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            posted.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings = load_settings(None, data_dir=tmp_path,
                                 otel_exporter_otlp_endpoint=f"http://127.0.0.1:{server.server_address[1]}")
        runtime = setup_telemetry(settings)
        with runtime.telemetry.stage("job"):
            pass
        runtime.shutdown()  # flushes the batch
    finally:
        server.shutdown()
        server.server_close()
    assert "/v1/traces" in posted
