"""The phone-tree fast path: acts on the navigator's clear decisions at once, holds back otherwise."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from application.call.progress import CallProgress
from application.call.phone_tree import PhoneTreeFastPath, menu_policy
from domain.contact import Contact
from domain.menu_navigator import NavAction, NavDecision
from tests.fakes.call_controls import FakeCallControls

CONTACT = Contact(id="c1", first_name="Dana", last_name="Reyes", phone="+15125550143", practice="Lakeside",
                  title="Practice Administrator")


class Agent:
    def __init__(self, log: list):
        self.log = log

    async def speak_to_menu(self, words: str) -> None:
        self.log.append(("say", words))

    async def note_menu_action(self, decision: NavDecision) -> None:
        self.log.append(("noted", decision.action.value, decision.digits or decision.say))


def make(settings=None, **options):
    log: list = []

    async def sleep(seconds: float) -> None:
        log.append(("pause", seconds))

    progress = CallProgress(started_at=datetime(2026, 3, 10, tzinfo=timezone.utc))
    fast = PhoneTreeFastPath.for_call(contact=CONTACT, campaign_settings=settings, controls=FakeCallControls(log),
                                      progress=progress, channel=Agent(log), sleep=sleep, **options)
    return fast, progress, log


async def test_presses_as_soon_as_the_best_option_is_heard_in_an_interim_transcript():
    fast, progress, log = make()
    assert await fast.hear("For billing press 2. For the office", final=False) is None
    acted = await fast.hear("For billing press 2. For the office manager press 4, for", final=False)
    assert acted is not None and acted.action is NavAction.PRESS and acted.digits == "4"
    assert log == [("dtmf", "4"), ("noted", "press", "4")]
    assert progress.digits == ["4"] and progress.heard_menu
    # The transcriber's final version of the same segment is not a new prompt.
    assert await fast.hear("For billing press 2. For the office manager press 4, for nurses press 5.",
                           final=True) is None
    assert log == [("dtmf", "4"), ("noted", "press", "4")]


async def test_waits_while_only_weaker_options_are_heard_then_takes_the_best_at_the_end_of_the_prompt():
    fast, progress, log = make()
    assert await fast.hear("For the pharmacy press 3.", final=True) is None
    assert await fast.hear("For all other inquiries press 9.", final=True) is None
    assert log == []
    acted = await fast.prompt_ended()
    assert acted.digits == "9" and progress.digits == ["9"]


async def test_an_interim_guess_leaves_no_trace_when_the_transcriber_revises_it():
    fast, _progress, log = make()
    await fast.hear("For the pharmacy press 3", final=False)
    await fast.hear("For the pharmacy press 3. For all other inquiries press 9.", final=True)
    assert (await fast.prompt_ended()).digits == "9"
    assert log[0] == ("dtmf", "9")


async def test_keys_of_one_decision_go_out_one_at_a_time_with_the_dtmf_pause():
    fast, progress, log = make({"menu_targets": {"extension": "204"}})
    acted = await fast.hear_prompt("If you know your party's extension, dial it now. For billing press 2.")
    assert acted.digits == "204"
    assert log[:5] == [("dtmf", "2"), ("pause", 0.3), ("dtmf", "0"), ("pause", 0.3), ("dtmf", "4")]
    assert progress.digits == ["2", "0", "4"]


async def test_holds_back_when_the_only_choice_is_a_line_to_avoid():
    fast, progress, log = make()
    assert await fast.hear_prompt("Welcome. For prescription refills press 1.") is None
    assert log == [] and progress.digits == []
    assert fast.held is not None and fast.held.digits == "1"


async def test_a_campaign_can_take_avoided_lines_or_change_the_targets():
    fast, _progress, _log = make(take_avoided_lines=True)
    assert (await fast.hear_prompt("Welcome. For prescription refills press 1.")).digits == "1"
    fast, _progress, _log = make({"menu_targets": {"targets": [["credentialing"]]}})
    assert (await fast.hear_prompt("For the office manager press 1. For credentialing press 2.")).digits == "2"


async def test_the_contact_s_name_is_taken_at_once_over_weaker_lines():
    fast, _progress, _log = make()
    assert await fast.hear("For the front desk press 0.", final=True) is None
    acted = await fast.hear("To reach Reyes press 5.", final=True)
    assert acted.digits == "5"


async def test_a_speech_menu_gets_the_word_through_the_agent_channel():
    fast, progress, log = make()
    acted = await fast.hear_prompt("For scheduling press 1. For the operator, say operator.")
    assert acted.action is NavAction.SAY
    assert log == [("say", "operator"), ("noted", "say", "operator")] and progress.digits == []


async def test_stay_on_the_line_is_told_to_the_agent_without_keys():
    fast, _progress, log = make()
    acted = await fast.hear_prompt("For billing press 2. To speak with the office manager, stay on the line.")
    assert acted.action is NavAction.STAY_ON_LINE
    assert log == [("noted", "stay_on_line", "")]


async def test_a_dead_end_backs_out_with_zero_and_the_same_menu_never_gets_the_same_key_twice():
    fast, progress, _log = make()
    menu = "For the office manager press 4. For billing press 2. For all other questions press 5."
    assert (await fast.hear_prompt(menu)).digits == "4"
    back = await fast.dead_end()
    assert back.action is NavAction.BACK_OUT and back.digits == "0"
    fast.new_prompt()
    assert (await fast.hear_prompt(menu)).digits == "5"
    assert progress.digits == ["4", "0", "5"]


async def test_consulting_neither_acts_nor_changes_what_the_fast_path_will_do():
    fast, progress, log = make()
    menu = "For billing press 2. For the office manager press 4."
    assert fast.consult(menu).digits == "4"
    assert log == [] and progress.digits == []
    assert (await fast.hear_prompt(menu)).digits == "4"


async def test_bad_input_is_refused_by_name():
    fast, _progress, _log = make()
    with pytest.raises(TypeError, match="transcript text"):
        await fast.hear(None, final=True)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="digit_pause_s"):
        make(digit_pause_s=-1)
    with pytest.raises(ValueError, match="unknown menu target setting"):
        menu_policy({"menu_targets": {"prefered": ["x"]}}, CONTACT)


async def test_the_model_does_not_answer_a_prompt_the_fast_path_already_answered():
    # On sound the fast path acts on the streamed words; the callee's turn is committed afterwards and the
    # model would press the same key again (seen in the audio harness: digits 4, 4).
    from livekit.agents import StopResponse

    from infrastructure.sales_agent import SalesAgent

    fast, _progress, _log = make()
    agent = SalesAgent.__new__(SalesAgent)
    agent.fast_path = fast
    await agent.on_user_turn_completed(None, None)  # nothing acted: the model answers
    await fast.hear("For billing press 2. For the office manager press 4.", final=True)
    with pytest.raises(StopResponse):
        await agent.on_user_turn_completed(None, None)
    await agent.on_user_turn_completed(None, None)  # once only: the next prompt is the model's again


async def test_a_new_prompt_forgets_that_the_last_one_was_answered():
    fast, _progress, _log = make()
    await fast.hear("For the office manager press 4.", final=True)
    fast.new_prompt()
    assert fast.take_answered_prompt() is False


async def test_a_known_extension_is_dialed_when_the_menu_offers_extensions_and_only_once():
    from dataclasses import replace

    from domain.front_desk import FrontDeskDetails

    log: list = []

    async def sleep(seconds: float) -> None:
        log.append(("pause", seconds))

    progress = CallProgress(started_at=datetime(2026, 3, 10, tzinfo=timezone.utc))
    contact = replace(CONTACT, known=FrontDeskDetails(extension="214"))
    fast = PhoneTreeFastPath.for_call(contact=contact, campaign_settings=None, controls=FakeCallControls(log),
                                      progress=progress, channel=Agent(log), sleep=sleep)
    acted = await fast.hear_prompt("Thank you for calling. If you know your party's extension, dial it now. "
                                   "For appointments press 1.")
    assert acted.digits == "214" and progress.digits == ["2", "1", "4"]
    assert [e for e in log if e[0] == "dtmf"] == [("dtmf", "2"), ("dtmf", "1"), ("dtmf", "4")]
    fast.new_prompt()
    again = await fast.hear_prompt("If you know your party's extension, dial it now. For the office manager press 4.")
    assert again.digits == "4"  # the extension was tried; the menu's own choice follows


async def test_without_a_known_extension_the_extension_prompt_is_only_a_menu():
    fast, progress, log = make()
    acted = await fast.hear_prompt("If you know your party's extension, dial it now. For the office manager press 4.")
    assert acted.digits == "4"


# -- issue 13: the same domain rules decide on the live fast path ----------------------------------------------

async def test_a_yes_no_question_is_answered_by_its_meaning_not_by_the_first_key():
    fast, progress, log = make()
    acted = await fast.hear_prompt("Are you a healthcare provider? Press 1 for yes, press 2 for no.")
    assert acted is not None and acted.digits == "2"
    assert progress.digits == ["2"]


async def test_a_question_asking_for_a_person_is_answered_yes():
    fast, progress, _log = make()
    acted = await fast.hear_prompt("Would you like to speak with a representative? For yes press 3. For no press 4.")
    assert acted is not None and acted.digits == "3"


async def test_continue_without_is_taken_over_entering_a_date_of_birth():
    fast, progress, _log = make()
    acted = await fast.hear_prompt("Press 1 to enter a date of birth. To continue without, press pound.")
    assert acted is not None and acted.digits == "#"


async def test_a_data_entry_prompt_is_never_answered_then_left_with_an_unoffered_key_and_a_reason():
    fast, progress, log = make()
    assert await fast.hear_prompt("Please enter the patient's date of birth.") is None
    assert log == [] and progress.digits == []
    fast.new_prompt()
    acted = await fast.hear_prompt("Please enter the patient's date of birth.")
    assert acted is not None and acted.action is NavAction.BACK_OUT and acted.digits == "0"
    assert "not offered" in acted.reason
    assert ("noted", "back_out", "0") in log


async def test_equally_good_options_are_not_chosen_by_their_order():
    fast, progress, log = make()
    assert await fast.hear_prompt("For the north clinic press 1. For the south clinic press 2.") is None
    assert progress.digits == [] and log == []


async def test_an_urgent_line_is_never_pressed_even_when_it_is_the_only_one():
    fast, progress, log = make(take_avoided_lines=True)
    await fast.hear_prompt("If this is urgent and you'd like to page the on-call provider, press 2.")
    assert "2" not in progress.digits


async def test_an_unoffered_key_is_written_in_the_calls_transcript_with_the_reason():
    fast, progress, _log = make()
    await fast.hear_prompt("Please enter the patient's date of birth.")
    fast.new_prompt()
    await fast.hear_prompt("Please enter the patient's date of birth.")
    notes = [line.text for line in progress.transcript if line.speaker == "system"]
    assert len(notes) == 1 and "pressed 0, which the menu did not offer" in notes[0] and "data-entry" in notes[0]


async def test_an_open_speech_prompt_is_answered_on_the_live_fast_path_by_saying_whom_the_call_is_for():
    fast, progress, log = make()
    assert await fast.hear("Thank you for calling Lakeside. Please tell me briefly", final=False) is None
    assert log == []  # nothing said while the prompt may go on
    acted = await fast.hear_prompt("Thank you for calling Lakeside. Please tell me briefly the reason for your call.")
    assert acted is not None and acted.action is NavAction.SAY and acted.say == "office manager"
    assert ("say", "office manager") in log and progress.digits == []


async def test_tied_options_on_the_fast_path_wait_once_then_take_a_key_that_does_not_depend_on_their_order():
    chosen = set()
    for menu in ("For the front desk press 2. For the front desk press 5.",
                 "For the front desk press 5. For the front desk press 2."):
        fast, progress, log = make()
        assert await fast.hear_prompt(menu) is None and progress.digits == []
        fast.new_prompt()
        acted = await fast.hear_prompt(menu)
        chosen.add(acted.digits if acted is not None else None)
        assert acted is not None and progress.digits == [acted.digits] and acted.digits in ("2", "5")
    assert len(chosen) == 1
