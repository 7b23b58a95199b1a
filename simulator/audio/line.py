"""The phone line on sound: both directions of one call, paced in real time on one clock.

The callee side (the simulated practice) queues sound with `play` (speech, beeps, hold music); the
agent's AgentSession reads it through `LineInput` in 20 ms frames, paced by the wall clock as a phone
delivers it, with line noise when nobody speaks. The agent's voice arrives through `LineOutput`, plays
out in real time too, and can be cut off (`clear_buffer`, a barge-in). Every stretch of sound is kept
on the line's timeline (seconds since the answer), which is what the harness measures.
"""
from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from livekit import rtc
from livekit.agents.voice import io

from simulator.audio.telephone import line_noise, phone_band

RATE = 16000  # what the agent side hears and what its voice is delivered at
FRAME = RATE // 50  # 20 ms


@dataclass
class Stretch:
    """A stretch of sound on the line: who made it, what it was, when (seconds since the answer)."""

    side: str  # "callee" | "agent"
    kind: str  # speech | beep | hold | ring | silence
    start_s: float
    end_s: float
    text: str = ""
    cut_at_s: float | None = None  # the agent's speech was cut off here (a barge-in)
    beep_end_s: float | None = None  # tones with a beep: where the beep ends, seconds into the stretch
    sound_s: float | None = None  # tones: how far into the stretch the machine is still sounding (then quiet)
    machine: bool = False  # the callee side's sound came from a machine (a greeting, a menu, a hold)


@dataclass
class _Queued:
    samples: np.ndarray
    stretch: Stretch
    played: int = 0


@dataclass
class PhoneLine:
    noise_seed: str = "line"
    timeline: list[Stretch] = field(default_factory=list)
    dtmf: list[tuple[float, str]] = field(default_factory=list)  # (seconds since answer, digits)
    on_callee_audio: Callable[[bytes], None] | None = None  # every frame the agent side hears

    def __post_init__(self) -> None:
        self._callee: deque[_Queued] = deque()
        self._started = time.monotonic()
        self._noise = line_noise(RATE, 2.0, self.noise_seed)
        self._noise_at = 0
        self.closed = False
        self.callee_idle = asyncio.Event()
        self.callee_idle.set()

    def now_s(self) -> float:
        return time.monotonic() - self._started

    # ------------------------------------------------------------ the callee side

    def play(self, samples: np.ndarray, kind: str, text: str = "") -> Stretch:
        """Queue int16 samples at RATE; returns their stretch (its times are final once they play)."""
        start = max(self.now_s(), self._callee[-1].stretch.end_s if self._callee else 0.0)
        stretch = Stretch("callee", kind, start, start + len(samples) / RATE, text)
        self.timeline.append(stretch)
        self._callee.append(_Queued(samples, stretch))
        self.callee_idle.clear()
        return stretch

    def stop_callee(self) -> None:
        """The callee side falls silent (its line hung up, or it interrupts itself)."""
        now = self.now_s()
        for queued in self._callee:
            queued.stretch.end_s = min(queued.stretch.end_s, max(queued.stretch.start_s, now))
        self._callee.clear()
        self.callee_idle.set()

    def _next_callee_frame(self) -> np.ndarray:
        out = np.zeros(0, dtype=np.int16)
        while len(out) < FRAME and self._callee:
            head = self._callee[0]
            if head.played == 0:
                head.stretch.start_s = self.now_s()
                head.stretch.end_s = head.stretch.start_s + len(head.samples) / RATE
            take = head.samples[head.played:head.played + FRAME - len(out)]
            head.played += len(take)
            out = np.concatenate([out, take])
            if head.played >= len(head.samples):
                self._callee.popleft()
        if not self._callee:
            self.callee_idle.set()
        if len(out) < FRAME:
            noise = np.take(self._noise, range(self._noise_at, self._noise_at + FRAME - len(out)), mode="wrap")
            self._noise_at = (self._noise_at + len(noise)) % len(self._noise)
            out = np.concatenate([out, noise])
        return out

    def callee_speaking_at(self, t: float) -> Stretch | None:
        return next((s for s in self.timeline if s.side == "callee" and s.start_s <= t < s.end_s), None)


class LineInput(io.AudioInput):
    """What the agent hears: the callee side's sound, 20 ms at a time, in real time."""

    def __init__(self, line: PhoneLine):
        super().__init__(label="simulated phone line")
        self.line = line
        self._frames = 0

    async def __anext__(self) -> rtc.AudioFrame:
        if self.line.closed:
            raise StopAsyncIteration
        due = self._frames * FRAME / RATE
        delay = due - self.line.now_s()
        if delay > 0:
            await asyncio.sleep(delay)
        self._frames += 1
        pcm = self.line._next_callee_frame().astype("<i2").tobytes()
        if self.line.on_callee_audio is not None:
            self.line.on_callee_audio(pcm)
        return rtc.AudioFrame(pcm, RATE, 1, FRAME)


class LineOutput(io.AudioOutput):
    """The agent's voice on the line: plays out in real time; a barge-in cuts it (clear_buffer).

    `heard(samples, stretch)` gets each finished or cut segment as the callee would hear it."""

    def __init__(self, line: PhoneLine, heard: Callable[[np.ndarray, Stretch], None]):
        super().__init__(label="simulated phone line", capabilities=io.AudioOutputCapabilities(pause=False),
                         sample_rate=RATE)
        self.line = line
        self.heard = heard
        self._pending: deque[np.ndarray] = deque()
        self._segment: list[np.ndarray] = []
        self._stretch: Stretch | None = None
        self._flushed = False
        self._player: asyncio.Task | None = None

    async def capture_frame(self, frame: rtc.AudioFrame) -> None:
        await super().capture_frame(frame)
        self._pending.append(np.frombuffer(frame.data, dtype=np.int16).copy())
        if self._player is None or self._player.done():
            self._flushed = False
            self._player = asyncio.create_task(self._play())

    def flush(self) -> None:
        super().flush()
        self._flushed = True

    @property
    def playing(self) -> bool:
        """A segment of the agent's is under way (until it is flushed and played out, or cut)."""
        return self._player is not None and not self._player.done()

    def so_far(self) -> np.ndarray:
        """The agent's current segment as far as it has played, as the callee hears it."""
        samples = np.concatenate(self._segment) if self._segment else np.zeros(0, dtype=np.int16)
        return phone_band(samples, RATE, RATE)

    def clear_buffer(self) -> None:
        self._pending.clear()
        if self._player is not None and not self._player.done():
            self._player.cancel()

    async def _play(self) -> None:
        started = self.line.now_s()
        self._stretch = Stretch("agent", "speech", started, started)
        self.line.timeline.append(self._stretch)
        self.on_playback_started(created_at=time.time())
        played = 0
        interrupted = False
        try:
            while self._pending or not self._flushed:
                if not self._pending:
                    await asyncio.sleep(0.005)
                    continue
                chunk = self._pending.popleft()
                self._segment.append(chunk)
                played += len(chunk)
                self._stretch.end_s = started + played / RATE
                await asyncio.sleep(max(0.0, self._stretch.end_s - self.line.now_s()))
        except asyncio.CancelledError:
            interrupted = True
            self._stretch.end_s = self._stretch.cut_at_s = self.line.now_s()
        finally:
            samples = np.concatenate(self._segment) if self._segment else np.zeros(0, dtype=np.int16)
            self._segment = []
            self.on_playback_finished(playback_position=played / RATE, interrupted=interrupted)
            self.heard(phone_band(samples[:int((self._stretch.end_s - started) * RATE)], RATE, RATE), self._stretch)
