"""One suite for the Calendar port: the in-memory fake, the ICS file and Google Calendar v3
(the real google-api-python-client against a local stub that checks what arrives)."""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Callable
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest

from application.book_meeting import BookingStatus, BookMeeting, MeetingRequest, Rep, RetryPolicy, event_id_for_call
from application.errors import TransientFault
from application.ports.calendar import (ERASED_SUMMARY, Calendar, CalendarRefused, CalendarUnauthorized, EventDraft,
                                        EventExists, SlotTaken)
from application.ports.calendar_credentials import CalendarAccess
from domain.contact import Contact
from domain.meeting import Interval
from domain.slot_finder import WorkingHours
from infrastructure.calendar_credentials import StaticRefreshTokenCredentials
from infrastructure.google_calendar import GoogleCalendar
from infrastructure.ics_calendar import IcsCalendar, IcsFile
from tests.fakes.calendar import FakeCalendar, FakeCalendarCredentials
from tests.fakes.runtime import FakeClock
from tests.stubs.google_calendar_stub import GoogleCalendarStub

NY = ZoneInfo("America/New_York")
CAL = "sam.carter@docshield.example"
HOURS = WorkingHours.parse("09:00-17:00")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=NY)


SEEDED = Interval(at(11, 13), at(11, 15))


def draft(event_id: str = "ds0abc123def456", start: datetime = at(11, 10), **kw) -> EventDraft:
    fields = dict(summary="DocShield introduction: Lakeside Orthopedics",
                  description="Intro call; booked during call c-1, with a comma, a; semicolon\nand a newline",
                  attendee_email="dana@lakeside.example", time_zone="America/Chicago")
    fields.update(kw)
    return EventDraft(event_id=event_id, start=start, end=start + timedelta(minutes=30), **fields)


@dataclass
class Harness:
    calendar: Calendar
    access: CalendarAccess
    add_busy: Callable[[Interval], None]
    event_count: Callable[[], int]
    stored_text: Callable[[], str]  # everything the calendar keeps, as text: what an erasure must empty
    stub: GoogleCalendarStub | None = None


@pytest.fixture(scope="module")
def stub():
    server = GoogleCalendarStub().start()
    yield server
    server.stop()


@pytest.fixture
def google_stub(stub):
    stub.busy, stub.events, stub.faults, stub.problems, stub.received = {}, {}, [], [], []
    stub.refresh_tokens, stub.delay_s = {"stub-refresh-token"}, 0.0
    yield stub
    assert stub.problems == [], "the Google stub saw malformed requests"


@pytest.fixture(params=["fake", "ics", "google"])
def harness(request, tmp_path, google_stub):
    if request.param == "fake":
        fake = FakeCalendar({CAL: [SEEDED]})
        return Harness(fake, CalendarAccess(token="t"), lambda b: fake.add_busy(CAL, b),
                       lambda: len(fake.inserted(CAL)), lambda: repr(fake.events))
    if request.param == "ics":
        ics = IcsCalendar(tmp_path / "calendars")
        ics.seed(CAL, timezone_name="America/New_York", working_hours=HOURS, busy=[SEEDED])

        def add_busy(block: Interval) -> None:
            current = ics.read(CAL)
            ics.seed(CAL, timezone_name=current.timezone, working_hours=current.working_hours,
                     busy=[e.interval for e in current.events] + [block])

        return Harness(ics, CalendarAccess(token=None), add_busy, lambda: len(
            [e for e in ics.read(CAL).events if not e.uid.startswith("busy-")]), lambda: ics.path(CAL).read_text())
    google_stub.busy[CAL] = [(SEEDED.start.isoformat(), SEEDED.end.isoformat())]
    access = CalendarAccess(token=google_stub.issue_token(), expires_at=datetime.now(timezone.utc) + timedelta(hours=1))
    return Harness(GoogleCalendar(api_endpoint=google_stub.api_endpoint, timeout_s=2),
                   access, lambda b: google_stub.busy.setdefault(CAL, []).append((b.start.isoformat(), b.end.isoformat())),
                   lambda: len(google_stub.events.get(CAL, {})), lambda: json.dumps(google_stub.events), google_stub)


class TestContract:
    async def test_busy_lists_blocks_in_the_window(self, harness):
        blocks = await harness.calendar.busy(harness.access, CAL, Interval(at(11, 10), at(11, 16)))
        assert blocks == [SEEDED]
        assert await harness.calendar.busy(harness.access, CAL, Interval(at(11, 9), at(11, 12))) == []

    async def test_insert_books_with_attendee_and_video_link_and_shows_as_busy(self, harness):
        meeting = await harness.calendar.insert(harness.access, CAL, draft())
        assert (meeting.event_id, meeting.start, meeting.end) == ("ds0abc123def456", at(11, 10), at(11, 10, 30))
        assert meeting.attendee_email == "dana@lakeside.example" and meeting.video_link.startswith("https://")
        assert await harness.calendar.get(harness.access, CAL, meeting.event_id) == meeting
        blocks = await harness.calendar.busy(harness.access, CAL, Interval(at(11, 9), at(11, 12)))
        assert blocks == [meeting.interval]

    async def test_the_same_event_id_twice_is_refused_as_existing(self, harness):
        await harness.calendar.insert(harness.access, CAL, draft())
        with pytest.raises(EventExists) as caught:
            await harness.calendar.insert(harness.access, CAL, draft(start=at(12, 10)))
        assert caught.value.event_id == "ds0abc123def456" and harness.event_count() == 1

    async def test_an_unknown_event_is_none(self, harness):
        assert await harness.calendar.get(harness.access, CAL, "ds0nothinghere") is None

    async def test_forgetting_the_attendee_keeps_the_meeting_without_the_contact(self, harness):
        booked = await harness.calendar.insert(harness.access, CAL, draft())
        kept = await harness.calendar.insert(harness.access, CAL, draft("ds0otherevent", start=at(12, 10),
                                                                        attendee_email="omar@harbor.example",
                                                                        summary="Intro: Harbor Dental",
                                                                        description="Omar's intro call"))
        assert "dana@lakeside.example" in harness.stored_text()  # the check below can fail
        assert await harness.calendar.forget_attendee(harness.access, CAL, booked.event_id) is True
        assert await harness.calendar.get(harness.access, CAL, booked.event_id) == replace(booked, attendee_email="")
        text = harness.stored_text()
        assert not [p for p in ("dana", "Lakeside", "comma") if p in text], text
        assert ERASED_SUMMARY in text
        # The rep still has the slot; the other contact's event is untouched.
        blocks = await harness.calendar.busy(harness.access, CAL, Interval(at(11, 9), at(11, 12)))
        assert blocks == [booked.interval]
        assert await harness.calendar.get(harness.access, CAL, kept.event_id) == kept
        assert "omar@harbor.example" in text and "Harbor Dental" in text

    async def test_forgetting_twice_is_harmless(self, harness):
        booked = await harness.calendar.insert(harness.access, CAL, draft())
        assert await harness.calendar.forget_attendee(harness.access, CAL, booked.event_id) is True
        assert await harness.calendar.forget_attendee(harness.access, CAL, booked.event_id) is True
        assert (await harness.calendar.get(harness.access, CAL, booked.event_id)).attendee_email == ""
        assert harness.event_count() == 1

    async def test_forgetting_an_event_or_calendar_that_is_gone_is_false(self, harness):
        assert await harness.calendar.forget_attendee(harness.access, CAL, "ds0nothinghere") is False
        gone_calendar = "gone@docshield.example"
        assert await harness.calendar.forget_attendee(harness.access, gone_calendar, "ds0abc123def456") is False
        assert harness.event_count() == 0


class TestBookingOverEachAdapter:
    NOW = datetime(2026, 3, 10, 10, 15, tzinfo=ZoneInfo("America/Chicago"))
    REQUEST = MeetingRequest(call_id="call:65f0c0ffee0000000000abcd:2",
                             rep=Rep(calendar_id=CAL, name="Sam Carter", user_id="user_rep", timezone="America/New_York"),
                             contact=Contact(id="k1", first_name="Dana", last_name="Reyes", phone="+15125550143",
                                             practice="Lakeside Orthopedics", email="dana@lakeside.example",
                                             timezone="America/Chicago"))

    def booker(self, harness) -> BookMeeting:
        clock = FakeClock(self.NOW)

        class Fixed(FakeCalendarCredentials):
            async def for_rep(self, rep):
                return harness.access

        return BookMeeting(harness.calendar, Fixed(), clock, retry=RetryPolicy(attempts=2, delay=timedelta(0)))

    async def test_same_call_twice_books_one_event(self, harness):
        booker = self.booker(harness)
        offers = (await booker.propose(self.REQUEST)).offers
        assert offers and not any(o.slot.overlaps(SEEDED) for o in offers)
        first = await booker.book(self.REQUEST, offers[0].slot)
        second = await booker.book(self.REQUEST, offers[0].slot)
        assert first.booked and second.booked and second.already_booked
        assert first.meeting.event_id == second.meeting.event_id == event_id_for_call(self.REQUEST.call_id)
        assert harness.event_count() == 1

    async def test_a_slot_lost_between_propose_and_book_is_offered_again(self, harness):
        booker = self.booker(harness)
        chosen = (await booker.propose(self.REQUEST)).offers[0].slot
        harness.add_busy(chosen)  # a colleague takes it while the contact is deciding
        result = await booker.book(self.REQUEST, chosen)
        assert result.status is BookingStatus.SLOT_TAKEN and result.offers
        assert not any(o.slot.overlaps(chosen) for o in result.offers) and harness.event_count() == 0
        assert (await booker.book(self.REQUEST, result.offers[0].slot)).booked and harness.event_count() == 1


# --- Google only: what reaches Google, and how its failures map ---------------------------------

@pytest.fixture
def google(google_stub):
    return GoogleCalendar(api_endpoint=google_stub.api_endpoint, timeout_s=1)


def token_access(stub: GoogleCalendarStub) -> CalendarAccess:
    return CalendarAccess(token=stub.issue_token(), expires_at=datetime.now(timezone.utc) + timedelta(hours=1))


class TestGoogle:
    async def test_what_google_receives(self, google, google_stub):
        access = token_access(google_stub)
        await google.busy(access, CAL, Interval(at(11, 9), at(11, 17)))
        await google.insert(access, CAL, draft())
        [free_busy] = google_stub.requests_to("freeBusy")
        assert free_busy.body == {"timeMin": "2026-03-11T13:00:00Z", "timeMax": "2026-03-11T21:00:00Z",
                                  "items": [{"id": CAL}]}
        [insert] = [r for r in google_stub.requests_to("/events") if r.method == "POST"]
        assert unquote(insert.path) == f"/calendar/v3/calendars/{CAL}/events"
        assert insert.query["conferenceDataVersion"] == ["1"] and insert.query["sendUpdates"] == ["all"]
        assert insert.body["id"] == "ds0abc123def456"
        assert insert.body["attendees"] == [{"email": "dana@lakeside.example"}]
        assert insert.body["start"] == {"dateTime": "2026-03-11T14:00:00Z", "timeZone": "America/Chicago"}
        create = insert.body["conferenceData"]["createRequest"]
        assert create["conferenceSolutionKey"] == {"type": "hangoutsMeet"} and create["requestId"]
        assert insert.authorization == f"Bearer {access.token}"

    async def test_what_google_receives_when_an_attendee_is_forgotten(self, google, google_stub):
        access = token_access(google_stub)
        await google.insert(access, CAL, draft())
        assert await google.forget_attendee(access, CAL, "ds0abc123def456")
        [patch] = [r for r in google_stub.requests_to("/events") if r.method == "PATCH"]
        assert unquote(patch.path) == f"/calendar/v3/calendars/{CAL}/events/ds0abc123def456"
        assert patch.query["sendUpdates"] == ["none"]  # no cancellation mail to the erased contact
        assert patch.body["attendees"] == [] and patch.body["summary"] == ERASED_SUMMARY
        assert set(patch.body) == {"attendees", "summary", "description"}
        assert patch.authorization == f"Bearer {access.token}"
        event = google_stub.events[CAL]["ds0abc123def456"]
        assert event["hangoutLink"] and event["start"]["dateTime"] == "2026-03-11T14:00:00Z"

    async def test_a_deleted_event_is_scrubbed_and_reported_gone(self, google, google_stub):
        access = token_access(google_stub)
        await google.insert(access, CAL, draft())
        google_stub.cancel(CAL, "ds0abc123def456")
        assert await google.forget_attendee(access, CAL, "ds0abc123def456") is False
        assert google_stub.events[CAL]["ds0abc123def456"]["attendees"] == []

    @pytest.mark.parametrize("status, reason, expected", [
        (410, "deleted", False), (404, "notFound", False)])
    async def test_forgetting_a_vanished_event_is_false(self, google, google_stub, status, reason, expected):
        google_stub.faults.append(("/events/", status, reason))
        assert await google.forget_attendee(token_access(google_stub), CAL, "ds0abc123def456") is expected

    @pytest.mark.parametrize("status, reason, error", [
        (403, "forbidden", CalendarRefused), (400, "invalid", CalendarRefused),
        (401, "authError", CalendarUnauthorized),
        (500, "backendError", TransientFault), (503, "backendError", TransientFault)])
    async def test_forgetting_maps_google_failures(self, google, google_stub, status, reason, error):
        google_stub.faults.append(("/events/", status, reason))
        with pytest.raises(error) as caught:
            await google.forget_attendee(token_access(google_stub), CAL, "ds0abc123def456")
        if error is CalendarRefused:
            assert caught.value.status == status and reason in caught.value.reason

    async def test_a_retried_insert_asks_for_the_same_conference(self, google, google_stub):
        access = token_access(google_stub)
        google_stub.faults.append(("/events", 503, "backendError"))
        with pytest.raises(TransientFault):
            await google.insert(access, CAL, draft())
        await google.insert(access, CAL, draft())
        bodies = [r.body for r in google_stub.requests_to("/events") if r.method == "POST"]
        assert bodies[0]["conferenceData"] == bodies[1]["conferenceData"]

    async def test_an_expired_access_token_is_unauthorized_and_never_refreshed_here(self, google, google_stub):
        expired = CalendarAccess(token=google_stub.issue_token(), expires_at=datetime.now(timezone.utc) - timedelta(minutes=5))
        with pytest.raises(CalendarUnauthorized):
            await google.busy(expired, CAL, Interval(at(11, 9), at(11, 17)))
        assert google_stub.requests_to("/token") == []

    async def test_a_rejected_token_is_unauthorized(self, google, google_stub):
        with pytest.raises(CalendarUnauthorized):
            await google.busy(CalendarAccess(token="ya29.from-clerk-but-dead"), CAL, Interval(at(11, 9), at(11, 17)))
        assert google_stub.requests_to("/token") == []

    async def test_a_booking_whose_token_google_rejects_refreshes_through_the_credentials_adapter(
            self, google, google_stub):
        # The static adapter refreshes; the calendar only says 401. BookMeeting invalidates and asks again.
        google_stub.refresh_tokens.add("refresh-booking")
        credentials = StaticRefreshTokenCredentials(client_id=google_stub.client_id,
                                                    client_secret=google_stub.client_secret,
                                                    refresh_token="refresh-booking", token_uri=google_stub.token_uri)
        first = await credentials.for_rep("anyone")
        google_stub.valid_tokens.discard(first.token)  # Google revoked the access token early
        booker = BookMeeting(google, credentials, FakeClock(TestBookingOverEachAdapter.NOW))
        result = await booker.book(TestBookingOverEachAdapter.REQUEST, Interval(at(11, 10), at(11, 10, 30)))
        assert result.status is BookingStatus.BOOKED, result.reason
        assert [r.body["grant_type"] for r in google_stub.requests_to("/token")] == ["refresh_token"] * 2

    @pytest.mark.parametrize("status, reason", [(403, "forbidden"), (404, "notFound"), (400, "invalid")])
    async def test_4xx_is_a_refusal_with_the_reason(self, google, google_stub, status, reason):
        google_stub.faults.append(("/events", status, reason))
        with pytest.raises(CalendarRefused) as caught:
            await google.insert(token_access(google_stub), CAL, draft())
        assert caught.value.status == status and reason in caught.value.reason
        assert not isinstance(caught.value, CalendarUnauthorized)

    @pytest.mark.parametrize("status, reason", [(500, "backendError"), (503, "backendError"),
                                                (429, "rateLimitExceeded"), (403, "rateLimitExceeded")])
    async def test_5xx_and_rate_limits_are_transient(self, google, google_stub, status, reason):
        google_stub.faults.append(("freeBusy", status, reason))
        with pytest.raises(TransientFault):
            await google.busy(token_access(google_stub), CAL, Interval(at(11, 9), at(11, 17)))

    async def test_a_timeout_is_transient(self, google_stub):
        slow = GoogleCalendar(api_endpoint=google_stub.api_endpoint, timeout_s=0.2)
        google_stub.delay_s = 0.6
        with pytest.raises(TransientFault):
            await slow.busy(token_access(google_stub), CAL, Interval(at(11, 9), at(11, 17)))

    async def test_the_event_loop_keeps_running_during_a_google_call(self, google, google_stub):
        google_stub.delay_s = 0.3
        ticks = 0
        call = asyncio.ensure_future(google.busy(token_access(google_stub), CAL, Interval(at(11, 9), at(11, 17))))
        while not call.done():
            ticks += 1
            await asyncio.sleep(0.01)
        await call
        assert ticks >= 5, "execute() ran on the event loop"

    async def test_a_refusing_calendar_fails_the_booking_cleanly(self, google, google_stub):
        access = token_access(google_stub)

        class Fixed(FakeCalendarCredentials):
            async def for_rep(self, rep):
                return access

        booker = BookMeeting(google, Fixed(), FakeClock(TestBookingOverEachAdapter.NOW))
        google_stub.faults.append(("/events", 403, "forbidden"))  # events.get: the rep never shared the calendar
        result = await booker.book(TestBookingOverEachAdapter.REQUEST, Interval(at(11, 10), at(11, 10, 30)))
        assert result.status is BookingStatus.REFUSED and "forbidden" in result.reason and result.follow_up
        assert google_stub.events == {}


# --- ICS only ------------------------------------------------------------------------------------

class TestIcs:
    async def test_time_outside_working_hours_is_busy(self, tmp_path):
        ics = IcsCalendar(tmp_path)
        ics.seed(CAL, timezone_name="America/New_York", working_hours=HOURS)
        blocks = await ics.busy(CalendarAccess(token=None), CAL, Interval(at(11, 7), at(11, 19)))
        assert blocks == [Interval(at(11, 7), at(11, 9)), Interval(at(11, 17), at(11, 19))]
        with pytest.raises(SlotTaken):
            await ics.insert(CalendarAccess(token=None), CAL, draft(start=at(11, 8)))

    async def test_an_insert_over_a_busy_block_is_slot_taken(self, tmp_path):
        ics = IcsCalendar(tmp_path)
        ics.seed(CAL, timezone_name="America/New_York", working_hours=HOURS, busy=[SEEDED])
        with pytest.raises(SlotTaken):
            await ics.insert(CalendarAccess(token=None), CAL, draft(start=at(11, 14, 45)))

    async def test_the_file_is_plain_ics_and_survives_a_new_adapter(self, tmp_path):
        first = IcsCalendar(tmp_path)
        first.seed(CAL, timezone_name="America/New_York", working_hours=HOURS, busy=[SEEDED])
        meeting = await first.insert(CalendarAccess(token=None), CAL, draft(summary="Intro, with; specials"))
        text = first.path(CAL).read_bytes().decode()
        assert text.startswith("BEGIN:VCALENDAR\r\n") and text.rstrip().endswith("END:VCALENDAR")
        assert "ATTENDEE;RSVP=TRUE:mailto:dana@lakeside.example" in text and "DTSTART:20260311T140000Z" in text
        assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
        reread = IcsFile.parse(text, "test")
        assert reread.events[-1].summary == "Intro, with; specials"
        assert reread.events[-1].description == draft().description
        assert await IcsCalendar(tmp_path).get(CalendarAccess(token=None), CAL, meeting.event_id) == meeting

    async def test_two_concurrent_bookings_of_one_slot_give_one_event(self, tmp_path):
        ics = IcsCalendar(tmp_path)
        ics.seed(CAL, timezone_name="America/New_York", working_hours=HOURS)
        outcomes = await asyncio.gather(ics.insert(CalendarAccess(token=None), CAL, draft("ds0first")),
                                        ics.insert(CalendarAccess(token=None), CAL, draft("ds0second")),
                                        return_exceptions=True)
        assert sorted(type(o).__name__ for o in outcomes) == ["Meeting", "SlotTaken"]
        assert len(ics.read(CAL).events) == 1

    async def test_an_unknown_calendar_is_refused(self, tmp_path):
        with pytest.raises(CalendarRefused, match="no calendar"):
            await IcsCalendar(tmp_path).busy(CalendarAccess(token=None), "nobody", Interval(at(11, 9), at(11, 10)))

    def test_a_broken_file_is_named(self, tmp_path):
        with pytest.raises(ValueError, match="broken.ics: event x needs UTC DTSTART"):
            IcsFile.parse("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:tomorrow\r\nEND:VEVENT\r\n", "broken.ics")
