"""A voicemail box's clip is made once per process, and can be made ahead on another thread: the same clip."""
from __future__ import annotations

from simulator import line_audio
from simulator.line_audio import make_ahead, voicemail_audio


def test_a_clip_made_ahead_on_a_thread_is_the_clip_a_call_then_gets():
    line_audio._CLIPS.clear()
    thread = make_ahead([lambda: voicemail_audio("ahead:box", beep=True, greeting_s=0.5)])
    thread.join(timeout=60)
    ahead = voicemail_audio("ahead:box", beep=True, greeting_s=0.5)
    assert voicemail_audio("ahead:box", beep=True, greeting_s=0.5) is ahead  # made once
    line_audio._CLIPS.clear()
    again = voicemail_audio("ahead:box", beep=True, greeting_s=0.5)
    assert again is not ahead and again == ahead  # seeded: made again, the same audio
    assert voicemail_audio("ahead:box", beep=False, greeting_s=0.5).beep_start_s is None


def test_the_kept_clips_are_bounded():
    line_audio._CLIPS.clear()
    for n in range(line_audio.KEEP_CLIPS + 3):
        voicemail_audio(f"box{n}", beep=False, greeting_s=0.0, after_s=0.05)
    assert len(line_audio._CLIPS) == line_audio.KEEP_CLIPS


def test_speech_of_a_single_syllable_is_made_when_no_formant_is_near_a_harmonic():
    # Found by the beep detector's property test: a clip of one syllable (one set of formants) whose
    # harmonic lies far from all three formants gave that harmonic a number for a weight, not an array.
    import numpy as np

    from simulator.line_audio import speech_like

    for seed in range(60):
        x = speech_like(16000, 0.1, np.random.default_rng(seed), rms=0.1)
        assert x.shape == (1600,) and np.isfinite(x).all() and abs(np.sqrt(np.mean(x ** 2)) - 0.1) < 1e-9
