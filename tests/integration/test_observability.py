"""Spans per stage, metrics, JSON logs shipped to a local Logtail sink, and no personal data in any line."""
from __future__ import annotations

import io
import json
import logging
import re

import pytest
from arq.connections import create_pool
from dependency_injector import providers
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from application.commands import ConductCallCommand
from domain.outcomes import CallOutcome
from entrypoints.worker import run_worker
from infrastructure.arq_jobs import deserialize, enqueue_call, redis_settings, serialize
from infrastructure.health_server import HealthServer, dependency_checks
from infrastructure.log_redaction import RedactingFilter
from infrastructure.logging_config import JsonFormatter
from infrastructure.logtail_shipping import logtail_handler
from infrastructure.otel_telemetry import OtelTelemetry
from tests.integration.pipeline_world import CountingLine, make_settings, pipeline, seed_campaign
from tests.stubs.logtail_stub import LogtailStub

PHONE = re.compile(r"(?<!\d)\+?1?[ (.-]*[2-9]\d{2}[ ).-]*\d{3}[ .-]*\d{4}(?!\d)")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


class ChattyLine(CountingLine):
    """Logs the way careless code does: the number, the email and what was said."""

    async def conduct(self, request, on_dialing):
        log = logging.getLogger("docshield.test.chatty")
        log.info("dialing %s for %s", request.contact.phone, request.contact.email)
        log.info("callee said %s", "my direct line is 512-555-0199", extra={"transcript": "call me back"})
        return await super().conduct(request, on_dialing)


@pytest.fixture
def telemetry():
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    return spans, reader, OtelTelemetry(tracer_provider, MeterProvider(metric_readers=[reader]))


@pytest.fixture
def logtail():
    stub = LogtailStub().start()
    yield stub
    stub.stop()


def metric_points(reader) -> dict[str, list]:
    points: dict[str, list] = {}
    for resource in reader.get_metrics_data().resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                points.setdefault(metric.name, []).extend(metric.data.data_points)
    return points


async def test_a_job_leaves_spans_metrics_and_clean_shipped_logs(tmp_path, redis_url, mongo_uri, telemetry, logtail):
    spans, reader, otel = telemetry
    settings = make_settings(tmp_path, redis_url, mongo_uri)
    stream = io.StringIO()
    local = logging.StreamHandler(stream)
    local.setFormatter(JsonFormatter())
    local.addFilter(RedactingFilter())
    shipped = logtail_handler(logtail.token, logtail.url, flush_interval=0.1)
    root = logging.getLogger()
    saved_level = root.level
    root.addHandler(local)
    root.addHandler(shipped)
    root.setLevel(logging.INFO)
    try:
        async with pipeline(settings, line=ChattyLine(outcome=CallOutcome.MEETING_BOOKED)) as (container, line):
            container.telemetry.override(providers.Object(otel))
            campaign_id = await seed_campaign(container)
            contact = await (await container.contacts()).get((await (await container.campaigns()).get(campaign_id)).contact_id)
            contact.email = "dana@lakeside.example"
            await (await container.contacts()).save(contact)
            pool = await create_pool(redis_settings(redis_url), job_serializer=serialize,
                                     job_deserializer=deserialize, default_queue_name=settings.queue_name)
            await enqueue_call(pool, ConductCallCommand(campaign_id, 0, False), queue_name=settings.queue_name)
            await pool.aclose()
            await run_worker(settings, burst=True, container=container)
            container.telemetry.reset_override()
        shipped.flush()
    finally:
        root.removeHandler(local)
        root.removeHandler(shipped)
        root.setLevel(saved_level)

    names = [s.name for s in spans.get_finished_spans()]
    assert {"job", "claim", "compliance", "call"} <= set(names), names
    job_span = next(s for s in spans.get_finished_spans() if s.name == "job")
    assert all(s.context.trace_id == job_span.context.trace_id for s in spans.get_finished_spans()
               if s.name in ("claim", "compliance", "call"))

    points = metric_points(reader)
    [calls] = points["docshield.calls"]
    assert calls.value == 1 and calls.attributes["outcome"] == "meeting_booked"
    stages = {p.attributes["stage"] for p in points["docshield.stage.duration"]}
    assert {"job", "claim", "compliance", "call"} <= stages
    assert points["docshield.calls.booking_rate"][0].value == 1.0
    assert "docshield.queue.depth" in points and "docshield.calls.in_flight" in points

    local_lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert any("dialing" in line["message"] for line in local_lines)
    assert logtail.rejected == []
    shipped_messages = logtail.messages()
    assert any("dialing" in m for m in shipped_messages)
    for text in [line["message"] for line in local_lines] + shipped_messages + [json.dumps(f, ensure_ascii=False) for f in logtail.frames]:
        assert not PHONE.search(text), text
        assert not EMAIL.search(text), text
        assert "call me back" not in text


async def test_health_endpoints_report_liveness_and_readiness(redis_url, mongo_db):
    import aiohttp
    from redis.asyncio import Redis

    redis = Redis.from_url(redis_url)
    state = {"now": "running"}
    server = HealthServer(dependency_checks(redis, lambda: mongo_db.command("ping")), state=lambda: state["now"], host="127.0.0.1", port=0,
                          timeout_s=0.5)
    port = await server.start()
    broken = HealthServer({"redis": redis.ping, "mongodb": _unreachable}, host="127.0.0.1", port=0, timeout_s=0.3)
    broken_port = await broken.start()
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as live:
                assert live.status == 200 and (await live.json())["state"] == "running"
            async with http.get(f"http://127.0.0.1:{port}/readyz") as ready:
                body = await ready.json()
                assert ready.status == 200 and body["checks"] == {"redis": "ok", "mongodb": "ok"}
            async with http.get(f"http://127.0.0.1:{broken_port}/readyz") as not_ready:
                body = await not_ready.json()
                assert not_ready.status == 503 and body["checks"]["mongodb"] == "ConnectionRefusedError"
            state["now"] = "draining"
            async with http.get(f"http://127.0.0.1:{port}/readyz") as draining:
                assert draining.status == 503  # a draining worker takes no traffic
            async with http.get(f"http://127.0.0.1:{port}/healthz") as live:
                assert live.status == 200
    finally:
        await server.stop()
        await broken.stop()
        await redis.aclose()


async def _unreachable():
    raise ConnectionRefusedError("mongodb down")
