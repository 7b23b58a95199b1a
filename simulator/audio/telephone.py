"""What a phone line does to sound: 8 kHz narrowband, G.711 mu-law, and the tones a line plays.

Everything the practice says, and everything the agent says back, goes through `phone_band` (down to
8 kHz, mu-law encoded and decoded, back up to the listener's rate), so the recognizers hear telephone
audio, not studio audio. Tones are numpy; rates are converted with livekit's resampler (soxr).
"""
from __future__ import annotations

import zlib

import numpy as np
from livekit import rtc

PHONE_RATE = 8000
_MU = 255.0


def resample(samples: np.ndarray, rate: int, to_rate: int) -> np.ndarray:
    """int16 mono samples from `rate` to `to_rate`."""
    if rate == to_rate or not len(samples):
        return samples.astype(np.int16)
    resampler = rtc.AudioResampler(input_rate=rate, output_rate=to_rate, num_channels=1,
                                   quality=rtc.AudioResamplerQuality.HIGH)
    frame = rtc.AudioFrame(samples.astype("<i2").tobytes(), rate, 1, len(samples))
    out = [np.frombuffer(f.data, dtype=np.int16) for f in resampler.push(frame)]
    out += [np.frombuffer(f.data, dtype=np.int16) for f in resampler.flush()]
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int16)


def mulaw_encode(samples: np.ndarray) -> np.ndarray:
    """int16 -> 8-bit mu-law codes (G.711, continuous form)."""
    x = np.clip(samples.astype(np.float64) / 32768.0, -1.0, 1.0)
    y = np.sign(x) * np.log1p(_MU * np.abs(x)) / np.log1p(_MU)
    return np.round((y + 1.0) / 2.0 * 255.0).astype(np.uint8)


def mulaw_decode(codes: np.ndarray) -> np.ndarray:
    y = codes.astype(np.float64) / 255.0 * 2.0 - 1.0
    x = np.sign(y) * np.expm1(np.abs(y) * np.log1p(_MU)) / _MU
    return np.clip(np.round(x * 32767.0), -32768, 32767).astype(np.int16)


def phone_band(samples: np.ndarray, rate: int, to_rate: int) -> np.ndarray:
    """`samples` as heard across a phone line: 8 kHz, mu-law round trip, then at `to_rate`."""
    narrow = resample(samples, rate, PHONE_RATE)
    return resample(mulaw_decode(mulaw_encode(narrow)), PHONE_RATE, to_rate)


def _seconds(rate: int, seconds: float) -> np.ndarray:
    return np.arange(int(rate * seconds)) / rate


def _pcm(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x * 32767), -32768, 32767).astype(np.int16)


def beep(rate: int, seconds: float = 0.5, freq: float = 1000.0, amplitude: float = 0.3) -> np.ndarray:
    t = _seconds(rate, seconds)
    env = np.minimum(1.0, np.minimum(t, t[::-1] if len(t) else t) / 0.005)
    return _pcm(amplitude * np.sin(2 * np.pi * freq * t) * env)


def ring_back(rate: int, seconds: float) -> np.ndarray:
    """The North American ring-back: 440 + 480 Hz, 2 s on, 4 s off."""
    t = _seconds(rate, seconds)
    on = (t % 6.0) < 2.0
    return _pcm(0.1 * (np.sin(2 * np.pi * 440 * t) + np.sin(2 * np.pi * 480 * t)) * on)


def hold_music(rate: int, seconds: float, seed: str = "hold") -> np.ndarray:
    """A soft chord progression (four notes a bar): music, not speech, for a hold."""
    rng = np.random.default_rng(zlib.crc32(seed.encode()))
    t = _seconds(rate, seconds)
    roots = rng.choice([220.0, 246.9, 261.6, 293.7, 329.6], size=max(1, int(seconds / 2) + 1))
    root = roots[(t / 2).astype(int)]
    note = (t * 2) % 1.0
    env = np.exp(-3.0 * note)
    chord = sum(np.sin(2 * np.pi * root * ratio * t) for ratio in (1.0, 1.25, 1.5))
    return _pcm(0.05 * chord * env)


def line_noise(rate: int, seconds: float, seed: str, rms: float = 0.003) -> np.ndarray:
    rng = np.random.default_rng(zlib.crc32(seed.encode()))
    return _pcm(rng.normal(0.0, rms, int(rate * seconds)))


def silence(rate: int, seconds: float) -> np.ndarray:
    return np.zeros(int(rate * seconds), dtype=np.int16)
