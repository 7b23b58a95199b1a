"""Call timing on sound: what the text simulation cannot show, over shipped scenarios, one call at a time.

Each call runs in real time through `simulate --audio`'s harness (offline voice, 8 kHz mu-law line, silero
VAD, offline recognizer on both sides, the offline brain as the model). Printed: median and p95 of the
human/machine verdict time (from the callee side's first word), the agent's response time (end of the
callee's speech to the agent's first audio), the voicemail message's start after the beep, the key press
after the chosen option was heard, and how fast the agent stopped when talked over; plus agent audio over
a machine's greeting or menu. Beside them, the anchors: livekit-agents' AMD decides on 2.5 s of speech then
0.5 s of silence; Pipecat's IVR navigator waits 2.0 s of silence.

    python -m benchmarks.audio_timing [ROUNDS]
"""
from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from infrastructure.settings import load_settings  # noqa: E402
from simulator.audio.engines import warm_up  # noqa: E402
from simulator.scenario import load_files  # noqa: E402
from simulator.simulation import Simulation  # noqa: E402

SCENARIOS = [("menus.yaml", "ortho-two-level-menu"), ("phone_trees.yaml", "tree-two-level-admin"),
             ("voicemail.yaml", "voicemail-with-beep"), ("voicemail.yaml", "voicemail-without-beep"),
             ("voicemail.yaml", "voicemail-long-greeting"), ("objections.yaml", "interrupts-the-pitch"),
             ("objections.yaml", "objection-cost"), ("gatekeepers.yaml", "gatekeeper-transfers")]


def spread(values: list[float]) -> str:
    if not values:
        return "n/a"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return f"median {statistics.median(ordered):.2f} s, p95 {p95:.2f} s (n={len(ordered)})"


async def main(rounds: int) -> None:
    wanted = {(file, scenario_id) for file, scenario_id in SCENARIOS}
    scenarios = [s for s in load_files(sorted(str(p) for p in (ROOT / "scenarios").glob("*.yaml")))
                 if (Path(s.source).name, s.id) in wanted] * rounds
    warm_up()
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(None, data_dir=folder, log_level="ERROR", max_concurrent_calls=1)
        started = time.perf_counter()
        runs = await Simulation(settings, audio=True).run(scenarios)
        elapsed = time.perf_counter() - started
    measures = [r.observed.get("audio") or {} for r in runs]
    print(f"calls on sound: {len(runs)} ({sum(r.passed for r in runs)} passed their expectations) in "
          f"{elapsed:.0f} s, one at a time")
    for run in runs:
        if not run.passed:
            print(f"  FAILED {run.scenario.id}: {'; '.join(run.failures)}")
    print(f"human/machine verdict after the first word:   {spread([m['verdict_s'] for m in measures if m.get('verdict_s') is not None])}"
          "   (anchor: livekit AMD, 2.5 s of speech + 0.5 s of silence)")
    print(f"end of callee speech -> agent's first audio: {spread([x for m in measures for x in m.get('response_s', [])])}")
    print(f"voicemail message start after the beep:     {spread([m['voicemail_after_beep_s'] for m in measures if m.get('voicemail_after_beep_s') is not None])}")
    print(f"key pressed after the option was heard:     {spread([x for m in measures for x in m.get('key_after_option_s', [])])}"
          "   (anchor: Pipecat IVR, 2.0 s of silence)")
    print(f"agent stopped after being talked over:      {spread([i['agent_stopped_after_s'] for m in measures for i in m.get('interruptions', [])])}")
    print(f"agent audio over a machine's greeting/menu: {sum(m.get('overlap_machine_s', 0.0) for m in measures):.2f} s in all")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1))
