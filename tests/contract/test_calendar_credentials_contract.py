"""One suite for the CalendarCredentials port: the fake, the static refresh token against a
Google token-endpoint stub, and Clerk's Backend API client against a Clerk stub."""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta, timezone
from typing import Callable

import pytest

from application.errors import TransientFault
from application.ports.calendar_credentials import CalendarAccess, CalendarCredentials, CredentialsUnavailable
from infrastructure.calendar_credentials import ClerkCalendarCredentials, StaticRefreshTokenCredentials
from tests.fakes.calendar import FakeCalendarCredentials
from tests.fakes.runtime import FakeClock
from tests.stubs.clerk_stub import ClerkStub
from tests.stubs.google_calendar_stub import GoogleCalendarStub

REP = "user_2rep"


@dataclass
class Harness:
    credentials: CalendarCredentials
    clock: FakeClock
    issued: Callable[[], int]  # how many tokens the provider has handed out
    revoke: Callable[[], None]


@pytest.fixture(scope="module")
def google_stub():
    stub = GoogleCalendarStub().start()
    yield stub
    stub.stop()


@pytest.fixture(scope="module")
def clerk_stub():
    stub = ClerkStub().start()
    yield stub
    stub.stop()


@pytest.fixture(params=["fake", "static", "clerk"])
async def harness(request, google_stub, clerk_stub):
    clock = FakeClock(datetime.now(timezone.utc))
    if request.param == "fake":
        fake = FakeCalendarCredentials(now=clock.now)
        yield Harness(fake, clock, lambda: len(fake.issued), lambda: fake.revoked.add(REP))
    elif request.param == "static":
        google_stub.refresh_tokens = {"refresh-static"}
        google_stub.problems.clear()
        start = google_stub.token_refreshes
        static = StaticRefreshTokenCredentials(client_id=google_stub.client_id, client_secret=google_stub.client_secret,
                                               refresh_token="refresh-static", token_uri=google_stub.token_uri,
                                               now=clock.now)
        yield Harness(static, clock, lambda: google_stub.token_refreshes - start,
                      lambda: google_stub.revoke("refresh-static"))
        assert google_stub.problems == []
    else:
        clerk_stub.users, clerk_stub.unconnected, clerk_stub.problems = {REP}, set(), []
        clerk_stub.now = lambda: clock.now().timestamp()
        start = clerk_stub.issued
        clerk = ClerkCalendarCredentials(secret_key=clerk_stub.secret_key, server_url=clerk_stub.server_url,
                                         now=clock.now)
        yield Harness(clerk, clock, lambda: clerk_stub.issued - start, lambda: clerk_stub.revoke(REP))
        await clerk.aclose()
        assert clerk_stub.problems == []


async def test_gives_a_valid_token_and_caches_it(harness):
    first = await harness.credentials.for_rep(REP)
    assert first.token and not first.expired(harness.clock.now())
    again = await harness.credentials.for_rep(REP)
    assert again.token == first.token and harness.issued() == 1


async def test_the_access_never_shows_its_token(harness):
    access = await harness.credentials.for_rep(REP)
    assert access.token not in repr(access) and access.token not in str(access)


async def test_an_expired_token_is_replaced(harness):
    first = await harness.credentials.for_rep(REP)
    harness.clock.advance(hours=2)
    second = await harness.credentials.for_rep(REP)
    assert second.token != first.token and not second.expired(harness.clock.now())
    assert harness.issued() == 2


async def test_invalidate_forces_a_new_token(harness):
    first = await harness.credentials.for_rep(REP)
    await harness.credentials.invalidate(REP)
    second = await harness.credentials.for_rep(REP)
    assert second.token != first.token and harness.issued() == 2


async def test_a_revoked_authorisation_is_a_clear_error(harness):
    await harness.credentials.for_rep(REP)
    harness.revoke()
    await harness.credentials.invalidate(REP)
    with pytest.raises(CredentialsUnavailable) as caught:
        await harness.credentials.for_rep(REP)
    assert caught.value.reason and caught.value.rep in (REP, "static")


# --- adapter-specific behaviour --------------------------------------------------------------

@pytest.fixture
async def clerk(clerk_stub):
    clerk_stub.users, clerk_stub.unconnected, clerk_stub.stale, clerk_stub.faults = {REP}, {"user_none"}, {}, []
    clerk_stub.now = lambda: datetime.now(timezone.utc).timestamp()
    adapter = ClerkCalendarCredentials(secret_key=clerk_stub.secret_key, server_url=clerk_stub.server_url)
    yield adapter
    await adapter.aclose()


class TestClerk:
    async def test_a_stale_token_from_clerk_is_asked_for_once_more(self, clerk, clerk_stub):
        clerk_stub.stale[REP] = 1
        before = len(clerk_stub.requests)
        access = await clerk.for_rep(REP)
        assert not access.expired(datetime.now(timezone.utc)) and len(clerk_stub.requests) - before == 2

    async def test_a_token_clerk_cannot_refresh_fails_after_one_retry(self, clerk, clerk_stub):
        clerk_stub.stale[REP] = 5
        before = len(clerk_stub.requests)
        with pytest.raises(CredentialsUnavailable, match="reconnect"):
            await clerk.for_rep(REP)
        assert len(clerk_stub.requests) - before == 2

    async def test_a_user_without_google_connection(self, clerk):
        with pytest.raises(CredentialsUnavailable, match="no oauth_google connection"):
            await clerk.for_rep("user_none")

    async def test_an_unknown_user(self, clerk):
        with pytest.raises(CredentialsUnavailable, match="no such user"):
            await clerk.for_rep("user_ghost")

    async def test_a_campaign_without_rep_user(self, clerk):
        with pytest.raises(CredentialsUnavailable, match="rep_user_id"):
            await clerk.for_rep("")

    async def test_clerk_down_is_transient_and_not_retried_for_an_hour(self, clerk, clerk_stub):
        clerk_stub.faults = [503]
        before = len(clerk_stub.requests)
        with pytest.raises(TransientFault):
            await clerk.for_rep(REP)
        assert len(clerk_stub.requests) - before == 1
        assert (await clerk.for_rep(REP)).token

    async def test_a_wrong_secret_key(self, clerk_stub):
        adapter = ClerkCalendarCredentials(secret_key="sk_wrong", server_url=clerk_stub.server_url)
        try:
            with pytest.raises(CredentialsUnavailable, match="secret key"):
                await adapter.for_rep(REP)
        finally:
            await adapter.aclose()
            clerk_stub.problems.clear()

    def test_from_env_names_the_missing_variable(self):
        with pytest.raises(ValueError, match="CLERK_SECRET_KEY"):
            ClerkCalendarCredentials.from_env({})


class TestStatic:
    def test_from_env_names_the_missing_variables(self):
        with pytest.raises(ValueError, match="GOOGLE_CLIENT_SECRET, GOOGLE_REFRESH_TOKEN"):
            StaticRefreshTokenCredentials.from_env({"GOOGLE_CLIENT_ID": "x"})

    async def test_from_env_reaches_the_token_endpoint(self, google_stub):
        google_stub.refresh_tokens = {"refresh-env"}
        adapter = StaticRefreshTokenCredentials.from_env({
            "GOOGLE_CLIENT_ID": google_stub.client_id, "GOOGLE_CLIENT_SECRET": google_stub.client_secret,
            "GOOGLE_REFRESH_TOKEN": "refresh-env", "GOOGLE_TOKEN_URI": google_stub.token_uri})
        access = await adapter.for_rep("anyone")
        assert access.token in google_stub.valid_tokens
        assert access.expires_at - datetime.now(timezone.utc) > timedelta(minutes=50)

    async def test_a_wrong_client_secret_is_unavailable_not_transient(self, google_stub):
        adapter = StaticRefreshTokenCredentials(client_id=google_stub.client_id, client_secret="nope",
                                                refresh_token="x", token_uri=google_stub.token_uri)
        with pytest.raises(CredentialsUnavailable, match="invalid_client"):
            await adapter.for_rep("anyone")


def test_the_access_a_calendar_gets_carries_no_oauth_details():
    # Refresh tokens, OAuth clients and token endpoints stay inside the credentials adapters.
    assert {f.name for f in fields(CalendarAccess)} == {"token", "expires_at", "rep"}
    access = CalendarAccess(token="ya29.secret", expires_at=None, rep="user_1")
    assert "ya29" not in repr(access)
