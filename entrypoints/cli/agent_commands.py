"""`docshield agent-worker [start|dev]`: the LiveKit agent worker that runs the sales agent on real calls."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

import typer

from entrypoints.cli.session import EnvFile, settings_for
from infrastructure.settings import ConfigError

MODES = ("start", "dev")


def register(app: typer.Typer) -> None:
    app.command("agent-worker", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(
        agent_worker)


def agent_worker(
    ctx: typer.Context,
    mode: str = typer.Argument("start", metavar="[start|dev]",
                               help="start: production; dev: debug logs, one process, reload on change."),
    env_file: Optional[Path] = EnvFile,
) -> None:
    """Run the LiveKit agent worker (options after the mode go to livekit-agents, e.g. --log-level)."""
    if mode not in MODES:
        raise typer.BadParameter(f"mode must be one of {', '.join(MODES)}, got {mode!r}", param_hint="MODE")
    if env_file is not None:
        _export(env_file)
    settings = settings_for(None)
    from entrypoints.agent_worker import agent_worker_problems, run

    problems = agent_worker_problems(settings)
    if problems:
        raise ConfigError(problems)
    # livekit-agents' CLI reads its command line itself; give it ours, minus what we consumed.
    sys.argv = ["docshield agent-worker", mode, *ctx.args]
    run(settings)


def _export(env_file: Path) -> None:
    """Put the file's settings in the environment (which still wins), so job processes inherit them."""
    from dotenv import dotenv_values

    for key, value in dotenv_values(env_file).items():
        if value is not None:
            os.environ.setdefault(key.upper(), value)
