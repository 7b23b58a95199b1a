"""Leaving a voicemail: timing after the beep or the greeting, and message length."""
import pytest

from domain.beep_detector import BeepEvent
from domain.outcomes import CallOutcome
from domain.voicemail import (
    VoicemailTiming, VoicemailStep, VoicemailTooLong, estimate_seconds, prepare_message,
)


def test_speaks_only_after_the_beep():
    timing = VoicemailTiming()
    timing.greeting("Hi, you've reached Dana. Leave a message after the tone.", at_s=0.5)
    assert timing.tick(2.5, speech_active=True).step is VoicemailStep.WAIT
    assert timing.tick(3.0).step is VoicemailStep.WAIT
    timing.beep(BeepEvent(start_s=3.1, end_s=3.6, frequency_hz=1000.0))
    assert timing.tick(3.65).step is VoicemailStep.WAIT  # guard after the beep
    decision = timing.tick(3.85)
    assert decision.step is VoicemailStep.SPEAK
    assert timing.spoke_after_beep is True


def test_without_a_beep_speaks_after_the_greeting_ends():
    timing = VoicemailTiming(silence_s=1.2)
    timing.greeting("Hi, this is Dana, I can't take your call.", at_s=0.5)
    timing.tick(2.0, speech_active=True)
    assert timing.tick(2.8).step is VoicemailStep.WAIT
    assert timing.tick(3.3).step is VoicemailStep.SPEAK
    assert timing.spoke_after_beep is False


def test_a_greeting_that_promised_a_tone_waits_longer_for_it():
    timing = VoicemailTiming(silence_s=1.0, beep_grace_s=2.0)
    timing.greeting("Please leave a message after the tone.", at_s=1.0)
    timing.tick(2.0, speech_active=True)
    assert timing.tick(3.5).step is VoicemailStep.WAIT
    assert timing.tick(5.1).step is VoicemailStep.SPEAK


def test_a_tone_inside_a_greeting_that_goes_on_is_not_the_beep():
    timing = VoicemailTiming()
    timing.greeting("You've reached", at_s=0.2)
    timing.beep(BeepEvent(start_s=0.4, end_s=0.7, frequency_hz=800.0))
    assert timing.tick(0.8, speech_active=True).step is VoicemailStep.WAIT
    assert timing.tick(1.5, speech_active=True).step is VoicemailStep.WAIT


def test_full_mailbox_hangs_up_as_no_answer_without_a_message():
    timing = VoicemailTiming()
    decision = timing.greeting("The mailbox is full and cannot accept any messages.", at_s=0.5)
    assert decision.step is VoicemailStep.HANG_UP and decision.outcome is CallOutcome.NO_ANSWER
    timing.beep(BeepEvent(1.0, 1.5, 1000.0))
    assert timing.tick(3.0).step is VoicemailStep.HANG_UP


def test_endless_greeting_gives_up():
    timing = VoicemailTiming(max_wait_s=20)
    timing.greeting("Thank you for calling", at_s=0.0)
    decision = timing.tick(21.0, speech_active=True)
    assert decision.step is VoicemailStep.HANG_UP and decision.outcome is CallOutcome.NO_ANSWER


def test_estimate_uses_a_normal_speaking_rate():
    assert estimate_seconds(" ".join(["word"] * 150)) == pytest.approx(60.0)
    assert estimate_seconds("One two. Three four.") == pytest.approx(4 * 0.4 + 0.3)


def test_short_message_passes_unchanged():
    message = prepare_message("Hi Dana, this is Alex from DocShield. Please call me back at 512 555 0100.")
    assert message.seconds < 30 and not message.trimmed


def test_long_message_is_refused_with_a_clear_error():
    script = "This sentence has exactly eight words in it. " * 10  # 80 words, about 35 s
    with pytest.raises(VoicemailTooLong, match=r"about 3\d\.\d s .* limit is 30 s: cut about \d+ words"):
        prepare_message(script)


def test_long_message_is_trimmed_to_whole_sentences_when_asked():
    script = "This sentence has exactly eight words in it. " * 10
    message = prepare_message(script, trim=True)
    assert message.trimmed and message.seconds < 30
    assert message.text.endswith(".") and message.text.count(".") == 8


def test_a_first_sentence_too_long_cannot_be_trimmed():
    with pytest.raises(VoicemailTooLong):
        prepare_message(" ".join(["word"] * 90) + ".", trim=True)


def test_empty_message_is_an_error():
    with pytest.raises(ValueError, match="empty"):
        prepare_message("   ")
