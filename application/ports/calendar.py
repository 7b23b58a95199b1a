"""The sales rep's calendar: free/busy, book an event, read it back.

The production adapter is Google Calendar v3; the demo and the simulator use a
local ICS file. Both take the rep's CalendarAccess on every call (adapters that
need no credentials ignore it) and speak domain types only.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from application.ports.calendar_credentials import CalendarAccess
from domain.meeting import Interval, Meeting


# What an event shows once the contact's personal data is gone: the rep keeps the slot, nobody's name.
ERASED_SUMMARY = "DocShield meeting (contact data erased)"
ERASED_DESCRIPTION = "The contact's personal data was erased on request; their name and address are no longer kept."


class CalendarRefused(Exception):
    """The calendar answered with a 4xx: retrying the same request cannot help.

    `status` is the HTTP status (0 when the adapter has none), `reason` the
    calendar's own reason (e.g. "forbidden", "notFound", "invalid")."""

    def __init__(self, reason: str, status: int = 0):
        super().__init__(f"calendar refused ({status or 'no status'}): {reason}")
        self.reason = reason
        self.status = status


class CalendarUnauthorized(CalendarRefused):
    """The access token was rejected (401): refresh the credentials once, then give up."""

    def __init__(self, reason: str = "access token rejected"):
        super().__init__(reason, 401)


class SlotTaken(Exception):
    """The slot is no longer free (an adapter that can check atomically raises it on insert)."""

    def __init__(self, slot: Interval):
        super().__init__(f"slot {slot.start.isoformat()}/{slot.end.isoformat()} is no longer free")
        self.slot = slot


class EventExists(Exception):
    """An event with this id is already on the calendar: the booking was already made."""

    def __init__(self, event_id: str):
        super().__init__(f"event {event_id} already exists")
        self.event_id = event_id


@dataclass(frozen=True)
class EventDraft:
    """An event to insert. `event_id` is chosen by the caller (Google rules: 5-1024
    characters from a-v and 0-9) so that inserting twice cannot book twice."""

    event_id: str
    start: datetime
    end: datetime
    summary: str
    description: str
    attendee_email: str
    time_zone: str = "UTC"  # how the event is shown to the attendee
    video_conference: bool = True

    def __post_init__(self) -> None:
        check_event_id(self.event_id)
        Interval(self.start, self.end)  # raises on naive or inverted bounds

    @property
    def interval(self) -> Interval:
        return Interval(self.start, self.end)


_EVENT_ID_CHARS = frozenset("0123456789abcdefghijklmnopqrstuv")


def check_event_id(event_id: str) -> None:
    """Raise ValueError unless `event_id` is a valid Google Calendar event id."""
    if not 5 <= len(event_id) <= 1024:
        raise ValueError(f"event id must be 5-1024 characters, got {len(event_id)}")
    bad = sorted(set(event_id) - _EVENT_ID_CHARS)
    if bad:
        raise ValueError(f"event id may only use a-v and 0-9 (base32hex), found {''.join(bad)!r}")


class Calendar(Protocol):
    async def busy(self, access: CalendarAccess, calendar_id: str, window: Interval) -> list[Interval]:
        """The busy blocks of `calendar_id` that overlap `window`, sorted by start."""

    async def insert(self, access: CalendarAccess, calendar_id: str, draft: EventDraft) -> Meeting:
        """Book `draft` with the attendee invited (invitations sent) and a video link requested.

        Raises EventExists when `draft.event_id` is already used, SlotTaken when the adapter
        can tell the slot is busy (Google cannot: the caller re-checks free/busy first),
        CalendarRefused on a 4xx, application.errors.TransientFault on 5xx or timeouts."""

    async def get(self, access: CalendarAccess, calendar_id: str, event_id: str) -> Meeting | None:
        """The booked event with this id, or None when there is none."""

    async def forget_attendee(self, access: CalendarAccess, calendar_id: str, event_id: str) -> bool:
        """Remove the contact's personal data from one event, leaving the meeting on the rep's calendar.

        The attendees are cleared and the summary and description become ERASED_SUMMARY and
        ERASED_DESCRIPTION; nobody is notified. Returns False when the event (or the calendar) no
        longer exists, True otherwise; doing it twice is harmless. Raises CalendarUnauthorized on
        a rejected token, CalendarRefused on another 4xx, application.errors.TransientFault on 5xx
        or timeouts."""
