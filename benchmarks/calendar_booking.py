"""Figures for booking on this machine: slot proposals (pure), and propose+book through
BookMeeting on the ICS calendar and on the Google adapter against the local Calendar stub.

Run: python benchmarks/calendar_booking.py  (starts and stops its own stub)."""
from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from application.book_meeting import BookMeeting, MeetingRequest, Rep  # noqa: E402
from application.ports.calendar_credentials import CalendarAccess  # noqa: E402
from domain.contact import Contact  # noqa: E402
from domain.meeting import Interval  # noqa: E402
from domain.slot_finder import SlotFinder, WorkingHours  # noqa: E402
from infrastructure.google_calendar import GoogleCalendar  # noqa: E402
from infrastructure.ics_calendar import IcsCalendar  # noqa: E402
from tests.fakes.runtime import FakeClock  # noqa: E402
from tests.stubs.google_calendar_stub import GoogleCalendarStub  # noqa: E402

NY, CHI = ZoneInfo("America/New_York"), ZoneInfo("America/Chicago")
NOW = datetime(2026, 3, 10, 10, 15, tzinfo=CHI)
CAL = "rep@docshield.example"
N = 50


class Fixed:
    def __init__(self, access):
        self.access = access

    async def for_rep(self, rep):
        return self.access

    async def invalidate(self, rep):
        pass


def busy_week() -> list[Interval]:
    blocks = []
    for day in range(7):
        for hour in (9, 11, 14, 16):
            start = datetime(2026, 3, 10 + day, hour, 0, tzinfo=NY)
            blocks.append(Interval(start, start + timedelta(minutes=45)))
    return blocks


def figure(name: str, samples: list[float]) -> None:
    samples = sorted(samples)
    print(f"{name:<44} median {statistics.median(samples) * 1000:7.2f} ms   p95 {samples[int(len(samples) * .95) - 1] * 1000:7.2f} ms")


async def bookings(booker: BookMeeting, label: str) -> None:
    contact = Contact(id="k", first_name="Dana", last_name="Reyes", phone="+15125550143", practice="Lakeside",
                      email="dana@lakeside.example", timezone="America/Chicago")
    rep = Rep(calendar_id=CAL, user_id="u", timezone="America/New_York")
    proposals, books = [], []
    for n in range(N):
        request = MeetingRequest(call_id=f"bench-{label}-{n}", rep=rep, contact=contact)
        t0 = time.perf_counter()
        offer = await booker.propose(request)
        t1 = time.perf_counter()
        result = await booker.book(request, offer.offers[0].slot)
        t2 = time.perf_counter()
        assert result.booked, result
        proposals.append(t1 - t0)
        books.append(t2 - t1)
    figure(f"{label}: propose (free/busy + finder)", proposals)
    figure(f"{label}: book (get + free/busy + insert)", books)


async def main() -> None:
    finder, busy = SlotFinder(), busy_week()
    samples = []
    for _ in range(200):
        t0 = time.perf_counter()
        finder.propose(now=NOW, busy=busy, rep_zone=NY, rep_hours=WorkingHours(), contact_zone=CHI)
        samples.append(time.perf_counter() - t0)
    figure(f"slot finder, 7 days, {len(busy)} busy blocks", samples)

    with tempfile.TemporaryDirectory() as folder:
        ics = IcsCalendar(folder)
        ics.seed(CAL, timezone_name="America/New_York", working_hours=WorkingHours(), busy=busy[:8])
        await bookings(BookMeeting(ics, Fixed(CalendarAccess(token=None)), FakeClock(NOW)), "ics")

    stub = GoogleCalendarStub().start()
    try:
        access = CalendarAccess(token=stub.issue_token(), expires_at=datetime.now(timezone.utc) + timedelta(hours=1))
        await bookings(BookMeeting(GoogleCalendar(api_endpoint=stub.api_endpoint), Fixed(access), FakeClock(NOW)), "google+stub")
        print(f"google+stub: {len(stub.received) / N:.1f} HTTP requests per propose+book; problems: {len(stub.problems)}")
    finally:
        stub.stop()


if __name__ == "__main__":
    asyncio.run(main())
