"""The rule-based coach: stages, missed disclosures, rule warnings, objections."""
from __future__ import annotations

import pytest

from domain.call_record import TranscriptLine
from domain.coaching import RuleBasedCoach, Stage
from domain.objections import objections_in

OPENING = TranscriptLine("agent", "Hi, this is Alex, an AI assistant calling for DocShield. This call is recorded.")


def lines(*pairs):
    return [TranscriptLine(s, t) for s, t in pairs]


@pytest.mark.parametrize("said, kind", [
    ("We already have a policy we're happy with.", "already_insured"),
    ("Just send me some information.", "send_information"),
    ("We're not interested.", "not_interested"),
    ("I'm too busy for this.", "too_busy"),
    ("How much does it cost?", "cost"),
    ("It's a bad time, I'm in a meeting.", "bad_time"),
    ("Who is this?", "who_is_this"),
])
def test_each_objection_kind_is_recognised_and_gets_its_handler(said, kind):
    assert kind in objections_in(said)
    guidance = RuleBasedCoach().review([OPENING, TranscriptLine("callee", said)])
    assert guidance.stage is Stage.OBJECTION and kind in guidance.next_move


def test_a_missing_disclosure_is_flagged():
    guidance = RuleBasedCoach().review(lines(("agent", "Hi, is Dana there?"), ("callee", "Speaking.")))
    assert any("AI assistant" in m for m in guidance.missed)
    assert any("recorded" in m for m in guidance.missed)


def test_a_price_quote_and_a_coverage_promise_are_warned_about():
    guidance = RuleBasedCoach().review([OPENING, TranscriptLine("agent", "It's only $99 a month and guaranteed."),
                                        TranscriptLine("callee", "Hm.")])
    assert any("quoted a price" in w for w in guidance.warnings)
    assert any("promised coverage" in w for w in guidance.warnings)


def test_being_asked_if_it_is_a_robot_calls_for_the_truth():
    guidance = RuleBasedCoach().review([OPENING, TranscriptLine("callee", "Wait, am I talking to a robot?")])
    assert "truthfully" in guidance.next_move and "AI" in guidance.next_move


def test_agreement_after_an_offer_of_times_means_book_it():
    guidance = RuleBasedCoach().review([OPENING, TranscriptLine("callee", "Go on."),
                                        TranscriptLine("agent", "Which of those times works best?"),
                                        TranscriptLine("callee", "Sure, Wednesday works.")])
    assert guidance.stage is Stage.SCHEDULING and "book" in guidance.next_move


def test_guidance_renders_as_an_instruction_block():
    guidance = RuleBasedCoach().review(lines(("agent", "Hello?"), ("callee", "How much is it?")))
    text = guidance.as_instructions()
    assert text.startswith("Coach (stage: objection)") and "You missed" in text
