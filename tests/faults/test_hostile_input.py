"""Findings 9 and 10: input that broke things later is refused or cleaned at the door, and a contact's
time zone never overrides the number's (the strictest window governs, always)."""
from __future__ import annotations

import asyncio
import io
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, available_timezones

import pytest
from bson import ObjectId
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.callee_location import locate
from domain.calling_policy import CallingPolicy
from domain.campaign import Campaign
from domain.contact import Contact
from entrypoints.cli import main

GEOGRAPHIC = ["+15125550143", "+12125550100", "+14155552671", "+16025550100", "+13055550100", "+19075550100",
              "+18085550100", "+17875550100"]
ZONES = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("posix/", "right/")))
POLICY = CallingPolicy()


@settings(max_examples=150, deadline=None)
@given(phone=st.sampled_from(GEOGRAPHIC), zone=st.sampled_from(ZONES),
       minutes=st.integers(min_value=0, max_value=366 * 24 * 60))
def test_a_contact_zone_never_opens_hours_the_numbers_zones_forbid(phone, zone, minutes):
    now = datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=minutes)
    contact = Contact(id="c", first_name="Dana", last_name="Reyes", phone=phone, practice="P", timezone=zone)
    decision = POLICY.decide(contact, Campaign(id="k", contact_id="c"), now, on_dnc=False)
    if decision.allowed:
        for number_zone in locate(phone).zones:
            local = now.astimezone(ZoneInfo(number_zone))
            assert 8 <= local.hour < 21, (phone, zone, number_zone, local)


def test_a_texas_number_with_a_london_zone_is_not_dialed_at_0537_in_texas():
    contact = Contact(id="c", first_name="Dana", last_name="Reyes", phone="+15125550143", practice="P",
                      timezone="Europe/London")
    at = datetime(2026, 3, 10, 5, 37, tzinfo=ZoneInfo("America/Chicago"))  # 11:37 in London
    decision = POLICY.decide(contact, Campaign(id="k", contact_id="c"), at, on_dnc=False)
    assert not decision.allowed and "America/Chicago" in decision.reason


@pytest.fixture
def on_test_servers(monkeypatch, tmp_path, redis_url, mongo_uri):
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("MONGODB_URI", mongo_uri)
    monkeypatch.setenv("MONGODB_DATABASE", f"door_{ObjectId()}")
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)


def add(*extra: str, phone: str = "+15125550143", first: str = "Dana") -> list[str]:
    return ["campaign", "add", "--first-name", first, "--last-name", "Reyes", "--phone", phone,
            "--practice", "Lakeside Orthopedics", *extra]


@pytest.mark.parametrize("argv, fragment", [
    (add("--timezone", "../../etc/passwd"), "unknown time zone"),
    (add("--timezone", "Mars/Base"), "unknown time zone"),
    (add(phone="+442079460958"), "not a US number"),
    (add(phone="+16135550123"), "not a US number"),           # Ottawa: NANP, but Canadian rules
    (add("--email", "dana at lakeside"), "not an email address"),
    (add("--email", "dana@lakeside"), "not an email address"),
    (add(first="\x1b[2J\x07\n"), "empty once control characters are removed"),
    (add(first="D" * 100_000), "at most 100"),
])
def test_bad_contact_input_is_refused_at_the_door_with_exit_2(argv, fragment, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert fragment in err
    assert "2079460958" not in err and "5550123" not in err and "DDDDDDDDDD" not in err


def test_names_are_stored_without_control_characters(on_test_servers, capsys):
    assert main(add("--title", "Office\tManager\x1b[0m", "--email", " dana@lakeside.example ",
                    first="Dana\n\x1b[31mMarie\x00")) == 0
    campaign_id = capsys.readouterr().out.strip()

    async def stored():
        from containers import build_container, close_container
        from infrastructure.settings import load_settings

        container = await build_container(load_settings())
        try:
            campaign = await (await container.campaigns()).get(campaign_id)
            return await (await container.contacts()).get(campaign.contact_id)
        finally:
            await close_container(container)

    contact = asyncio.run(stored())
    assert (contact.first_name, contact.title, contact.email) == ("Dana Marie", "Office Manager",
                                                                  "dana@lakeside.example")


def test_erasing_an_unknown_number_says_what_it_will_do_and_asks(on_test_servers, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    assert main(["erase", "--phone", "+15125550177"]) == 1  # declined: nothing done
    err = capsys.readouterr().err
    assert "no contact has" in err and "do-not-call list" in err
    assert main(["dnc", "list"]) == 0
    assert "0177" not in capsys.readouterr().out
    assert main(["erase", "--phone", "+15125550177", "--yes"]) == 0
    assert "nothing to erase" in capsys.readouterr().err
    assert main(["dnc", "list"]) == 0
    assert "0177" in capsys.readouterr().out


def test_a_deeply_nested_scenario_file_is_an_invalid_file_exit_2(tmp_path, capsys):
    path = tmp_path / "deep.yaml"
    path.write_text("scenarios: " + "[" * 3_000 + "]" * 3_000 + "\n")
    assert main(["simulate", str(path)]) == 2
    assert "nested too deeply" in capsys.readouterr().err
