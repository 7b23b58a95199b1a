"""`--model` for simulations: what each form means, the one-line refusals, and the cost of a run."""
from __future__ import annotations

import pytest

from domain.model_cost import DEFAULT_PRICES, TokenUsage, prices_for, validate_prices
from simulator.model_choice import (ModelChoice, ModelRefused, ModelUnavailable,
                                    check_access, parse_model)
from tests.stubs.openai_realtime_stub import RealtimeStub


class TestParse:
    def test_offline_needs_no_key(self):
        assert parse_model("offline", api_key=None) == ModelChoice("offline", "offline-script")

    @pytest.mark.parametrize("text, kind", [("openai:gpt-realtime", "realtime"),
                                            ("openai-realtime:gpt-realtime", "realtime"),
                                            ("openai-chat:gpt-4.1-mini", "chat")])
    def test_openai_means_the_realtime_model_that_takes_the_calls(self, text, kind):
        choice = parse_model(text, api_key="k")
        assert choice.kind == kind and choice.name == text.split(":", 1)[1]

    def test_a_missing_key_names_the_variable(self):
        with pytest.raises(ModelUnavailable, match="needs OPENAI_API_KEY"):
            parse_model("openai:gpt-realtime", api_key=None)

    @pytest.mark.parametrize("text", ["gpt-realtime", "openai:", "anthropic:claude", "OFFLINE", ""])
    def test_other_forms_are_usage_errors_that_list_the_valid_ones(self, text):
        with pytest.raises(ModelUnavailable, match="openai"):
            parse_model(text, api_key="k")


class TestAccessCheck:
    @pytest.fixture
    async def endpoint(self):
        stub = await RealtimeStub(api_key="right-key", models=("gpt-realtime",)).start()
        yield stub
        await stub.stop()

    async def test_a_known_model_with_the_right_key_passes(self, endpoint):
        await check_access(ModelChoice("realtime", "gpt-realtime"), api_key="right-key", base_url=endpoint.base_url)

    async def test_a_wrong_key_is_one_line_naming_the_variable(self, endpoint):
        with pytest.raises(ModelRefused, match="refused OPENAI_API_KEY .HTTP 401"):
            await check_access(ModelChoice("realtime", "gpt-realtime"), api_key="wrong", base_url=endpoint.base_url)

    async def test_an_unknown_model_is_named(self, endpoint):
        with pytest.raises(ModelRefused, match="'gpt-nonesuch' is unknown"):
            await check_access(ModelChoice("realtime", "gpt-nonesuch"), api_key="right-key",
                               base_url=endpoint.base_url)

    async def test_an_endpoint_that_cannot_be_reached_names_the_base_url_variable(self):
        with pytest.raises(ModelRefused, match="OPENAI_BASE_URL"):
            await check_access(ModelChoice("realtime", "gpt-realtime"), api_key="k",
                               base_url="http://127.0.0.1:9/v1", timeout_s=2)


class TestCost:
    def test_text_audio_and_cached_tokens_are_priced_apart(self):
        usage = TokenUsage(input_tokens=1_000_000, cached_input_tokens=200_000, output_tokens=500_000,
                           audio_input_tokens=300_000, audio_output_tokens=100_000)
        prices = {"input": 4.0, "cached_input": 0.4, "output": 16.0, "audio_input": 32.0, "audio_output": 64.0}
        # text in 500k * 4 + cached 200k * 0.4 + text out 400k * 16 + audio in 300k * 32 + audio out 100k * 64
        assert usage.cost_usd(prices) == pytest.approx(2.0 + 0.08 + 6.4 + 9.6 + 6.4)

    def test_no_price_means_no_cost_rather_than_zero(self):
        assert TokenUsage(input_tokens=10).cost_usd(None) is None
        assert prices_for("my-private-model", None) is None

    def test_model_prices_override_the_list_prices(self):
        assert prices_for("gpt-realtime", '{"gpt-realtime": {"input": 1, "output": 2}}') == {"input": 1, "output": 2}
        assert prices_for("gpt-realtime", None) == DEFAULT_PRICES["gpt-realtime"]

    @pytest.mark.parametrize("text, problem", [("nope", "not JSON"), ("[1]", "JSON object"),
                                               ('{"m": {"inptu": 1}}', "m.inptu: unknown price"),
                                               ('{"m": {"input": -1}}', "m.input: must be a number")])
    def test_bad_model_prices_say_what_is_wrong(self, text, problem):
        with pytest.raises(ValueError, match=problem):
            validate_prices(text)
