"""Call timing on sound: what the text simulation cannot show, over short shipped scenarios, one call at a time.

Each call runs in real time through `simulate --audio`'s harness (offline voice, 8 kHz mu-law line, silero
VAD, offline recognizer on both sides, the offline brain as the model, livekit-agents' answering-machine
detector with the domain's greeting classifier as its text model). The scenarios are short on purpose: a
person with a short greeting, one with a long greeting, a voicemail box with a beep, a full mailbox and a
one-level menu; ROUNDS runs each of them that many times (default 3). Printed: median and p95 of the
human/machine verdict time (from the callee side's first word) and of the agent's response time (end of
the callee's speech to the agent's first audio), then the voicemail message's start after the beep, the
key press after the chosen option was heard, and the agent's audio over a machine; the machine's load
before and after (the figures are only as good as the CPU the real-time engines got). Beside them, the
anchors: livekit-agents' AMD decides on 2.5 s of speech then 0.5 s of silence; Pipecat's IVR navigator
waits 2.0 s of silence.

    python -m benchmarks.audio_timing [ROUNDS]
"""
from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from infrastructure.settings import load_settings  # noqa: E402
from simulator.audio.engines import warm_up  # noqa: E402
from simulator.scenario import load_files  # noqa: E402
from simulator.simulation import Simulation  # noqa: E402

SCENARIOS = [("decisions.yaml", "decline-plain"), ("real_lines.yaml", "real-human-baker-john"),
             ("voicemail.yaml", "voicemail-with-beep"), ("voicemail.yaml", "mailbox-full"),
             ("line_endings.yaml", "menu-hangs-up-on-choice")]


def spread(values: list[float]) -> str:
    if not values:
        return "n/a"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return f"median {statistics.median(ordered):.2f} s, p95 {p95:.2f} s (n={len(ordered)})"


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores"


async def main(rounds: int) -> None:
    wanted = {(file, scenario_id) for file, scenario_id in SCENARIOS}
    scenarios = [s for s in load_files(sorted(str(p) for p in (ROOT / "scenarios").glob("*.yaml")))
                 if (Path(s.source).name, s.id) in wanted] * rounds
    warm_up()
    print(f"before: {load()}")
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(None, data_dir=folder, log_level="ERROR", max_concurrent_calls=1)
        started = time.perf_counter()
        runs = await Simulation(settings, audio=True).run(scenarios)
        elapsed = time.perf_counter() - started
    print(f"after:  {load()}")
    measures = [r.observed.get("audio") or {} for r in runs]
    print(f"calls on sound: {len(runs)} ({sum(r.passed for r in runs)} passed their expectations) in "
          f"{elapsed:.0f} s, one at a time")
    for run, m in zip(runs, measures):
        print(f"  {run.scenario.id:<26} verdict {m.get('verdict_s')} s by {m.get('verdict_by')} "
              f"(detector: {m.get('detector')}), responses {m.get('response_s')}"
              + ("" if run.passed else f"  FAILED: {'; '.join(run.failures)}"))
    by = Counter(f"{m.get('verdict_by')}" for m in measures)
    print(f"human/machine verdict after the first word:   {spread([m['verdict_s'] for m in measures if m.get('verdict_s') is not None])}"
          f"   by {dict(by)}   (anchor: livekit AMD, 2.5 s of speech + 0.5 s of silence)")
    print(f"end of callee speech -> agent's first audio: {spread([x for m in measures for x in m.get('response_s', [])])}")
    print(f"voicemail message start after the beep:     {spread([m['voicemail_after_beep_s'] for m in measures if m.get('voicemail_after_beep_s') is not None])}")
    print(f"key pressed after the option was heard:     {spread([x for m in measures for x in m.get('key_after_option_s', [])])}"
          "   (anchor: Pipecat IVR, 2.0 s of silence)")
    print(f"agent audio over a machine's greeting/menu: {sum(m.get('overlap_machine_s', 0.0) for m in measures):.2f} s in all")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 3))
