"""Beep detection on generated audio: tones in noise, speech, music, ringback."""
from typing import NamedTuple

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


# -- the same events however the audio is split ------------------------------------------------------------

class OneWindowAtATime(BeepDetector):
    """The per-window tests stated plainly, one window at a time: the oracle for the detector's
    vectorised analysis (several windows at once)."""

    def _analyse(self, samples, count):
        return [self._one(samples[i * self._hop: i * self._hop + self._n]) for i in range(count)]

    def _one(self, frame):
        spectrum = np.abs(np.fft.rfft(frame * self._window)) ** 2
        lo, hi = self._band
        band_power = float(spectrum[lo:hi].sum())
        if band_power <= 0:
            return None
        plo, phi = self._peak_range
        k = plo + int(np.argmax(spectrum[plo:phi]))
        peak_power = float(spectrum[max(k - 2, 0):k + 3].sum())
        if peak_power < self._min_power or peak_power < self.purity * band_power:
            return None
        rest = np.concatenate((spectrum[lo:max(k - 3, lo)], spectrum[k + 4:hi]))
        if rest.size and float(rest.max()) > self.second_peak * float(spectrum[k]):
            return None
        a, b, c = spectrum[k - 1], spectrum[k], spectrum[k + 1] if k + 1 < len(spectrum) else 0.0
        denom = a - 2 * b + c
        offset = 0.5 * (a - c) / denom if denom else 0.0
        return (k + offset) * self._bin_hz, peak_power


# Settings: the default, and bands reaching the spectrum's ends (the peak's lobe and neighbours cut off).
SETTINGS = [{}, {"min_hz": 5.0, "max_hz": 600.0}, {"min_hz": 15.0, "max_hz": 3999.0, "purity": 0.3}]


@st.composite
def line_audio(draw):
    """Speech, white or pink noise, and beeps of any frequency, length and level, some with a weaker
    second tone a few bins away (where the "one peak only" test decides)."""
    rate = draw(st.sampled_from([8000, 16000, 48000]))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    parts = [audio.speech_like(rate, draw(st.floats(0.1, 1.0)), rng, rms=draw(st.floats(0.01, 0.3)))]
    for _ in range(draw(st.integers(1, 3))):
        freq, seconds = draw(st.floats(20, 3900)), draw(st.floats(0.05, 1.9))
        amplitude = 10 ** (draw(st.floats(-70, -1)) / 20)
        beep = audio.tone(rate, freq, seconds, amplitude=amplitude)
        if draw(st.booleans()):
            near = freq + draw(st.floats(-60, 60))
            beep = beep + audio.tone(rate, near, seconds, amplitude=amplitude * draw(st.floats(0.05, 0.5)))
        parts += [beep, audio.silence(rate, draw(st.floats(0.0, 0.4)))]
    clip = np.concatenate(parts)
    noise = audio.white_noise if draw(st.booleans()) else audio.pink_noise
    clip = clip + noise(rate, len(clip) / rate + 1, rng, rms=10 ** (draw(st.floats(-80, -20)) / 20))[:len(clip)]
    return Clip(rate, audio.to_pcm(clip))


class Clip(NamedTuple):
    rate: int
    pcm: bytes

    def __repr__(self):
        return f"Clip({self.rate} Hz, {len(self.pcm) // 2 / self.rate:.2f} s)"  # the draws say what it holds


def fed_in_pieces(det, pcm, sizes):
    """Every event with the count of the stream's bytes after which it had ended, and the flush's."""
    found, at, i = [], 0, 0
    while at < len(pcm):
        piece = pcm[at:at + sizes[i % len(sizes)]]
        found += [(at + end, event) for end, event in det.feed_all(piece)]
        at, i = at + len(piece), i + 1
    return found, det.flush()


def fed_in_frames(det, pcm, frame_bytes):
    """What `feed` returns frame by frame: each event with the end of the frame that returned it."""
    found = [(i + len(pcm[i:i + frame_bytes]), e) for i in range(0, len(pcm), frame_bytes)
             if (e := det.feed(pcm[i:i + frame_bytes]))]
    return found, det.flush()


@settings(max_examples=40, deadline=None)
@given(line_audio(), st.sampled_from(SETTINGS),
       st.lists(st.one_of(st.integers(1, 9), st.integers(10, 6000), st.integers(6000, 400_000)), min_size=1, max_size=6))
def test_any_split_of_the_audio_gives_the_events_of_10_ms_frames(clip, options, sizes):
    rate, pcm = clip
    frame = 2 * rate // 100
    framed = fed_in_frames(BeepDetector(rate, **options), pcm, frame)
    pieces, last = fed_in_pieces(BeepDetector(rate, **options), pcm, sizes)
    # Each event is known at the same byte: the 10 ms frame holding it is the one whose feed returned it.
    assert [((end - 1) // frame * frame + min(frame, len(pcm) - (end - 1) // frame * frame), e)
            for end, e in pieces] == framed[0]
    assert last == framed[1]


@settings(max_examples=40, deadline=None)
@given(line_audio(), st.sampled_from(SETTINGS), st.integers(1000, 400_000))
def test_windows_analysed_together_pass_the_tests_they_pass_one_at_a_time(clip, options, size):
    rate, pcm = clip
    assert fed_in_pieces(BeepDetector(rate, **options), pcm, [size]) \
        == fed_in_pieces(OneWindowAtATime(rate, **options), pcm, [size])


def test_a_whole_greeting_fed_at_once_is_analysed_in_bounded_blocks():
    rate = 16000
    rng = np.random.default_rng(3)
    x, start, end = audio.voicemail_clip(rate, rng, freq=1000.0, beep_s=0.6, snr_db=20, greeting_s=6.0)
    det = BeepDetector(rate)
    counts = []
    analyse = det._analyse
    det._analyse = lambda samples, count: counts.append(count) or analyse(samples, count)
    found = det.feed_all(audio.to_pcm(x))
    assert len(found) == 1 and abs(found[0][1].frequency_hz - 1000.0) < 30
    assert max(counts) == BeepDetector.BLOCK_WINDOWS and len(counts) > 1
    assert sum(counts) == (len(x) - det._n) // det._hop + 1  # every window once
