"""Where a sales rep's Google Calendar OAuth access comes from (Clerk, or a static refresh token)."""
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
    """OAuth access to one rep's Google Calendar.

    `token` is a bearer access token valid until `expires_at` (aware, UTC) or None
    when it must be obtained by refresh. The refresh fields are set only when the
    holder may refresh by itself (the static refresh-token adapter); Clerk refreshes
    on its side, so its access carries no refresh token."""

    token: str | None
    expires_at: datetime | None = None
    refresh_token: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    token_uri: str | None = None
    rep: str = ""

    def __repr__(self) -> str:  # tokens must never reach a log line
        return f"CalendarAccess(rep={self.rep!r}, expires_at={self.expires_at!r}, refreshable={self.refreshable})"

    @property
    def refreshable(self) -> bool:
        return bool(self.refresh_token and self.client_id and self.token_uri)

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
