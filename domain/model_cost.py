"""What a model run costs: token usage priced per million tokens (text, cached, audio apart).

Prices are configuration (MODEL_PRICES), with OpenAI's list prices as defaults; a
model without a price has no cost (None), never a made-up zero.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping

# List prices in US dollars per million tokens (OpenAI's published prices when this was written).
# Set MODEL_PRICES (JSON, same shape) to your own contract prices; a model without a price gets no cost.
DEFAULT_PRICES: dict[str, dict[str, float]] = {
    "gpt-realtime": {"input": 4.0, "cached_input": 0.4, "output": 16.0, "audio_input": 32.0, "audio_output": 64.0},
    "gpt-realtime-mini": {"input": 0.6, "cached_input": 0.06, "output": 2.4, "audio_input": 10.0,
                          "audio_output": 20.0},
    "gpt-4.1-mini": {"input": 0.4, "cached_input": 0.1, "output": 1.6},
    "gpt-4o-mini": {"input": 0.15, "cached_input": 0.075, "output": 0.6},
}


@dataclass
class TokenUsage:
    """What one simulated call consumed on the model, from livekit-agents' usage summary."""

    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0
    audio_input_tokens: int = 0
    audio_output_tokens: int = 0

    @classmethod
    def from_session_usage(cls, model_usage: list[Any]) -> "TokenUsage":
        total = cls()
        for usage in model_usage:
            if getattr(usage, "type", "") != "llm_usage":
                continue
            total.input_tokens += usage.input_tokens
            total.cached_input_tokens += usage.input_cached_tokens
            total.output_tokens += usage.output_tokens
            total.audio_input_tokens += usage.input_audio_tokens
            total.audio_output_tokens += usage.output_audio_tokens
        return total

    def as_json(self) -> dict[str, int]:
        return dict(vars(self))

    def cost_usd(self, prices: Mapping[str, float] | None) -> float | None:
        """Dollars at `prices` (per million tokens); None when the model has no price."""
        if prices is None:
            return None
        audio_in, audio_out = self.audio_input_tokens, self.audio_output_tokens
        text_in = max(0, self.input_tokens - audio_in - self.cached_input_tokens)
        text_out = max(0, self.output_tokens - audio_out)
        dollars = (text_in * prices.get("input", 0.0) + self.cached_input_tokens * prices.get("cached_input", 0.0)
                   + text_out * prices.get("output", 0.0) + audio_in * prices.get("audio_input", 0.0)
                   + audio_out * prices.get("audio_output", 0.0)) / 1_000_000
        return round(dollars, 6)


def prices_for(model: str, overrides: str | None) -> dict[str, float] | None:
    """The price table of `model`: MODEL_PRICES (JSON) first, then the list prices above."""
    table = dict(DEFAULT_PRICES)
    if overrides:
        table.update(json.loads(overrides))
    return table.get(model)


def validate_prices(text: str) -> str:
    """MODEL_PRICES must be {"model": {"input": dollars, ...}}; ValueError naming what is wrong."""
    try:
        table = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"not JSON ({exc})") from None
    known = {"input", "cached_input", "output", "audio_input", "audio_output"}
    if not isinstance(table, dict):
        raise ValueError('must be a JSON object like {"gpt-realtime": {"input": 4, "output": 16}}')
    for model, prices in table.items():
        if not isinstance(prices, dict) or not prices:
            raise ValueError(f"{model}: must map price names to dollars per million tokens")
        for key, value in prices.items():
            if key not in known:
                raise ValueError(f"{model}.{key}: unknown price (known: {', '.join(sorted(known))})")
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{model}.{key}: must be a number >= 0")
    return text


