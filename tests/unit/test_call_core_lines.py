"""Issue 13 in the call core (the one path live and simulated calls share): screeners, intercepts,
other-language greetings and data-entry prompts, fed as a shell feeds them."""
from __future__ import annotations

import pytest

from application.call.core import SCREENER_INSTRUCTIONS, HangUp, Reply, screener_line
from domain.call_screening import missing_from_introduction
from domain.outcomes import CallOutcome
from domain.voicemail_detector import Answerer
from tests.unit.test_call_core import a_core

SCREENER = "Hi, the person you're calling is using a screening service. Go ahead and say your name and why you're calling."
SILENCE = b"\x00\x00" * 320  # 20 ms of silence at 16 kHz


def test_a_screener_gets_one_short_turn_with_name_ai_company_whom_and_why():
    core, controls, *_ = a_core()
    core.answered()
    action = core.callee_said(SCREENER)
    assert isinstance(action, Reply) and action.instructions.startswith(SCREENER_INSTRUCTIONS)
    line = screener_line(action.instructions)
    assert line is not None and "Alex" in line and "AI assistant" in line and "DocShield" in line
    assert "Dana Reyes" in line and missing_from_introduction(line) == []
    assert core.party is Answerer.SCREENING and not core.progress.reached_human and controls.pressed == []


async def test_the_call_goes_on_when_a_person_picks_up_after_the_screener():
    core, *_ = a_core()
    core.answered()
    core.callee_said(SCREENER)
    core.agent_said(screener_line(core._answer_screener().instructions))
    assert core.callee_said("Hello, this is Dana.") is None  # the model greets the person
    assert core.party is Answerer.HUMAN and core.progress.reached_human


async def test_nobody_picking_up_after_the_screener_ends_as_no_answer():
    core, _controls, _dnc, clock, _agent = a_core()
    core.answered()
    core.callee_said(SCREENER)
    clock.advance(seconds=20)
    assert core.line_audio(SILENCE) is None
    clock.advance(seconds=6)
    action = core.line_audio(SILENCE)
    assert isinstance(action, HangUp)
    result = await core.finish()
    assert result.outcome is CallOutcome.NO_ANSWER and not result.reached_human and not result.voicemail_left


def test_a_screener_that_sends_the_call_to_voicemail_waits_for_the_beep():
    core, *_ = a_core()
    core.callee_said(SCREENER)
    assert core.callee_said("Please leave a message after the tone.") is None
    assert core.party is Answerer.VOICEMAIL and core.voicemail is not None


async def test_a_screener_asking_again_gets_one_more_answer_then_the_call_ends():
    core, *_ = a_core()
    core.callee_said(SCREENER)
    again = core.callee_said("Sorry, please state your name and the reason for your call.")
    assert isinstance(again, Reply) and again.instructions.startswith(SCREENER_INSTRUCTIONS)
    last = core.callee_said("Please state your name and the reason for your call.")
    assert isinstance(last, HangUp)
    assert (await core.finish()).outcome is CallOutcome.NO_ANSWER


@pytest.mark.parametrize("words, outcome", [
    ("The number you've called is disconnected.", CallOutcome.WRONG_NUMBER),
    ("We're sorry, you have reached a number that has been disconnected or is no longer in service.",
     CallOutcome.WRONG_NUMBER),
    ("The number you have reached has been changed to a non-published number.", CallOutcome.WRONG_NUMBER),
    ("All circuits are busy now, please try your call again.", CallOutcome.BUSY),
    ("The wireless customer you are calling is not available. Please try your call again later.",
     CallOutcome.NO_ANSWER),
    ("This mailbox is not currently accepting messages.", CallOutcome.NO_ANSWER),
    ("The voice mail belonging to Dana Reyes is full.", CallOutcome.NO_ANSWER),
])
async def test_intercepts_and_mailboxes_that_take_no_message_end_the_call_without_a_word(words, outcome):
    core, controls, *_ = a_core()
    core.answered()
    assert isinstance(core.callee_said(words), HangUp)
    result = await core.finish()
    assert result.outcome is outcome and not result.voicemail_left and controls.pressed == []


def test_a_spanish_greeting_is_a_machine_and_the_message_waits_for_the_beep():
    core, *_ = a_core()
    assert core.callee_said("Hola, en este momento no podemos atender su llamada. Deje su mensaje después del "
                            "tono.") is None
    assert core.party is Answerer.VOICEMAIL and core.voicemail is not None and not core.progress.reached_human


async def test_a_data_entry_prompt_is_never_answered_by_keys_or_words():
    core, controls, *_ = a_core()
    assert core.callee_said("Please enter the patient's date of birth.") is None
    assert await core.hear_prompt("Please enter the patient's date of birth.") is False
    assert controls.pressed == [] and core.party is not Answerer.HUMAN


async def test_a_yes_no_question_is_pressed_by_meaning_on_the_live_fast_path():
    core, controls, *_ = a_core()
    core.callee_said("Are you a healthcare provider? Press 1 for yes, press 2 for no.")
    assert await core.hear_prompt("Are you a healthcare provider? Press 1 for yes, press 2 for no.")
    assert controls.pressed == ["2"]


async def test_an_open_speech_prompt_is_a_machine_and_the_fast_path_says_whom_the_call_is_for():
    core, controls, _dnc, _clock, agent = a_core()
    spoken: list[str] = []

    async def speak_to_menu(words):
        spoken.append(words)
    agent.speak_to_menu = speak_to_menu
    prompt = "Thanks for calling Lakeside Family Medicine. In a few words, what are you calling about?"
    assert core.callee_said(prompt) is None
    assert core.party is Answerer.IVR and not core.progress.reached_human  # no pitch to the machine
    assert await core.hear_prompt(prompt)
    assert spoken == ["office manager"] and controls.pressed == []
