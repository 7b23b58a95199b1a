"""The embedded simulated line plays the practice a campaign names; the product's clock can be frozen."""
from __future__ import annotations

from pathlib import Path

import pytest

from entrypoints.cli import main
from infrastructure.settings import ConfigError, load_settings
from tests.integration.test_cli import call_and_show, on_test_servers  # noqa: F401 - the fixture

pytestmark = pytest.mark.usefixtures("on_test_servers")
ADD = ["campaign", "add", "--first-name", "Dana", "--last-name", "Reyes", "--phone", "+15125550143",
       "--practice", "Lakeside Orthopedics"]


def test_a_campaign_gets_the_practice_scenario_it_names(monkeypatch, capsys):
    monkeypatch.setenv("CLOCK_FROZEN_AT", "2026-12-01T10:15:00-06:00")
    # The working folder is a fresh tmp_path: a relative file that is not there is refused at once.
    assert main(ADD + ["--practice-scenario", "scenarios/gatekeepers.yaml#gatekeeper-blocks"]) == 2
    assert "cannot read" in capsys.readouterr().err
    scenarios = Path(__file__).resolve().parents[2] / "scenarios" / "gatekeepers.yaml"
    assert main(ADD + ["--practice-scenario", f"{scenarios}#gatekeeper-blocks"]) == 0
    campaign_id = capsys.readouterr().out.strip()
    shown = call_and_show(campaign_id, capsys)
    assert [c["outcome"] for c in shown["calls"]] == ["gatekeeper_blocked"]
    assert shown["calls"][0]["transcript"]  # the practice's receptionist spoke
    assert main(ADD + ["--practice-scenario", f"{scenarios}#no-such-id"]) == 2
    assert "no scenario 'no-such-id'" in capsys.readouterr().err


def test_a_frozen_clock_needs_its_offset_and_never_places_real_calls(monkeypatch):
    with pytest.raises(ConfigError, match="CLOCK_FROZEN_AT"):
        load_settings(clock_frozen_at="2026-12-01T10:15:00")
    with pytest.raises(ConfigError, match="simulated calls only"):
        load_settings(clock_frozen_at="2026-12-01T10:15:00-06:00", livekit_url="http://127.0.0.1:1",
                      livekit_api_key="k", livekit_api_secret="s", sip_outbound_trunk_id="ST",
                      openai_api_key="sk", dnc_hash_key="secret")
