"""`docshield`: one console script, a sub-command per operator task.

Exit codes: 0 success, 2 usage error (with the command's help), 1 runtime
failure (one line on stderr; details in the log).
"""
from __future__ import annotations

import contextlib
import logging
import sys

import typer

from entrypoints.cli import (agent_commands, campaign_commands, data_commands, dnc_commands, replay_commands,
                             simulate_commands, worker_commands)
from infrastructure.settings import ConfigError

app = typer.Typer(
    name="docshield",
    help="DocShield's outbound AI voice-agent worker.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"docshield {version('docshield-voice-worker')}")
        except PackageNotFoundError:  # run from a checkout that was never installed
            typer.echo("docshield (not installed)")
        raise typer.Exit(0)


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")) -> None:
    """DocShield's outbound AI voice-agent worker."""


worker_commands.register(app)
campaign_commands.register(app)
dnc_commands.register(app)
data_commands.register(app)
simulate_commands.register(app)
agent_commands.register(app)
replay_commands.register(app)


def main(argv: list[str] | None = None) -> int:
    command = typer.main.get_command(app)
    try:
        outcome = command.main(args=argv if argv is not None else sys.argv[1:], prog_name="docshield",
                               standalone_mode=False)
        # Without standalone mode click hands back `typer.Exit(code)` as a return value, not an exception.
        return outcome if isinstance(outcome, int) else 0
    except ConfigError as exc:
        for problem in exc.problems:
            typer.echo(f"config: {problem}", err=True)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        return _report(exc)


def _report(exc: Exception) -> int:
    # Typer may carry its own copy of click, so its exceptions are recognised by shape.
    exit_code = getattr(exc, "exit_code", None)
    if type(exc).__name__ == "Exit":
        return exit_code or 0
    if type(exc).__name__ == "Abort":
        typer.echo("Aborted.", err=True)
        return 1
    if exit_code == 2 and hasattr(exc, "format_message"):
        ctx = getattr(exc, "ctx", None)
        if ctx is not None:
            # Typer's rich help prints to stdout as a side effect; a usage error belongs on stderr.
            with contextlib.redirect_stdout(sys.stderr):
                text = ctx.get_help()
            if text:
                typer.echo(text, err=True)
        message = exc.format_message()
        if message:
            typer.echo(f"Error: {message}", err=True)
        return 2
    if exit_code is not None and hasattr(exc, "format_message"):
        typer.echo(f"error: {exc.format_message()}", err=True)
        return exit_code
    # One clear line for the operator; the traceback goes to the log.
    logging.getLogger("docshield.cli").debug("command failed", exc_info=True)
    typer.echo(f"error: {exc}" if str(exc) else f"error: {type(exc).__name__}", err=True)
    return 1


if __name__ == "__main__":
    sys.exit(main())
