"""Transcript redaction: what is removed, what is kept, and the ConductCall storage step that applies it."""
from __future__ import annotations

import json

import pytest

from domain.call_record import TranscriptLine
from domain.campaign import Campaign
from domain.outcomes import CallOutcome
from domain.transcript_redaction import (DATE_OF_BIRTH, EMAIL, NAME, PHONE, TranscriptRedactor,
                                         redaction_requested, transcript_to_store)
from tests.unit.test_conduct_call import CAMPAIGN_ID, CONTACT_ID, World, a_contact, command, result

REDACTOR = TranscriptRedactor.for_contact(a_contact())


@pytest.mark.parametrize("text, expected", [
    ("Is Dana Reyes available?", f"Is {NAME} available?"),
    ("Thanks, dana.", f"Thanks, {NAME}."),
    ("Hi, this is Amy at the front desk.", f"Hi, this is {NAME} at the front desk."),
    ("My name is Peter Novak.", f"My name is {NAME}."),
    ("You should talk to Dr. Patel about that.", f"You should talk to Dr. {NAME} about that."),
])
def test_names_are_replaced(text, expected):
    assert REDACTOR.text(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Call me on (512) 555-0143.", f"Call me on {PHONE}."),
    ("It's 512-555-0143 extension 4", f"It's {PHONE} extension 4"),
    ("my cell is +1 512 555 0143", f"my cell is {PHONE}"),
    ("London office: +44 20 7946 0958", f"London office: {PHONE}"),
    ("the direct line is 555-0143", f"the direct line is {PHONE}"),
    ("five one two, five five five, zero one four three", PHONE),
])
def test_phone_numbers_are_replaced(text, expected):
    assert REDACTOR.text(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("send it to dana.r+work@lakeside-ortho.example.com", f"send it to {EMAIL}"),
    ("it's dana at lakeside dot com", f"it's {EMAIL}"),
])
def test_emails_are_replaced(text, expected):
    assert REDACTOR.text(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("My date of birth is 03/04/1975.", f"My date of birth is {DATE_OF_BIRTH}."),
    ("DOB: 1975-03-04", f"DOB: {DATE_OF_BIRTH}"),
    ("I was born on March 4th, 1975", f"I was born on {DATE_OF_BIRTH}"),
    ("born in 1962", f"born in {DATE_OF_BIRTH}"),
    ("my birthday is 4 March", f"my birthday is {DATE_OF_BIRTH}"),
    ("the patient, 12 June 1948, was fine", f"the patient, {DATE_OF_BIRTH}, was fine"),
])
def test_dates_of_birth_are_replaced(text, expected):
    assert REDACTOR.text(text) == expected


@pytest.mark.parametrize("text", [
    "Would Wednesday March 11 at 10:30 work?",
    "I have you down for 2026-03-11 at 2 pm.",
    "This is Monday, right?",
    "I'm Busy until three.",
    "We have 12 physicians and 3 locations.",
    "Malpractice premiums went up 14 percent in 2024.",
    "Press 4 for the office manager.",
])
def test_ordinary_call_talk_is_kept(text):
    assert REDACTOR.text(text) == text


def test_lines_keep_speaker_and_time():
    line = TranscriptLine("callee", "Dana speaking", at=None)
    assert REDACTOR.lines([line]) == [TranscriptLine("callee", f"{NAME} speaking", at=None)]


def test_names_must_be_a_sequence_and_text_a_string():
    with pytest.raises(TypeError, match="sequence"):
        TranscriptRedactor(names="Dana")
    with pytest.raises(TypeError, match="string"):
        REDACTOR.text(None)


@pytest.mark.parametrize("value, wanted", [
    (None, False), (False, False), ("false", False), ("no", False), (0, False),
    (True, True), ("true", True), ("yes", True), (1, True), ("sometimes", True),
])
def test_the_campaign_setting(value, wanted):
    settings = {} if value is None else {"redact_transcripts": value}
    assert redaction_requested(Campaign(id=CAMPAIGN_ID, contact_id=CONTACT_ID, settings=settings)) is wanted


def test_without_the_setting_the_transcript_is_stored_as_spoken():
    lines = [TranscriptLine("callee", "This is Dana, 512-555-0143")]
    campaign = Campaign(id=CAMPAIGN_ID, contact_id=CONTACT_ID)
    assert transcript_to_store(lines, campaign, a_contact()) is lines


SPOKEN = [
    TranscriptLine("agent", "Hi, may I speak with Dana Reyes?"),
    TranscriptLine("callee", "Speaking. Send it to dana@lakeside.example or call 512-555-0143."),
]


@pytest.mark.parametrize("redact", [True, False])
async def test_conduct_call_stores_the_transcript_redacted_when_the_campaign_says_so(redact):
    campaign = Campaign(id=CAMPAIGN_ID, contact_id=CONTACT_ID, settings={"redact_transcripts": redact})
    world = World(result(CallOutcome.DECLINED, reached_human=True, transcript=SPOKEN), campaign=campaign)
    job = await world.use_case()(command())
    record = await world.records.get(job.call_id)
    stored = json.loads(world.artifacts.objects[record.transcript_key])
    texts = " ".join(line["text"] for line in stored["transcript"])
    personal = ("Dana", "Reyes", "dana@lakeside.example", "512-555-0143")
    if redact:
        assert not [p for p in personal if p in texts]
        assert NAME in texts and EMAIL in texts and PHONE in texts
    else:
        assert all(p in texts for p in personal)
