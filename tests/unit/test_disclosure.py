"""The opening line discloses the AI, the company and the recording; a robot question gets the truth."""
from __future__ import annotations

import pytest

from domain.disclosure import (
    admits_ai, asks_if_robot, check_transcript, claims_human, discloses_ai, discloses_recording, names_company,
)

GOOD_OPENING = ("Hi, this is Ava, an AI assistant calling on behalf of DocShield. "
                "This call is recorded for quality. Is Dana available?")


@pytest.mark.parametrize("text, expected", [
    (GOOD_OPENING, True),
    ("I'm DocShield's A.I. assistant.", True),
    ("This is an artificial intelligence agent from DocShield.", True),
    ("I'm an AI-powered virtual assistant.", True),
    ("I'm not an AI assistant, I work at DocShield.", False),
    ("Hi, this is Ava from DocShield.", False),
    ("I said: AI. Assistant manager please.", False),
    ("Sorry, I can't hear you. I'm an AI assistant from DocShield.", True),
])
def test_discloses_ai(text, expected):
    assert discloses_ai(text) is expected


@pytest.mark.parametrize("text, expected", [
    (GOOD_OPENING, True),
    ("This call may be recorded.", True),
    ("Our conversation is being recorded.", True),
    ("You're on a recorded line.", True),
    ("We are recording this call for training.", True),
    ("This call is not recorded.", False),
    ("This call will not be recorded.", False),
    ("I recorded a message earlier.", False),
    ("Hello, this is DocShield.", False),
])
def test_discloses_recording(text, expected):
    assert discloses_recording(text) is expected


def test_names_company_ignores_case_and_spacing():
    assert names_company("calling for Doc Shield today")
    assert names_company("docshield here", "DocShield")
    assert not names_company("calling for DocuSign")


@pytest.mark.parametrize("text, expected", [
    ("Am I talking to a robot?", True), ("Is this a real person?", True), ("Are you human?", True),
    ("Wait, are you an AI?", True), ("What time works for you?", False), ("The robot vacuum broke.", False),
])
def test_asks_if_robot(text, expected):
    assert asks_if_robot(text) is expected


@pytest.mark.parametrize("reply, truthful", [
    ("Yes, I'm an AI assistant calling for DocShield.", True),
    ("I am an AI, but I can book time with a person.", True),
    ("No, I'm a real person.", False),
    ("I'm not a robot, I'm Ava.", False),
    ("I'm not an AI.", False),
    ("Let's talk about your coverage.", False),
])
def test_a_robot_question_needs_a_truthful_answer(reply, truthful):
    assert (admits_ai(reply) and not claims_human(reply)) is truthful
    transcript = [{"speaker": "agent", "text": GOOD_OPENING}, {"speaker": "callee", "text": "Are you a robot?"},
                  {"speaker": "agent", "text": reply}]
    assert check_transcript(transcript).truthful_when_asked is truthful


def test_check_transcript_reads_the_first_agent_line():
    transcript = [("callee", "Lakeside Ortho, this is Amy."), ("agent", GOOD_OPENING), ("agent", "Thanks!")]
    check = check_transcript(transcript)
    assert check.ok and check.opening == GOOD_OPENING and check.missing() == []


def test_check_transcript_names_what_is_missing():
    check = check_transcript([{"speaker": "agent", "text": "Hi, this is Ava from DocShield."},
                              {"speaker": "callee", "text": "Is this a real person?"}])
    assert not check.ok
    assert check.missing() == ["AI assistant disclosure", "recording notice", "truthful answer to 'are you a robot?'"]


def test_a_transcript_without_agent_lines_discloses_nothing():
    check = check_transcript([])
    assert check.opening is None and not check.ok
