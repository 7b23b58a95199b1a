"""The sales agent on the offline brain: the right tool, with the right arguments, in the right situation."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from livekit.agents import AgentSession

from application.call.brief import CallIdentity, build_brief
from application.call.actions import CallActions
from application.call.progress import CallProgress
from application.book_meeting import OfferedSlot, SchedulingAnswer
from domain.campaign import Campaign
from domain.contact import Contact
from domain.meeting import Meeting
from domain.script import default_script
from simulator.offline_brain import EMAIL_QUESTION, OfflineBrain
from application.call.core import BEEP_INSTRUCTIONS, NO_BEEP_INSTRUCTIONS
from simulator.text_call import reply_with_instructions
from infrastructure.sales_agent import SalesAgent
from tests.fakes.call_controls import FakeCallControls
from tests.fakes.compliance import FakeDoNotCallList
from tests.fakes.runtime import FakeClock

NOW = datetime(2026, 3, 10, 15, 15, tzinfo=timezone.utc)
ZONE = ZoneInfo("America/Chicago")
SLOT = datetime(2026, 3, 11, 14, 0, tzinfo=timezone.utc)


class OneSlotCalendar:
    async def offers(self, *, within=None) -> SchedulingAnswer:
        return SchedulingAnswer(offers=[OfferedSlot(SLOT, SLOT + timedelta(minutes=30),
                                                    "Wednesday March 11 at 9:00 AM Central")])

    async def book(self, start, *, attendee_email=None) -> SchedulingAnswer:
        return SchedulingAnswer(booked=Meeting(start, start + timedelta(minutes=30), "ev1", attendee_email or ""))


@pytest.fixture
async def call():
    contact = Contact(id="c1", first_name="Dana", last_name="Reyes", phone="+15125550143",
                      practice="Lakeside Orthopedics", title="Practice Administrator", timezone="America/Chicago")
    brief = build_brief(default_script(), contact, Campaign(id="k1", contact_id="c1", rep_name="Jordan"),
                        CallIdentity())
    progress = CallProgress(started_at=NOW)
    controls = FakeCallControls()
    dnc = FakeDoNotCallList()
    actions = CallActions(progress=progress, controls=controls, do_not_call=dnc, scheduler=OneSlotCalendar(),
                          clock=FakeClock(NOW), contact=contact)
    session = AgentSession(llm=OfflineBrain(brief, FakeClock(NOW), ZONE))
    await session.start(SalesAgent(brief, actions), record=False)
    yield session, progress, controls, dnc, brief
    await session.aclose()


async def test_a_menu_gets_the_digit_that_reaches_the_office_manager(call):
    session, progress, controls, *_ = call
    result = await session.run(user_input="For appointments press 1. For billing press 2. "
                                          "For the office manager press 4.")
    result.expect.next_event().is_function_call(name="press_digits", arguments={"digits": "4"})
    result.expect.next_event().is_function_call_output()
    result.expect.no_more_events()
    assert controls.pressed == ["4"] and progress.digits == ["4"]


async def test_a_voicemail_greeting_gets_silence_then_the_beep_instructions_get_the_message(call):
    session, progress, controls, _dnc, brief = call
    greeting = await session.run(user_input="You've reached Lakeside. Please leave a message after the tone.")
    greeting.expect.no_more_events()
    progress.beep(NOW)  # the call core heard the beep and asks for the reply with these instructions
    result = await reply_with_instructions(session, BEEP_INSTRUCTIONS)
    result.expect.next_event().is_function_call(name="leave_voicemail")
    result.expect.next_event().is_function_call_output()
    result.expect.next_event().is_message(role="assistant")
    result.expect.contains_function_call(name="end_call")
    assert progress.voicemail_left and progress.voicemail_after_beep and controls.hung_up
    assert brief.lines["voicemail"] in [e.item.text_content for e in result.events if e.type == "message"]


async def test_without_a_beep_the_no_beep_instructions_get_the_message_too(call):
    session, progress, *_ = call
    await session.run(user_input="You've reached Lakeside. Please leave a message.")
    result = await reply_with_instructions(session, NO_BEEP_INSTRUCTIONS)
    result.expect.next_event().is_function_call(name="leave_voicemail")
    assert progress.voicemail_left and progress.voicemail_after_beep is False


async def test_the_brain_never_decides_a_line_event_a_full_mailbox_gets_no_tool_call(call):
    session, progress, controls, *_ = call
    result = await session.run(user_input="The mailbox is full and cannot accept any new messages. Goodbye.")
    result.expect.no_more_events()  # the call core's rules end this call (tests/unit/test_call_core.py)
    assert progress.outcome is None and not controls.hung_up


async def test_the_voicemail_message_is_kept_under_thirty_seconds(call):
    session, *_rest, brief = call
    brain = session.llm
    long_script = " ".join(["This sentence adds eight more words to the message."] * 12)
    brain.brief = type(brief)(instructions=brief.instructions, lines={**brief.lines, "voicemail": long_script},
                              contact=brief.contact, rep_name=brief.rep_name, identity=brief.identity)
    message = brain.voicemail_message()
    assert message and len(message.split()) < len(long_script.split())
    assert len(message.split()) * 60 / 150 < 30


async def test_a_menu_the_fast_path_left_alone_is_read_by_the_navigator_with_the_campaign_policy(call):
    session, progress, controls, *_ = call
    brain = session.llm
    from application.call.phone_tree import menu_policy
    brain.policy = menu_policy({"menu_targets": {"targets": [["credentialing"]]}}, brain.brief.contact)
    result = await session.run(user_input="For the office manager press 1. For credentialing press 2.")
    result.expect.next_event().is_function_call(name="press_digits", arguments={"digits": "2"})
    assert controls.pressed == ["2"]


async def test_a_menu_of_lines_to_avoid_gets_no_key_the_menu_may_time_out_to_a_person(call):
    session, _progress, controls, *_ = call
    result = await session.run(user_input="For prescription refills press 1. For lab results press 2.")
    result.expect.no_more_events()
    assert controls.pressed == []


async def test_the_realtime_tools_expose_the_menu_reader_and_the_greeting_classifier(call):
    session, *_rest, brief = call
    agent = session.current_agent
    choice = json.loads(await agent.choose_menu_option(None, "For billing press 2. For the office manager press 4."))
    assert choice["action"] == "press" and choice["digits"] == "4" and "office manager" in choice["option"]
    verdict = json.loads(await agent.classify_greeting(None, "Hi, you've reached Dana. Leave a message after the beep."))
    assert verdict["answerer"] == "voicemail" and "beep" in verdict["what_to_do"]
    full = json.loads(await agent.classify_greeting(None, "The mailbox is full."))
    assert full["answerer"] == "mailbox_full" and "no_answer" in full["what_to_do"]


async def test_take_me_off_your_list_puts_the_number_on_the_do_not_call_list(call):
    session, progress, controls, dnc, _brief = call
    await session.run(user_input="Hello, this is Dana.")
    result = await session.run(user_input="Please take me off your list and don't call again.")
    result.expect.contains_function_call(name="add_to_do_not_call")
    result.expect.contains_function_call(name="record_outcome", arguments={"outcome": "opted_out", "objections": []})
    result.expect.contains_function_call(name="end_call")
    assert await dnc.contains("+15125550143") and progress.opted_out and controls.hung_up


async def test_are_you_a_robot_gets_the_truthful_ai_answer(call):
    session, *_ = call
    await session.run(user_input="Hello, this is Dana.")
    result = await session.run(user_input="Wait, am I talking to a robot?")
    message = result.expect.next_event().is_message(role="assistant")
    assert "I'm an AI assistant" in message.event().item.text_content
    result.expect.no_more_events()


@pytest.mark.parametrize("words, kind", [
    ("We already have malpractice insurance.", "already_insured"),
    ("How much does this cost?", "cost"),
    ("Can you just send me some information?", "send_information"),
])
async def test_an_objection_gets_its_handler(call, words, kind):
    session, _progress, _controls, _dnc, brief = call
    await session.run(user_input="Hello, this is Dana.")
    await session.run(user_input="Speaking.")
    result = await session.run(user_input=words)
    message = result.expect.next_event().is_message(role="assistant")
    assert message.event().item.text_content == brief.handler(kind)


async def test_agreement_checks_the_calendar_and_books_the_chosen_time(call):
    session, progress, controls, *_ = call
    await session.run(user_input="Hello, this is Dana.")
    await session.run(user_input="Speaking.")
    offer = await session.run(user_input="Sure, let's set something up.")
    offer.expect.next_event().is_function_call(name="check_availability", arguments={})
    # Dana's record has no email: the invitation's address is asked for before anything is booked.
    asked = await session.run(user_input="Wednesday March 11 at 9:00 AM works for me.")
    assert asked.expect.next_event().is_message(role="assistant").event().item.text_content == EMAIL_QUESTION
    asked.expect.no_more_events()
    assert progress.meeting is None
    booked = await session.run(user_input="Sure, it's dana.r@lakeside.example.")
    booked.expect.next_event().is_function_call(
        name="book_meeting", arguments={"start": SLOT.isoformat(), "attendee_email": "dana.r@lakeside.example"})
    booked.expect.contains_function_call(name="record_outcome")
    said = [e.item.text_content for e in booked.events if e.type == "message"]
    assert any("the invitation is on its way to dana.r at lakeside dot example, that's d, a, n, a, dot, r" in s
               for s in said), said
    assert progress.meeting is not None and progress.meeting.start == SLOT and controls.hung_up
    assert progress.meeting.attendee_email == "dana.r@lakeside.example"
    assert progress.final_outcome().value == "meeting_booked"
