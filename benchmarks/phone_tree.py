"""Benchmark: phone-tree navigation, greeting classification, beep detection.

Run from the repository root:  python -m benchmarks.phone_tree [--quick]

Prints
- navigator accuracy (right key for the decision maker) on the menus corpus,
  each menu fed whole, sentence by sentence, and cut at random word boundaries;
- steps taken against the shortest path to a person on the multi-level trees;
- greeting classifier accuracy, and precision / recall per label;
- beep hit rate (tones of 0.2-1.5 s at 400-2000 Hz after a spoken greeting,
  in white or pink noise at several SNRs, at 8, 16 and 48 kHz) and false
  alarms (speech, held vowels, music, noise, ringback without a beep);
- decision time per prompt (median / p95 microseconds).

The corpus lives in benchmarks/phone_tree_corpus/; the evaluation functions
here are also used by tests/unit/test_phone_tree_corpus.py.
"""
from __future__ import annotations

import argparse
import random
import re
import statistics
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import yaml

from domain.menu_navigator import MenuNavigator, NavAction, NavDecision, TargetPolicy
from domain.voicemail_detector import classify_greeting

CORPUS = Path(__file__).parent / "phone_tree_corpus"


def load(name: str) -> list[dict]:
    with open(CORPUS / f"{name}.yaml", encoding="utf-8") as f:
        data = yaml.safe_load(f)
    return data[name]


# -- menus -------------------------------------------------------------------

def _outcome(decision: NavDecision) -> str:
    if decision.action is NavAction.STAY_ON_LINE:
        return "stay"
    if decision.action is NavAction.SAY:
        return f"say:{decision.say}"
    if decision.digits:
        return decision.digits
    return decision.action.value


def fragments(text: str, mode: str, rng: random.Random) -> list[str]:
    if mode == "whole":
        return [text]
    if mode == "sentences":
        parts = [p for p in re.split(r"(?<=[.?!])\s+", text) if p]
        return parts if len(parts) > 1 else text.split(" ", 1) if " " in text else [text]
    words = text.split()
    cuts = sorted(rng.sample(range(1, len(words)), k=min(len(words) - 1, rng.randint(2, 6))))
    bounds = [0] + cuts + [len(words)]
    return [" ".join(words[a:b]) for a, b in zip(bounds, bounds[1:])]


def run_menu(text: str, parts: list[str], timings: list[float] | None = None) -> str:
    nav = MenuNavigator()
    decision = None
    for i, part in enumerate(parts):
        t0 = time.perf_counter_ns()
        decision = nav.hear(part, final=i == len(parts) - 1)
        if timings is not None:
            timings.append((time.perf_counter_ns() - t0) / 1000)
        if decision.action is not NavAction.WAIT:
            break
    return _outcome(decision)


def menu_accuracy(menus: list[dict], modes=("whole", "sentences", "words"), seed: int = 7,
                  timings: list[float] | None = None) -> tuple[dict[str, float], list[tuple[str, str, str, str]]]:
    rng = random.Random(seed)
    per_mode: dict[str, float] = {}
    misses = []
    for mode in modes:
        right = 0
        for m in menus:
            expect = m["expect"] if isinstance(m["expect"], list) else [m["expect"]]
            got = run_menu(m["text"], fragments(m["text"], mode, rng), timings)
            if got in [str(e) for e in expect]:
                right += 1
            else:
                misses.append((mode, m["id"], "/".join(map(str, expect)), got))
        per_mode[mode] = right / len(menus)
    return per_mode, misses


# -- trees -------------------------------------------------------------------

def _kind(node: dict) -> str:
    for kind in ("menu", "person", "voicemail", "hangup", "hold"):
        if kind in node:
            return kind
    raise ValueError(f"node has no known kind: {node}")


def _edges(node: dict) -> list[str]:
    out = list((node.get("options") or {}).values()) + list((node.get("speech") or {}).values())
    return out


def shortest(tree: dict) -> int | None:
    """Fewest keys / words to the decision maker, else to any person (timeouts are free)."""
    nodes = tree["nodes"]

    def bfs(goal) -> int | None:
        best = {tree["start"]: 0}
        queue = deque([tree["start"]])
        while queue:
            name = queue.popleft()
            node = nodes[name]
            if goal(node):
                return best[name]
            steps = [(n, 1) for n in _edges(node)]
            if node.get("on_timeout"):
                steps.append((node["on_timeout"], 0))
            if node.get("transfers_to"):
                steps.append((node["transfers_to"], 0))
            for nxt, cost in steps:
                if nxt not in best or best[name] + cost < best[nxt]:
                    best[nxt] = best[name] + cost
                    (queue.appendleft if cost == 0 else queue.append)(nxt)
        return None

    found = bfs(lambda n: n.get("person") == "decision_maker")
    return found if found is not None else bfs(lambda n: "person" in n)


@dataclass
class Walk:
    reached: str | None  # "decision_maker", "receptionist" or None
    steps: int
    keys: list[str]


def walk(tree: dict, policy: TargetPolicy | None = None, max_steps: int = 12) -> Walk:
    """Drive the navigator through a tree the way the call simulator would."""
    nodes = tree["nodes"]
    nav = MenuNavigator(policy)
    name = tree["start"]
    keys: list[str] = []
    for _ in range(max_steps * 3):
        node = nodes[name]
        kind = _kind(node)
        if kind == "person":
            role = node["person"]
            if role != "decision_maker" and node.get("transfers_to"):
                role = nodes[node["transfers_to"]].get("person", role)
            return Walk(role, len(keys), keys)
        if kind in ("voicemail", "hangup"):
            d = nav.reached_dead_end(hung_up=kind == "hangup")
            if d.action is NavAction.GIVE_UP:
                return Walk(None, len(keys), keys)
            if d.digits:
                keys.append(d.digits)
            name = tree["start"]  # a voicemail box that takes 0 is not modelled: redial
            continue
        if kind == "hold":
            name = node["then"]
            continue
        nav.reset()
        parts = [p for p in re.split(r"(?<=[.?!])\s+", node["menu"]) if p]
        d = None
        for i, part in enumerate(parts):
            d = nav.hear(part, final=i == len(parts) - 1)
            if d.action is not NavAction.WAIT:
                break
        if d.action in (NavAction.PRESS, NavAction.BACK_OUT, NavAction.REPEAT) and d.digits:
            keys.append(d.digits)
            options = node.get("options") or {}
            name = options.get(d.digits) or node.get("on_invalid") or name
        elif d.action is NavAction.SAY:
            keys.append(f"say:{d.say}")
            name = (node.get("speech") or {}).get(d.say) or node.get("on_invalid") or name
        elif d.action is NavAction.GIVE_UP:
            return Walk(None, len(keys), keys)
        else:  # stay on the line, or nothing to do: the menu times out
            name = node.get("on_timeout") or name
        if len(keys) > max_steps:
            break
    return Walk(None, len(keys), keys)


# -- greetings ---------------------------------------------------------------

def greeting_scores(greetings: list[dict]) -> tuple[float, dict[str, tuple[float, float]], list]:
    """Accuracy, {label: (precision, recall)}, misses."""
    pairs = [(g["label"], classify_greeting(g["text"]).answerer.value) for g in greetings]
    misses = [(g["text"], want, got) for g, (want, got) in zip(greetings, pairs) if want != got]
    labels = sorted({w for w, _ in pairs})
    scores = {}
    for label in labels:
        tp = sum(1 for w, g in pairs if w == label and g == label)
        predicted = sum(1 for _, g in pairs if g == label)
        actual = sum(1 for w, _ in pairs if w == label)
        scores[label] = (tp / predicted if predicted else 0.0, tp / actual if actual else 0.0)
    return sum(w == g for w, g in pairs) / len(pairs), scores, misses


# -- beeps -------------------------------------------------------------------

def beep_scores(rates=(8000, 16000, 48000), snrs=(20, 10, 5, 0, -5), per_cell: int = 20, negatives: int = 20,
                seed: int = 11) -> tuple[dict, dict, list[float]]:
    import numpy as np

    from benchmarks import phone_audio as audio
    from domain.beep_detector import BeepDetector

    rng = np.random.default_rng(seed)
    feed_us: list[float] = []

    def detect(rate, samples):
        det = BeepDetector(rate)
        pcm = audio.to_pcm(samples)
        step = int(rate * 0.02) * 2  # 20 ms frames, as a telephony stream delivers them
        events = []
        for i in range(0, len(pcm), step):
            t0 = time.perf_counter_ns()
            e = det.feed(pcm[i:i + step])
            feed_us.append((time.perf_counter_ns() - t0) / 1000)
            if e:
                events.append(e)
        last = det.flush()
        return events + ([last] if last else [])

    hits = {}
    for rate in rates:
        for snr in snrs:
            ok = 0
            for _ in range(per_cell):
                freq = float(rng.uniform(400, 2000))
                dur = float(rng.uniform(0.2, 1.5))
                x, start, end = audio.voicemail_clip(rate, rng, freq=freq, beep_s=dur, snr_db=snr)
                events = detect(rate, x)
                ok += any(start - 0.15 <= e.start_s and e.end_s <= end + 0.15
                          and abs(e.frequency_hz - freq) <= 0.05 * freq for e in events)
            hits[(rate, snr)] = ok / per_cell
    false_alarms = {}
    for rate in rates:
        for kind in ("speech", "vowel", "music", "white", "pink", "ringback"):
            fired = 0
            for _ in range(negatives):
                if kind == "speech":
                    x = audio.speech_like(rate, 3.0, rng)
                elif kind == "vowel":
                    x = audio.sustained_vowel(rate, 1.0, rng)
                elif kind == "music":
                    x = audio.music_like(rate, 3.0, rng)
                elif kind == "white":
                    x = audio.white_noise(rate, 2.0, rng)
                elif kind == "pink":
                    x = audio.pink_noise(rate, 2.0, rng)
                else:
                    x = audio.ringback(rate, 7.0) + audio.white_noise(rate, 7.0, rng, rms=0.01)
                fired += bool(detect(rate, x))
            false_alarms[(rate, kind)] = fired / negatives
    return hits, false_alarms, feed_us


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer audio clips (about 4x faster)")
    args = parser.parse_args()

    menus, trees, greetings = load("menus"), load("trees"), load("greetings")
    timings: list[float] = []
    per_mode, misses = menu_accuracy(menus, timings=timings)
    total = sum(per_mode.values()) / len(per_mode)
    print(f"Navigator: {len(menus)} menus")
    for mode, acc in per_mode.items():
        print(f"  right key, fed {mode:9s}: {acc:6.1%}")
    print(f"  overall                  : {total:6.1%}")
    for mode, mid, want, got in misses:
        print(f"  miss [{mode}] {mid}: expected {want}, got {got}")

    print(f"\nTrees: {len(trees)} multi-level phone trees")
    taken = best = 0
    at_shortest = reached = reached_dm = 0
    for tree in trees:
        w = walk(tree)
        s = shortest(tree)
        taken += w.steps
        best += s or 0
        reached += w.reached is not None
        reached_dm += w.reached == "decision_maker"
        at_shortest += w.reached is not None and w.steps == s
        print(f"  {tree['id']:30s} keys {' '.join(w.keys) or '-':22s} steps {w.steps} shortest {s} -> {w.reached}")
    print(f"  reached a person {reached}/{len(trees)}, the decision maker {reached_dm}/{len(trees)}; "
          f"steps taken {taken} vs shortest {best}; on the shortest path {at_shortest}/{len(trees)}")

    acc, scores, gmisses = greeting_scores(greetings)
    print(f"\nGreeting classifier: {len(greetings)} greetings, accuracy {acc:.1%}")
    for label, (p, r) in scores.items():
        print(f"  {label:13s} precision {p:6.1%}  recall {r:6.1%}")
    for text, want, got in gmisses:
        print(f"  miss: expected {want}, got {got} ({len(text.split())} words)")

    per_cell, negatives = (6, 6) if args.quick else (20, 20)
    hits, fas, feed_us = beep_scores(per_cell=per_cell, negatives=negatives)
    print(f"\nBeep detector ({per_cell} clips per cell, {negatives} negatives per kind and rate)")
    for (rate, snr), h in hits.items():
        print(f"  hit rate {rate:5d} Hz, SNR {snr:3d} dB: {h:6.1%}")
    main_snrs = [h for (rate, snr), h in hits.items() if snr >= 5]
    print(f"  hit rate at SNR >= 5 dB: {statistics.mean(main_snrs):6.1%}; at all SNRs: "
          f"{statistics.mean(hits.values()):6.1%}")
    by_kind: dict[str, list[float]] = {}
    for (rate, kind), fa in fas.items():
        by_kind.setdefault(kind, []).append(fa)
    for kind, values in by_kind.items():
        print(f"  false alarms on {kind:9s}: {statistics.mean(values):6.1%}")
    print(f"  false alarm rate overall: {statistics.mean(fas.values()):6.1%}")
    print(f"  feed() per 20 ms frame: median {statistics.median(feed_us):.0f} us, p95 {_pct(feed_us, 0.95):.0f} us")

    print(f"\nDecision time per prompt (hear(), {len(timings)} calls): median {statistics.median(timings):.0f} us, "
          f"p95 {_pct(timings, 0.95):.0f} us, max {max(timings):.0f} us")
    greet_us = []
    for g in greetings:
        t0 = time.perf_counter_ns()
        classify_greeting(g["text"])
        greet_us.append((time.perf_counter_ns() - t0) / 1000)
    print(f"Greeting classification: median {statistics.median(greet_us):.0f} us, p95 {_pct(greet_us, 0.95):.0f} us")


if __name__ == "__main__":
    main()
