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
                "rep_name": "Sam", "slots": "", "callback_number": "800", "meeting_minutes": "30", **extra}

    def test_every_objection_reply_ends_with_a_question_or_a_next_step(self):
        # A reply that ends on a statement leaves dead air: the callee waits for the agent.
        script = default_script()
        for kind in script.objection_handlers:
            assert script.line(f"objection:{kind}", self.values()).rstrip().endswith("?"), kind
        # "Is this a robot?" is answered truthfully, and the call goes on with a question too.
        assert script.line("ai_disclosure", self.values()).rstrip().endswith("?")

    def test_the_closing_never_names_the_contact(self):
        # Whoever is on the line at the end may be the receptionist, not the contact.
        closing = default_script().line("closing", self.values())
        assert self.contact.first_name not in closing and self.contact.last_name not in closing

    def test_the_voicemail_says_whom_to_ask_for_and_the_callback_number(self):
        message = default_script().line("voicemail", self.values(rep_name="Sam Carter",
                                                                  callback_number="(800) 555-0199"))
        assert "ask for Sam Carter" in message and message.count("(800) 555-0199") == 2

    def test_the_pitch_promises_the_meeting_length_that_is_booked(self):
        from domain.meeting import MEETING_LENGTH
        from domain.slot_finder import SlotFinder

        minutes = int(MEETING_LENGTH.total_seconds() // 60)
        script = default_script()
        for section in ("introduction", "voicemail", "objection:send_information", "objection:too_busy"):
            assert str(minutes) in script.line(section, self.values(meeting_minutes=str(minutes))), section
        assert "fifteen" not in " ".join(script.sections().values())
        assert SlotFinder().duration == MEETING_LENGTH

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
