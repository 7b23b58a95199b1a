"""How long the log redaction takes on ordinary lines and on hostile strings; printed per case.

Run from the repository root: python -m benchmarks.log_redaction
"""
from __future__ import annotations

import statistics
import time

from infrastructure.log_redaction import redact_text

CASES = {
    "a job log line": "job call:65f0c2a1b3d4e5f6a7b8c9d0:2 deferred until 2026-03-10T15:00:00+00:00 (federal_window)",
    "a line with a number and an email": "callback to (512) 555-0143 or dana@lakeside.example after 2 pm",
    "a 100 KB job id (no @)": "call:" + "a" * 100_000,
    "a 5 MB function name": "x" * 5_000_000,
    "4,000 digits and separators": "1-" * 2_000,
}


def timed(text: str, runs: int = 20) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        redact_text(text)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def main() -> None:
    for name, text in CASES.items():
        print(f"{name:40s} {timed(text):8.2f} ms median")


if __name__ == "__main__":
    main()
