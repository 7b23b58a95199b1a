"""Where the callee is: zones and states from the contact, else from the number."""
from __future__ import annotations

import pytest

from domain.callee_location import NotAUsNumber, WrongNumber, locate, state_code, to_e164


@pytest.mark.parametrize("phone, zones, states", [
    ("+15125550143", ("America/Chicago",), ("TX",)),            # Austin
    ("+12125550100", ("America/New_York",), ("NY",)),           # "New York, NY" in the geocoder
    ("+14155552671", ("America/Los_Angeles",), ("CA",)),
    ("+16025550100", ("America/Phoenix",), ("AZ",)),            # Arizona: no daylight time
    ("+12065550100", ("America/Los_Angeles",), ("WA",)),        # "Washington State"
    ("+12025550123", ("America/New_York",), ("DC",)),           # "Washington D.C."
    ("+12085551234", ("America/Boise", "America/Los_Angeles"), ("ID",)),   # multi-zone per phonenumbers
    ("+18505551234", ("America/New_York", "America/Chicago"), ("FL",)),    # split area code from our table
    ("+19285550100", ("America/Phoenix", "America/Denver"), ("AZ",)),      # Navajo Nation keeps DST
    ("+17015550100", ("America/Denver", "America/North_Dakota/Center"), ("ND",)),
    ("+17875551234", ("America/Puerto_Rico",), ("PR",)),
])
def test_zones_and_state_come_from_the_number_when_the_contact_has_none(phone, zones, states):
    location = locate(phone)
    assert location.zones == zones
    assert location.states == states
    assert location.zone_source == "number"
    assert location.area_code == phone[2:5]


def test_the_contact_time_zone_adds_to_the_numbers_never_replaces_it():
    location = locate("+12125550100", timezone="America/Chicago")
    assert location.zones == ("America/Chicago", "America/New_York")
    assert location.zone_source == "contact+number"
    # A toll-free number names no zone: the contact's is all there is.
    assert locate("+18005550100", timezone="America/Chicago").zones == ("America/Chicago",)


def test_a_contact_in_one_state_with_a_number_from_another_gets_both_states_and_zones():
    location = locate("+12125550100", state="TX")
    assert location.states == ("TX", "NY")
    assert location.state_source == "contact+number"
    assert set(location.zones) == {"America/New_York", "America/Chicago", "America/Denver"}


def test_a_toll_free_number_takes_the_contact_state_zones_or_every_us_zone():
    assert locate("+18005551234", state="tx").zones == ("America/Chicago", "America/Denver")
    everywhere = locate("+18005551234")
    assert {"America/New_York", "America/Los_Angeles", "Pacific/Honolulu"} <= set(everywhere.zones)
    assert "Pacific/Guam" not in everywhere.zones
    assert everywhere.states == ()


@pytest.mark.parametrize("phone", ["", "not a number", "+15555550100", "+1512555", "+442079460000"])
def test_a_number_that_is_not_a_valid_nanp_line_is_a_wrong_number(phone):
    with pytest.raises(WrongNumber):
        locate(phone)


def test_a_valid_canadian_number_is_outside_the_us_rules():
    with pytest.raises(NotAUsNumber, match="CA"):
        locate("+14165551234")


def test_explain_holds_the_area_code_never_the_number():
    explained = locate("+15125550143").explain()
    assert explained["area_code"] == "512"
    assert "5550143" not in repr(explained)


@pytest.mark.parametrize("value, code", [("TX", "TX"), ("tx", "TX"), ("Texas", "TX"), ("district of columbia", "DC")])
def test_state_codes_accept_codes_and_names(value, code):
    assert state_code(value) == code


def test_unknown_state_and_zone_are_named_in_the_error():
    with pytest.raises(ValueError, match="'Texass'"):
        locate("+15125550143", state="Texass")
    with pytest.raises(ValueError, match="'America/Austin'"):
        locate("+15125550143", timezone="America/Austin")


@pytest.mark.parametrize("raw, e164", [
    ("(512) 555-0143", "+15125550143"), ("512.555.0143", "+15125550143"), ("+1 512 555 0143", "+15125550143"),
    ("1-512-555-0143", "+15125550143"), ("+44 20 7946 0000", "+442079460000"),
])
def test_to_e164_normalises_any_valid_number(raw, e164):
    assert to_e164(raw) == e164


@pytest.mark.parametrize("raw", ["12345", "555-0143", "abc", "+1 555 555 0100"])
def test_to_e164_names_the_bad_input(raw):
    with pytest.raises(ValueError, match=repr(raw).replace("+", r"\+").replace(".", r"\.")):
        to_e164(raw)
