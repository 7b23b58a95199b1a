"""start-worker, seed-queue, check-status, stop-worker (contracts section 2)."""
from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from application.commands import ConductCallCommand
from application.errors import MalformedJob
from entrypoints.cli.call_timing import when_placed
from entrypoints.cli.error_display import EXAMPLE_VALUES, CommandFailed, MissingArguments
from entrypoints.cli.session import EnvFile, LogLevel, queue_pool, run, settings_for
from entrypoints.cli.time_display import duration, relative

# The queue's modules (arq, Redis) are imported by the commands that reach the queue, not by every command.


def register(app: typer.Typer) -> None:
    app.command("start-worker")(start_worker)
    app.command("seed-queue")(seed_queue)
    app.command("check-status")(check_status)
    app.command("stop-worker")(stop_worker)


def start_worker(
    env_file: Optional[Path] = EnvFile,
    log_level: Optional[str] = LogLevel,
    burst: bool = typer.Option(False, "--burst", help="Process what is queued now, then exit."),
) -> None:
    """Run the ARQ worker that places the calls."""
    from entrypoints.worker import run_worker

    settings = settings_for(env_file, log_level)
    reason = asyncio.run(run_worker(settings, burst=burst))
    typer.echo(f"worker {settings.worker_id} stopped: {reason}", err=True)


def seed_queue(
    campaign_id_arg: Optional[str] = typer.Argument(None, metavar="CAMPAIGN_ID", help="24-hex campaign id."),
    campaign_id: Optional[str] = typer.Option(None, "--campaign-id", help="Same as the positional CAMPAIGN_ID."),
    step: int = typer.Option(0, "--step", help="Sequence step (>= 0)."),
    final: bool = typer.Option(False, "--final", help="This is the sequence's last step."),
    delay: float = typer.Option(0.0, "--delay", help="Seconds before the job may run."),
    env_file: Optional[Path] = EnvFile,
) -> None:
    """Enqueue one outbound-call job."""
    if campaign_id_arg and campaign_id and campaign_id_arg != campaign_id:
        raise typer.BadParameter("give the campaign id once (positional or --campaign-id)")
    chosen = campaign_id_arg or campaign_id
    if not chosen:
        raise MissingArguments(["CAMPAIGN_ID (or --campaign-id)"],
                               f"docshield seed-queue {EXAMPLE_VALUES['campaign_id']}")
    try:
        command = ConductCallCommand.from_kwargs({"campaign_id": chosen, "step": step, "final_step": final})
    except MalformedJob as exc:
        raise typer.BadParameter(str(exc)) from None
    settings = settings_for(env_file)

    async def work(container) -> tuple[bool, str]:
        from infrastructure.arq_jobs import enqueue_call

        async with queue_pool(container, settings) as pool:
            defer = datetime.fromtimestamp(time.time() + delay, timezone.utc) if delay > 0 else None
            job = await enqueue_call(pool, command, queue_name=settings.queue_name, defer_until=defer)
        try:  # the queue is what matters; when the call happens is said when the database answers
            when = await asyncio.wait_for(_when(container, command.campaign_id), timeout=10)
        except Exception as exc:
            when = f"when the call can be placed is unknown: {type(exc).__name__}"
        return job is not None, when

    queued, when = run(settings, work)
    if queued:
        typer.echo(f"queued {command.job_id} on {settings.queue_name}")
    else:
        typer.echo(f"{command.job_id} is already queued or was handled recently; not queued again")
    typer.echo(when)


async def _when(container, campaign_id: str) -> str:
    campaign = await (await container.campaigns()).get(campaign_id)
    contact = await (await container.contacts()).get(campaign.contact_id) if campaign else None
    if campaign is None or contact is None:
        return f"no campaign {campaign_id} (or its contact) in the database: the worker will fail this job"
    return await when_placed(container, campaign, contact)


def check_status(
    worker_id: Optional[str] = typer.Option(None, "--worker-id", help="Only this worker."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    watch: bool = typer.Option(False, "--watch", help="Redraw every --interval seconds until Ctrl-C."),
    interval: float = typer.Option(2.0, "--interval", min=0.2, help="Seconds between redraws with --watch."),
    require_workers: int = typer.Option(0, "--require-workers", min=0, metavar="N",
                                        help="Exit 1 when fewer than N workers are live (a probe)."),
    env_file: Optional[Path] = EnvFile,
) -> None:
    """Live workers, queue depth, in-progress and deferred jobs, calls in flight."""
    settings = settings_for(env_file)
    console = Console()

    async def snapshot(container) -> dict:
        from infrastructure.queue_status import last_word, read_queue
        from infrastructure.worker_registry import WorkerRegistry

        redis = await container.redis()
        workers = [w for w in await WorkerRegistry(redis).live() if not worker_id or w.worker_id == worker_id]
        queue = await read_queue(redis, settings.queue_name)
        try:
            claims = await asyncio.wait_for((await container.claims()).in_flight(), timeout=5)
        except Exception as exc:  # the queue view is still worth showing without MongoDB
            claims, claims_error = [], f"{type(exc).__name__}"
        else:
            claims_error = None
        now = time.time()
        deferred = []
        for job_id, at in queue.next_deferred:
            last = await last_word(redis, job_id)
            deferred.append({"job_id": job_id, "at": at, "in_s": _seconds_until(at, now),
                             "reason": last.get("reason")})
        return {
            "queue": {"name": queue.queue_name, "ready": queue.ready, "deferred": queue.deferred,
                      "depth": queue.depth, "in_progress": queue.in_progress,
                      "scale_up": queue.depth > settings.scale_up_queue_depth,
                      "next_deferred": deferred,
                      "callbacks": [{"job_id": j, "at": at, "in_s": _seconds_until(at, now)}
                                    for j, at in queue.callbacks]},
            "workers": [{"worker_id": w.worker_id, "host": w.host, "pid": w.pid, "state": w.state,
                         "heartbeat_age_s": round(w.age_s(now), 1), "current_jobs": w.current_jobs,
                         "elapsed_s": {job: round(now - w.job_started_at[job], 1)
                                       for job in w.current_jobs if job in w.job_started_at},
                         "jobs_done": w.jobs_done, "jobs_failed": w.jobs_failed, "jobs_retried": w.jobs_retried,
                         "memory_mb": w.memory_mb} for w in workers],
            "calls_in_flight": [{"campaign_id": c.campaign_id, "step": c.step, "status": c.status.value,
                                 "worker_id": c.worker_id, "call_id": c.call_id,
                                 "lease_until": c.lease_until.isoformat()} for c in claims],
            "claims_error": claims_error,
        }

    async def work(container) -> dict:
        status = await snapshot(container)
        while watch:
            if as_json:
                typer.echo(json.dumps(status))
            else:
                if console.is_terminal:
                    console.clear()
                _print_status(status, console)
                console.print(f"[dim]every {interval:g} s; Ctrl-C to stop[/]")
            await asyncio.sleep(interval)
            status = await snapshot(container)
        return status

    try:
        status = run(settings, work)
    except KeyboardInterrupt:  # how --watch ends
        return
    if as_json:
        typer.echo(json.dumps(status, indent=2))
    else:
        _print_status(status, console)
    live = len(status["workers"])
    if live < require_workers:
        raise CommandFailed("DS103", f"{live} live worker(s), {require_workers} required")


def _seconds_until(at: str, now: float) -> float | None:
    """Seconds from now to a run time read off the queue; None when it is no time at all ("never ...")."""
    try:
        return round(datetime.fromisoformat(at).timestamp() - now, 1)
    except ValueError:
        return None


def _runs(at: str, in_s: float | None) -> str:
    if in_s is None:
        return at
    return f"runs {'in ' + duration(in_s) if in_s >= 0 else duration(in_s) + ' ago'} ({at[:16]}Z)"


def _print_status(status: dict, console: Console) -> None:
    # Lines, not wide tables: a job id alone is 33 columns and this must read in an 80-column terminal.
    q = status["queue"]
    console.print(f"[bold]queue[/] {q['name']}: {q['ready']} ready, {q['deferred']} deferred, "
                  f"{len(q['in_progress'])} in progress" + ("  [red]scale up[/]" if q["scale_up"] else ""))
    workers = status["workers"]
    console.print(f"[bold]workers[/]: {len(workers)} live" if workers else "[bold]workers[/]: no live worker")
    for w in workers:
        console.print(f"  {w['worker_id']}  {w['state']}, heartbeat {w['heartbeat_age_s']:g} s ago, "
                      f"{w['memory_mb']:g} MB")
        console.print(f"    done {w['jobs_done']}, failed {w['jobs_failed']}, retried {w['jobs_retried']}")
        for job in w["current_jobs"]:
            elapsed = w["elapsed_s"].get(job)
            console.print(f"    running {job}" + (f" for {duration(elapsed)}" if elapsed is not None else ""))
    now = datetime.now(timezone.utc)
    if status["calls_in_flight"]:
        console.print("[bold]calls in flight[/]:")
        for c in status["calls_in_flight"]:
            lease = datetime.fromisoformat(c["lease_until"])
            lease = lease if lease.tzinfo else lease.replace(tzinfo=timezone.utc)
            console.print(f"  call:{c['campaign_id']}:{c['step']}  {c['status']} by {c['worker_id']}, "
                          f"lease ends {relative(lease, now)}")
    if q["next_deferred"]:
        console.print(f"[bold]next deferred jobs[/] ({len(q['next_deferred'])} of {q['deferred']}):")
        for d in q["next_deferred"]:
            console.print(f"  {d['job_id']}  {_runs(d['at'], d['in_s'])}", markup=False)
            if d["reason"]:
                console.print(f"    {d['reason']}", markup=False)
    if q["callbacks"]:
        console.print(f"[bold]callbacks queued[/] (follow-ups the callee asked for, {len(q['callbacks'])}):")
        for c in q["callbacks"]:
            console.print(f"  {c['job_id']}  {_runs(c['at'], c['in_s'])}", markup=False)
    if status["claims_error"]:
        console.print(f"[yellow]calls in flight unknown: MongoDB {status['claims_error']}[/]")


def stop_worker(
    worker_id: Optional[str] = typer.Option(None, "--worker-id", help="Only this worker (default: all)."),
    force: bool = typer.Option(False, "--force", help="End calls in progress politely now."),
    env_file: Optional[Path] = EnvFile,
) -> None:
    """Ask workers to finish the call in progress and take no new job."""
    settings = settings_for(env_file)

    async def work(container) -> list[str]:
        from infrastructure.worker_registry import WorkerRegistry

        return await WorkerRegistry(await container.redis()).request_stop(worker_id, force=force)

    asked = run(settings, work)
    if not asked and worker_id:
        raise CommandFailed("DS102", f"no live worker {worker_id!r} (check-status lists them)")
    if not asked:
        raise CommandFailed("DS103", "no live worker to stop")
    typer.echo(f"asked {', '.join(asked)} to {'stop now' if force else 'drain and stop'}")
