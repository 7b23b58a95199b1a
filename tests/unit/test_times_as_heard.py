"""Times said aloud and written down by a speech recognizer read the same as the written form.

Found by the audio harness: the offline recognizer writes "12.30 pm", "9 a.m.", "9am", "9 0 0 A M" and
"March 10th", and the practice (and the brain) heard no time at all in an offer of slots.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from domain.slot_finder import times_said, windows_said

ZONE = ZoneInfo("America/Chicago")
NOW = datetime(2026, 3, 10, 8, 0, tzinfo=ZONE)


def spellings(hour: int, minute: int, meridiem: str) -> list[str]:
    mm = f"{minute:02d}"
    out = [f"{hour}:{mm} {meridiem.upper()}M", f"{hour}.{mm} {meridiem}m", f"{hour}:{mm} {meridiem}.m.",
           f"{hour} {mm[0]} {mm[1]} {meridiem.upper()} M", f"{hour}.{mm}{meridiem}m", f"{hour}{mm} {meridiem}.m.",
           f"{hour}-{mm[0]}-{mm[1]} {meridiem.upper()}M", f"{hour}, {mm[0]}, {mm[1]}, {meridiem.upper()}.M.",
           f"{hour} {mm} {meridiem.upper()}M"]
    if minute == 0:
        out += [f"{hour} {meridiem}.m.", f"{hour}{meridiem}m", f"{hour} {meridiem.upper()}M"]
    return out


@given(hour=st.integers(1, 12), minute=st.integers(0, 59), meridiem=st.sampled_from("ap"),
       day=st.integers(11, 28), ordinal=st.booleans(), weekday=st.booleans())
def test_every_recognized_spelling_of_a_time_reads_as_the_written_one(hour, minute, meridiem, day, ordinal,
                                                                     weekday):
    date = f"{'Wednesday, ' if weekday else ''}March {day}{'th' if ordinal else ''}"
    expected = times_said(f"March {day} at {hour}:{minute:02d} {meridiem.upper()}M", NOW, ZONE)
    assert len(expected) == 1
    for spoken in spellings(hour, minute, meridiem):
        assert times_said(f"I have {date} at {spoken} Central. Does that work?", NOW, ZONE) == expected, spoken


def test_an_offer_as_the_recognizer_wrote_it_lists_every_slot():
    heard = ("Jordan Blake has a few times open. Tuesday, March 10 at 12.30 pm central. Wednesday, March 11 at "
             "9.00 am central, or Thursday, March 12th at 9 a.m. central. Which of those works best for you?")
    assert [t.strftime("%d %H:%M") for t in times_said(heard, NOW, ZONE)] == ["10 12:30", "11 09:00", "12 09:00"]


def test_a_window_as_the_recognizer_wrote_it():
    heard = "Let's set something up. I'm free Wednesday, March 11 between 9 0 0 A M and 5 0 0 P M."
    assert windows_said(heard, NOW, ZONE) == [(datetime(2026, 3, 11, 9, 0, tzinfo=ZONE),
                                                datetime(2026, 3, 11, 17, 0, tzinfo=ZONE))]


def test_minutes_are_not_taken_for_an_hour_of_their_own():
    # "12:30 PM" must not become "12:30:00 PM" ("30 PM" read as an hour).
    assert [t.strftime("%H:%M") for t in times_said("March 11 at 12:30 PM", NOW, ZONE)] == ["12:30"]
