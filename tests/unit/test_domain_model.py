"""The domain's own rules: strict script interpolation, campaign status."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

import pytest

from domain.campaign import Campaign, CampaignStatus
from domain.contact import Contact
from domain.outcomes import CallOutcome
from domain.script import MissingValue, ScriptError, UnknownPlaceholder, default_script, render

AT = datetime(2026, 3, 10, 15, 0, tzinfo=timezone.utc)


class TestScript:
    contact = Contact(id="c", first_name="Dana", last_name="Reyes", phone="+15125550143", practice="Lakeside")

    def values(self, **extra):
        return {**self.contact.template_fields(), "agent_name": "Alex", "company": "DocShield",
                "rep_name": "Sam", "slots": "", "callback_number": "800", **extra}

    def test_the_default_script_renders_every_section(self):
        script = default_script()
        script.validate()
        for section in script.sections():
            assert "{" not in script.line(section, self.values())

    def test_the_greeting_discloses_ai_and_recording(self):
        greeting = default_script().line("greeting", self.values())
        assert "AI assistant" in greeting and "recorded" in greeting and "DocShield" in greeting

    def test_an_unknown_placeholder_is_named(self):
        with pytest.raises(UnknownPlaceholder, match=r"\{policy_number\}"):
            render("Your policy {policy_number}", self.values(), section="greeting")
        bad = replace(default_script(), closing="Bye {frist_name}")
        with pytest.raises(UnknownPlaceholder, match="frist_name"):
            bad.validate()

    def test_a_blank_value_is_never_spoken(self):
        with pytest.raises(MissingValue, match="first_name"):
            render("Hi {first_name}", self.values(first_name=" "), section="greeting")

    @pytest.mark.parametrize("template", ["{first_name!r}", "{first_name:>10}", "{contact.phone}", "{0}"])
    def test_format_tricks_are_refused(self, template):
        with pytest.raises(ScriptError):
            render(template, self.values())


class TestCampaign:
    def test_a_deferral_is_not_an_attempt(self):
        campaign = Campaign(id="a", contact_id="b")
        campaign.record_call(step=0, outcome=CallOutcome.DEFERRED, at=AT, final_step=False)
        assert campaign.call_history == [] and campaign.status is CampaignStatus.PENDING

    @pytest.mark.parametrize("outcome, status", [
        (CallOutcome.NO_ANSWER, CampaignStatus.ACTIVE),
        (CallOutcome.MEETING_BOOKED, CampaignStatus.COMPLETED),
        (CallOutcome.DECLINED, CampaignStatus.COMPLETED),
        (CallOutcome.OPTED_OUT, CampaignStatus.OPTED_OUT),
        (CallOutcome.VOICEMAIL_LEFT, CampaignStatus.ACTIVE),
    ])
    def test_status_after_a_non_final_step(self, outcome, status):
        campaign = Campaign(id="a", contact_id="b")
        campaign.record_call(step=1, outcome=outcome, at=AT, final_step=False)
        assert campaign.status is status and campaign.last_completed_step == 1

    def test_skips_are_not_dialed_attempts(self):
        campaign = Campaign(id="a", contact_id="b")
        campaign.record_call(step=0, outcome=CallOutcome.SKIPPED, at=AT, final_step=False)
        assert campaign.call_history == [] and campaign.last_completed_step == 0

    def test_unknown_outcomes_are_named(self):
        with pytest.raises(ValueError, match="unknown outcome 'maybe'"):
            CallOutcome.parse("maybe")
