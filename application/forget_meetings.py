"""ForgetMeetings: take an erased contact off the meetings they booked, leaving each meeting on the rep's calendar.

Part of EraseContact. Each booked event is found through its call record (event
id, calendar id) and its campaign (whose rep, hence whose credentials). What a
person must finish by hand (a calendar that refuses, a rep with no credentials)
never stops the rest of the erasure; what a rerun can finish (a calendar that is
down) is reported apart so the caller can stop and ask for one.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from application.book_meeting import Rep
from application.errors import TransientFault
from application.ports.calendar import Calendar, CalendarRefused, CalendarUnauthorized
from application.ports.calendar_credentials import CalendarCredentials, CredentialsUnavailable
from application.ports.personal_data import EventFollowUp, StoredCall
from domain.campaign import Campaign

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MeetingsForgotten:
    """`cleaned`: events the contact was taken off; `gone`: events no longer on the calendar;
    `needs_a_person`: events left as they were, with why; `unavailable`: ids of events whose
    calendar or credentials provider was down (a rerun can clean them)."""

    cleaned: int = 0
    gone: int = 0
    needs_a_person: tuple[EventFollowUp, ...] = ()
    unavailable: tuple[str, ...] = ()


class ForgetMeetings:
    def __init__(self, calendar: Calendar, credentials: CalendarCredentials):
        self.calendar = calendar
        self.credentials = credentials

    async def __call__(self, calls: list[StoredCall], campaigns: list[Campaign]) -> MeetingsForgotten:
        """Clean every event booked by `calls` (each event once); `campaigns` name the reps. Never raises
        for calendar or credentials trouble: it is in the result."""
        by_id = {c.id: c for c in campaigns}
        cleaned = gone = 0
        follow_ups: list[EventFollowUp] = []
        unavailable: list[str] = []
        seen: set[tuple[str, str]] = set()
        for call in calls:
            if not call.event_id:
                continue
            campaign = by_id.get(call.campaign_id)
            if campaign is None:
                follow_ups.append(EventFollowUp(call.event_id, "its campaign is gone, so the rep is unknown"))
                continue
            try:
                rep = Rep.from_campaign(campaign)
            except ValueError as exc:
                follow_ups.append(EventFollowUp(call.event_id, f"its campaign names no usable rep: {exc}"))
                continue
            calendar_id = call.event_calendar_id or rep.calendar_id
            if (calendar_id, call.event_id) in seen:
                continue
            seen.add((calendar_id, call.event_id))
            try:
                if await self._forget(rep.user_id, calendar_id, call.event_id):
                    cleaned += 1
                else:
                    gone += 1
            except _NeedsAPerson as exc:
                log.warning("calendar event %s of an erased contact needs a person: %s", call.event_id, exc.reason)
                follow_ups.append(EventFollowUp(call.event_id, exc.reason))
            except TransientFault as exc:
                log.warning("calendar event %s of an erased contact not reached: %s", call.event_id, exc)
                unavailable.append(call.event_id)
        return MeetingsForgotten(cleaned, gone, tuple(follow_ups), tuple(unavailable))

    async def _forget(self, rep: str, calendar_id: str, event_id: str) -> bool:
        refreshed = False
        while True:
            try:
                access = await self.credentials.for_rep(rep)
                return await self.calendar.forget_attendee(access, calendar_id, event_id)
            except CalendarUnauthorized as exc:
                if refreshed:
                    raise _NeedsAPerson(f"the calendar rejected the rep's refreshed token ({exc.reason})") from exc
                refreshed = True  # a token revoked since it was cached: one fresh one, as BookMeeting does
                await self.credentials.invalidate(rep)
            except CredentialsUnavailable as exc:
                raise _NeedsAPerson(f"no calendar credentials for the rep: {exc.reason}") from exc
            except CalendarRefused as exc:
                raise _NeedsAPerson(str(exc)) from exc


class _NeedsAPerson(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
