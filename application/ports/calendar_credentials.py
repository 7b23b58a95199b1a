"""Where a sales rep's calendar access comes from (Clerk, or a static refresh token).

The access is a bearer token and its expiry, nothing more: how it is obtained and refreshed
(OAuth clients, refresh tokens, token endpoints) stays inside the credentials adapter."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol


class CredentialsUnavailable(Exception):
    """The rep has no usable Google authorisation (never connected, revoked, unknown user).

    Not transient: a person must reconnect the rep's account. `rep` names whose
    credentials were asked for (a Clerk user id, never a token)."""

    def __init__(self, rep: str, reason: str):
        super().__init__(f"calendar credentials unavailable for rep {rep!r}: {reason}")
        self.rep = rep
        self.reason = reason


@dataclass(frozen=True)
class CalendarAccess:
    """Access to one rep's calendar: a bearer `token` valid until `expires_at` (aware, UTC),
    or None for calendars that need none. A calendar that rejects it raises
    CalendarUnauthorized; the caller then invalidates it and asks the credentials again."""

    token: str | None
    expires_at: datetime | None = None
    rep: str = ""

    def __repr__(self) -> str:  # tokens must never reach a log line
        return f"CalendarAccess(rep={self.rep!r}, expires_at={self.expires_at!r})"

    def expired(self, now: datetime, margin: timedelta = timedelta(seconds=60)) -> bool:
        if self.token is None:
            return True
        return self.expires_at is not None and self.expires_at - margin <= now


class CalendarCredentials(Protocol):
    async def for_rep(self, rep: str) -> CalendarAccess:
        """A currently valid access for `rep` (a Clerk user id; adapters that serve one rep ignore it).

        Cached until it expires. Raises CredentialsUnavailable when the rep has no usable
        authorisation, application.errors.TransientFault when the provider is down."""

    async def invalidate(self, rep: str) -> None:
        """Forget the cached access for `rep`: the calendar rejected it (401), so the next
        `for_rep` obtains a fresh one."""
