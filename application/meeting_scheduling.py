"""The agent's scheduling tools on the BookMeeting use case, for one call's contact and rep."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from application.book_meeting import BookingResult, BookMeeting, MeetingRequest
from application.ports.meeting_scheduler import OfferedSlot, SchedulingAnswer
from domain.meeting import Interval


class BookMeetingScheduler:
    """MeetingScheduler for one call: offers and books through BookMeeting, remembering what it offered."""

    def __init__(self, book_meeting: BookMeeting, request: MeetingRequest):
        self.book_meeting = book_meeting
        self.request = request
        self.offered: list[OfferedSlot] = []

    async def offers(self, *, within: list[Interval] | None = None) -> SchedulingAnswer:
        return self._answer(await self.book_meeting.propose(self.request, within=within))

    async def book(self, start: datetime, *, attendee_email: str | None = None) -> SchedulingAnswer:
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
