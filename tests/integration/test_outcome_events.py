"""Outcome events on the real Redis stream, read by a consumer written in Node with a raw RESP socket."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlparse

import pytest
from arq.connections import create_pool
from bson import ObjectId

from application.commands import ConductCallCommand
from application.ports.call_line import CallRequest, CallResult, DialingHook
from domain.compliance import ComplianceDecision, Verdict
from domain.meeting import Meeting
from domain.outcomes import CallOutcome
from entrypoints.worker import run_worker
from infrastructure.arq_jobs import deserialize, enqueue_call, redis_settings, serialize
from tests.integration.pipeline_world import make_settings, pipeline, seed_campaign

CONSUMER = Path(__file__).with_name("outcome_consumer.mjs")
pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")


class ChattyLine:
    """Each campaign's call ends its own way; the personal data of the call sits in the result."""

    def __init__(self, outcomes: dict[str, CallOutcome]):
        self.outcomes = outcomes

    async def conduct(self, request: CallRequest, on_dialing: DialingHook) -> CallResult:
        await on_dialing()
        outcome = self.outcomes[request.campaign.id]
        ended = request.started_at + timedelta(minutes=4)
        meeting = None
        if outcome is CallOutcome.MEETING_BOOKED:
            meeting = Meeting(start=ended + timedelta(days=1), end=ended + timedelta(days=1, minutes=30),
                              event_id="evt1", attendee_email="dana@lakeside.example")
        return CallResult(
            outcome=outcome, ended_at=ended, reached_human=outcome.conversation, meeting=meeting,
            callback_at=ended + timedelta(hours=2) if outcome is CallOutcome.CALLBACK_REQUESTED else None,
            next_step="Call Dana Reyes back on +1 512 555 0143 or write to dana@lakeside.example",
        )


class DeferOne:
    def __init__(self, campaign_id: str, until: datetime):
        self.campaign_id = campaign_id
        self.until = until

    async def check(self, contact, campaign, now):
        if campaign.id == self.campaign_id:
            return ComplianceDecision(Verdict.DEFER, "calling_window", "outside hours", now, until=self.until)
        return ComplianceDecision(Verdict.ALLOW, "all_clear", "ok", now)

    async def check_callback(self, contact, campaign, asked, *, asked_on):
        return await self.check(contact, campaign, asked)


def node_events(redis_url: str) -> list[dict]:
    url = urlparse(redis_url)
    done = subprocess.run(["node", str(CONSUMER), url.hostname, str(url.port)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


async def test_every_finished_job_publishes_one_event_a_node_consumer_reads_without_personal_data(
        tmp_path, redis_url, mongo_uri):
    settings = make_settings(tmp_path, redis_url, mongo_uri)
    outcomes = [CallOutcome.MEETING_BOOKED, CallOutcome.CALLBACK_REQUESTED, CallOutcome.NO_ANSWER,
                CallOutcome.DECLINED]
    until = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=10)
    line = ChattyLine({})
    async with pipeline(settings, line=line) as (container, _):
        ids = [await seed_campaign(container) for _ in range(len(outcomes) + 1)]
        line.outcomes.update(zip(ids, outcomes))
        container.compliance.override(DeferOne(ids[-1], until))
        unknown = str(ObjectId())
        arq = await create_pool(redis_settings(settings.redis_url), job_serializer=serialize,
                                job_deserializer=deserialize)
        for campaign_id in ids + [unknown]:
            await enqueue_call(arq, ConductCallCommand(campaign_id, 0, False), queue_name=settings.queue_name)
        await arq.aclose()
        await run_worker(settings, burst=True, container=container)

    events = node_events(redis_url)
    by_job = {}
    for entry in events:
        by_job.setdefault(entry["event"]["job_id"], []).append(entry["event"])
    assert sorted(by_job) == sorted(f"call:{c}:0" for c in ids + [unknown])
    assert all(len(v) == 1 for v in by_job.values())
    for campaign_id, outcome in zip(ids, outcomes):
        [event] = by_job[f"call:{campaign_id}:0"]
        assert (event["v"], event["campaign_id"], event["step"], event["outcome"]) == (1, campaign_id, 0, outcome.value)
        assert event["call_id"] and event["reached_human"] is outcome.conversation
        assert datetime.fromisoformat(event["at"]).utcoffset() == timedelta(0)
    booked = by_job[f"call:{ids[0]}:0"][0]
    assert set(booked["meeting"]) == {"start", "end"}
    assert by_job[f"call:{ids[1]}:0"][0]["callback_at"] is not None
    [deferred] = by_job[f"call:{ids[-1]}:0"]
    assert deferred["outcome"] == "deferred" and datetime.fromisoformat(deferred["deferred_until"]) == until
    [rejected] = by_job[f"call:{unknown}:0"]
    assert rejected["outcome"] == "failed" and rejected["campaign_id"] == unknown

    # Ids are hex and may hold any digits; every other field is scanned for the call's personal data.
    raw = json.dumps([{k: v for k, v in e["event"].items() if k not in ("job_id", "campaign_id", "call_id")}
                      for e in events])
    assert not re.search(r"555\D{0,2}0143|5125550143|\+1\s?512", raw), "a phone number in an event"
    assert "@" not in raw, "an email address in an event"
    for name in ("Dana", "Reyes", "Lakeside"):
        assert name not in raw, f"{name} in an event"
