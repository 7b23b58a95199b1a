"""Turn latency from the assistant ChatMessage metrics livekit-agents records."""
from __future__ import annotations

import math

import pytest
from livekit.agents import llm

from infrastructure.turn_latency import TurnLatencies, e2e_latency_ms


def reply(seconds, role="assistant"):
    metrics = {"llm_node_ttft": 0.2} if seconds is None else {"e2e_latency": seconds, "llm_node_ttft": 0.2}
    return llm.ChatMessage(role=role, content=["hello"], metrics=metrics)


def test_the_assistant_turn_latency_is_read_to_the_millisecond():
    assert e2e_latency_ms(reply(0.8346)) == 835.0
    assert e2e_latency_ms(reply(0.8344)) == 834.0


@pytest.mark.parametrize("item", [
    reply(0.5, role="user"),                      # the callee's own message carries other metrics
    reply(None),                                  # the greeting: no user turn before it
    reply(-0.1),
    reply(math.nan),
    llm.FunctionCall(call_id="c1", name="press_digits", arguments="{}"),
])
def test_items_without_a_usable_latency_give_none(item):
    assert e2e_latency_ms(item) is None


def test_a_call_keeps_its_turns_in_order_and_summarises_them_against_the_target():
    latencies = TurnLatencies(target_ms=1500)
    for seconds in (0.9, None, 1.7, 1.1, 2.4):
        latencies.add(reply(seconds))
    assert latencies.values_ms == [900.0, 1700.0, 1100.0, 2400.0]
    summary = latencies.summary()
    assert summary["turns"] == 4 and summary["over_target"] == 2
    assert summary["p50_ms"] == 1100.0 and summary["p95_ms"] == 2400.0 and summary["max_ms"] == 2400.0


def test_a_call_without_turns_has_an_empty_summary():
    assert TurnLatencies().summary()["turns"] == 0
