"""A real pipeline for integration tests: the container on the test's Redis and MongoDB."""
from __future__ import annotations

import uuid
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone

from bson import ObjectId
from dependency_injector import providers

from application.ports.call_line import CallRequest, CallResult, DialingHook
from containers import build_container, close_container
from domain.campaign import Campaign
from domain.contact import Contact
from domain.outcomes import CallOutcome
from infrastructure.settings import load_settings
from tests.fakes.compliance import FixedComplianceGate


class CountingLine:
    """Answers every call with one outcome and counts the dials."""

    def __init__(self, outcome: CallOutcome = CallOutcome.NO_ANSWER, hold_s: float = 0.0):
        self.outcome = outcome
        self.dialed: list[str] = []
        self.hold_s = hold_s

    async def conduct(self, request: CallRequest, on_dialing: DialingHook) -> CallResult:
        import asyncio

        await on_dialing()
        self.dialed.append(f"{request.campaign.id}:{request.step}")
        if self.hold_s:
            await asyncio.sleep(self.hold_s)
        return CallResult(outcome=self.outcome, ended_at=request.started_at + timedelta(seconds=40))


def make_settings(tmp_path, redis_url: str, mongo_uri: str, **overrides):
    values = dict(redis_url=redis_url, mongodb_uri=mongo_uri, data_dir=tmp_path,
                  mongodb_database=f"it_{uuid.uuid4().hex[:10]}", poll_delay_s=0.05,
                  worker_id=f"test-{uuid.uuid4().hex[:6]}", heartbeat_interval_s=0.2,
                  # The test process may hold livekit-agents and more; the limit has its own test.
                  memory_limit_mb=8192)
    values.update(overrides)
    return load_settings(None, **values)


@asynccontextmanager
async def pipeline(settings, line=None, gate=None):
    container = await build_container(settings)
    line = line or CountingLine()
    container.call_line.override(providers.Object(line))
    # Integration tests run at any hour: the calling window has its own tests.
    container.compliance.override(providers.Object(gate or FixedComplianceGate()))
    try:
        yield container, line
    finally:
        container.call_line.reset_override()
        container.compliance.reset_override()
        database = await container.database()
        await database.client.drop_database(database.name)
        await close_container(container)


async def seed_campaign(container, *, phone: str = "+15125550143") -> str:
    contact = Contact(id=str(ObjectId()), first_name="Dana", last_name="Reyes", phone=phone,
                      practice="Lakeside Orthopedics", timezone="America/Chicago")
    campaign = Campaign(id=str(ObjectId()), contact_id=contact.id)
    await (await container.contacts()).add(contact)
    await (await container.campaigns()).add(campaign)
    return campaign.id


# Tests that run the real calling policy on the real clock must pass at any hour and on any
# day: the contact sits where it is about noon now, and holidays and state rows are off
# (their own table-driven tests cover them). A deferral would leave a burst worker waiting.
ANY_DAY = {"compliance": {"federal_holidays": False, "state_rules": False}}


def hour_somewhere(hour: int) -> str:
    """An IANA zone where it is between `hour`:00 and `hour`:59 now (Etc/GMT+12 to Etc/GMT-11)."""
    offset = ((hour - datetime.now(timezone.utc).hour + 12) % 24) - 12
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


def noon_somewhere() -> str:
    """An IANA zone where it is between 12:00 and 12:59 now."""
    return hour_somewhere(12)


def midnight_somewhere() -> str:
    """An IANA zone where it is between 00:00 and 00:59 now: no call is lawful there."""
    return hour_somewhere(0)


async def seed_callable_campaigns(settings, count: int) -> list[str]:
    """`count` campaigns whose contacts may be called now by the real calling policy, each with its
    own number; their ids. For runs that start workers of their own (other processes, benchmarks).
    Toll-free numbers: they name no zone of their own, so the contact's (noon now) governs at any hour."""
    container = await build_container(settings)
    try:
        contacts, campaigns = await container.contacts(), await container.campaigns()
        ids = []
        for i in range(count):
            contact = Contact(id=str(ObjectId()), first_name="Dana", last_name=f"Reyes{i}",
                              phone=f"+1800555{i % 10000:04d}", practice=f"Practice {i}", timezone=noon_somewhere())
            campaign = Campaign(id=str(ObjectId()), contact_id=contact.id, settings=ANY_DAY)
            await contacts.add(contact)
            await campaigns.add(campaign)
            ids.append(campaign.id)
        return ids
    finally:
        await close_container(container)


async def enqueue_first_steps(settings, campaign_ids: list[str]) -> None:
    """Queue step 0 (final) of each campaign, as a producer would."""
    from arq.connections import create_pool

    from application.commands import ConductCallCommand
    from infrastructure.arq_jobs import deserialize, enqueue_call, redis_settings, serialize

    pool = await create_pool(redis_settings(settings.redis_url), job_serializer=serialize,
                             job_deserializer=deserialize, default_queue_name=settings.queue_name)
    try:
        for campaign_id in campaign_ids:
            await enqueue_call(pool, ConductCallCommand(campaign_id, 0, True), queue_name=settings.queue_name)
    finally:
        await pool.aclose()
