"""`docshield dnc add|remove|list|import`: the internal do-not-call list."""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from rich.console import Console
from rich.table import Table

from entrypoints.cli.error_display import RED, CommandFailed, say
from entrypoints.cli.progress_display import progress_bar, wanted
from entrypoints.cli.session import EnvFile, run, settings_for

if TYPE_CHECKING:
    from application.manage_dnc import ManageDoNotCall

dnc_app = typer.Typer(help="The internal do-not-call list (numbers are stored as keyed hashes).",
                      no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(dnc_app, name="dnc")


async def _manager(container) -> ManageDoNotCall:
    from application.manage_dnc import ManageDoNotCall  # here: the other commands need not pay for it

    return ManageDoNotCall(await container.do_not_call(), container.clock())


@dnc_app.command("add")
def add(phone: str = typer.Argument(..., help="The number, E.164 or US format."),
        reason: str = typer.Option("operator request", "--reason"),
        env_file: Optional[Path] = EnvFile) -> None:
    """Put a number on the list; it is never called again."""
    settings = settings_for(env_file)

    async def work(container):
        return await (await _manager(container)).add(phone, reason=reason, source="cli")

    change = _checked(lambda: run(settings, work))
    typer.echo(f"{change.masked}: {'added' if change.changed else 'already on the list'}")


@dnc_app.command("remove")
def remove(phone: str = typer.Argument(...), env_file: Optional[Path] = EnvFile) -> None:
    """Take a number off the list."""
    settings = settings_for(env_file)

    async def work(container):
        return await (await _manager(container)).remove(phone)

    change = _checked(lambda: run(settings, work))
    typer.echo(f"{change.masked}: {'removed' if change.changed else 'was not on the list'}")


@dnc_app.command("list")
def list_entries(as_json: bool = typer.Option(False, "--json"), env_file: Optional[Path] = EnvFile) -> None:
    """Entries (masked numbers), oldest first."""
    settings = settings_for(env_file)

    async def work(container):
        return await (await _manager(container)).list()

    entries = run(settings, work)
    if as_json:
        typer.echo(json.dumps([{"number": e.masked, "reason": e.reason, "source": e.source,
                                "added_at": e.added_at.isoformat()} for e in entries], indent=2))
        return
    table = Table("number", "reason", "source", "added", title=f"do-not-call list ({len(entries)})")
    for e in entries:
        table.add_row(e.masked, e.reason, e.source, e.added_at.isoformat(timespec="minutes"))
    Console().print(table)


@dnc_app.command("import")
def import_csv(csv_file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                                 help="One number per row (first column; a header is fine)."),
               reason: str = typer.Option("imported", "--reason"),
               env_file: Optional[Path] = EnvFile) -> None:
    """Add every number of a CSV file; bad rows are reported by line and skipped."""
    settings = settings_for(env_file)
    lines = csv_file.read_text(encoding="utf-8-sig").splitlines()

    async def work(container):
        with progress_bar("importing", len(lines), show=wanted()) as advance:
            return await (await _manager(container)).import_csv(lines, source=f"csv:{csv_file.name}",
                                                                default_reason=reason, on_row=advance)

    report = run(settings, work)
    for error in report.errors:
        say(f"{csv_file}:{error.line}: {error.message}", RED)
    typer.echo(report.summary())
    if report.errors:
        raise CommandFailed("DS105", f"{len(report.errors)} line(s) of {csv_file} not imported (named above)")


def _checked(action):
    from application.manage_dnc import InvalidPhoneNumber

    try:
        return action()
    except InvalidPhoneNumber as exc:
        raise typer.BadParameter(str(exc), param_hint="PHONE") from None
