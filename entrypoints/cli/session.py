"""Shared plumbing for commands: settings, logging and a container for one command."""
from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator, Awaitable, Callable, Optional, TypeVar

import typer

from containers import Container, build_container, close_container
from infrastructure.logging_config import configure_logging
from infrastructure.settings import Settings, load_settings, unknown_env_keys

T = TypeVar("T")

EnvFile = typer.Option(None, "--env-file", help="Read settings from this .env file (the environment still wins).",
                       exists=True, dir_okay=False, readable=True)
LogLevel = typer.Option(None, "--log-level", help="DEBUG, INFO, WARNING or ERROR (default: LOG_LEVEL or INFO).")


def settings_for(env_file: Optional[Path], log_level: Optional[str] = None, **overrides) -> Settings:
    if log_level:
        overrides["log_level"] = log_level
    settings = load_settings(env_file, **overrides)
    configure_logging(settings.log_level, json_lines=settings.log_json)
    for line in unknown_env_keys(env_file):
        logging.getLogger("docshield.settings").warning(line)
    return settings


@asynccontextmanager
async def container_for(settings: Settings) -> AsyncIterator[Container]:
    container = await build_container(settings)
    try:
        yield container
    finally:
        await close_container(container)


def run(settings: Settings, work: Callable[[Container], Awaitable[T]]) -> T:
    async def go() -> T:
        async with container_for(settings) as container:
            return await work(container)

    return asyncio.run(go())
