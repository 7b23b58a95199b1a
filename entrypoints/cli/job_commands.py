"""`docshield jobs failed|deferred|requeue|purge` (contracts section 2): the operator's queue verbs."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from application.commands import JOB_ID_FORM, ConductCallCommand
from application.errors import MalformedJob
from entrypoints.cli.error_display import CommandFailed
from entrypoints.cli.folded_lines import FoldedLines
from entrypoints.cli.session import EnvFile, queue_pool, run, settings_for
from entrypoints.cli.time_display import relative

if TYPE_CHECKING:
    from infrastructure.queue_status import JobView

# The queue's modules (arq, Redis) are imported by the commands that reach the queue, not by every command.

jobs_app = typer.Typer(help="Failed and deferred jobs: list them, put failed ones back, empty the queue.",
                       no_args_is_help=True)
Json = typer.Option(False, "--json", help="Machine-readable output.")


def register(app: typer.Typer) -> None:
    app.add_typer(jobs_app, name="jobs")


@jobs_app.command("failed")
def failed(as_json: bool = Json, env_file: Optional[Path] = EnvFile) -> None:
    """Jobs that failed (their result is kept KEEP_RESULT_S), with the reason."""
    settings = settings_for(env_file)

    async def work(container) -> list[JobView]:
        from infrastructure.queue_status import failed_jobs

        async with queue_pool(container, settings) as pool:
            return await failed_jobs(pool)

    _show(run(settings, work), as_json, "failed jobs", "finished", lambda v, now: relative(v.finished_at, now))


@jobs_app.command("deferred")
def deferred(as_json: bool = Json, env_file: Optional[Path] = EnvFile) -> None:
    """Jobs waiting for a later time (a lawful hour, a callback, a retry), soonest first, with why."""
    settings = settings_for(env_file)

    async def work(container) -> list[JobView]:
        from infrastructure.queue_status import deferred_jobs

        async with queue_pool(container, settings) as pool:
            return await deferred_jobs(pool, settings.queue_name)

    _show(run(settings, work), as_json, "deferred jobs", "runs",
          lambda v, now: relative(v.run_at, now) if v.run_at else "never")


def _show(views: list[JobView], as_json: bool, title: str, when: str, at) -> None:
    if as_json:
        typer.echo(json.dumps([v.to_dict() for v in views], indent=2))
        return
    if not views:
        typer.echo(f"no {title}")
        return
    # Two lines a job rather than a table: a job id alone is 33 columns, and this must read in 80.
    now = datetime.now(timezone.utc)
    out = FoldedLines()
    out.say(f"{title} ({len(views)}):")
    for v in views:
        out.say(f"{v.job_id}  {when} {at(v, now)}, try {v.tries or '-'}")
        if v.reason:
            out.say(v.reason, indent=4)


@jobs_app.command("requeue")
def requeue_command(
    job_id: Optional[str] = typer.Argument(None, metavar="JOB_ID", help=JOB_ID_FORM),
    all_failed: bool = typer.Option(False, "--failed", help="Every failed job."),
    as_json: bool = Json,
    env_file: Optional[Path] = EnvFile,
) -> None:
    """Put failed jobs back on the queue; a step that already has an outcome is never queued again."""
    if bool(job_id) == all_failed:
        raise typer.BadParameter("give a JOB_ID or --failed (not both)")
    settings = settings_for(env_file)

    async def work(container) -> tuple[list[str], list[dict]]:
        from infrastructure.queue_maintenance import requeue
        from infrastructure.queue_status import failed_job, failed_jobs

        async with queue_pool(container, settings) as pool:
            if all_failed:
                targets = [(v.job_id, v.kwargs) for v in await failed_jobs(pool)]
            else:
                status, result = await failed_job(pool, job_id, settings.queue_name)
                if status.value == "not_found":
                    raise CommandFailed("DS102", f"no job {job_id} (queued or kept)")
                if result is None:
                    raise CommandFailed("DS104", f"{job_id} is {status.value.replace('_', ' ')}, not failed")
                if result.success:
                    raise CommandFailed("DS104", f"{job_id} finished; its step has an outcome")
                targets = [(job_id, result.kwargs)]
            requeued, skipped = [], []
            for target, kwargs in targets:
                why = await _why_not(container, target, kwargs, settings.queue_name)
                if why is None and not await requeue(pool, ConductCallCommand.from_kwargs(kwargs),
                                                     queue_name=settings.queue_name):
                    why = "queued again meanwhile"
                if why is None:
                    requeued.append(target)
                else:
                    skipped.append({"job_id": target, "reason": why})
            return requeued, skipped

    requeued, skipped = run(settings, work)
    if as_json:
        typer.echo(json.dumps({"requeued": requeued, "skipped": skipped}, indent=2))
    else:
        for target in requeued:
            typer.echo(f"requeued {target}")
        for skip in skipped:
            typer.echo(f"skipped {skip['job_id']}: {skip['reason']}")
        if not requeued and not skipped:
            typer.echo("no failed jobs")
    if job_id and skipped:
        raise CommandFailed("DS104", f"{job_id} not requeued: {skipped[0]['reason']}")


async def _why_not(container, job_id: str, kwargs, queue_name: str) -> Optional[str]:
    """Why this failed job must not run again, or None. The rule is replay's: never a step with an outcome."""
    from entrypoints.replay import plan_replay

    try:
        command = ConductCallCommand.from_kwargs(kwargs)
    except MalformedJob as exc:
        return f"malformed job, never run: {exc}"
    if command.job_id != job_id:
        return f"malformed job: its id should be {command.job_id}"
    plan = await plan_replay(container, command.campaign_id, command.step, final_step=command.final_step,
                             queue_name=queue_name, attempt=command.attempt)
    return plan.refused.split(";")[0] if plan.refused else None


@jobs_app.command("purge")
def purge_command(
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    as_json: bool = Json,
    env_file: Optional[Path] = EnvFile,
) -> None:
    """Empty the queue: every waiting job is removed (a call in progress finishes). Asks first."""
    settings = settings_for(env_file)
    if not yes:
        typer.confirm(f"Remove every waiting job from {settings.queue_name}? Their calls will not be placed",
                      abort=True, err=True)

    async def work(container) -> tuple[list[str], list[str]]:
        from infrastructure.queue_maintenance import purge

        async with queue_pool(container, settings) as pool:
            return await purge(pool, settings.queue_name)

    purged, running = run(settings, work)
    if as_json:
        typer.echo(json.dumps({"purged": purged, "left_in_progress": running}, indent=2))
        return
    typer.echo(f"purged {len(purged)} job(s) from {settings.queue_name}"
               + (f"; {len(running)} in progress left to finish" if running else ""))
