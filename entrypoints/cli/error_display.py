"""How the command line shows what went wrong (the specification's CLI error table).

| kind              | colour on a terminal | exit | shows                                              |
|-------------------|----------------------|------|----------------------------------------------------|
| usage error       | red                  | 2    | the command's usage and what is wrong              |
| missing arguments | yellow               | 2    | every missing one at once, and an example call     |
| runtime error     | red                  | 1    | a stable error code (`ERROR_CODES`) and one line   |
| network error     | orange               | 1    | the variable to check, the retries being made      |

Without a terminal on stderr, or with `NO_COLOR` set, the same text comes out plain.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable, Optional
from urllib.parse import urlsplit, urlunsplit

from rich.console import Console
from rich.text import Text

RED, YELLOW, ORANGE = "red", "yellow", "color(208)"

# Stable codes: scripts and runbooks may match on them; never renumber (README "Error codes").
ERROR_CODES: dict[str, str] = {
    "DS100": "unexpected failure; run again with --log-level DEBUG for the traceback",
    "DS101": "invalid configuration (each problem is named on its own line)",
    "DS102": "not found: no such campaign, job or worker",
    "DS103": "no live worker",
    "DS104": "refused: the step already has an outcome, or the input cannot be used",
    "DS105": "the input file has invalid lines",
    "DS201": "Redis unreachable: check REDIS_URL",
    "DS202": "MongoDB unreachable: check MONGODB_URI",
}


@dataclass(frozen=True)
class Dependency:
    name: str
    variable: str
    code: str
    setting: str


DEPENDENCIES = {
    "redis": Dependency("Redis", "REDIS_URL", "DS201", "redis_url"),
    "mongodb": Dependency("MongoDB", "MONGODB_URI", "DS202", "mongodb_uri"),
}


class CommandFailed(Exception):
    """A runtime failure a command reports itself: one line, a code from ERROR_CODES, exit 1."""

    def __init__(self, code: str, message: str):
        if code not in ERROR_CODES:
            raise ValueError(f"unknown error code {code}")
        super().__init__(message)
        self.code = code


def error_console() -> Console:
    # rich already writes plain text when stderr is not a terminal and drops colours under NO_COLOR;
    # soft_wrap keeps one message on one line whatever the terminal's width.
    return Console(stderr=True, highlight=False, soft_wrap=True, no_color=bool(os.environ.get("NO_COLOR")) or None)


def say(text: str, colour: Optional[str] = None, console: Optional[Console] = None) -> None:
    (console or error_console()).print(Text(text, style=colour or ""))


def runtime_error(code: str, message: str) -> None:
    say(f"error {code}: {message}", RED)


def usage_error(usage: str, message: str, command_path: str) -> None:
    console = error_console()
    if usage:
        say(usage, RED, console)
    say(f"Try '{command_path} --help' for help.", None, console)
    say(f"Error: {message}", RED, console)


def missing_arguments(usage: str, names: list[str], example: str) -> None:
    console = error_console()
    if usage:
        say(usage, YELLOW, console)
    say(f"Missing: {', '.join(names)}", YELLOW, console)
    say(f"For example: {example}", YELLOW, console)


def dependency_key(exc: BaseException) -> Optional[str]:
    """"redis" or "mongodb" when `exc` (or what caused it) is a failure to reach it, else None."""
    from infrastructure.resilience import FaultKind, classify

    seen: set[int] = set()
    current: Optional[BaseException] = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if getattr(current, "dependency", None) in DEPENDENCIES:
            return current.dependency
        if classify(current) in (FaultKind.NETWORK, FaultKind.TIMEOUT):
            module = type(current).__module__
            if module.startswith(("redis", "arq")):
                return "redis"
            if module.startswith(("pymongo", "motor")):
                return "mongodb"
        current = current.__cause__ or current.__context__
    return None


def dependency_of(exc: BaseException) -> Optional[Dependency]:
    key = dependency_key(exc)
    return DEPENDENCIES[key] if key else None


def where(dependency: Dependency) -> str:
    """The variable's value with any password hidden, or what runs when it is unset."""
    value = os.environ.get(dependency.variable)
    if not value:
        return f"{dependency.variable} is unset: the embedded {dependency.name} under DATA_DIR"
    try:
        parts = urlsplit(value)
        if parts.password:
            host = parts.hostname or ""
            port = f":{parts.port}" if parts.port else ""
            value = urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}{port}"))
    except ValueError:
        value = "(unparsable)"
    return f"{dependency.variable}={value}"


def _cause(exc: BaseException) -> str:
    root = exc
    while root.__cause__ is not None:
        root = root.__cause__
    # pymongo appends its whole topology description: the first clause says what happened.
    text = str(root).split("\n")[0].split(", Timeout:")[0].split(" (configured timeouts")[0]
    return f"{type(root).__name__}: {text[:120]}" if text else type(root).__name__


def retrying(dependency_name: str, exc: BaseException, attempt: int, retries: int, sleep_s: float) -> None:
    """A retry in progress, as it happens (the guard's and the command's own)."""
    dependency = DEPENDENCIES.get(dependency_name)
    if dependency is None:
        return
    say(f"network: cannot reach {dependency.name} ({_cause(exc)}); check {where(dependency)}; "
        f"retry {attempt} of {retries} in {sleep_s:.1f} s", ORANGE)


def network_error(dependency: Dependency, exc: BaseException) -> None:
    say(f"error {dependency.code}: cannot reach {dependency.name} ({_cause(exc)}); gave up after the retries; "
        f"check {where(dependency)}", ORANGE)


EXAMPLE_VALUES = {
    "first_name": "Dana", "last_name": "Reyes", "phone": "+15125550143", "practice": "'Lakeside Orthopedics'",
    "campaign_id": "65f0c2a1b3d4e5f6a7b8c9d0", "job_id": "call:65f0c2a1b3d4e5f6a7b8c9d0:0",
    "email": "dana@lakeside.example", "timezone_name": "America/Chicago", "worker_id": "worker-a-1234",
}


def example_call(command_path: str, params: Iterable) -> str:
    """`command_path` with every required parameter given a plausible value."""
    words = [command_path]
    for param in params:
        if not getattr(param, "required", False):
            continue
        value = EXAMPLE_VALUES.get(param.name, param.metavar or param.name.upper())
        if getattr(param, "param_type_name", "") == "option":
            words.append(f"{param.opts[0]} {value}")
        else:
            words.append(value)
    return " ".join(words)


class MissingArguments(Exception):
    """Arguments a command needs that only it can tell are missing (e.g. one of two spellings)."""

    def __init__(self, names: list[str], example: str):
        super().__init__(f"missing: {', '.join(names)}")
        self.names = names
        self.example = example
