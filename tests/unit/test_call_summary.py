"""The structured post-call summary: the next step a person reads, filled by the agent's actions."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from application.call.actions import CallActions, ToolRefused
from application.call.progress import CallProgress
from infrastructure.call_result_codec import result_from_dict, result_to_dict
from application.book_meeting import OfferedSlot, SchedulingAnswer
from domain.contact import Contact
from domain.meeting import Meeting
from domain.outcomes import CallOutcome
from tests.fakes.call_controls import FakeCallControls
from tests.fakes.compliance import FakeDoNotCallList
from tests.fakes.runtime import FakeClock

NOW = datetime(2026, 3, 10, 15, 15, tzinfo=timezone.utc)
SLOT = datetime(2026, 3, 11, 14, 0, tzinfo=timezone.utc)
FOLLOW_UP = "Contact asked for a meeting with Jordan; the calendar could not take it. Book it by hand."


class Scheduler:
    """Answers every request with `answer`."""

    def __init__(self, answer: SchedulingAnswer):
        self.answer = answer

    async def offers(self, *, within=None) -> SchedulingAnswer:
        return self.answer

    async def book(self, start, *, attendee_email=None) -> SchedulingAnswer:
        return self.answer


def actions_with(answer: SchedulingAnswer = SchedulingAnswer(), zone: str = "America/Chicago") -> CallActions:
    contact = Contact(id="c1", first_name="Dana", last_name="Reyes", phone="+15125550143", practice="Lakeside",
                      timezone=zone)
    return CallActions(progress=CallProgress(started_at=NOW), controls=FakeCallControls(),
                       do_not_call=FakeDoNotCallList(),
                       scheduler=Scheduler(answer), clock=FakeClock(NOW), contact=contact)


class TestNextStep:
    async def test_a_failed_booking_leaves_the_follow_up_as_the_next_step(self):
        actions = actions_with(SchedulingAnswer(reason="calendar unavailable", follow_up=FOLLOW_UP))
        await actions.book_meeting(SLOT)
        actions.record_outcome("callback_requested", decline_reason="calendar down")
        result = actions.progress.result(NOW)
        assert result.next_step == FOLLOW_UP
        assert result.outcome is CallOutcome.CALLBACK_REQUESTED

    async def test_a_failed_availability_check_leaves_the_follow_up_too(self):
        actions = actions_with(SchedulingAnswer(reason="no credentials", follow_up=FOLLOW_UP))
        await actions.check_availability()
        assert actions.progress.result(NOW).next_step == FOLLOW_UP

    async def test_offers_alone_leave_no_next_step(self):
        actions = actions_with(SchedulingAnswer(offers=[OfferedSlot(SLOT, SLOT + timedelta(minutes=30), "Wed 9")]))
        await actions.check_availability()
        assert actions.progress.next_step is None

    async def test_a_successful_booking_needs_no_next_step(self):
        booked = Meeting(SLOT, SLOT + timedelta(minutes=30), "ev1")
        actions = actions_with(SchedulingAnswer(booked=booked))
        await actions.book_meeting(SLOT)
        result = actions.progress.result(NOW)
        assert result.outcome is CallOutcome.MEETING_BOOKED and result.next_step is None

    def test_a_callback_names_the_time_on_the_contacts_clock(self):
        actions = actions_with(zone="America/Chicago")
        actions.record_outcome("callback_requested", callback_time="2026-03-12T14:00:00-05:00")
        result = actions.progress.result(NOW)
        assert result.callback_at == datetime(2026, 3, 12, 19, 0, tzinfo=timezone.utc)
        assert result.next_step == "Call back Thursday March 12 at 2:00 PM Central, as the contact asked."

    def test_the_same_callback_reads_in_another_zone_for_a_contact_there(self):
        actions = actions_with(zone="America/Los_Angeles")
        actions.record_outcome("callback_requested", callback_time="2026-03-12T14:00:00-05:00")
        assert actions.progress.next_step.startswith("Call back Thursday March 12 at 12:00 PM")

    def test_a_callback_without_a_time_says_so(self):
        actions = actions_with()
        actions.record_outcome("callback_requested")
        assert "without naming a time" in actions.progress.result(NOW).next_step

    def test_the_agents_own_next_step_wins(self):
        actions = actions_with()
        actions.record_outcome("callback_requested", callback_time="2026-03-12T14:00:00-05:00",
                               next_step="Email the brochure first, then call back.")
        assert actions.progress.result(NOW).next_step == "Email the brochure first, then call back."

    def test_a_callback_does_not_overwrite_a_booking_follow_up(self):
        actions = actions_with()
        actions.progress.next_step = FOLLOW_UP
        actions.record_outcome("callback_requested", callback_time="2026-03-12T14:00:00-05:00")
        assert actions.progress.next_step == FOLLOW_UP

    def test_a_decline_has_no_next_step(self):
        actions = actions_with()
        actions.record_outcome("declined", decline_reason="happy with current carrier")
        assert actions.progress.result(NOW).next_step is None

    def test_a_bad_callback_time_is_refused_and_records_nothing(self):
        actions = actions_with()
        with pytest.raises(ToolRefused, match="callback_time"):
            actions.record_outcome("callback_requested", callback_time="thursday-ish")
        assert actions.progress.next_step is None and actions.progress.outcome is None


class TestProgress:
    def test_record_keeps_an_earlier_next_step_when_none_is_given(self):
        progress = CallProgress(started_at=NOW)
        progress.record(CallOutcome.CALLBACK_REQUESTED, next_step="Call back Friday.")
        progress.record(CallOutcome.CALLBACK_REQUESTED)
        assert progress.result(NOW).next_step == "Call back Friday."

    def test_the_next_step_travels_through_the_hand_back_codec(self):
        progress = CallProgress(started_at=NOW)
        progress.record(CallOutcome.CALLBACK_REQUESTED, callback_at=SLOT, next_step="Call back Wednesday.")
        decoded = result_from_dict(result_to_dict(progress.result(NOW)))
        assert decoded.next_step == "Call back Wednesday." and decoded.callback_at == SLOT

    def test_a_next_step_that_is_not_text_is_refused_by_name(self):
        payload = result_to_dict(CallProgress(started_at=NOW).result(NOW))
        payload["next_step"] = 42
        with pytest.raises(ValueError, match="next_step"):
            result_from_dict(payload)



class TestFrontDesk:
    def test_what_the_receptionist_tells_is_noted_and_merged(self):
        actions = actions_with()
        actions.note_front_desk(decision_maker="Dr. Kent", best_time="in clinic Tuesdays; try Thursday after two")
        actions.note_front_desk(extension="ext. 214", direct_line="(512) 555-0188")
        noted = actions.progress.result(NOW).front_desk
        assert (noted.decision_maker, noted.extension, noted.direct_line) == ("Dr. Kent", "214", "+15125550188")
        assert noted.best_time.as_dict() == {"days": ["thu"], "from": "14:00", "to": "17:00"}

    @pytest.mark.parametrize("kwargs, fragment", [
        ({}, "nothing to note"),
        ({"best_time": "whenever"}, "no day or hour"),
        ({"direct_line": "12"}, "not a valid phone number"),
    ])
    def test_a_note_that_says_nothing_usable_is_refused(self, kwargs, fragment):
        with pytest.raises(ToolRefused, match=fragment):
            actions_with().note_front_desk(**kwargs)


class TestCallbackTime:
    """The agent learns during the call when the worker may call back (the policy that gates every call)."""

    def actions_for(self):
        from domain.campaign import Campaign
        actions = actions_with()
        actions.campaign = Campaign(id="k1", contact_id="c1",
                                    settings={"compliance": {"federal_holidays": False, "state_rules": False}})
        return actions

    def test_a_lawful_time_is_kept_and_said_back(self):
        import json
        answer = json.loads(self.actions_for().record_outcome(
            "callback_requested", callback_time="2026-03-11T14:30:00-05:00"))
        assert answer["moved"] is False and answer["callback_at"] == "2026-03-11T19:30:00+00:00"
        assert answer["spoken"] == "Wednesday March 11 at 2:30 PM Central"

    def test_an_unlawful_time_is_moved_to_the_nearest_lawful_minute_for_the_agent_to_offer(self):
        import json
        answer = json.loads(self.actions_for().record_outcome(
            "callback_requested", callback_time="2026-03-11T06:00:00-05:00"))
        assert answer["moved"] is True and answer["spoken"] == "Wednesday March 11 at 8:00 AM Central"
        assert "offer Wednesday March 11 at 8:00 AM Central instead" in answer["say"]
