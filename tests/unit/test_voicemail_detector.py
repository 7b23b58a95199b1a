"""Greeting classification from the first words."""
import pytest
from hypothesis import given, settings, strategies as st

from domain.outcomes import CallOutcome
from domain.voicemail_detector import Answerer, classify_greeting, names_in


@pytest.mark.parametrize("text", [
    "Hello?", "Lakeside Ortho, this is Amy.", "Good morning, Bright Start Pediatrics, how can I help you?",
    "Dana speaking.", "Front desk.", "Hi there, may I ask who's calling?", "Yes?",
    # Someone put through by the front desk answering to their name (issue 14).
    "Speaking.", "Yes, that's me.", "This is he.",
])
def test_short_live_answers_are_human(text):
    assert classify_greeting(text).answerer is Answerer.HUMAN


@pytest.mark.parametrize("text", [
    "Hi, this is Dana. Leave a message.",
    "Hi, you've reached Mike.",
    "Please leave a message.",
    "Hey, it's Carla, I can't come to the phone right now.",
    "At the tone, please record your message.",
    "The person you are calling is not available. Please leave a message after the tone.",
])
def test_short_voicemail_greetings_are_not_taken_for_a_person(text):
    verdict = classify_greeting(text)
    assert verdict.answerer is Answerer.VOICEMAIL
    assert verdict.cue and verdict.cue in text.lower()


def test_machine_cue_wins_over_a_human_sounding_start():
    assert classify_greeting("Hi, this is Dana").answerer is Answerer.HUMAN
    assert classify_greeting("Hi, this is Dana, I'm away from my desk").answerer is Answerer.VOICEMAIL


@pytest.mark.parametrize("text", [
    "The mailbox is full and cannot accept any messages at this time. Goodbye.",
    "The person you are trying to reach has a voice mailbox that has not been set up yet.",
    "This mailbox is not set up.",
])
def test_full_or_unset_mailbox_ends_as_no_answer(text):
    verdict = classify_greeting(text)
    assert verdict.answerer is Answerer.MAILBOX_FULL
    assert verdict.final_outcome is CallOutcome.NO_ANSWER


@pytest.mark.parametrize("text, outcome", [
    ("The number you have dialed is not in service.", CallOutcome.WRONG_NUMBER),
    ("We're sorry, your call cannot be completed as dialed.", CallOutcome.WRONG_NUMBER),
    ("All circuits are busy now.", CallOutcome.BUSY),
    ("The wireless customer you are calling is not available.", CallOutcome.NO_ANSWER),
])
def test_carrier_messages(text, outcome):
    verdict = classify_greeting(text)
    assert verdict.answerer is Answerer.CARRIER
    assert verdict.final_outcome is outcome


@pytest.mark.parametrize("text", [
    "Thank you for calling Lakeside Orthopedics. For appointments press 1. For billing press 2.",
    "Please listen carefully as our menu options have changed.",
    "If you know your party's extension you may dial it at any time.",
])
def test_menus_are_ivr(text):
    assert classify_greeting(text).answerer is Answerer.IVR


def test_a_menu_offering_a_message_box_is_still_a_menu():
    text = "For appointments press 1. To leave a message for the nurse press 2. For billing press 3."
    assert classify_greeting(text).answerer is Answerer.IVR


def test_voicemail_with_one_key_instruction_is_still_voicemail():
    text = "Leave a message after the tone. When you are finished, press pound."
    assert classify_greeting(text).answerer is Answerer.VOICEMAIL


def test_call_screening():
    verdict = classify_greeting("Please state your name and reason for calling.")
    assert verdict.answerer is Answerer.SCREENING and verdict.is_machine


@pytest.mark.parametrize("text", ["", "Thank you for calling Lakeside Orthopedics.", "Dana Reyes."])
def test_no_cue_is_uncertain(text):
    verdict = classify_greeting(text)
    assert verdict.answerer is Answerer.UNCERTAIN
    assert verdict.final_outcome is None and not verdict.is_machine


def test_rejects_non_text():
    with pytest.raises(TypeError, match="greeting text"):
        classify_greeting(b"hello")


def test_only_a_verdict_naming_the_message_box_overrides_a_person_already_talking():
    from domain.voicemail_detector import names_the_message_box

    assert names_the_message_box(classify_greeting("Hi, this is Dana's voicemail. Please leave a message after the tone."))
    assert not names_the_message_box(classify_greeting("I'm sorry, she's not available right now."))
    assert not names_the_message_box(classify_greeting("For billing press 2."))


# -- names: words capitalized within a sentence ------------------------------------------------------------------

_lower = st.text(alphabet="abcdefghijklmnopqrstuvwxyzáéíñóú", min_size=1, max_size=8)
_sentence = st.lists(_lower, min_size=1, max_size=6).map(lambda ws: " ".join([ws[0].capitalize(), *ws[1:]]))


@settings(max_examples=80, deadline=None)
@given(sentences=st.lists(st.tuples(_sentence, st.sampled_from([".", "!", "?", ";", ":"]),
                                    st.sampled_from(["", "¿", "¡"])), min_size=1, max_size=4),
       name=_lower.filter(lambda w: w != "i").map(str.capitalize), where=st.integers(min_value=0))
def test_only_a_word_capitalized_within_a_sentence_is_a_name(sentences, name, where):
    text = " ".join(f"{opener}{words}{end}" for words, end, opener in sentences)
    assert names_in(text) == frozenset()  # each sentence's first word is capitalized as any first word is
    words = text.split(" ")
    at = 1 + where % len(words)  # after some word: never a sentence's first unless a mark ends the word before
    if words[at - 1][-1] in ".!?;:":
        return
    with_name = " ".join([*words[:at], name, *words[at:]])
    assert names_in(with_name) == {name.lower()}
    assert names_in(with_name.upper()) == frozenset()  # no lowercase letter: case tells nothing


def test_i_and_its_contractions_are_not_names():
    assert names_in("Sorry, I'm out and I can't take your call; I will call back.") == frozenset()
