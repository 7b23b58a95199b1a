"""Telephone audio a simulated voicemail box plays: the tail of its greeting, the beep (or none), room noise.

The synthesis is the benchmarks' (benchmarks/phone_audio.py), copied here
because the simulator needs it at run time and benchmarks is not a runtime
package. Everything is seeded, so a scenario always plays the same audio.
"""
from __future__ import annotations

import threading
import zlib
from collections import OrderedDict
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np

SAMPLE_RATE = 16000


@dataclass(frozen=True)
class LineAudio:
    """A stretch of the callee side's audio: 16-bit little-endian mono PCM."""

    pcm: bytes
    sample_rate: int

    @property
    def seconds(self) -> float:
        return len(self.pcm) / 2 / self.sample_rate


@dataclass(frozen=True)
class VoicemailAudio:
    """The clip, and the truth the simulator checks the agent against (seconds into the clip)."""

    audio: LineAudio
    greeting_end_s: float
    beep_start_s: float | None
    beep_end_s: float | None


def to_pcm(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()


def tone(rate: int, freq: float, seconds: float, amplitude: float = 0.3, ramp_s: float = 0.005) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    x = amplitude * np.sin(2 * np.pi * freq * t)
    ramp = min(int(rate * ramp_s), len(x) // 2)
    if ramp:
        env = np.ones(len(x))
        env[:ramp] = np.linspace(0, 1, ramp)
        env[-ramp:] = np.linspace(1, 0, ramp)
        x *= env
    return x


def speech_like(rate: int, seconds: float, rng: np.random.Generator, rms: float = 0.1, *,
                pauses: bool = False) -> np.ndarray:
    """Voiced syllables: a gliding pitch with formant-shaped harmonics, 3-6 syllables a second.

    With `pauses`, syllables fall to silence and some words are followed by a short pause
    (plus breath noise): the quiet a beep detector must not take for the end of a greeting."""
    n = int(rate * seconds)
    t = np.arange(n) / rate
    base = rng.uniform(90, 220)
    f0 = base * (1 + 0.15 * np.sin(2 * np.pi * rng.uniform(0.5, 2) * t + rng.uniform(0, 6))
                 + 0.05 * np.sin(2 * np.pi * rng.uniform(3, 7) * t))
    phase = 2 * np.pi * np.cumsum(f0) / rate
    syll_rate = rng.uniform(3, 6)
    syll = np.floor(t * syll_rate).astype(int)
    n_syll = syll.max() + 1
    f1 = rng.uniform(300, 850, n_syll)[syll]
    f2 = rng.uniform(900, 2300, n_syll)[syll]
    f3 = rng.uniform(2400, 3200, n_syll)[syll]
    x = np.zeros(n)
    # sin(h * phase) by the recurrence sin((h+1)p) = 2 cos(p) sin(hp) - sin((h-1)p): one multiply-add
    # per harmonic instead of a sine (the same samples to about 1e-13).
    two_cos, below, sine = 2 * np.cos(phase), np.zeros(n), np.sin(phase)
    # A harmonic's weight moves slowly (the pitch glides, the formants step once a syllable): it is
    # worked out every 2 ms and drawn straight in between, not at every sample (half the time of a
    # clip; the samples within about 1% of the exact ones).
    knots = np.append(np.arange(0, n - 1, _EVERY), n - 1) if n > 1 else np.arange(n)
    f0, f1, f2, f3 = f0[knots], f1[knots], f2[knots], f3[knots]
    # Each sample's place between its two knots, worked out once for every harmonic.
    seg = np.minimum(np.arange(n) // _EVERY, max(len(knots) - 2, 0))
    frac = (np.arange(n) - knots[seg]) / np.maximum(knots[np.minimum(seg + 1, len(knots) - 1)] - knots[seg], 1)
    for h in range(1, int(3600 / base) + 1):
        if h > 1:
            below, sine = sine, two_cos * sine - below
        fh = h * f0
        amp = (_formant(fh, f1, 120) + 0.6 * _formant(fh, f2, 150) + 0.3 * _formant(fh, f3, 200) + 0.02) / h ** 0.3
        # (a number, not an array, when no formant is near the harmonic: a syllable's worth of clip)
        amp = np.where(fh >= rate / 2 - 100, 0.0, amp)
        step = np.append(np.diff(amp), 0.0)
        x += (amp[seg] + step[seg] * frac) * sine
    if pauses:
        env = np.clip(np.sin(np.pi * ((t * syll_rate) % 1.0)), 0, None) ** 0.7
        gaps = rng.random(n_syll) < 0.15  # short pauses between words
        env[gaps[syll]] = 0
        x *= env
        x += 0.1 * rng.normal(0, np.std(x) or 1, n) * env  # breath / fricatives
        return x * (rms / (np.sqrt(np.mean(x ** 2)) or 1.0))
    # Syllables swell and fade, but a greeting's words run on without a long gap.
    env = 0.3 + 0.7 * np.clip(np.sin(np.pi * ((t * syll_rate) % 1.0)), 0, None) ** 0.7
    x *= env
    return x * (rms / (np.sqrt(np.mean(x ** 2)) or 1.0))


_EVERY = 32  # samples between the harmonics' weights worked out: 2 ms at 16 kHz


def _formant(fh: np.ndarray, center: np.ndarray, width: float) -> np.ndarray | float:
    """A formant's weight on the harmonic `fh`, exp(-((fh - center) / width)^2); 0 where that is under
    1e-18 for every sample (below a double's precision beside the 0.02 floor), skipping the exponentials."""
    distance = (fh - center) / width
    if np.min(np.abs(distance)) > 6.5:
        return 0.0
    return np.exp(-distance ** 2)


def noise(rate: int, seconds: float, rng: np.random.Generator, rms: float) -> np.ndarray:
    """White or pink line noise at `rms`."""
    n = int(rate * seconds)
    if rng.random() < 0.5:
        return rng.normal(0.0, rms, n)
    # Shaped over a power-of-two length and cut to n: a transform of the clip's own length (often
    # with a large prime factor) took ten times as long.
    fast = 1 << max(0, n - 1).bit_length()
    spectrum = np.fft.rfft(rng.normal(0, 1, fast))
    f = np.arange(len(spectrum))
    f[0] = 1
    x = np.fft.irfft(spectrum / np.sqrt(f), fast)[:n]
    return x * (rms / (np.sqrt(np.mean(x ** 2)) or 1.0))


# Clips already made, or being made, by their arguments: a scenario always plays the same clip, so a
# clip is made once per process (the report page plays it again) and can be made ahead, on a thread.
_CLIPS: OrderedDict[tuple, Future] = OrderedDict()
_CLIPS_LOCK = threading.Lock()
KEEP_CLIPS = 256  # about 200 KB each


def voicemail_audio(seed_text: str, *, beep: bool, greeting_s: float = 1.5, after_s: float | None = None,
                    rate: int = SAMPLE_RATE) -> VoicemailAudio:
    """The end of a greeting (speech for `greeting_s`), a short gap, a beep when `beep`, then noise.

    `after_s` is the quiet after the beep (or after the greeting when there is
    none); the default leaves a listener time to decide either way.
    """
    key = (seed_text, beep, greeting_s, after_s, rate)
    with _CLIPS_LOCK:
        made = _CLIPS.get(key)
        mine = made is None
        if mine:
            made = _CLIPS[key] = Future()
            while len(_CLIPS) > KEEP_CLIPS:
                _CLIPS.popitem(last=False)
    if mine:
        try:
            made.set_result(_voicemail_clip(seed_text, beep=beep, greeting_s=greeting_s, after_s=after_s, rate=rate))
        except BaseException as exc:
            with _CLIPS_LOCK:
                _CLIPS.pop(key, None)
            made.set_exception(exc)
    return made.result()


def make_ahead(clips: Iterable[Callable[[], VoicemailAudio]]) -> threading.Thread:
    """Make these clips on a thread of their own: numpy leaves the interpreter lock while it computes,
    so they are made on another core while calls run (a call that needs one first waits for it)."""

    def make() -> None:
        for clip in clips:
            try:
                clip()
            except Exception:  # the call that needs it makes it again and meets the error itself
                pass

    thread = threading.Thread(target=make, name="voicemail-clips", daemon=True)
    thread.start()
    return thread


def _voicemail_clip(seed_text: str, *, beep: bool, greeting_s: float, after_s: float | None,
                    rate: int) -> VoicemailAudio:
    if greeting_s < 0:
        raise ValueError(f"greeting_s must not be negative, got {greeting_s}")
    rng = np.random.default_rng(zlib.crc32(seed_text.encode("utf-8")))
    speech = speech_like(rate, greeting_s, rng, rms=0.1) if greeting_s else np.zeros(0)
    gap = np.zeros(int(rate * rng.uniform(0.2, 0.5)))
    parts = [speech, gap]
    beep_start = beep_end = None
    if beep:
        beep_s = float(rng.uniform(0.3, 0.8))
        beep_start = (len(speech) + len(gap)) / rate
        beep_end = beep_start + beep_s
        parts.append(tone(rate, float(rng.uniform(500, 1500)), beep_s, amplitude=0.3))
    parts.append(np.zeros(int(rate * (after_s if after_s is not None else (2.0 if beep else 5.0)))))
    clip = np.concatenate(parts)
    clip = clip + noise(rate, len(clip) / rate + 1, rng, rms=0.004)[:len(clip)]
    return VoicemailAudio(LineAudio(to_pcm(clip), rate), greeting_end_s=len(speech) / rate,
                          beep_start_s=beep_start, beep_end_s=beep_end)


def quiet_audio(seconds: float, seed_text: str, rate: int = SAMPLE_RATE) -> LineAudio:
    """Line noise only: nobody is speaking."""
    rng = np.random.default_rng(zlib.crc32(seed_text.encode("utf-8")))
    return LineAudio(to_pcm(noise(rate, seconds, rng, rms=0.004)), rate)
