"""What one call on sound measured, read off the line's timeline (seconds since the answer).

- verdict_s: from the callee side's first word to the core's first human/machine verdict (an "uncertain"
  from the detector, or an announcement, is none); verdict_by: whose it was ("amd", the answering-machine
  detector, or "words", the core's reading of the transcript); detector: the detector's own label
  ("human", "machine-vm", ..., "uncertain" when its timeout came first; None when it gave none) and
  detector_reason, the detector's own (its text model's "llm", "short_greeting", "detection_timeout", ...).
- response_s: for each time the callee finished speaking and the agent answered, the gap from the end of
  the callee's speech to the agent's first audio (median and all).
- overlap_s: how long the agent spoke while a machine's greeting or menu prompt was playing (and the
  longest single overlap), and while anyone on the callee side spoke.
- voicemail_after_beep_s: when the voicemail message started, relative to the end of the beep
  (negative: before the beep ended).
- key_after_option_s: from the end of the option the agent chose (its words' place in the prompt, the
  prompt's duration shared by character position) to the key press.
- interruptions: each time the callee spoke over the agent, and how fast the agent stopped.
"""
from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

from domain.menu_reader import read_menu
from simulator.audio.line import Stretch


@dataclass
class AudioMeasures:
    verdict_s: float | None = None
    verdict_by: str | None = None
    detector: str | None = None
    detector_reason: str | None = None
    response_s: list[float] = field(default_factory=list)
    overlap_machine_s: float = 0.0
    overlap_any_s: float = 0.0
    voicemail_after_beep_s: float | None = None
    key_after_option_s: list[float] = field(default_factory=list)
    interruptions: list[dict[str, float]] = field(default_factory=list)

    @property
    def response_median_s(self) -> float | None:
        return round(statistics.median(self.response_s), 3) if self.response_s else None

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "response_median_s": self.response_median_s}


def _overlap(a: Stretch, b: Stretch) -> float:
    """How long `a` sounded while `b` did (a box's clip sounds only until its greeting or beep is over)."""
    b_end = b.end_s if b.sound_s is None else min(b.end_s, b.start_s + b.sound_s)
    return max(0.0, min(a.end_s, b_end) - max(a.start_s, b.start_s))


def measure(timeline: list[Stretch], dtmf: list[tuple[float, str]],
            verdicts: list[tuple[float, dict[str, Any]]]) -> AudioMeasures:
    """The measures of one call, from its line's timeline, key presses and the core's verdicts (each with
    its line time; a verdict as the core keeps it: answerer, rule, source)."""
    out = AudioMeasures()
    callee = [s for s in timeline if s.side == "callee" and s.kind in ("speech", "tones")]
    words = [s for s in callee if s.kind == "speech"]
    agent = sorted((s for s in timeline if s.side == "agent" and s.end_s > s.start_s), key=lambda s: s.start_s)
    detected = next((v for _, v in verdicts if v["source"] == "amd"), None)
    if detected is not None:
        out.detector, out.detector_reason = detected["rule"], detected.get("reason") or None
    decided = next(((at, v) for at, v in verdicts if v["answerer"] not in ("uncertain", "announcement")), None)
    if words and decided is not None:
        out.verdict_s = round(max(0.0, decided[0] - words[0].start_s), 3)
        out.verdict_by = decided[1]["source"]
    for said in words:
        later = [a for a in agent if a.start_s >= said.end_s - 0.05]
        nxt = next((c for c in callee if c.start_s > said.start_s), None)
        if later and (nxt is None or later[0].start_s < nxt.start_s):
            out.response_s.append(round(later[0].start_s - said.end_s, 3))
    for a in agent:
        for c in callee:
            shared = _overlap(a, c)
            out.overlap_any_s += shared
            if c.machine:
                out.overlap_machine_s += shared
    out.overlap_any_s = round(out.overlap_any_s, 3)
    out.overlap_machine_s = round(out.overlap_machine_s, 3)
    beeps = [s for s in timeline if s.side == "callee" and s.kind == "tones"]
    if beeps and agent:
        clip = beeps[-1]
        message = next((a for a in agent if a.start_s >= clip.start_s), None)
        if message is not None and clip.beep_end_s is not None:
            out.voicemail_after_beep_s = round(message.start_s - (clip.start_s + clip.beep_end_s), 3)
    for at, digits in dtmf:
        prompt = next((s for s in reversed(words) if s.start_s <= at), None)
        if prompt is None:
            continue
        heard = _option_heard_at(prompt, digits)
        if heard is not None:
            out.key_after_option_s.append(round(at - heard, 3))
    for a in agent:
        if a.cut_at_s is None:
            continue
        barge = next((c for c in words if a.start_s < c.start_s <= a.cut_at_s), None)
        if barge is not None:
            out.interruptions.append({"callee_started_s": round(barge.start_s, 3),
                                      "agent_stopped_after_s": round(a.cut_at_s - barge.start_s, 3)})
    return out


def _option_heard_at(prompt: Stretch, digits: str) -> float | None:
    """When the words of the option behind `digits` ended, in line time (shared by character position)."""
    text = prompt.text
    options = read_menu(text).options
    for index, option in enumerate(options):
        if option.key == digits:
            end = options[index + 1].position if index + 1 < len(options) else len(text)
            return prompt.start_s + (prompt.end_s - prompt.start_s) * end / max(1, len(text))
    return None


def talked_over_the_box(measures: dict[str, Any]) -> bool:
    """The agent spoke over a machine's greeting, or its message began before the beep had ended."""
    after_beep = measures.get("voicemail_after_beep_s")
    return measures.get("overlap_machine_s", 0.0) > 0 or (after_beep is not None and after_beep < 0)
