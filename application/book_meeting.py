"""BookMeeting: offer slots on the rep's calendar during a call and book the one the contact takes.

Never raises for calendar trouble: the call goes on, so every outcome is a
BookingResult the agent can speak from and the call record can keep.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import Enum
from typing import Awaitable, Callable, TypeVar
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import timezone as phone_timezones

from application.errors import TransientFault
from application.ports.calendar import (Calendar, CalendarRefused, CalendarUnauthorized, EventDraft, EventExists,
                                        SlotTaken)
from application.ports.calendar_credentials import CalendarAccess, CalendarCredentials, CredentialsUnavailable
from application.ports.clock import Clock
from domain.campaign import Campaign
from domain.contact import Contact
from domain.meeting import Interval, Meeting
from domain.slot_finder import BUSINESS_HOURS, SlotFinder, SlotOffer, WorkingHours, spoken_time, zone

log = logging.getLogger(__name__)

T = TypeVar("T")
DEFAULT_TIMEZONE = "America/New_York"


def event_id_for_call(call_id: str) -> str:
    """The Google event id a call books under: the same call id always gives the same id,
    so a retried booking finds the first one instead of booking twice."""
    if not call_id:
        raise ValueError("call_id must not be empty")
    digest = hashlib.sha256(call_id.encode()).digest()[:20]
    return "ds" + base64.b32hexencode(digest).decode().rstrip("=").lower()


@dataclass(frozen=True)
class Rep:
    """The sales rep whose calendar receives the meeting."""

    calendar_id: str = "primary"
    name: str = "your DocShield advisor"
    user_id: str = ""  # Clerk user id: whose Google authorisation to use
    timezone: str = DEFAULT_TIMEZONE
    working_hours: WorkingHours = BUSINESS_HOURS

    def __post_init__(self) -> None:
        zone(self.timezone)
        if not self.calendar_id:
            raise ValueError("rep calendar_id must not be empty")

    @classmethod
    def from_campaign(cls, campaign: Campaign) -> "Rep":
        """The rep named by a campaign: its calendar id and name, plus the settings keys
        `rep_user_id`, `rep_timezone` and `rep_working_hours` ("09:00-17:00")."""
        settings = campaign.settings or {}
        hours = settings.get("rep_working_hours")
        return cls(calendar_id=campaign.rep_calendar_id, name=campaign.rep_name,
                   user_id=str(settings.get("rep_user_id", "")),
                   timezone=settings.get("rep_timezone") or DEFAULT_TIMEZONE,
                   working_hours=WorkingHours.parse(hours) if hours else BUSINESS_HOURS)


@dataclass(frozen=True)
class MeetingRequest:
    """Who meets whom, for which call."""

    call_id: str
    rep: Rep
    contact: Contact
    contact_hours: WorkingHours = BUSINESS_HOURS

    def __post_init__(self) -> None:
        if not self.call_id:
            raise ValueError("meeting request needs a call_id")

    @property
    def contact_zone(self) -> ZoneInfo:
        return contact_zone(self.contact)

    @property
    def rep_zone(self) -> ZoneInfo:
        return zone(self.rep.timezone)


def contact_zone(contact: Contact) -> ZoneInfo:
    """The contact's stated zone, else the one their phone number's area lies in, else Eastern."""
    if contact.timezone:
        return zone(contact.timezone)
    try:
        zones = phone_timezones.time_zones_for_number(phonenumbers.parse(contact.phone))
    except phonenumbers.NumberParseException:
        zones = ()
    return zone(zones[0] if len(zones) == 1 else DEFAULT_TIMEZONE)


class BookingStatus(str, Enum):
    OFFERED = "offered"  # propose(): offers to read out
    NO_FREE_SLOT = "no_free_slot"  # propose(): nothing fits in the horizon
    BOOKED = "booked"
    SLOT_TAKEN = "slot_taken"  # book(): the slot went meanwhile; `offers` holds new ones
    SLOT_UNSUITABLE = "slot_unsuitable"  # book(): outside hours or too soon; `offers` holds suitable ones
    REFUSED = "refused"  # the calendar said no (4xx)
    CREDENTIALS_UNAVAILABLE = "credentials_unavailable"
    CALENDAR_UNAVAILABLE = "calendar_unavailable"  # transient faults outlasted the retries


FOLLOW_UP_STATUSES = frozenset({BookingStatus.REFUSED, BookingStatus.CREDENTIALS_UNAVAILABLE,
                                BookingStatus.CALENDAR_UNAVAILABLE})


@dataclass(frozen=True)
class BookingResult:
    """What propose() or book() came to. `follow_up` is set when a person must book by hand:
    the contact wanted a meeting and the calendar could not take it."""

    status: BookingStatus
    meeting: Meeting | None = None
    offers: list[SlotOffer] = field(default_factory=list)
    reason: str | None = None
    already_booked: bool = False  # book(): this call's event existed before (a retry)
    follow_up: str | None = None

    @property
    def booked(self) -> bool:
        return self.status is BookingStatus.BOOKED

    @property
    def needs_follow_up(self) -> bool:
        return self.status in FOLLOW_UP_STATUSES


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    delay: timedelta = timedelta(milliseconds=300)


class _Failure(Exception):
    def __init__(self, result: BookingResult):
        self.result = result


class BookMeeting:
    def __init__(self, calendar: Calendar, credentials: CalendarCredentials, clock: Clock, *,
                 finder: SlotFinder = SlotFinder(), retry: RetryPolicy = RetryPolicy(),
                 summary: str = "DocShield introduction: {practice}",
                 description: str = ("A short call about DocShield malpractice coverage with {rep}.\n"
                                     "Booked by DocShield's assistant during call {call_id}.")):
        self.calendar = calendar
        self.credentials = credentials
        self.clock = clock
        self.finder = finder
        self.retry = retry
        self.summary = summary
        self.description = description

    async def propose(self, request: MeetingRequest, *, count: int = 3, within: list[Interval] | None = None,
                      exclude: list[Interval] | None = None) -> BookingResult:
        """Two or three free slots (`count`), spread over days and parts of the day, spoken in the
        contact's zone. `within` limits them to the contact's stated availability; `exclude`
        drops slots already turned down. Status OFFERED, NO_FREE_SLOT or a failure status."""
        try:
            return await self._with_access(request, lambda access: self._offer(request, access, count, within, exclude))
        except _Failure as failure:
            return failure.result

    async def book(self, request: MeetingRequest, slot: Interval) -> BookingResult:
        """Book `slot` for this call, at most once per call id.

        BOOKED with the meeting (also when a retry finds this call's event already there);
        SLOT_TAKEN or SLOT_UNSUITABLE with fresh offers; REFUSED, CREDENTIALS_UNAVAILABLE or
        CALENDAR_UNAVAILABLE with a reason and a follow-up note for a person."""
        duration = slot.end - slot.start
        finder = SlotFinder(duration=duration, lead_time=self.finder.lead_time, horizon=self.finder.horizon,
                            step=self.finder.step)
        try:
            return await self._with_access(request, lambda access: self._book(request, access, slot, finder),
                                           slot=slot)
        except _Failure as failure:
            return failure.result

    # --- steps -------------------------------------------------------------------------------

    async def _offer(self, request: MeetingRequest, access: CalendarAccess, count: int,
                     within: list[Interval] | None, exclude: list[Interval] | None,
                     finder: SlotFinder | None = None) -> BookingResult:
        finder = finder or self.finder
        now = self.clock.now()
        busy = await self.calendar.busy(access, request.rep.calendar_id, finder.search_window(now))
        offers = finder.propose(now=now, busy=busy, rep_zone=request.rep_zone, rep_hours=request.rep.working_hours,
                                contact_zone=request.contact_zone, contact_hours=request.contact_hours,
                                count=count, within=within, exclude=exclude)
        if not offers:
            return BookingResult(BookingStatus.NO_FREE_SLOT, reason="no free slot inside both parties' hours")
        return BookingResult(BookingStatus.OFFERED, offers=offers)

    async def _book(self, request: MeetingRequest, access: CalendarAccess, slot: Interval,
                    finder: SlotFinder) -> BookingResult:
        event_id = event_id_for_call(request.call_id)
        calendar_id = request.rep.calendar_id
        existing = await self.calendar.get(access, calendar_id, event_id)
        if existing is not None:
            log.info("booking for call %s already made (event %s)", request.call_id, event_id)
            return BookingResult(BookingStatus.BOOKED, meeting=existing, already_booked=True)
        if not finder.fits(slot, now=self.clock.now(), rep_zone=request.rep_zone,
                           rep_hours=request.rep.working_hours, contact_zone=request.contact_zone,
                           contact_hours=request.contact_hours):
            return await self._reoffer(request, access, slot, finder, BookingStatus.SLOT_UNSUITABLE,
                                       "the slot is outside working hours or too soon")
        # Google does not refuse an insert over a busy block: this check is what prevents a double booking.
        busy = await self.calendar.busy(access, calendar_id, slot)
        if any(block.overlaps(slot) for block in busy):
            return await self._reoffer(request, access, slot, finder, BookingStatus.SLOT_TAKEN,
                                       "the slot was taken meanwhile")
        draft = self._draft(request, event_id, slot)
        try:
            meeting = await self.calendar.insert(access, calendar_id, draft)
        except EventExists:
            existing = await self.calendar.get(access, calendar_id, event_id)
            if existing is None:  # the id is burnt (a deleted event keeps it): nothing more to do automatically
                raise CalendarRefused(f"event id {event_id} is already used by a deleted event", 409)
            return BookingResult(BookingStatus.BOOKED, meeting=existing, already_booked=True)
        except SlotTaken:
            return await self._reoffer(request, access, slot, finder, BookingStatus.SLOT_TAKEN,
                                       "the slot was taken meanwhile")
        log.info("meeting booked for call %s (event %s)", request.call_id, event_id)
        return BookingResult(BookingStatus.BOOKED, meeting=meeting)

    async def _reoffer(self, request: MeetingRequest, access: CalendarAccess, slot: Interval, finder: SlotFinder,
                       status: BookingStatus, reason: str) -> BookingResult:
        log.info("booking for call %s not made: %s; offering again", request.call_id, reason)
        fresh = await self._offer(request, access, 3, None, [slot], finder)
        return BookingResult(status, offers=fresh.offers, reason=reason if fresh.offers else f"{reason}; {fresh.reason}")

    def _draft(self, request: MeetingRequest, event_id: str, slot: Interval) -> EventDraft:
        fields = {"practice": request.contact.practice, "rep": request.rep.name, "call_id": request.call_id,
                  "contact": request.contact.full_name}
        return EventDraft(event_id=event_id, start=slot.start, end=slot.end,
                          summary=self.summary.format(**fields), description=self.description.format(**fields),
                          attendee_email=request.contact.email, time_zone=request.contact_zone.key)

    # --- credentials, retries and failures ----------------------------------------------------

    async def _with_access(self, request: MeetingRequest, step: Callable[[CalendarAccess], Awaitable[T]],
                           slot: Interval | None = None) -> T:
        rep = request.rep.user_id
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            try:
                access = await self.credentials.for_rep(rep)
                return await step(access)
            except CalendarUnauthorized as exc:
                if refreshed:
                    raise _Failure(self._failure(request, slot, BookingStatus.CREDENTIALS_UNAVAILABLE,
                                                 f"the calendar rejected the rep's refreshed token: {exc.reason}"))
                refreshed = True
                await self.credentials.invalidate(rep)
            except CredentialsUnavailable as exc:
                raise _Failure(self._failure(request, slot, BookingStatus.CREDENTIALS_UNAVAILABLE, exc.reason))
            except CalendarRefused as exc:
                raise _Failure(self._failure(request, slot, BookingStatus.REFUSED, str(exc)))
            except TransientFault as exc:
                if attempt >= self.retry.attempts:
                    raise _Failure(self._failure(request, slot, BookingStatus.CALENDAR_UNAVAILABLE, str(exc)))
                log.warning("calendar fault for call %s (attempt %d): %s", request.call_id, attempt, exc)
                await asyncio.sleep(self.retry.delay.total_seconds())

    def _failure(self, request: MeetingRequest, slot: Interval | None, status: BookingStatus,
                 reason: str) -> BookingResult:
        log.warning("booking for call %s failed (%s): %s", request.call_id, status.value, reason)
        wanted = f" for {spoken_time(slot.start, request.contact_zone)}" if slot else ""
        note = (f"Contact asked for a meeting{wanted} with {request.rep.name}; the calendar could not take it "
                f"({reason}). Book it by hand and send the invitation.")
        return BookingResult(status, reason=reason, follow_up=note)


# ---------------------------------------------------------------- during a call: one contact, one rep

@dataclass(frozen=True)
class OfferedSlot:
    start: datetime
    end: datetime
    spoken: str  # how to say it to the contact, in their time zone


@dataclass(frozen=True)
class SchedulingAnswer:
    """What a check or a booking during a call came to; `offers` are the slots to read out next."""

    booked: Meeting | None = None
    offers: list[OfferedSlot] = field(default_factory=list)
    reason: str | None = None
    follow_up: str | None = None  # a person must book by hand


class CallBooking:
    """The agent's scheduling tools for one call: offers and books through BookMeeting, remembering
    what it offered (a chosen offer keeps its length)."""

    def __init__(self, book_meeting: BookMeeting, request: MeetingRequest):
        self.book_meeting = book_meeting
        self.request = request
        self.offered: list[OfferedSlot] = []

    async def offers(self, *, within: list[Interval] | None = None) -> SchedulingAnswer:
        """Two or three free slots, spread out, spoken in the contact's zone."""
        return self._answer(await self.book_meeting.propose(self.request, within=within))

    async def book(self, start: datetime, *, attendee_email: str | None = None) -> SchedulingAnswer:
        """Book the slot starting at `start` (this call books at most one meeting)."""
        offered = next((o for o in self.offered if o.start == start), None)
        duration = (offered.end - offered.start) if offered else self.book_meeting.finder.duration
        request = self.request
        if attendee_email and attendee_email != request.contact.email:
            request = replace(request, contact=replace(request.contact, email=attendee_email))
        return self._answer(await self.book_meeting.book(request, Interval(start, start + duration)))

    def _answer(self, result: BookingResult) -> SchedulingAnswer:
        offers = [OfferedSlot(o.slot.start, o.slot.end, o.spoken) for o in result.offers]
        if offers:
            self.offered = offers
        return SchedulingAnswer(booked=result.meeting if result.booked else None, offers=offers,
                                reason=result.reason, follow_up=result.follow_up)
