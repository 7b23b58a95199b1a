"""Synthetic telephone audio for the beep detector's tests and benchmark.

Every generator returns float64 samples in [-1, 1] at the given rate; `to_pcm`
turns them into 16-bit little-endian bytes. All randomness comes from the
`rng` passed in, so a seed reproduces a clip. Unlike the simulator's
continuous greeting, `speech_like` here leaves short gaps between words: the
detector must not take the quiet between them for the end of a greeting.
"""
from __future__ import annotations

import numpy as np

# The simulator plays the same tones and PCM; one definition serves both.
from simulator.line_audio import speech_like as simulator_speech
from simulator.line_audio import to_pcm, tone  # noqa: F401  (re-exported)


def silence(rate: int, seconds: float) -> np.ndarray:
    return np.zeros(int(rate * seconds))


def white_noise(rate: int, seconds: float, rng: np.random.Generator, rms: float = 0.05) -> np.ndarray:
    return rng.normal(0.0, rms, int(rate * seconds))


def pink_noise(rate: int, seconds: float, rng: np.random.Generator, rms: float = 0.05) -> np.ndarray:
    n = int(rate * seconds)
    spectrum = np.fft.rfft(rng.normal(0, 1, n))
    f = np.arange(len(spectrum))
    f[0] = 1
    x = np.fft.irfft(spectrum / np.sqrt(f), n)
    return x * (rms / (np.sqrt(np.mean(x ** 2)) or 1.0))


def speech_like(rate: int, seconds: float, rng: np.random.Generator, rms: float = 0.1) -> np.ndarray:
    """Speech with pauses between words (the simulator's generator, in its `pauses` form)."""
    return simulator_speech(rate, seconds, rng, rms, pauses=True)


def sustained_vowel(rate: int, seconds: float, rng: np.random.Generator, rms: float = 0.1) -> np.ndarray:
    """A held vowel ("hellooo") at a steady pitch: the speech most like a tone."""
    n = int(rate * seconds)
    t = np.arange(n) / rate
    f0 = rng.uniform(100, 250) * (1 + 0.01 * np.sin(2 * np.pi * 5 * t))
    phase = 2 * np.pi * np.cumsum(f0) / rate
    f1, f2, f3 = rng.uniform(300, 750), rng.uniform(850, 2000), rng.uniform(2400, 3000)
    x = np.zeros(n)
    for h in range(1, int(3600 / f0.max()) + 1):
        fh = h * f0
        amp = (np.exp(-((fh - f1) / 200) ** 2) + 0.5 * np.exp(-((fh - f2) / 250) ** 2)
               + 0.25 * np.exp(-((fh - f3) / 300) ** 2)) / h ** 0.5
        x += amp * np.sin(h * phase)
    return x * (rms / (np.sqrt(np.mean(x ** 2)) or 1.0))


def music_like(rate: int, seconds: float, rng: np.random.Generator, rms: float = 0.1) -> np.ndarray:
    """Hold music: notes with harmonics and decay, some as chords, some with vibrato."""
    n = int(rate * seconds)
    x = np.zeros(n)
    pos = 0
    while pos < n:
        dur = int(rate * rng.uniform(0.15, 0.8))
        t = np.arange(min(dur, n - pos)) / rate
        notes = rng.choice([1, 1, 2, 3])
        chunk = np.zeros(len(t))
        for _ in range(notes):
            f = 220 * 2 ** (rng.integers(0, 30) / 12)
            vib = 1 + 0.006 * np.sin(2 * np.pi * 5.5 * t)
            ph = 2 * np.pi * f * np.cumsum(vib) / rate
            for h, a in ((1, 1.0), (2, 0.5), (3, 0.35), (4, 0.2)):
                if h * f < rate / 2:
                    chunk += a * np.sin(h * ph)
        chunk *= np.exp(-t * rng.uniform(1.5, 6))
        x[pos:pos + len(t)] += chunk
        pos += len(t)
    return x * (rms / (np.sqrt(np.mean(x ** 2)) or 1.0))


def ringback(rate: int, seconds: float, amplitude: float = 0.2) -> np.ndarray:
    """US ringback: 440 + 480 Hz, 2 s on, 4 s off."""
    t = np.arange(int(rate * seconds)) / rate
    on = (t % 6.0) < 2.0
    return amplitude * 0.5 * (np.sin(2 * np.pi * 440 * t) + np.sin(2 * np.pi * 480 * t)) * on


def mix_at_snr(signal: np.ndarray, noise: np.ndarray, snr_db: float, reference_rms: float) -> np.ndarray:
    """signal + noise scaled so that reference_rms / noise_rms is snr_db."""
    noise = noise[:len(signal)]
    noise_rms = np.sqrt(np.mean(noise ** 2)) or 1.0
    target = reference_rms / (10 ** (snr_db / 20))
    return signal + noise * (target / noise_rms)


def voicemail_clip(rate: int, rng: np.random.Generator, *, freq: float, beep_s: float, snr_db: float,
                   greeting_s: float = 1.5) -> tuple[np.ndarray, float, float]:
    """A greeting (speech), a beep, then room noise; noise at `snr_db` below the beep.

    Returns (samples, beep_start_s, beep_end_s).
    """
    amp = rng.uniform(0.1, 0.5)
    greeting = speech_like(rate, greeting_s, rng, rms=amp / np.sqrt(2))
    gap = silence(rate, rng.uniform(0.1, 0.5))
    beep = tone(rate, freq, beep_s, amplitude=amp)
    after = silence(rate, 0.6)
    clip = np.concatenate((greeting, gap, beep, after))
    seconds = (len(clip) + 0.5) / rate
    noise = white_noise(rate, seconds, rng) if rng.random() < 0.5 else pink_noise(rate, seconds, rng)
    start = (len(greeting) + len(gap)) / rate
    return mix_at_snr(clip, noise, snr_db, amp / np.sqrt(2)), start, start + beep_s
