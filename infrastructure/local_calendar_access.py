"""Calendar credentials for calendars that need none (the embedded ICS calendar)."""
from __future__ import annotations

from application.ports.calendar_credentials import CalendarAccess


class LocalCalendarAccess:
    async def for_rep(self, rep: str) -> CalendarAccess:
        return CalendarAccess(token="local", rep=rep)

    async def invalidate(self, rep: str) -> None:
        return None
