"""`docshield replay`: re-run one stored job through the worker's use case."""
from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Optional

import typer

from application.commands import JOB_ID_FORM
from application.errors import MalformedJob
from entrypoints.cli.error_display import CommandFailed
from entrypoints.cli.session import EnvFile, LogLevel, run, settings_for


def register(app: typer.Typer) -> None:
    app.command("replay")(replay_command)


def replay_command(
    job_id: Optional[str] = typer.Argument(None, metavar="JOB_ID", help=JOB_ID_FORM),
    campaign_id: Optional[str] = typer.Option(None, "--campaign-id", help="Instead of JOB_ID, with --step."),
    step: Optional[int] = typer.Option(None, "--step", help="Sequence step, with --campaign-id."),
    attempt: int = typer.Option(0, "--attempt", min=0,
                                help="With --campaign-id: a callback the worker queued (1, 2, ...)."),
    final: Optional[bool] = typer.Option(None, "--final/--not-final",
                                         help="The step's final_step flag (default: from the stored job)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would happen; change nothing, dial nothing."),
    force: bool = typer.Option(False, "--force", help="Dial again a step that already has a final outcome."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    env_file: Optional[Path] = EnvFile,
    log_level: Optional[str] = LogLevel,
) -> None:
    """Re-run a stored job through the same use case as the worker."""
    from application.commands import command_for_job_id, job_id_for
    from entrypoints.replay import ReplayRefused, replay

    if job_id and (campaign_id or step is not None or attempt):
        raise typer.BadParameter("give JOB_ID or --campaign-id with --step, not both")
    if not job_id and not (campaign_id and step is not None):
        raise typer.BadParameter("give JOB_ID, or --campaign-id and --step")
    try:
        chosen = command_for_job_id(job_id or job_id_for(campaign_id or "", step or 0, attempt))
    except MalformedJob as exc:
        raise typer.BadParameter(str(exc)) from None
    settings = settings_for(env_file, log_level, worker_id=f"replay-{socket.gethostname()}-{os.getpid()}")

    async def work(container):
        return await replay(container, chosen.campaign_id, chosen.step, final_step=final,
                            queue_name=settings.queue_name, dry_run=dry_run, force=force, attempt=chosen.attempt)

    try:
        plan = run(settings, work)
    except ReplayRefused as exc:
        raise CommandFailed("DS104", f"not replayed: {exc}") from None
    if as_json:
        typer.echo(json.dumps(plan.to_dict(), indent=2))
    else:
        _print(plan, dry_run)
    if plan.result is not None and plan.result.get("status") == "failed":
        raise typer.Exit(code=1)


def _print(plan, dry_run: bool) -> None:
    typer.echo(f"job {plan.job_id} (final_step={plan.final_step}, from {plan.final_step_source})")
    typer.echo(f"  campaign: {plan.campaign_status or 'unknown'}; contact: {plan.contact or '-'}")
    if plan.compliance:
        c = plan.compliance
        typer.echo(f"  compliance now: {c['verdict']} ({c['rule']}: {c['reason']})")
    typer.echo(f"  claim: {plan.claim['status'] + ' by ' + plan.claim['worker_id'] if plan.claim else 'none'}")
    for call in plan.recorded_calls:
        typer.echo(f"  recorded: {call['outcome']} ({call['call_id']})")
    typer.echo(f"  {'would' if dry_run else 'plan'}: {plan.action}")
    if plan.refused:
        typer.echo(f"  refused: {plan.refused}")
    if plan.result is not None:
        typer.echo(f"  result: {json.dumps(plan.result)}")
