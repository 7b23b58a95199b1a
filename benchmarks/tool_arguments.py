"""CPU time of a tool call's argument check and of the tool schemas a Realtime session is sent, for the sales
agent's tools: with livekit-agents' own build at every call, and with each tool's model kept
(infrastructure/livekit_tool_models.py). Each tool is bound to a fresh agent at every call, as a session
binds it. Printed: the median CPU time per call over REPEATS rounds of every tool.

    python -m benchmarks.tool_arguments [--repeats N]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from livekit.agents.llm import find_function_tools, utils as livekit_utils  # noqa: E402

from infrastructure import livekit_tool_models  # noqa: E402
from infrastructure.sales_agent import SalesAgent  # noqa: E402

ARGUMENTS = {"press_digits": {"digits": "2"}, "choose_menu_option": {"prompt_text": "For billing press 2."},
             "check_availability": {"within_start": None}, "record_outcome": {"outcome": "declined"}}


def per_call_us(repeats: int) -> dict[str, float]:
    """Median CPU µs of one tool call's argument check, and of one tool's strict schema."""
    tools = find_function_tools(SalesAgent)
    checks, schemas = [], []
    for _ in range(repeats):
        agent = object.__new__(SalesAgent)
        started = time.process_time()
        for tool in tools:
            if tool.info.name in ARGUMENTS:
                livekit_utils.validated_arguments(tool.__get__(agent, SalesAgent), dict(ARGUMENTS[tool.info.name]))
        checks.append((time.process_time() - started) / len(ARGUMENTS))
        started = time.process_time()
        for tool in tools:
            livekit_utils.build_strict_openai_schema(tool.__get__(agent, SalesAgent))
        schemas.append((time.process_time() - started) / len(tools))
    return {"argument check": statistics.median(checks) * 1e6, "strict schema": statistics.median(schemas) * 1e6}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    repeats = parser.parse_args().repeats
    kept = per_call_us(repeats)
    livekit_utils.function_arguments_to_pydantic_model = livekit_tool_models.build_model  # the library's own
    built = per_call_us(repeats)
    livekit_tool_models.install()
    for what in kept:
        print(f"{what}: {built[what]:.0f} µs a call built each time, {kept[what]:.0f} µs with the model kept")


if __name__ == "__main__":
    main()
