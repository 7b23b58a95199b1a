"""In-memory calendar and credentials: the same promises as the Google and ICS adapters."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from application.errors import TransientFault
from application.ports.calendar import (ERASED_DESCRIPTION, ERASED_SUMMARY, CalendarRefused, CalendarUnauthorized,
                                        EventDraft, EventExists, SlotTaken)
from application.ports.calendar_credentials import CalendarAccess, CredentialsUnavailable
from domain.meeting import Interval, Meeting


class FakeCalendar:
    """Busy blocks and events per calendar id. `faults` is a queue of exceptions raised by the
    next calls, in order; `before_insert` runs right before an insert (a competitor booking)."""

    def __init__(self, busy: dict[str, list[Interval]] | None = None, *, refuses_overlap: bool = True):
        # Google inserts over busy time without complaint; refuses_overlap=False behaves like it.
        self.refuses_overlap = refuses_overlap
        self.blocks: dict[str, list[Interval]] = {k: list(v) for k, v in (busy or {}).items()}
        self.events: dict[str, dict[str, tuple[EventDraft, Meeting]]] = {}
        self.faults: list[Exception] = []
        self.before_insert = None
        self.calls: list[str] = []
        self.tokens_seen: list[str | None] = []
        self.valid_tokens: set[str] | None = None  # None: any token will do

    def _enter(self, name: str, access: CalendarAccess) -> None:
        self.calls.append(name)
        self.tokens_seen.append(access.token)
        if self.faults:
            raise self.faults.pop(0)
        if self.valid_tokens is not None and access.token not in self.valid_tokens:
            raise CalendarUnauthorized()

    def add_busy(self, calendar_id: str, block: Interval) -> None:
        self.blocks.setdefault(calendar_id, []).append(block)

    def inserted(self, calendar_id: str) -> list[EventDraft]:
        return [draft for draft, _ in self.events.get(calendar_id, {}).values()]

    async def busy(self, access: CalendarAccess, calendar_id: str, window: Interval) -> list[Interval]:
        self._enter("busy", access)
        blocks = self.blocks.get(calendar_id, []) + [m.interval for _, m in self.events.get(calendar_id, {}).values()]
        return sorted((b for b in blocks if b.overlaps(window)), key=lambda b: b.start)

    async def insert(self, access: CalendarAccess, calendar_id: str, draft: EventDraft) -> Meeting:
        self._enter("insert", access)
        if self.before_insert:
            hook, self.before_insert = self.before_insert, None
            hook()
        events = self.events.setdefault(calendar_id, {})
        if draft.event_id in events:
            raise EventExists(draft.event_id)
        if not draft.attendee_email or "@" not in draft.attendee_email:
            raise CalendarRefused("invalid attendee email", 400)
        if self.refuses_overlap and any(b.overlaps(draft.interval) for b in self.blocks.get(calendar_id, [])) or any(
                m.interval.overlaps(draft.interval) for _, m in events.values()):
            raise SlotTaken(draft.interval)
        meeting = Meeting(start=draft.start, end=draft.end, event_id=draft.event_id,
                          attendee_email=draft.attendee_email,
                          video_link=f"https://meet.fake.local/{draft.event_id}" if draft.video_conference else "",
                          calendar_id=calendar_id)
        events[draft.event_id] = (draft, meeting)
        return meeting

    async def get(self, access: CalendarAccess, calendar_id: str, event_id: str) -> Meeting | None:
        self._enter("get", access)
        found = self.events.get(calendar_id, {}).get(event_id)
        return found[1] if found else None

    async def forget_attendee(self, access: CalendarAccess, calendar_id: str, event_id: str) -> bool:
        self._enter("forget_attendee", access)
        events = self.events.get(calendar_id, {})
        found = events.get(event_id)
        if found is None:
            return False
        draft, meeting = found
        events[event_id] = (replace(draft, summary=ERASED_SUMMARY, description=ERASED_DESCRIPTION, attendee_email=""),
                            replace(meeting, attendee_email=""))
        return True


class FakeCalendarCredentials:
    """Hands out numbered tokens per rep, valid for `lifetime`; reps in `revoked` have none."""

    def __init__(self, now=lambda: datetime.now(timezone.utc), lifetime: timedelta = timedelta(hours=1)):
        self.now = now
        self.lifetime = lifetime
        self.revoked: set[str] = set()
        self.faults: list[Exception] = []
        self.cache: dict[str, CalendarAccess] = {}
        self.issued: list[str] = []

    async def for_rep(self, rep: str) -> CalendarAccess:
        if self.faults:
            raise self.faults.pop(0)
        if rep in self.revoked:
            raise CredentialsUnavailable(rep, "the rep's Google authorisation was revoked")
        cached = self.cache.get(rep)
        if cached and not cached.expired(self.now()):
            return cached
        token = f"fake-token-{len(self.issued) + 1}"
        self.issued.append(token)
        self.cache[rep] = CalendarAccess(token=token, expires_at=self.now() + self.lifetime, rep=rep)
        return self.cache[rep]

    async def invalidate(self, rep: str) -> None:
        self.cache.pop(rep, None)


def transient(message: str = "calendar 503") -> TransientFault:
    return TransientFault("calendar", message)
