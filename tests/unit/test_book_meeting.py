"""BookMeeting with in-memory fakes: offers, races, idempotency, refusals and credentials."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from application.book_meeting import (BookingStatus, BookMeeting, MeetingRequest, Rep, RetryPolicy, contact_zone,
                                      event_id_for_call)
from application.ports.calendar import CalendarRefused, CalendarUnauthorized, check_event_id
from domain.campaign import Campaign
from domain.contact import Contact
from domain.meeting import Interval
from domain.slot_finder import WorkingHours, parse_window
from tests.fakes.calendar import FakeCalendar, FakeCalendarCredentials, transient
from tests.fakes.runtime import FakeClock

NY = ZoneInfo("America/New_York")
CHI = ZoneInfo("America/Chicago")
NOW = datetime(2026, 3, 10, 10, 15, tzinfo=CHI)
REP = Rep(calendar_id="rep@docshield.example", name="Sam Carter", user_id="user_rep1", timezone="America/New_York")
DANA = Contact(id="k1", first_name="Dana", last_name="Reyes", phone="+15125550143", practice="Lakeside Orthopedics",
               email="dana@lakeside.example", timezone="America/Chicago")


def wednesday(hour: int, minute: int = 0) -> Interval:
    start = datetime(2026, 3, 11, hour, minute, tzinfo=CHI)
    return Interval(start, start + timedelta(minutes=30))


@pytest.fixture
def world():
    clock = FakeClock(NOW)
    calendar = FakeCalendar({REP.calendar_id: [parse_window("2026-03-11T13:00/2026-03-11T15:00", NY)]})
    credentials = FakeCalendarCredentials(now=clock.now)
    booker = BookMeeting(calendar, credentials, clock, retry=RetryPolicy(attempts=3, delay=timedelta(0)))
    return booker, calendar, credentials, clock


def request(call_id: str = "call-65f0c0ffee0000000000abcd-0") -> MeetingRequest:
    return MeetingRequest(call_id=call_id, rep=REP, contact=DANA)


class TestEventIds:
    @pytest.mark.parametrize("call_id", ["a", "call:65f0c0ffee0000000000abcd:3", "ü" * 500])
    def test_event_ids_are_valid_google_ids_and_stable(self, call_id):
        event_id = event_id_for_call(call_id)
        check_event_id(event_id)
        assert re.fullmatch(r"[a-v0-9]{5,1024}", event_id)
        assert event_id == event_id_for_call(call_id)

    def test_different_calls_get_different_ids(self):
        assert len({event_id_for_call(f"call-{n}") for n in range(500)}) == 500

    def test_bad_ids_are_named(self):
        with pytest.raises(ValueError, match="a-v and 0-9"):
            check_event_id("Call_123")
        with pytest.raises(ValueError, match="5-1024"):
            check_event_id("abc")


class TestPropose:
    async def test_offers_free_slots_in_the_contacts_zone(self, world):
        booker, calendar, _, _ = world
        result = await booker.propose(request())
        assert result.status is BookingStatus.OFFERED and 2 <= len(result.offers) <= 3
        busy = calendar.blocks[REP.calendar_id][0]
        assert not any(o.slot.overlaps(busy) for o in result.offers)
        assert all(o.spoken.endswith("Central") for o in result.offers)

    async def test_offers_within_stated_availability(self, world):
        booker, _, _, _ = world
        result = await booker.propose(request(), within=[parse_window("2026-03-11T09:00/2026-03-11T12:00", CHI)])
        assert result.offers and all(o.slot.start.astimezone(CHI).date().day == 11 for o in result.offers)

    async def test_a_full_calendar_offers_nothing_with_a_reason(self, world):
        booker, calendar, _, _ = world
        calendar.add_busy(REP.calendar_id, Interval(NOW, NOW + timedelta(days=30)))
        result = await booker.propose(request())
        assert result.status is BookingStatus.NO_FREE_SLOT and result.offers == [] and result.reason


class TestBook:
    async def test_books_with_the_contact_invited_and_a_video_link(self, world):
        booker, calendar, _, _ = world
        result = await booker.book(request(), wednesday(9))
        assert result.booked and not result.already_booked
        [draft] = calendar.inserted(REP.calendar_id)
        assert draft.attendee_email == DANA.email and draft.video_conference
        assert draft.event_id == event_id_for_call(request().call_id)
        assert "Lakeside Orthopedics" in draft.summary and draft.time_zone == "America/Chicago"
        assert result.meeting.start == wednesday(9).start and result.meeting.video_link

    async def test_the_same_call_twice_books_one_event(self, world):
        booker, calendar, _, _ = world
        first = await booker.book(request(), wednesday(9))
        again = await booker.book(request(), wednesday(9))
        other_slot = await booker.book(request(), wednesday(10))
        assert first.booked and again.booked and other_slot.booked
        assert again.already_booked and other_slot.already_booked
        assert other_slot.meeting.start == first.meeting.start
        assert len(calendar.inserted(REP.calendar_id)) == 1

    async def test_a_retry_after_a_lost_response_finds_the_event(self, world):
        # The insert landed but its answer was lost (a 503 after the write): the retry must not book twice.
        booker, calendar, _, _ = world
        original_insert = calendar.insert

        async def insert_then_fail(access, calendar_id, draft):
            await original_insert(access, calendar_id, draft)
            raise transient("connection reset after the write")

        calendar.insert = insert_then_fail
        result = await booker.book(request(), wednesday(9))
        assert result.booked and result.already_booked
        assert len(calendar.inserted(REP.calendar_id)) == 1

    async def test_a_slot_taken_between_propose_and_book_gets_new_offers(self, world):
        booker, calendar, _, _ = world
        offers = (await booker.propose(request())).offers
        chosen = offers[0].slot
        calendar.add_busy(REP.calendar_id, chosen)  # someone else booked it meanwhile
        result = await booker.book(request(), chosen)
        assert result.status is BookingStatus.SLOT_TAKEN and not result.booked
        assert result.offers and not any(o.slot.overlaps(chosen) for o in result.offers)
        assert calendar.inserted(REP.calendar_id) == []

    async def test_free_busy_is_rechecked_before_an_insert_that_would_not_refuse(self, world):
        _, _, credentials, clock = world
        calendar = FakeCalendar(refuses_overlap=False)
        booker = BookMeeting(calendar, credentials, clock)
        calendar.add_busy(REP.calendar_id, wednesday(9))
        result = await booker.book(request(), wednesday(9))
        assert result.status is BookingStatus.SLOT_TAKEN
        assert calendar.calls[-2:] != ["busy", "insert"] and calendar.inserted(REP.calendar_id) == []

    async def test_a_slot_taken_during_the_insert_gets_new_offers(self, world):
        booker, calendar, _, _ = world
        calendar.before_insert = lambda: calendar.add_busy(REP.calendar_id, wednesday(9))
        result = await booker.book(request(), wednesday(9))
        assert result.status is BookingStatus.SLOT_TAKEN and result.offers
        assert calendar.inserted(REP.calendar_id) == []
        # The contact picks a new offer: same call, now it books.
        retry = await booker.book(request(), result.offers[0].slot)
        assert retry.booked and len(calendar.inserted(REP.calendar_id)) == 1

    async def test_a_slot_outside_hours_is_not_booked(self, world):
        booker, calendar, _, _ = world
        result = await booker.book(request(), wednesday(16, 30))  # 17:30 in New York: the rep has left
        assert result.status is BookingStatus.SLOT_UNSUITABLE and result.offers
        assert calendar.inserted(REP.calendar_id) == []

    async def test_a_refusing_calendar_gives_a_clear_failure_kept_for_follow_up(self, world):
        booker, calendar, _, _ = world
        calendar.faults = [CalendarRefused("forbidden: calendar not shared", 403)]
        result = await booker.book(request(), wednesday(9))
        assert result.status is BookingStatus.REFUSED and "forbidden" in result.reason
        assert result.needs_follow_up and "Wednesday March 11 at 9:00 AM Central" in result.follow_up
        assert DANA.email not in result.follow_up
        assert calendar.calls == ["get"]  # a 4xx is never retried

    async def test_transient_faults_are_retried_then_reported(self, world):
        booker, calendar, _, _ = world
        calendar.faults = [transient(), transient()]
        assert (await booker.book(request(), wednesday(9))).booked
        calendar.faults = [transient()] * 3
        failed = await booker.book(request("call-2"), wednesday(10))
        assert failed.status is BookingStatus.CALENDAR_UNAVAILABLE and failed.needs_follow_up
        assert len(calendar.inserted(REP.calendar_id)) == 1


class TestCredentials:
    async def test_credentials_are_fetched_per_rep_and_used(self, world):
        booker, calendar, credentials, _ = world
        await booker.book(request(), wednesday(9))
        assert set(calendar.tokens_seen) == {"fake-token-1"}
        assert list(credentials.cache) == ["user_rep1"]

    async def test_an_expired_token_is_refreshed_once(self, world):
        booker, calendar, credentials, clock = world
        await booker.propose(request())
        clock.advance(hours=2)
        calendar.valid_tokens = {"fake-token-2"}
        result = await booker.book(request(), wednesday(9))
        assert result.booked and credentials.issued == ["fake-token-1", "fake-token-2"]

    async def test_a_rejected_token_is_refreshed_once_then_fails_cleanly(self, world):
        booker, calendar, credentials, _ = world
        calendar.faults = [CalendarUnauthorized()]
        assert (await booker.book(request(), wednesday(9))).booked
        assert len(credentials.issued) == 2
        calendar.valid_tokens = set()  # every token rejected
        result = await booker.book(request("call-3"), wednesday(10))
        assert result.status is BookingStatus.CREDENTIALS_UNAVAILABLE and result.needs_follow_up
        assert len(credentials.issued) == 3  # one refresh, not a loop

    async def test_a_revoked_authorisation_fails_the_booking_cleanly(self, world):
        booker, calendar, credentials, _ = world
        credentials.revoked.add("user_rep1")
        result = await booker.book(request(), wednesday(9))
        assert result.status is BookingStatus.CREDENTIALS_UNAVAILABLE and "revoked" in result.reason
        assert result.follow_up and calendar.calls == []
        proposal = await booker.propose(request())
        assert proposal.status is BookingStatus.CREDENTIALS_UNAVAILABLE and proposal.offers == []


class TestInputs:
    def test_rep_from_campaign_settings(self):
        campaign = Campaign(id="c", contact_id="k", rep_calendar_id="sam@docshield.example", rep_name="Sam",
                            settings={"rep_user_id": "user_9", "rep_timezone": "America/Denver",
                                      "rep_working_hours": "08:00-16:00"})
        rep = Rep.from_campaign(campaign)
        assert (rep.calendar_id, rep.user_id, rep.timezone) == ("sam@docshield.example", "user_9", "America/Denver")
        assert rep.working_hours == WorkingHours.parse("08:00-16:00")

    def test_unknown_rep_zone_is_named(self):
        with pytest.raises(ValueError, match="Mars/Olympus"):
            Rep(timezone="Mars/Olympus")

    def test_contact_zone_falls_back_to_the_phone_area(self):
        no_zone = Contact(id="k", first_name="A", last_name="B", phone="+13105550100", practice="P")
        assert contact_zone(no_zone).key == "America/Los_Angeles"
        toll_free = Contact(id="k", first_name="A", last_name="B", phone="+18005550100", practice="P")
        assert contact_zone(toll_free).key == "America/New_York"
