"""Slot proposals across time zones, working hours and DST; reading the callee's choice."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from domain.meeting import Interval
from domain.slot_finder import (BUSINESS_HOURS, SlotFinder, SlotOffer, WorkingHours, availability_from_words,
                                match_choice, parse_window, spoken_time)

NY = ZoneInfo("America/New_York")
CHI = ZoneInfo("America/Chicago")
LA = ZoneInfo("America/Los_Angeles")
LONDON = ZoneInfo("Europe/London")
NINE_TO_FIVE = WorkingHours.parse("09:00-17:00")


def inside(slot: Interval, tz: ZoneInfo, hours: WorkingHours) -> bool:
    start, end = slot.start.astimezone(tz), slot.end.astimezone(tz)
    return (start.date() == end.date() and start.weekday() in hours.weekdays
            and hours.start <= start.time() and end.time() <= hours.end)


class TestProposals:
    def test_offers_respect_rep_and_practice_hours_in_their_own_zones(self):
        # Rep in New York 09-17 ET, practice in Los Angeles 09-17 PT: the overlap is 12:00-17:00 ET.
        now = datetime(2026, 3, 10, 8, 0, tzinfo=NY)
        offers = SlotFinder().propose(now=now, busy=[], rep_zone=NY, rep_hours=NINE_TO_FIVE, contact_zone=LA)
        assert 2 <= len(offers) <= 3
        for offer in offers:
            assert inside(offer.slot, NY, NINE_TO_FIVE), offer
            assert inside(offer.slot, LA, BUSINESS_HOURS), offer
            assert offer.slot.start.astimezone(NY).time() >= time(12, 0)

    def test_offers_avoid_busy_blocks_and_the_lead_time(self):
        now = datetime(2026, 3, 10, 10, 15, tzinfo=CHI)
        busy = [parse_window("2026-03-11T13:00/2026-03-11T15:00", NY),
                parse_window("2026-03-10T00:00/2026-03-10T23:59", NY)]
        finder = SlotFinder(lead_time=timedelta(hours=2))
        slots = finder.free_slots(now=now, busy=busy, rep_zone=NY, rep_hours=NINE_TO_FIVE, contact_zone=CHI)
        assert slots, "there must be free time later in the week"
        for slot in slots:
            assert slot.start >= now + timedelta(hours=2)
            assert not any(slot.overlaps(b) for b in busy), slot

    def test_offers_are_spread_over_days_and_parts_of_the_day(self):
        now = datetime(2026, 3, 9, 7, 0, tzinfo=CHI)  # a Monday morning, the whole week free
        offers = SlotFinder().propose(now=now, busy=[], rep_zone=CHI, rep_hours=NINE_TO_FIVE, contact_zone=CHI)
        assert len(offers) == 3
        days = {o.slot.start.astimezone(CHI).date() for o in offers}
        parts = {o.slot.start.astimezone(CHI).hour >= 12 for o in offers}
        assert len(days) == 3 and parts == {True, False}
        assert [o.slot.start for o in offers] == sorted(o.slot.start for o in offers)

    def test_offers_within_the_callees_availability_stay_inside_it_and_apart(self):
        now = datetime(2026, 3, 10, 10, 15, tzinfo=CHI)
        within = [parse_window("2026-03-11T09:00/2026-03-11T12:00", CHI)]
        offers = SlotFinder().propose(now=now, busy=[], rep_zone=NY, rep_hours=NINE_TO_FIVE, contact_zone=CHI,
                                      within=within)
        assert len(offers) >= 2
        assert all(within[0].contains(o.slot) for o in offers)
        starts = sorted(o.slot.start for o in offers)
        assert all(b - a >= timedelta(minutes=30) for a, b in zip(starts, starts[1:]))

    def test_no_overlap_between_hours_gives_no_offer(self):
        # 09-17 in Tokyo never meets 09-17 in New York.
        now = datetime(2026, 3, 10, 8, 0, tzinfo=NY)
        offers = SlotFinder().propose(now=now, busy=[], rep_zone=NY, rep_hours=NINE_TO_FIVE,
                                      contact_zone=ZoneInfo("Asia/Tokyo"))
        assert offers == []

    def test_weekends_are_skipped(self):
        now = datetime(2026, 3, 13, 16, 0, tzinfo=NY)  # Friday afternoon
        offers = SlotFinder().propose(now=now, busy=[], rep_zone=NY, rep_hours=NINE_TO_FIVE, contact_zone=NY)
        assert offers and all(o.slot.start.astimezone(NY).weekday() < 5 for o in offers)
        assert offers[0].slot.start.astimezone(NY).date().isoformat() == "2026-03-16"

    def test_dst_week_keeps_local_hours_on_both_sides(self):
        # US clocks go forward on 2026-03-08, the UK's on 2026-03-29: New York is 4 h behind London
        # for those three weeks instead of 5. A rep in London 09-17 and a practice in New York 09-17
        # overlap 09:00-13:00 ET in the gap weeks, 09:00-12:00 ET otherwise.
        finder = SlotFinder(lead_time=timedelta(0), horizon=timedelta(days=5))
        gap = finder.free_slots(now=datetime(2026, 3, 9, 0, 0, tzinfo=NY), busy=[], rep_zone=LONDON,
                                rep_hours=NINE_TO_FIVE, contact_zone=NY)
        normal = finder.free_slots(now=datetime(2026, 3, 2, 0, 0, tzinfo=NY), busy=[], rep_zone=LONDON,
                                   rep_hours=NINE_TO_FIVE, contact_zone=NY)
        assert max(s.end.astimezone(NY).time() for s in gap) == time(13, 0)
        assert max(s.end.astimezone(NY).time() for s in normal) == time(12, 0)
        assert all(inside(s, LONDON, NINE_TO_FIVE) and inside(s, NY, BUSINESS_HOURS) for s in gap + normal)

    def test_slots_across_the_dst_switch_keep_wall_clock_starts(self):
        # From Friday before the switch to Monday after: 09:00 local both days, one hour apart in UTC terms.
        finder = SlotFinder(lead_time=timedelta(0), horizon=timedelta(days=4))
        slots = finder.free_slots(now=datetime(2026, 3, 6, 0, 0, tzinfo=NY), busy=[], rep_zone=NY,
                                  rep_hours=NINE_TO_FIVE, contact_zone=NY)
        firsts = {}
        for s in slots:
            firsts.setdefault(s.start.astimezone(NY).date(), s.start)
        friday, monday = firsts[datetime(2026, 3, 6).date()], firsts[datetime(2026, 3, 9).date()]
        assert friday.astimezone(NY).time() == monday.astimezone(NY).time() == time(9, 0)
        assert friday.astimezone(timezone.utc).hour == 14 and monday.astimezone(timezone.utc).hour == 13

    def test_fits_checks_hours_and_lead_time(self):
        finder = SlotFinder()
        now = datetime(2026, 3, 10, 10, 0, tzinfo=NY)
        good = Interval(datetime(2026, 3, 11, 10, 0, tzinfo=NY), datetime(2026, 3, 11, 10, 30, tzinfo=NY))
        late = Interval(datetime(2026, 3, 11, 16, 45, tzinfo=NY), datetime(2026, 3, 11, 17, 15, tzinfo=NY))
        soon = Interval(datetime(2026, 3, 10, 10, 30, tzinfo=NY), datetime(2026, 3, 10, 11, 0, tzinfo=NY))
        kw = dict(now=now, rep_zone=NY, rep_hours=NINE_TO_FIVE, contact_zone=NY)
        assert finder.fits(good, **kw) and not finder.fits(late, **kw) and not finder.fits(soon, **kw)


class TestSpeech:
    def test_spoken_in_the_contacts_zone(self):
        instant = datetime(2026, 3, 11, 14, 0, tzinfo=timezone.utc)
        assert spoken_time(instant, CHI) == "Wednesday March 11 at 9:00 AM Central"
        assert spoken_time(instant, LA) == "Wednesday March 11 at 7:00 AM Pacific"
        assert spoken_time(datetime(2026, 1, 5, 18, 30, tzinfo=timezone.utc), NY) == "Monday January 5 at 1:30 PM Eastern"


def offers_for(*starts: datetime) -> list[SlotOffer]:
    return [SlotOffer(Interval(s, s + timedelta(minutes=30)), spoken_time(s, CHI)) for s in starts]


class TestReadingTheAnswer:
    OFFERS = offers_for(datetime(2026, 3, 11, 9, 0, tzinfo=CHI), datetime(2026, 3, 11, 14, 0, tzinfo=CHI),
                        datetime(2026, 3, 12, 9, 30, tzinfo=CHI))

    @pytest.mark.parametrize("words, index", [
        ("the second one please", 1), ("Let's do the first", 0), ("the last one", 2),
        ("Thursday works", 2), ("2 pm is good", 1), ("two o'clock... I mean 2:00 PM", 1),
        ("Wednesday afternoon", 1), ("March 12 at 9:30", 2), ("9:30 am", 2), ("option 3", 2),
    ])
    def test_a_clear_choice_picks_one_offer(self, words, index):
        assert match_choice(words, self.OFFERS, CHI) == self.OFFERS[index]

    @pytest.mark.parametrize("words", ["Wednesday", "sounds good", "Friday at 10", "the fifth"])
    def test_an_unclear_or_impossible_choice_picks_none(self, words):
        assert match_choice(words, self.OFFERS, CHI) is None

    def test_tomorrow_is_read_against_now(self):
        now = datetime(2026, 3, 11, 8, 0, tzinfo=CHI)
        assert match_choice("tomorrow", self.OFFERS, CHI, now=now) == self.OFFERS[2]

    def test_stated_availability_becomes_windows(self):
        now = datetime(2026, 3, 10, 10, 15, tzinfo=CHI)
        thursday = availability_from_words("Thursday afternoon works best", now, CHI)
        assert thursday == [Interval(datetime(2026, 3, 12, 12, 0, tzinfo=CHI), datetime(2026, 3, 12, 17, 0, tzinfo=CHI))]
        tomorrow = availability_from_words("tomorrow after 2", now, CHI)
        assert tomorrow == [Interval(datetime(2026, 3, 11, 14, 0, tzinfo=CHI), datetime(2026, 3, 11, 17, 0, tzinfo=CHI))]
        mornings = availability_from_words("mornings are better", now, CHI, days_ahead=6)
        assert [w.start.date().isoformat() for w in mornings] == [
            "2026-03-10", "2026-03-11", "2026-03-12", "2026-03-13", "2026-03-16"]
        assert mornings[0].start == now and all(w.end.time() == time(12, 0) for w in mornings)
        assert availability_from_words("I don't know", now, CHI) == []


class TestBadInput:
    @pytest.mark.parametrize("text", ["9-5", "17:00-09:00", "25:00-26:00", ""])
    def test_bad_working_hours_are_named(self, text):
        with pytest.raises(ValueError, match="working hours"):
            WorkingHours.parse(text)

    def test_bad_window_is_named(self):
        with pytest.raises(ValueError, match="START/END"):
            parse_window("2026-03-11T09:00", CHI)
        with pytest.raises(ValueError, match="not an ISO 8601"):
            parse_window("tomorrow/later", CHI)

    def test_naive_now_is_refused(self):
        with pytest.raises(ValueError, match="timezone-aware"):
            SlotFinder().propose(now=datetime(2026, 3, 10, 9), busy=[], rep_zone=NY, rep_hours=NINE_TO_FIVE,
                                 contact_zone=NY)
