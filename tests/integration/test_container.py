"""The container picks adapters from the settings, and tests can swap any of them."""
from __future__ import annotations

import pytest
from dependency_injector import providers

from containers import build_container, close_container
from infrastructure.google_calendar import GoogleCalendar
from infrastructure.ics_calendar import IcsCalendar
from infrastructure.livekit_call_line import LiveKitCallLine
from infrastructure.local_artifacts import LocalArtifacts
from infrastructure.s3_artifacts import S3Artifacts
from infrastructure.simulated_line import SimulatedLine
from simulator.embedded_line import EmbeddedPracticeLine
from tests.integration.pipeline_world import make_settings

LIVEKIT = dict(livekit_url="http://127.0.0.1:1", livekit_api_key="k", livekit_api_secret="s",
               sip_outbound_trunk_id="ST_test", openai_api_key="sk-test", dnc_hash_key="a-real-secret")


@pytest.mark.parametrize("extra, line_type, artifacts_type", [
    ({}, EmbeddedPracticeLine, LocalArtifacts),
    ({**LIVEKIT, "s3_bucket": "recordings", "s3_endpoint_url": "http://127.0.0.1:1"}, LiveKitCallLine, S3Artifacts),
])
async def test_adapters_follow_the_settings(tmp_path, redis_url, mongo_uri, extra, line_type, artifacts_type):
    container = await build_container(make_settings(tmp_path, redis_url, mongo_uri, **extra))
    try:
        # Adapters that depend on async resources come out as awaitables.
        line = container.call_line()
        line = await line if hasattr(line, "__await__") else line
        assert isinstance(line, line_type)
        if isinstance(line, EmbeddedPracticeLine):  # campaigns without a practice scenario get the plain line
            assert isinstance(line.plain, SimulatedLine)
        assert isinstance(await container.artifacts(), artifacts_type)
        fake = object()
        with container.call_line.override(providers.Object(fake)):
            assert (await container.conduct_call()).call_line is fake
    finally:
        await close_container(container)


@pytest.mark.parametrize("extra, calendar_type, credentials_type", [
    ({}, "IcsCalendar", "LocalCalendarAccess"),
    ({"google_client_id": "id", "google_client_secret": "secret", "google_refresh_token": "rt"},
     "GoogleCalendar", "StaticRefreshTokenCredentials"),
    ({"google_client_id": "id", "google_client_secret": "secret", "clerk_secret_key": "sk_test"},
     "GoogleCalendar", "ClerkCalendarCredentials"),
])
async def test_the_calendar_follows_the_settings(tmp_path, redis_url, mongo_uri, extra, calendar_type,
                                                 credentials_type):
    container = await build_container(make_settings(tmp_path, redis_url, mongo_uri, **extra))
    try:
        booking = container.book_meeting()
        assert isinstance(booking.calendar, {"IcsCalendar": IcsCalendar, "GoogleCalendar": GoogleCalendar}[calendar_type])
        assert type(booking.credentials).__name__ == credentials_type
    finally:
        await close_container(container)


async def test_the_specified_indexes_exist(tmp_path, redis_url, mongo_uri):
    container = await build_container(make_settings(tmp_path, redis_url, mongo_uri))
    try:
        database = await container.database()
        campaigns = [list(i["key"]) for i in (await database.campaigns.index_information()).values()]
        assert [("contact", 1)] in campaigns
        assert [("batch", 1), ("status", 1)] in campaigns
        assert [("status", 1), ("lastCallDate", 1)] in campaigns
        assert [("lastCompletedDate", 1)] in campaigns
        contacts = [list(i["key"]) for i in (await database.contacts.index_information()).values()]
        assert [("phone", 1)] in contacts
        records = (await database.call_records.index_information()).values()
        assert any(list(i["key"]) == [("callId", 1)] and i.get("unique") for i in records)
        # The specification's {callTime: 1}: reports by date use it instead of scanning.
        assert (await database.call_records.index_information())["callTime"]["key"] == [("startedAt", 1)]
        # ... and the report's count of the window's compliance decisions.
        audit = [list(i["key"]) for i in (await database.compliance_audit.index_information()).values()]
        assert [("decidedAt", 1)] in audit
    finally:
        await database.client.drop_database(database.name)
        await close_container(container)
