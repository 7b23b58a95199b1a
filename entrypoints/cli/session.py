"""Shared plumbing for commands: settings, logging and a container for one command."""
from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, AsyncIterator, Awaitable, Callable, Optional, TypeVar

import typer
from dependency_injector import providers

from application.errors import TransientFault
from containers import Container, build_container, close_container
from entrypoints.cli import error_display
from infrastructure.logging_config import configure_logging
from infrastructure.resilience import ResilienceConfig
from infrastructure.settings import LOG_LEVELS, Settings, load_settings, unknown_env_keys

if TYPE_CHECKING:
    from arq.connections import ArqRedis

T = TypeVar("T")

EnvFile = typer.Option(None, "--env-file", help="Read settings from this .env file (the environment still wins).",
                       exists=True, dir_okay=False, readable=True)


def _log_level(value: Optional[str]) -> Optional[str]:
    # A bad --log-level is a usage error (2), like any bad argument; LOG_LEVEL in the environment is config (1).
    if value and value.upper() not in LOG_LEVELS:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(LOG_LEVELS)}")
    return value


LogLevel = typer.Option(None, "--log-level", callback=_log_level,
                        help="DEBUG, INFO, WARNING or ERROR (default: LOG_LEVEL or INFO).")


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


@asynccontextmanager
async def queue_pool(container: Container, settings: Settings) -> AsyncIterator[ArqRedis]:
    """An arq pool on the queue's Redis, speaking the JSON job format."""
    from arq.connections import create_pool  # imported here: most commands never touch the queue

    from infrastructure.arq_jobs import deserialize, redis_settings, serialize

    pool = await create_pool(redis_settings(await container.redis_url()), job_serializer=serialize,
                             job_deserializer=deserialize, default_queue_name=settings.queue_name)
    try:
        yield pool
    finally:
        await pool.aclose()


def run(settings: Settings, work: Callable[[Container], Awaitable[T]]) -> T:
    """Run `work` with a container; the operator sees every retry as it happens.

    Calls through a guard (MongoDB repositories) are retried by it. What the
    commands reach directly (Redis, MongoDB's connection and indexes) is
    retried here by the same policy (`RESILIENCE`'s "redis" or "mongodb"),
    running `work` again: a failure to connect happens before anything is written.
    """
    config = ResilienceConfig.from_json(settings.resilience)

    async def go() -> T:
        retry = 0
        while True:
            async with container_for(settings) as container:
                container.retry_notice.override(providers.Object(error_display.retrying))
                try:
                    return await work(container)
                except Exception as exc:
                    key = error_display.dependency_key(exc)
                    spec = config.policy(key).on_network if key and not isinstance(exc, TransientFault) else None
                    if spec is None or retry >= spec.retries:
                        raise
                    retry += 1
                    delay = spec.delay_before(retry)
                    error_display.retrying(key, exc, retry, spec.retries, delay)
            await asyncio.sleep(delay)

    return asyncio.run(go())
