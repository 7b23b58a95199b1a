"""Each tool's argument model is built once (infrastructure/livekit_tool_models.py), and every tool call's
arguments and every tool schema come out exactly as the library's own per-call build gives them."""
from __future__ import annotations

import json
from typing import Annotated, Optional

import pydantic
import pytest
from livekit.agents import function_tool
from livekit.agents.llm import find_function_tools, utils as livekit_utils
from pydantic import Field

from infrastructure import livekit_tool_models
from infrastructure.sales_agent import SalesAgent

# Each tool of the sales agent with arguments a model might send: well formed, a default left out, a
# null for a default (strict mode's "use the default"), a wrong type, a missing required argument.
CALLS = [
    {"digits": "4"}, {"digits": 4}, {},
    {"prompt_text": "For billing press 2."}, {"words": "Hi, you've reached Lakeside."},
    {"within_start": "2026-12-01T09:00:00-06:00"}, {"within_start": None, "within_end": None},
    {"start": "2026-12-02T10:00:00-06:00", "attendee_email": "a@b.example"}, {"start": 7},
    {"outcome": "declined", "objections": ["cost"]}, {"outcome": "declined", "objections": "cost"},
    {"outcome": "callback_requested", "callback_time": None, "next_step": None},
    {"reason": "asked"}, {"name": "Amy", "best_time": "mornings"},
]


def bound_tools() -> list:
    """The agent's tools bound to an agent, as a session calls them (a new binding at each access)."""
    agent = object.__new__(SalesAgent)
    return [tool.__get__(agent, SalesAgent) for tool in find_function_tools(SalesAgent)]


def outcome(tool, arguments: dict):
    try:
        return livekit_utils.validated_arguments(tool, dict(arguments))
    except (pydantic.ValidationError, ValueError, TypeError) as exc:
        return type(exc).__name__, str(exc)


def test_it_is_the_builder_livekit_uses_once_the_sales_agent_is_imported():
    assert livekit_utils.function_arguments_to_pydantic_model is livekit_tool_models.arguments_model


def test_every_tool_calls_arguments_and_schema_are_the_librarys_own(monkeypatch):
    tools = bound_tools()
    assert len(tools) >= 9
    kept = {(tool.info.name, json.dumps(c)): outcome(tool, c) for tool in tools for c in CALLS}
    kept_schemas = {tool.info.name: livekit_utils.build_strict_openai_schema(tool) for tool in tools}
    kept_legacy = {tool.info.name: livekit_utils.build_legacy_openai_schema(tool) for tool in tools}

    monkeypatch.setattr(livekit_utils, "function_arguments_to_pydantic_model", livekit_tool_models.build_model)
    tools = bound_tools()
    built = {(tool.info.name, json.dumps(c)): outcome(tool, c) for tool in tools for c in CALLS}
    assert kept == built
    assert kept_schemas == {tool.info.name: livekit_utils.build_strict_openai_schema(tool) for tool in tools}
    assert kept_legacy == {tool.info.name: livekit_utils.build_legacy_openai_schema(tool) for tool in tools}
    # Some calls were refused, and the arguments of the others filled in: the comparison saw both.
    assert any(isinstance(v, tuple) for v in built.values()) and any(isinstance(v, dict) for v in built.values())


def test_a_tools_model_is_built_once_for_every_agent_and_call(monkeypatch):
    library_builder, built = livekit_tool_models.build_model, []

    def counting(func):
        built.append(func.info.name)
        return library_builder(func)

    monkeypatch.setattr(livekit_tool_models, "_MODELS", {})
    monkeypatch.setattr(livekit_tool_models, "build_model", counting)
    for _ in range(5):  # five agents, each describing its tools and taking a call of each
        for tool in bound_tools():
            livekit_utils.build_strict_openai_schema(tool)
            outcome(tool, {})
    assert sorted(built) == sorted(t.info.name for t in bound_tools())


def test_a_schema_handed_out_can_be_edited_without_touching_the_next():
    tool = next(t for t in bound_tools() if t.info.name == "record_outcome")
    model = livekit_tool_models.arguments_model(tool)
    first = model.model_json_schema()
    first["properties"].clear()
    first["required"].append("nothing")
    assert "outcome" in model.model_json_schema()["properties"]
    assert "nothing" not in model.model_json_schema()["required"]
    # Asked with arguments, pydantic works it out as it would.
    assert model.model_json_schema(by_alias=False) == livekit_tool_models.build_model(tool).model_json_schema(
        by_alias=False)


def test_tools_of_other_functions_and_unbound_tools_get_models_of_their_own():
    @function_tool
    async def look_up(city: Annotated[str, Field(description="City")], zip_code: Optional[str] = None) -> str:
        """Look a city up."""
        return city

    @function_tool
    async def look_down(depth: int) -> str:
        """Look down."""
        return str(depth)

    up, down = livekit_tool_models.arguments_model(look_up), livekit_tool_models.arguments_model(look_down)
    assert set(up.model_fields) == {"city", "zip_code"} and set(down.model_fields) == {"depth"}
    assert livekit_tool_models.arguments_model(look_up) is up
    # Bound to an object, the same function's first parameter is the object: not an argument.
    assert set(livekit_tool_models.arguments_model(look_up.__get__(object())).model_fields) == {"zip_code"}
    digits = next(t for t in bound_tools() if t.info.name == "press_digits")
    assert set(livekit_tool_models.arguments_model(digits).model_fields) == {"digits"}


def test_what_is_not_a_tool_is_built_each_time():
    async def plain(count: int) -> None:
        """Not a tool."""

    first, second = livekit_tool_models.arguments_model(plain), livekit_tool_models.arguments_model(plain)
    assert first is not second and set(first.model_fields) == {"count"}


@pytest.mark.parametrize("name", ["press_digits", "record_outcome"])
def test_a_refused_call_names_the_argument(name):
    tool = next(t for t in bound_tools() if t.info.name == name)
    with pytest.raises(pydantic.ValidationError) as refused:
        livekit_utils.validated_arguments(tool, {})
    assert ("digits" if name == "press_digits" else "outcome") in str(refused.value)
