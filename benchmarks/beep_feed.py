"""CPU time of the beep detector on a voicemail box's greeting: fed whole, as the simulator plays it, and
in 20 ms frames, as a live call delivers it; and of the voicemail watch fed the whole greeting (the
simulator's path: it judges 20 ms frames, the detector hears them in blocks).

The clip is the simulator's (`simulator.line_audio.voicemail_audio`, 16 kHz): about 6 s of greeting tail,
gap, beep and quiet, and one without a beep. Printed: the median CPU time per clip over REPEATS runs.

    python -m benchmarks.beep_feed [--repeats N]
    python -m benchmarks.beep_feed --against DIR [--rounds R]

`--against DIR` times another checkout's detector and watch (e.g. main's, in a temporary worktree:
`git worktree add /tmp/before main`) and this one's, each in a process of its own, alternately R times
(the machine's speed drifts), and prints both.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GREETING = "Hi, you've reached Lakeside Orthopedics. Please leave a message after the tone."
CLIPS = {"beep": {"beep": True, "greeting_s": 3.5}, "no beep": {"beep": False, "greeting_s": 1.5}}


def measure(code: Path, repeats: int) -> dict[str, dict[str, float]]:
    """Median CPU ms per clip for each way of feeding it, with the detector and watch of `code`."""
    sys.path.insert(0, str(code))
    from application.call.voicemail_watch import VoicemailWatch
    from domain.beep_detector import BeepDetector
    from simulator.line_audio import voicemail_audio

    def whole(rate: int, pcm: bytes) -> None:
        BeepDetector(rate).feed(pcm)

    def frames(rate: int, pcm: bytes) -> None:
        detector, step = BeepDetector(rate), 2 * rate // 50
        for i in range(0, len(pcm), step):
            detector.feed(pcm[i:i + step])

    def watch(rate: int, pcm: bytes) -> None:
        w = VoicemailWatch(rate)
        w.greeting(GREETING)
        w.feed(pcm)

    out: dict[str, dict[str, float]] = {}
    for name, options in CLIPS.items():
        clip = voicemail_audio(f"benchmark:{name}", **options).audio
        row = {"seconds": clip.seconds}
        for way, run in (("detector, whole", whole), ("detector, 20 ms frames", frames), ("watch, whole", watch)):
            run(clip.sample_rate, clip.pcm)  # warm
            times = []
            for _ in range(repeats):
                started = time.process_time()
                run(clip.sample_rate, clip.pcm)
                times.append(time.process_time() - started)
            row[way] = 1000 * statistics.median(times)
        out[name] = row
    return out


def show(title: str, figures: dict[str, dict[str, float]]) -> None:
    print(title)
    for name, row in figures.items():
        print(f"  {name} ({row['seconds']:.1f} s): "
              + ", ".join(f"{way} {ms:.1f} ms" for way, ms in row.items() if way != "seconds"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout whose detector is timed")
    parser.add_argument("--against", type=Path, help="another checkout, timed alternately with this one")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.against is None:
        figures = measure(args.code.resolve(), args.repeats)
        print(json.dumps(figures)) if args.json else show(f"{args.code}: median CPU per clip", figures)
        return
    runs: dict[Path, list[dict]] = {ROOT: [], args.against.resolve(): []}
    for _ in range(args.rounds):
        for code in runs:
            done = subprocess.run([sys.executable, __file__, "--code", str(code), "--repeats", str(args.repeats),
                                   "--json"], check=True, capture_output=True, text=True)
            runs[code].append(json.loads(done.stdout))
    for code, results in runs.items():
        figures = {name: {way: statistics.median(r[name][way] for r in results) for way in results[0][name]}
                   for name in results[0]}
        show(f"{code}: median over {args.rounds} alternating rounds of the median CPU per clip", figures)


if __name__ == "__main__":
    main()
