"""`docshield`: one console script, a sub-command per operator task.

Exit codes: 0 success, 2 usage error (with the command's help), 1 runtime
failure (one line on stderr; details in the log).
"""
from __future__ import annotations

import gc
import logging
import sys

# The imports below make about a million objects (typer, pydantic, dependency-injector, pymongo, the
# commands), none of them garbage, and the collector ran dozens of times over them while they were made:
# a sixth of a command's start-up (0.07-0.1 s of CPU). It is paused while they are imported.
_COLLECTING = gc.isenabled()
gc.disable()
try:
    import typer

    from entrypoints.cli import (agent_commands, campaign_commands, data_commands, dnc_commands, error_display,
                                 job_commands, replay_commands, report_commands, simulate_commands,
                                 worker_commands)
    from infrastructure.settings import ConfigError
finally:
    if _COLLECTING:
        gc.enable()

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
job_commands.register(app)
campaign_commands.register(app)
dnc_commands.register(app)
data_commands.register(app)
simulate_commands.register(app)
agent_commands.register(app)
replay_commands.register(app)
report_commands.register(app)


def main(argv: list[str] | None = None) -> int:
    """Run one command; `argv` None: this process's own arguments, and the process ends when it returns."""
    try:
        return _command(list(argv if argv is not None else sys.argv[1:]))
    finally:
        if argv is None:
            _before_exit()


def _before_exit() -> None:
    """The interpreter's last garbage collection walks every object the imports made (pydantic, dependency-
    injector, pymongo: about 0.15 s after the output, even for --version). The command needs none of it:
    its output is flushed here, its clients were closed by the command, and the exit hooks (logging's
    flush, weakref.finalize) still run. So what exists now is frozen out of that collection."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    gc.freeze()


def _command(args: list[str]) -> int:
    command = typer.main.get_command(app)
    try:
        outcome = command.main(args=args, prog_name="docshield", standalone_mode=False)
        # Without standalone mode click hands back `typer.Exit(code)` as a return value, not an exception.
        return outcome if isinstance(outcome, int) else 0
    except ConfigError as exc:
        for problem in exc.problems:
            error_display.say(f"config: {problem}", error_display.RED)
        error_display.runtime_error("DS101", f"{len(exc.problems)} configuration problem(s), named above")
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        return _report(exc, args)


def _report(exc: Exception, args: list[str]) -> int:
    # Typer carries its own copy of click, so its exceptions are recognised by shape.
    exit_code = getattr(exc, "exit_code", None)
    name = type(exc).__name__
    if name == "Exit":
        return exit_code or 0
    if name == "Abort":
        error_display.say("Aborted.", error_display.YELLOW)
        return 1
    if isinstance(exc, error_display.CommandFailed):
        error_display.runtime_error(exc.code, str(exc))
        return 1
    if isinstance(exc, error_display.MissingArguments):
        error_display.missing_arguments("", exc.names, exc.example)
        return 2
    ctx = getattr(exc, "ctx", None)
    if name == "MissingParameter" and ctx is not None:
        missing = _all_missing(ctx, args) or [exc.param]
        error_display.missing_arguments(
            ctx.get_usage(), [p.get_error_hint() for p in missing],
            error_display.example_call(ctx.command_path, ctx.command.params))
        return 2
    if exit_code == 2 and hasattr(exc, "format_message"):
        usage, path = (ctx.get_usage(), ctx.command_path) if ctx is not None else ("", "docshield")
        error_display.usage_error(usage, exc.format_message(), path)
        return 2
    dependency = error_display.dependency_of(exc)
    if dependency is not None:
        logging.getLogger("docshield.cli").debug("command failed", exc_info=True)
        error_display.network_error(dependency, exc)
        return 1
    if exit_code is not None and hasattr(exc, "format_message"):
        error_display.runtime_error("DS100", exc.format_message())
        return exit_code
    # One clear line for the operator; the traceback goes to the log.
    logging.getLogger("docshield.cli").debug("command failed", exc_info=True)
    code = "DS102" if isinstance(exc, LookupError) else "DS100"
    message = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    error_display.runtime_error(code, message or type(exc).__name__)
    return 1


def _all_missing(ctx, args: list[str]) -> list:
    """Every required parameter the call left out, not only the first one click stopped at."""
    path = []
    node = ctx
    while node.parent is not None:
        path.insert(0, node.info_name)
        node = node.parent
    rest = list(args)
    for word in path:  # the groups take no options of their own: the command's words come first
        if not rest or rest[0] != word:
            return []
        rest.pop(0)
    try:
        opts, _, _ = ctx.command.make_parser(ctx).parse_args(args=rest)
    except Exception:
        return []
    return [p for p in ctx.command.params
            if p.required and opts.get(p.name) in (None, (), []) and not p.resolve_envvar_value(ctx)]


if __name__ == "__main__":
    sys.exit(main())
