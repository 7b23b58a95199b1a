"""The domain's readings of spoken words, shared by the call core and the offline brain (property-based)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.callee_words import Heard, heard, self_named
from domain.objections import OBJECTION_KINDS, objections_in
from domain.slot_finder import spoken_time, times_said, windows_said

ZONES = [ZoneInfo(name) for name in ("America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
                                     "America/Los_Angeles", "Pacific/Honolulu")]
NOW = datetime(2026, 3, 10, 15, 15, tzinfo=timezone.utc)
# Whole minutes within the next five months (a date said is read as within the coming half year).
moments = st.integers(min_value=0, max_value=150 * 24 * 60).map(lambda m: NOW + timedelta(minutes=m))


@settings(max_examples=300, deadline=None)
@given(moment=moments, zone=st.sampled_from(ZONES))
def test_a_time_the_agent_says_is_read_back_as_the_same_instant(moment, zone):
    assert times_said(spoken_time(moment, zone), NOW, zone) == [moment]


@settings(max_examples=200, deadline=None)
@given(moment=moments, minutes=st.integers(min_value=15, max_value=8 * 60), zone=st.sampled_from(ZONES))
def test_a_window_said_aloud_is_read_back_when_it_stays_within_the_day(moment, minutes, zone):
    start = moment.astimezone(zone)
    end = start + timedelta(minutes=minutes)
    said = f"{start:%B} {start.day} between {start:%I:%M %p} and {end:%I:%M %p}"
    found = windows_said(said, NOW, zone)
    if end.date() == start.date() and end.utcoffset() == start.utcoffset():
        assert found == [(start, end)]


SAID = {"who_is_this": "Sorry, who is this?", "already_insured": "We already have malpractice insurance.",
        "send_information": "Just send me some information.", "cost": "How much does it cost?",
        "too_busy": "I'm really busy.", "bad_time": "It's not a good time.",
        "not_interested": "Honestly, I'm not interested."}
quiet_words = st.sampled_from(["hello", "yes", "okay", "the office", "Dana", "well", "um", "right", "sorry"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(OBJECTION_KINDS), max_size=4), st.lists(quiet_words, max_size=6), st.randoms())
def test_objections_are_found_once_each_in_the_vocabularys_order(kinds, filler, rnd):
    parts = [SAID[k] for k in kinds] + filler
    rnd.shuffle(parts)
    found = objections_in(" ".join(parts))
    assert found == sorted(set(kinds), key=OBJECTION_KINDS.index)


def test_a_decline_is_not_an_objection_and_an_objection_is_read_as_one():
    assert objections_in("No thank you, we'll pass.") == []
    assert heard("No thank you, we'll pass.")[0] is Heard.DECLINE
    assert heard("Honestly, I'm not interested.") == (Heard.OBJECTION, "not_interested")


@pytest.mark.parametrize("said, name", [
    ("Lakeside Ortho, this is Amy.", "Amy"),
    ("Granite Sports Medicine, Tom speaking.", "Tom"),
    ("Hi, it's Dana.", "Dana"),
    ("This is Cara's voicemail. Please leave a message.", None),
    ("Thank you for calling Lakeside Orthopedics.", None),
    ("this is the front desk", None),
    ("This is Dr. Kent.", "Dr. Kent"),
    ("Jay speaking.", "Jay"),
    ("This is Jay.", "Jay"),
])
def test_the_name_a_person_gives_for_themself(said, name):
    assert self_named(said) == name


@pytest.mark.parametrize("said", ["Can you hold for a few moments, or may I call you back?", "Will you please hold?"])
def test_being_asked_to_hold_is_a_hold(said):
    assert heard(said, "Dana")[0] is Heard.HOLD


@pytest.mark.parametrize("said", ["Yes, that's me.", "Speaking.", "This is he.", "Yes, this is she."])
def test_saying_who_is_speaking_is_not_agreeing_to_anything(said):
    assert heard(said, "Dana")[0] is Heard.CONFIRMS_IDENTITY
