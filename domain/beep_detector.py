"""Detect a voicemail beep in a stream of 16-bit PCM mono audio.

This module uses numpy (an FFT per analysis window, and a frame's RMS); the
domain's other third-party imports are algorithms too (phonenumbers, jellyfish).

A beep is a short pure tone: a single spectral peak (no second peak above
`second_peak` of it anywhere in the band) between `min_hz` and `max_hz`
(400-2000 Hz by default) that holds most of the energy in the telephone band,
has no strong harmonics, keeps its pitch and its loudness, and lasts between
`min_seconds` and `max_seconds` (0.15-1.7 s). Speech (harmonic, gliding
pitch), music (harmonics, chords, decaying notes), noise (no peak), silence
and the 2 s dual-tone US ringback fail one of those tests.

Use: `detector = BeepDetector(16000)`; then for each audio frame
`event = detector.feed(pcm_bytes)`; an event is returned once, when the tone
ends (the moment to start speaking). `flush()` reports a tone still sounding
at the end of the stream. Times are seconds since the first byte fed. Audio
that arrives in long stretches (a simulated greeting) goes to `feed_all`,
which also says at which byte of the stretch each beep ended; the windows of a
stretch are analysed together, with the same results as one at a time.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass

import numpy as np


def frame_rms(pcm: bytes) -> float:
    """Root mean square of 16-bit little-endian mono PCM (an odd last byte is ignored); 0.0 when empty."""
    samples = np.frombuffer(pcm, dtype="<i2", count=len(pcm) // 2)
    if samples.size == 0:
        return 0.0
    as_float = samples.astype(np.float64)
    return float(np.sqrt(np.dot(as_float, as_float) / samples.size))


@dataclass(frozen=True)
class BeepEvent:
    start_s: float
    end_s: float
    frequency_hz: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


class BeepDetector:
    """Streaming beep detector (see the module docstring)."""

    WINDOW_S = 0.1     # 10 Hz bins: ringback's 440 + 480 Hz fall four bins apart
    HOP_S = 0.016
    BLOCK_WINDOWS = 32  # analysed at once (0.5 s of audio): bounds the memory a long feed takes; larger
    # blocks fall out of the processor's cache and cost more per window (128: twice as much)

    def __init__(self, sample_rate: int, *, min_hz: float = 400.0, max_hz: float = 2000.0,
                 min_seconds: float = 0.15, max_seconds: float = 1.7, purity: float = 0.45,
                 min_level_dbfs: float = -50.0, second_peak: float = 0.05):
        if not isinstance(sample_rate, int) or not 8000 <= sample_rate <= 96000:
            raise ValueError(f"sample_rate must be an int between 8000 and 96000 Hz, got {sample_rate!r}")
        if not 0 < min_hz < max_hz < sample_rate / 2:
            raise ValueError(f"need 0 < min_hz < max_hz < {sample_rate / 2} (Nyquist), got {min_hz}, {max_hz}")
        if not 0 < min_seconds < max_seconds:
            raise ValueError(f"need 0 < min_seconds < max_seconds, got {min_seconds}, {max_seconds}")
        if not 0 < purity < 1:
            raise ValueError(f"purity must be between 0 and 1, got {purity}")
        self.sample_rate = sample_rate
        self.min_hz, self.max_hz = min_hz, max_hz
        self.min_seconds, self.max_seconds = min_seconds, max_seconds
        self.purity = purity
        self.second_peak = second_peak
        self._n = int(round(self.WINDOW_S * sample_rate))
        self._hop = int(round(self.HOP_S * sample_rate))
        self._window = np.hanning(self._n).astype(np.float64)
        self._bin_hz = sample_rate / self._n
        # The telephone band: what a beep competes with for "most of the energy".
        self._band = (int(150 / self._bin_hz), min(int(3800 / self._bin_hz), self._n // 2))
        self._peak_range = (int(np.floor(min_hz / self._bin_hz)), int(np.ceil(max_hz / self._bin_hz)) + 1)
        # Window power for a full-scale sine is (n * mean(w^2)) / 2 * 32768^2 summed over its lobe.
        ref = (32768.0 ** 2) * (self._n * float(np.mean(self._window ** 2))) / 2 * self._n
        self._min_power = ref * 10 ** (min_level_dbfs / 10)
        # Per peak bin k (counted from the peak range's first bin), the bins each test reads, so that
        # many windows are tested at once: the lobe k-2..k+2 (those past the spectrum's ends last,
        # weighted 0); for "one peak only", the band from its low edge to k-3 and from k+4 to its high
        # edge (a peak outside the band: up to k-3, or from k+4); the neighbours k-1 and k+1 (k+1
        # weighted 0 past the end; k-1 of bin 0 is the last bin).
        size = self._n // 2 + 1
        peaks = np.arange(*self._peak_range)[:, None]
        lobe = peaks + np.arange(-2, 3)
        order = np.argsort(~((lobe >= 0) & (lobe < size)), axis=1, kind="stable")
        self._lobe = np.clip(np.take_along_axis(lobe, order, axis=1), 0, size - 1)
        self._lobe_in = np.take_along_axis((lobe >= 0) & (lobe < size), order, axis=1).astype(np.float64)
        lo, hi = self._band
        self._rest_span = (min(lo, self._peak_range[0] + 4), max(hi, self._peak_range[1] - 4))
        bins = np.arange(*self._rest_span)[None, :]
        self._rest = ((bins >= lo) & (bins < np.maximum(peaks - 3, lo))) | ((bins >= peaks + 4) & (bins < hi))
        self._below = (peaks[:, 0] - 1) % size
        self._above = np.minimum(peaks[:, 0] + 1, size - 1)
        self._above_in = (peaks[:, 0] + 1 < size).astype(np.float64)
        self._rows = np.arange(self.BLOCK_WINDOWS)
        self._pending = b""
        self._samples = np.zeros(0, dtype=np.float64)
        self._consumed = 0          # samples dropped from the front of _samples
        self._run: list[tuple[int, float, float]] = []   # (window start sample, freq, power)

    def feed(self, pcm: bytes) -> BeepEvent | None:
        """Add audio (16-bit little-endian mono PCM); return a beep that just ended, if any (the last, if
        several ended in it)."""
        heard = self.feed_all(pcm)
        return heard[-1][1] if heard else None

    def feed_all(self, pcm: bytes) -> list[tuple[int, BeepEvent]]:
        """Add audio; every beep that ended in it, in order, each with the number of bytes of `pcm` after
        which it had ended: fed in pieces, the piece holding that byte is the one whose `feed` returns it.

        The windows `pcm` completes are analysed together, BLOCK_WINDOWS at a time: a whole greeting
        costs a few dozen numpy calls instead of a dozen per 16 ms hop, with the same events however the
        audio is split.
        """
        if not isinstance(pcm, (bytes, bytearray, memoryview)):
            raise TypeError(f"pcm must be bytes, not {type(pcm).__name__}")
        # Where the windows end, counted in pcm's bytes: the first new sample completes at byte 2 - pending.
        base = self._consumed + len(self._samples)
        pending = len(self._pending)
        data = self._pending + bytes(pcm)
        whole = len(data) - len(data) % 2
        self._pending = data[whole:]
        if whole:
            fresh = np.frombuffer(data[:whole], dtype="<i2").astype(np.float64)
            self._samples = np.concatenate((self._samples, fresh))
        heard = []
        while len(self._samples) >= self._n:
            count = min(self.BLOCK_WINDOWS, (len(self._samples) - self._n) // self._hop + 1)
            found = self._analyse(self._samples[: self._n + (count - 1) * self._hop], count)
            for i, tone in enumerate(found):
                start = self._consumed + i * self._hop
                ended = self._step(start, tone)
                if ended is not None:
                    heard.append((2 * (start + self._n - base) - pending, ended))
            self._samples = self._samples[count * self._hop:]
            self._consumed += count * self._hop
        return heard

    def flush(self) -> BeepEvent | None:
        """End of stream: report a tone that was still sounding."""
        event = self._close_run()
        self._run = []
        return event

    def reset(self) -> None:
        """Forget buffered audio and any tone in progress (time keeps counting)."""
        self._consumed += len(self._samples)
        self._samples = np.zeros(0, dtype=np.float64)
        self._pending = b""
        self._run = []

    def _analyse(self, samples: np.ndarray, count: int) -> list[tuple[float, float] | None]:
        """For each of the `count` windows of `samples` (a hop apart): (frequency, peak power) when it
        holds one pure tone in range, else None."""
        frames = np.ndarray((count, self._n), dtype=np.float64, buffer=np.ascontiguousarray(samples),
                            strides=(self._hop * 8, 8))
        spectrum = np.abs(np.fft.rfft(frames * self._window, axis=1)) ** 2
        lo, hi = self._band
        band_power = spectrum[:, lo:hi].sum(axis=1)
        plo, phi = self._peak_range
        k = spectrum[:, plo:phi].argmax(axis=1)          # the peak bin, counted from plo
        rows = self._rows[:count, None]
        peak_power = (spectrum[rows, self._lobe[k]] * self._lobe_in[k]).sum(axis=1)
        found: list[tuple[float, float] | None] = [None] * count
        hits = ((band_power > 0) & (peak_power >= self._min_power)
                & (peak_power >= self.purity * band_power)).nonzero()[0]
        if not hits.size:
            return found
        k, spectrum, peak_power = k[hits], spectrum[hits], peak_power[hits]
        rows = self._rows[:len(hits)]
        peak = spectrum[rows, k + plo]
        # One peak only: harmonics, sub-harmonics, a second note or a dual tone
        # leave another strong bin somewhere in the band.
        first, last = self._rest_span
        rest = np.where(self._rest[k], spectrum[:, first:last], -np.inf).max(axis=1, initial=-np.inf)
        pure = ~(rest > self.second_peak * peak)
        # Parabolic interpolation of the peak bin for a finer frequency.
        a = spectrum[rows, self._below[k]]
        c = spectrum[rows, self._above[k]] * self._above_in[k]
        denom = a - 2 * peak + c
        flat = denom == 0
        offset = 0.5 * (a - c) / np.where(flat, 1.0, denom)
        offset[flat] = 0.0
        freqs = (k + plo + offset) * self._bin_hz
        for i, is_pure, freq, power in zip(hits.tolist(), pure.tolist(), freqs.tolist(), peak_power.tolist()):
            if is_pure:
                found[i] = (freq, power)
        return found

    def _step(self, start: int, found: tuple[float, float] | None) -> BeepEvent | None:
        if found is not None and self._run:
            freq = found[0]
            ref = statistics.median(f for _, f, _ in self._run)  # as numpy's, with less overhead per window
            if abs(freq - ref) <= max(2 * self._bin_hz, 0.03 * ref):
                self._run.append((start, freq, found[1]))
                return None
        event = self._close_run()
        self._run = [(start, found[0], found[1])] if found is not None else []
        return event

    def _close_run(self) -> BeepEvent | None:
        run = self._run
        if not run:
            return None
        # A window is tonal while the tone fills about half of it: trim that.
        start_s = (run[0][0] + self._n / 2) / self.sample_rate
        end_s = (run[-1][0] + self._n / 2) / self.sample_rate
        duration = end_s - start_s + self.HOP_S
        if not self.min_seconds <= duration <= self.max_seconds:
            return None
        powers = np.array([p for _, _, p in run])
        core = powers[len(powers) // 5: len(powers) - len(powers) // 5] if len(powers) >= 5 else powers
        # A beep holds its loudness; a sung or plucked note swells or decays.
        if core.max() > 4.0 * core.min():
            return None
        freq = float(np.median([f for _, f, _ in run]))
        return BeepEvent(start_s=round(start_s, 3), end_s=round(end_s + self.HOP_S, 3), frequency_hz=round(freq, 1))
