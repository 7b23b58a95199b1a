"""When the agent has pitched (domain.pitch): the introduction said to a person, in the script's words or close."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from application.call.brief import CallIdentity, build_brief
from domain.campaign import Campaign
from domain.contact import Contact
from domain.pitch import gives_pitch
from domain.script import default_script

CONTACT = Contact(id="c1", first_name="Dana", last_name="Reyes", phone="+15125550143",
                  practice="Lakeside Orthopedics")
BRIEF = build_brief(default_script(), CONTACT, Campaign(id="k1", contact_id="c1", rep_name="Jordan Lee"),
                    CallIdentity())
INTRODUCTION = BRIEF.lines["introduction"]


@given(st.text(max_size=80), st.text(max_size=80))
def test_the_introduction_with_anything_around_it_is_the_pitch(before, after):
    assert gives_pitch(f"{before} {INTRODUCTION} {after}", INTRODUCTION)


def test_a_paraphrase_that_keeps_the_facts_is_the_pitch():
    said = ("Thanks Dana. I'm calling because DocShield provides medical malpractice insurance built for "
            "independent practices. Would a 30-minute call with Jordan Lee to compare options be useful?")
    assert gives_pitch(said, INTRODUCTION)


def test_no_other_line_said_to_a_person_is_a_pitch():
    # The voicemail message is said to a box (the core never counts it); "who is this?" is answered with the offer.
    others = {k: v for k, v in BRIEF.lines.items() if k not in ("introduction", "voicemail", "objection:who_is_this")}
    assert others and not [k for k, line in others.items() if gives_pitch(line, INTRODUCTION)]
    assert gives_pitch(BRIEF.lines["objection:who_is_this"], INTRODUCTION)


def test_an_empty_introduction_is_never_pitched():
    assert not gives_pitch("anything at all", "")
