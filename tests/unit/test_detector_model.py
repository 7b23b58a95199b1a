"""The scripted text model of the answering-machine detector: the domain's greeting classifier answering the
detector's own request (its tools, its timers), so the harness times the product's detection on sound."""
from __future__ import annotations

import asyncio

import pytest
from livekit.agents.voice.amd.classifier import AMDCategory, _AMDClassifier

from simulator.audio.detector_model import MORE_WORDS_S, DetectorModel

BOTH = {"save_prediction", "postpone_termination"}


@pytest.mark.parametrize("greeting, label", [
    ("Hello, this is Lisa.", "human"),
    ("Coastal Gastro, Jenny speaking.", "human"),
    ("Hi, you've reached Oak Street Clinic. Please leave a message after the beep.", "machine-vm"),
    ("The mailbox is full and cannot accept any new messages.", "machine-unavailable"),
    ("The number you have dialed is not in service.", "machine-unavailable"),
    ("Thank you for calling Lakeside Orthopedics. For appointments press 1. For billing press 2.", "machine-ivr"),
    ("Please state your name and why you're calling.", "machine-ivr"),
])
def test_each_greeting_gets_the_label_the_detector_knows(greeting, label):
    assert DetectorModel.answer(greeting, BOTH) == ("save_prediction", {"label": label})


def test_words_that_decide_nothing_yet_ask_for_more_time_while_the_detector_allows_it():
    assert DetectorModel.answer("Thank you for calling Lakeside Orthopedics.", BOTH) == \
        ("postpone_termination", {"seconds": MORE_WORDS_S})
    # Its extensions used up, the detector offers only the verdict: the model says it cannot tell.
    assert DetectorModel.answer("Thank you for calling.", {"save_prediction"}) == \
        ("save_prediction", {"label": "uncertain"})


async def verdict_of(greeting: str, *, speech_s: float) -> AMDCategory:
    """livekit-agents' own classifier with this model, fed a greeting of `speech_s` seconds, then silence
    (its silence thresholds shrunk so the test is quick; the order of events is a live call's)."""
    classifier = _AMDClassifier(DetectorModel(), human_silence_threshold=0.05, machine_silence_threshold=0.05,
                                max_endpointing_delay=0.05, timeout=10.0, human_speech_threshold=1.0)
    verdicts: list = []
    classifier.on("amd_prediction", verdicts.append)
    classifier.start_detection_timer()
    classifier.start_listening()
    classifier.on_user_speech_started()
    await asyncio.sleep(speech_s)
    classifier.on_user_speech_ended(0.0)
    classifier.push_text(greeting)  # the recognizer's words come after the speech ended
    await asyncio.wait_for(classifier._verdict_ready.wait(), timeout=5)
    await classifier.close()
    assert len(verdicts) == 1
    return verdicts[0].category


async def test_the_detector_running_on_this_model_tells_a_person_from_a_voicemail_box():
    assert await verdict_of("Hello. Doctor Baker's office, this is John. How may I help you?", speech_s=1.2) \
        is AMDCategory.HUMAN
    assert await verdict_of("Hi, you've reached Oak Street Clinic. Please leave a message after the beep.",
                            speech_s=1.2) is AMDCategory.MACHINE_VM

