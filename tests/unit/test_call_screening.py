"""Call screeners: one short introduction, then the call goes on, goes to voicemail, or ends as no_answer."""
from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.call_screening import ScreeningStep, ScreeningWatch, missing_from_introduction, screener_reply
from domain.outcomes import CallOutcome
from domain.voicemail_detector import classify_greeting

words = st.text(alphabet=string.ascii_letters, min_size=2, max_size=12)


@settings(max_examples=80, deadline=None)
@given(agent=words, company=words, first=words, last=words)
def test_the_reply_gives_name_ai_company_whom_and_why_in_one_short_turn(agent, company, first, last):
    reply = screener_reply(agent_name=agent, company=company, contact_name=f"{first} {last}")
    assert agent in reply and company in reply and f"{first} {last}" in reply
    assert "AI assistant" in reply and "malpractice" in reply
    assert missing_from_introduction(reply) == []
    assert reply.count(".") == 1 and len(reply.split()) <= 30


@pytest.mark.parametrize("said, missing", [
    ("Hello?", ["name", "company", "reason"]),
    ("This is Alex.", ["company", "reason"]),
    ("This is Alex from DocShield.", ["reason"]),
    ("This is Alex from DocShield, calling about coverage.", []),
])
def test_the_screener_passes_the_call_only_with_name_company_and_reason(said, missing):
    assert missing_from_introduction(said) == missing


def test_reply_refuses_empty_fields():
    with pytest.raises(ValueError):
        screener_reply(agent_name=" ", company="DocShield", contact_name="Dana Reyes")


def test_a_person_picking_up_after_the_introduction_continues_the_call():
    watch = ScreeningWatch()
    watch.answered(5.0)
    assert watch.tick(10.0).step is ScreeningStep.WAIT
    decision = watch.heard(classify_greeting("Hello, this is Dana."), 12.0)
    assert decision.step is ScreeningStep.TALK and decision.outcome is None


def test_nobody_picking_up_ends_as_no_answer():
    watch = ScreeningWatch(silence_s=20)
    watch.answered(5.0)
    assert watch.tick(24.9).step is ScreeningStep.WAIT
    decision = watch.tick(25.0)
    assert decision.step is ScreeningStep.END and decision.outcome is CallOutcome.NO_ANSWER


def test_sent_to_voicemail_waits_for_the_beep_and_a_full_mailbox_ends():
    watch = ScreeningWatch()
    assert watch.heard(classify_greeting("Please leave a message after the tone."), 8.0).step \
        is ScreeningStep.WAIT_FOR_BEEP
    ended = watch.heard(classify_greeting("The mailbox is full. Goodbye."), 9.0)
    assert ended.step is ScreeningStep.END and ended.outcome is CallOutcome.NO_ANSWER


def test_a_screener_asking_again_gets_one_more_answer_then_the_call_ends():
    watch = ScreeningWatch(max_answers=2)
    again = classify_greeting("Please state your name and reason for calling.")
    assert watch.heard(again, 8.0).step is ScreeningStep.ANSWER_AGAIN
    last = watch.heard(again, 15.0)
    assert last.step is ScreeningStep.END and last.outcome is CallOutcome.NO_ANSWER
