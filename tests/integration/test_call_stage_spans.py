"""A simulated call through the real worker leaves one trace with a span per stage, each under the right parent."""
from __future__ import annotations

from pathlib import Path

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from infrastructure.otel_telemetry import OtelTelemetry
from simulator.scenario import load_file
from simulator.simulation import Simulation
from tests.integration.pipeline_world import make_settings

MENUS = Path(__file__).parents[2] / "scenarios" / "menus.yaml"

# stage -> the stage it must sit under
PARENTS = {"claim": "job", "compliance": "job", "call": "job", "storage": "job", "dial": "call",
           "conversation": "call", "navigation": "conversation", "booking": "conversation"}


def _otel() -> tuple[InMemorySpanExporter, OtelTelemetry]:
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    return spans, OtelTelemetry(provider, MeterProvider())


async def test_a_menu_call_that_books_has_every_stage_in_one_trace(tmp_path, redis_url, mongo_uri):
    scenario = next(s for s in load_file(MENUS) if s.id == "ortho-two-level-menu")
    spans, telemetry = _otel()
    [run] = await Simulation(make_settings(tmp_path, redis_url, mongo_uri), telemetry=telemetry).run([scenario])
    assert run.passed, run.failures

    finished = [s for s in spans.get_finished_spans() if s.name in PARENTS or s.name == "job"]
    by_id = {s.context.span_id: s for s in finished}
    names = sorted({s.name for s in finished})
    assert names == sorted(["job", *PARENTS]), names
    [job] = [s for s in finished if s.name == "job"]
    assert job.parent is None
    for span in finished:
        assert span.context.trace_id == job.context.trace_id, span.name
        if span.name == "job":
            continue
        parent = by_id.get(span.parent.span_id) if span.parent else None
        assert parent is not None and parent.name == PARENTS[span.name], \
            (span.name, parent.name if parent else None)

    def one(name):
        [span] = [s for s in finished if s.name == name]
        return span

    assert one("dial").attributes["result"] == "answered"
    assert one("navigation").attributes["reached"] == "person"
    assert one("conversation").attributes["outcome"] == "meeting_booked"
    # The menu was handled before the person answered, and both inside the conversation.
    assert one("conversation").start_time <= one("navigation").start_time
    assert one("navigation").end_time <= min(s.start_time for s in finished if s.name == "booking")
    assert {s.attributes["action"] for s in finished if s.name == "booking"} == {"propose", "book"}


async def test_a_line_nobody_answers_has_a_dial_and_no_conversation(tmp_path, redis_url, mongo_uri):
    scenario = next(s for s in load_file(Path(MENUS).with_name("line_endings.yaml")) if s.id == "busy-line")
    spans, telemetry = _otel()
    [run] = await Simulation(make_settings(tmp_path, redis_url, mongo_uri), telemetry=telemetry).run([scenario])
    assert run.passed, run.failures
    names = [s.name for s in spans.get_finished_spans()]
    assert "conversation" not in names and "navigation" not in names and "booking" not in names
    [dial] = [s for s in spans.get_finished_spans() if s.name == "dial"]
    assert dial.attributes["result"] == "busy"
