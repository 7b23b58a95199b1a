"""Where reps' Google Calendar access comes from: a static refresh token, or Clerk.

Both cache the access token until shortly before it expires and never log a token.
"""
from __future__ import annotations

import asyncio
import logging
import os
from datetime import datetime, timedelta, timezone
from typing import Callable, Mapping

import google.auth.exceptions
import google_auth_httplib2
import httplib2
import httpx
from clerk_backend_api import Clerk, models as clerk_models
from clerk_backend_api.utils import RetryConfig
from google.oauth2.credentials import Credentials

from application.errors import TransientFault
from application.ports.calendar_credentials import CalendarAccess, CredentialsUnavailable

log = logging.getLogger(__name__)

GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
CALENDAR_SCOPES = ["https://www.googleapis.com/auth/calendar"]
# Renew this long before the stated expiry so a token never dies between free/busy and insert.
EXPIRY_MARGIN = timedelta(seconds=60)

Now = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class StaticRefreshTokenCredentials:
    """One Google account for every rep (the demo, a single-rep deployment): an OAuth client and a
    refresh token from the environment, refreshed against `token_uri` when the access token expires."""

    ENV = ("GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET", "GOOGLE_REFRESH_TOKEN")

    def __init__(self, *, client_id: str, client_secret: str, refresh_token: str,
                 token_uri: str = GOOGLE_TOKEN_URI, now: Now = _utc_now, timeout_s: float = 10.0):
        missing = [name for name, value in (("client_id", client_id), ("client_secret", client_secret),
                                            ("refresh_token", refresh_token)) if not value]
        if missing:
            raise ValueError(f"static Google credentials need {', '.join(missing)}")
        self._client = dict(client_id=client_id, client_secret=client_secret, refresh_token=refresh_token,
                            token_uri=token_uri)
        self.now = now
        self.timeout_s = timeout_s
        self._access: CalendarAccess | None = None
        self._lock = asyncio.Lock()

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ, **kwargs) -> "StaticRefreshTokenCredentials":
        """Read GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET and GOOGLE_REFRESH_TOKEN (and GOOGLE_TOKEN_URI)."""
        missing = [name for name in cls.ENV if not env.get(name)]
        if missing:
            raise ValueError(f"missing environment variable(s) for Google Calendar: {', '.join(missing)}")
        if env.get("GOOGLE_TOKEN_URI"):
            kwargs.setdefault("token_uri", env["GOOGLE_TOKEN_URI"])
        return cls(client_id=env["GOOGLE_CLIENT_ID"], client_secret=env["GOOGLE_CLIENT_SECRET"],
                   refresh_token=env["GOOGLE_REFRESH_TOKEN"], **kwargs)

    async def for_rep(self, rep: str) -> CalendarAccess:
        async with self._lock:  # concurrent bookings share one refresh
            if self._access is None or self._access.expired(self.now(), EXPIRY_MARGIN):
                self._access = await self._refresh()
            return self._access

    async def invalidate(self, rep: str) -> None:
        self._access = None

    async def _refresh(self) -> CalendarAccess:
        credentials = Credentials(token=None, scopes=CALENDAR_SCOPES, **self._client)
        request = google_auth_httplib2.Request(httplib2.Http(timeout=self.timeout_s))
        try:
            await asyncio.to_thread(credentials.refresh, request)
        except google.auth.exceptions.RefreshError as exc:
            if getattr(exc, "retryable", False):
                raise TransientFault("google_oauth", f"token refresh failed: {exc}") from exc
            raise CredentialsUnavailable("static", f"Google refused the refresh token ({exc})") from exc
        except (google.auth.exceptions.TransportError, httplib2.HttpLib2Error, OSError) as exc:
            raise TransientFault("google_oauth", f"token endpoint unreachable: {type(exc).__name__}") from exc
        expiry = None
        if credentials.expiry:
            # google-auth stamps expiry on the wall clock; carry the lifetime over to our own clock.
            lifetime = credentials.expiry.replace(tzinfo=timezone.utc) - datetime.now(timezone.utc)
            expiry = self.now() + lifetime
        log.info("google access token refreshed (static refresh token), valid until %s", expiry)
        return CalendarAccess(token=credentials.token, expires_at=expiry, rep="static")


class ClerkCalendarCredentials:
    """Each rep's Google OAuth access token from Clerk's Backend API (the rep signed in to
    Clerk with Google and granted the calendar scope); `rep` is the rep's Clerk user id.

    Clerk refreshes expired Google tokens on its side; when it still hands back an expired
    one, the adapter asks once more, then gives up with CredentialsUnavailable."""

    def __init__(self, *, secret_key: str, server_url: str | None = None, provider: str = "oauth_google",
                 now: Now = _utc_now, timeout_s: float = 10.0, unknown_expiry_lifetime: timedelta = timedelta(minutes=5)):
        if not secret_key:
            raise ValueError("Clerk credentials need a secret key (CLERK_SECRET_KEY)")
        # No SDK-level retries: its default backs off for up to an hour on 5xx, longer than any call.
        self._clerk = Clerk(bearer_auth=secret_key, server_url=server_url, timeout_ms=int(timeout_s * 1000),
                            retry_config=RetryConfig("none", None, False))
        self.provider = provider
        self.now = now
        self.unknown_expiry_lifetime = unknown_expiry_lifetime
        self._cache: dict[str, CalendarAccess] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ, **kwargs) -> "ClerkCalendarCredentials":
        """Read CLERK_SECRET_KEY (and CLERK_API_URL to point elsewhere than api.clerk.com)."""
        if not env.get("CLERK_SECRET_KEY"):
            raise ValueError("missing environment variable CLERK_SECRET_KEY for rep calendar credentials")
        if env.get("CLERK_API_URL"):
            kwargs.setdefault("server_url", env["CLERK_API_URL"])
        return cls(secret_key=env["CLERK_SECRET_KEY"], **kwargs)

    async def aclose(self) -> None:
        await self._clerk.__aexit__(None, None, None)

    async def for_rep(self, rep: str) -> CalendarAccess:
        if not rep:
            raise CredentialsUnavailable(rep, "the campaign names no Clerk user for the rep (settings.rep_user_id)")
        async with self._locks.setdefault(rep, asyncio.Lock()):
            cached = self._cache.get(rep)
            if cached and not cached.expired(self.now(), EXPIRY_MARGIN):
                return cached
            access = await self._fetch(rep)
            if access.expired(self.now(), timedelta(0)):
                log.info("Clerk returned an expired Google token for rep %s; asking once more", rep)
                access = await self._fetch(rep)
                if access.expired(self.now(), timedelta(0)):
                    raise CredentialsUnavailable(rep, "Clerk could not refresh the rep's Google token; "
                                                      "the rep must reconnect Google in Clerk")
            self._cache[rep] = access
            return access

    async def invalidate(self, rep: str) -> None:
        self._cache.pop(rep, None)

    async def _fetch(self, rep: str) -> CalendarAccess:
        try:
            tokens = await self._clerk.users.get_o_auth_access_token_async(user_id=rep, provider=self.provider)
        except clerk_models.ClerkErrors as exc:
            raise self._unavailable_or_transient(rep, exc.status_code, "; ".join(
                f"{e.code}: {e.long_message or e.message}" for e in exc.data.errors) or exc.message) from exc
        except clerk_models.ClerkBaseError as exc:
            raise self._unavailable_or_transient(rep, exc.status_code, exc.message) from exc
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            raise TransientFault("clerk", f"unreachable: {type(exc).__name__}") from exc
        usable = [t for t in tokens or [] if t.token]
        if not usable:
            raise CredentialsUnavailable(rep, f"the rep has no {self.provider} connection in Clerk "
                                              "(never connected, or revoked)")
        token = usable[0]
        return CalendarAccess(token=token.token, expires_at=self._expiry(token.expires_at), rep=rep)

    def _expiry(self, stamp: int | None) -> datetime:
        if stamp is None:
            return self.now() + self.unknown_expiry_lifetime
        # Clerk documents seconds; some of its endpoints send milliseconds. A year-5000 date is the tell.
        seconds = stamp / 1000 if stamp > 10**11 else stamp
        return datetime.fromtimestamp(seconds, timezone.utc)

    @staticmethod
    def _unavailable_or_transient(rep: str, status: int, detail: str) -> Exception:
        if status == 429 or status >= 500:
            return TransientFault("clerk", f"answered {status}")
        if status in (401, 403):
            return CredentialsUnavailable(rep, f"Clerk rejected our secret key ({status})")
        if status == 404:
            return CredentialsUnavailable(rep, f"Clerk has no such user ({detail})")
        return CredentialsUnavailable(rep, f"Clerk refused ({status}): {detail}")
