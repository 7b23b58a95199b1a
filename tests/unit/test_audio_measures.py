"""The measures of a call on sound, read off a line's timeline (no engines needed)."""
from __future__ import annotations

from simulator.audio.line import Stretch
from simulator.audio.measures import measure, talked_over_the_box


BOX = {"answerer": "voicemail", "rule": "machine-vm", "source": "amd"}
PERSON = {"answerer": "human", "rule": "human", "source": "amd"}


def clip(start: float, end: float, *, beep_end: float | None, sound: float) -> Stretch:
    return Stretch("callee", "tones", start, end, machine=True, beep_end_s=beep_end, sound_s=sound)


def test_a_message_in_the_quiet_after_the_beep_is_not_talking_over_the_box():
    timeline = [Stretch("callee", "speech", 0.0, 4.0, "Please leave a message after the beep.", machine=True),
                clip(4.2, 8.0, beep_end=2.3, sound=2.3), Stretch("agent", "speech", 6.8, 14.0)]
    m = measure(timeline, [], [(5.0, BOX)])
    assert m.overlap_machine_s == 0.0 and m.voicemail_after_beep_s == round(6.8 - 6.5, 3)
    assert not talked_over_the_box(m.as_json())


def test_a_message_before_the_beep_is():
    timeline = [Stretch("callee", "speech", 0.0, 4.0, "Leave a message after the beep.", machine=True),
                clip(4.2, 8.0, beep_end=2.3, sound=2.3), Stretch("agent", "speech", 5.0, 12.0)]
    m = measure(timeline, [], [(4.5, BOX)])
    assert m.overlap_machine_s == round(6.5 - 5.0, 3) and m.voicemail_after_beep_s < 0
    assert talked_over_the_box(m.as_json())


def test_response_time_runs_from_the_end_of_the_callees_words_to_the_agents_first_audio():
    timeline = [Stretch("callee", "speech", 0.0, 1.2, "This is Dana."), Stretch("agent", "speech", 2.3, 6.0),
                Stretch("callee", "speech", 7.0, 8.0, "Speaking."), Stretch("agent", "speech", 9.5, 12.0)]
    m = measure(timeline, [], [(1.5, PERSON)])
    assert m.response_s == [1.1, 1.5] and m.response_median_s == 1.3 and m.verdict_s == 1.5


def test_an_interruption_is_the_callee_starting_inside_an_agent_line_that_was_cut():
    cut = Stretch("agent", "speech", 2.0, 5.6, cut_at_s=5.6)
    timeline = [Stretch("callee", "speech", 0.0, 1.0, "This is Ivy."), cut,
                Stretch("callee", "speech", 5.0, 7.0, "We already have insurance.")]
    assert measure(timeline, [], []).interruptions == [{"callee_started_s": 5.0, "agent_stopped_after_s": 0.6}]


def test_the_key_is_timed_from_the_end_of_the_option_that_leads_to_it():
    text = "For appointments press 1. For billing press 2. For the office manager press 4."
    timeline = [Stretch("callee", "speech", 0.0, 8.0, text, machine=True)]
    m = measure(timeline, [(9.0, "4")], [])
    assert m.key_after_option_s == [1.0]  # the last option ends with the prompt


def test_the_verdict_time_skips_an_uncertain_detector_and_says_whose_verdict_counted():
    timeline = [Stretch("callee", "speech", 0.5, 7.0, "You have reached the voicemail of Pine Ridge.", machine=True)]
    verdicts = [(6.5, {"answerer": "uncertain", "rule": "uncertain", "source": "amd", "reason": "detection_timeout"}),
                (8.0, {"answerer": "voicemail", "rule": "voicemail_cue", "source": "words"})]
    m = measure(timeline, [], verdicts)
    assert (m.verdict_s, m.verdict_by, m.detector, m.detector_reason) == (7.5, "words", "uncertain", "detection_timeout")
    assert measure(timeline, [], []).verdict_s is None
