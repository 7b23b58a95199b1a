"""Per-turn latency of a call: end of the callee's speech to the agent's first audio.

livekit-agents puts it on each assistant ChatMessage as `metrics["e2e_latency"]`
(seconds); telephony roughly doubles a web call's latency (livekit/agents#3685),
so every call keeps its own figures against the 1.5 s target.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from domain.call_report import nearest_rank

TARGET_MS = 1500.0


def e2e_latency_ms(item: Any) -> float | None:
    """The turn latency in ms of an assistant ChatMessage, or None when it has none
    (user messages, tool calls, replies not caused by a user turn such as the greeting)."""
    if getattr(item, "type", None) != "message" or getattr(item, "role", None) != "assistant":
        return None
    metrics = getattr(item, "metrics", None) or {}
    seconds = metrics.get("e2e_latency")
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool):
        return None
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return float(round(seconds * 1000.0))  # to the millisecond: the report counts calls per distinct value


@dataclass
class TurnLatencies:
    """The latencies of one call's turns, in the order they happened."""

    target_ms: float = TARGET_MS
    values_ms: list[float] = field(default_factory=list)

    def add(self, item: Any) -> float | None:
        """Record `item`'s latency if it carries one; returns it."""
        value = e2e_latency_ms(item)
        if value is not None:
            self.values_ms.append(value)
        return value

    def summary(self) -> dict[str, Any]:
        """turns, p50_ms, p95_ms, max_ms and how many turns were over the target."""
        if not self.values_ms:
            return {"turns": 0, "p50_ms": None, "p95_ms": None, "max_ms": None, "over_target": 0,
                    "target_ms": self.target_ms}
        ordered = sorted(self.values_ms)
        counted = Counter(ordered)
        return {"turns": len(ordered), "p50_ms": nearest_rank(counted, 0.5), "p95_ms": nearest_rank(counted, 0.95),
                "max_ms": ordered[-1], "over_target": sum(1 for v in ordered if v > self.target_ms),
                "target_ms": self.target_ms}
