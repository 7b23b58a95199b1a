"""Beep detection on generated audio: tones in noise, speech, music, ringback."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks import phone_audio as audio
from domain.beep_detector import BeepDetector, BeepEvent


def events(rate, samples, frame_s=0.02):
    det = BeepDetector(rate)
    pcm = audio.to_pcm(samples)
    step = int(rate * frame_s) * 2
    found = [e for i in range(0, len(pcm), step) if (e := det.feed(pcm[i:i + step]))]
    last = det.flush()
    return found + ([last] if last else [])


@pytest.mark.parametrize("rate", [8000, 16000, 48000])
@pytest.mark.parametrize("snr_db", [20, 10, 5])
def test_beep_after_greeting_in_noise_is_found(rate, snr_db):
    rng = np.random.default_rng(rate + snr_db)
    for freq, dur in ((440.0, 0.25), (1000.0, 0.6), (1900.0, 1.4)):
        x, start, end = audio.voicemail_clip(rate, rng, freq=freq, beep_s=dur, snr_db=snr_db)
        found = events(rate, x)
        assert len(found) == 1, (freq, dur, found)
        e = found[0]
        assert abs(e.frequency_hz - freq) < 0.03 * freq
        assert start - 0.1 < e.start_s < start + 0.1
        assert end - 0.1 < e.end_s < end + 0.15


def test_event_comes_when_the_tone_ends_not_before():
    rate = 8000
    det = BeepDetector(rate)
    x = np.concatenate((audio.tone(rate, 1000, 0.5), audio.silence(rate, 0.3)))
    pcm = audio.to_pcm(x)
    step = int(rate * 0.02) * 2
    first = None
    for i in range(0, len(pcm), step):
        if det.feed(pcm[i:i + step]) and first is None:
            first = i / 2 / rate
    assert first is not None and 0.5 <= first <= 0.7


def test_odd_sized_chunks_are_reassembled():
    rate = 16000
    x = np.concatenate((audio.silence(rate, 0.2), audio.tone(rate, 800, 0.4), audio.silence(rate, 0.3)))
    pcm = audio.to_pcm(x)
    det = BeepDetector(rate)
    found = [e for i in range(0, len(pcm), 333) if (e := det.feed(pcm[i:i + 333]))]
    assert len(found) == 1 and isinstance(found[0], BeepEvent)


@pytest.mark.parametrize("rate", [8000, 16000, 48000])
@pytest.mark.parametrize("kind", ["speech", "vowel", "music", "white", "pink"])
def test_no_beep_in_speech_music_or_noise(rate, kind):
    rng = np.random.default_rng(len(kind) * 7919 + rate)
    for _ in range(3):
        x = {
            "speech": lambda: audio.speech_like(rate, 2.0, rng),
            "vowel": lambda: audio.sustained_vowel(rate, 1.0, rng),
            "music": lambda: audio.music_like(rate, 2.0, rng),
            "white": lambda: audio.white_noise(rate, 1.5, rng),
            "pink": lambda: audio.pink_noise(rate, 1.5, rng),
        }[kind]()
        assert events(rate, x) == []


def test_ringback_dual_tone_is_not_a_beep():
    rate = 8000
    assert events(rate, audio.ringback(rate, 7.0)) == []


def test_too_short_and_too_long_tones_are_not_beeps():
    rate = 8000
    for seconds in (0.06, 3.0):
        x = np.concatenate((audio.tone(rate, 1000, seconds), audio.silence(rate, 0.3)))
        assert events(rate, x) == []


def test_tone_outside_the_band_is_not_a_beep():
    rate = 16000
    x = np.concatenate((audio.tone(rate, 3000, 0.5), audio.silence(rate, 0.3)))
    assert events(rate, x) == []


def test_silence_and_very_quiet_tone_do_not_fire():
    rate = 8000
    assert events(rate, audio.silence(rate, 1.0)) == []
    quiet = np.concatenate((audio.tone(rate, 1000, 0.5, amplitude=0.0005), audio.silence(rate, 0.3)))
    assert events(rate, quiet) == []


@pytest.mark.parametrize("kwargs, message", [
    ({"sample_rate": 4000}, "sample_rate"),
    ({"sample_rate": 8000, "max_hz": 5000}, "Nyquist"),
    ({"sample_rate": 8000, "min_seconds": 2, "max_seconds": 1}, "min_seconds"),
])
def test_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BeepDetector(**kwargs)


def test_rejects_non_bytes():
    with pytest.raises(TypeError, match="pcm must be bytes"):
        BeepDetector(8000).feed([0, 1, 2])


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2001))
def test_frame_rms_is_the_root_mean_square_of_the_little_endian_samples(pcm):
    import math
    import struct

    from domain.beep_detector import frame_rms

    samples = struct.unpack(f"<{len(pcm) // 2}h", pcm[:len(pcm) - len(pcm) % 2])
    expected = math.sqrt(sum(s * s for s in samples) / len(samples)) if samples else 0.0
    assert math.isclose(frame_rms(pcm), expected, rel_tol=1e-9, abs_tol=1e-9)
