"""simulate and demo (contracts sections 2 and 3): scenarios through the real worker pipeline."""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional

import typer
from rich.console import Console

from entrypoints.cli.error_display import RED, say
from entrypoints.cli.progress_display import progress_bar, wanted
from entrypoints.cli.session import EnvFile, settings_for

if TYPE_CHECKING:
    from simulator.model_choice import ModelChoice

# Shipped inside the package, so `docshield demo` works from an installed wheel or the image too.
DEMO_FILE = Path(__file__).resolve().parents[2] / "simulator" / "demo_practices.yaml"


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate)
    app.command("demo")(demo)


def _run(settings, scenarios, model: ModelChoice, show_progress: bool, **options):
    # livekit-agents takes a second to import: only the commands that run calls pay for it.
    from simulator.simulation import Simulation

    with progress_bar("simulating", len(scenarios), show=show_progress) as advance:
        simulation = Simulation(settings, model=model, on_done=lambda run: advance(run.scenario.id), **options)
        return asyncio.run(simulation.run(scenarios)), simulation.report


def simulate(
    files: List[Path] = typer.Argument(..., metavar="FILE...", help="Scenario YAML files (contracts section 3)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per scenario on stdout."),
    report: Optional[Path] = typer.Option(None, "--report", help="Write the report page here: the run's figures "
                                          "and charts, then every call (the page `docshield report --html` writes)."),
    model: str = typer.Option(
        "offline", "--model",
        help="offline (the offline brain, no credentials); openai:MODEL or openai-realtime:MODEL (the OpenAI Realtime "
             "model that takes real calls, in text); openai-chat:MODEL (a chat-completions model). OpenAI models use "
             "OPENAI_API_KEY and OPENAI_BASE_URL."),
    repeat: int = typer.Option(1, "--repeat", min=1, max=100,
                               help="Run every scenario N times and report each scenario's pass rate."),
    max_turns: int = typer.Option(60, "--max-turns", min=2, max=500,
                                  help="Cut a call off after this many turns (it fails as timed out)."),
    time_limit: float = typer.Option(180.0, "--time-limit", min=1.0, max=3600.0,
                                     help="Cut a call off after this many seconds of wall time (it fails)."),
    audio: bool = typer.Option(False, "--audio", help="Run the calls on sound: the practice speaks through an offline "
                               "voice on a phone line, the agent hears through an offline recognizer (real time; "
                               "needs the audio extra: pip install -e '.[audio]'). --json adds each call's timings."),
    processes: Optional[int] = typer.Option(
        None, "--processes", min=1, max=64,
        help="Worker processes taking the run's jobs, this one included (default: one per 100 scenarios, at most "
             "one per core; --audio runs in one)."),
    env_file: Optional[Path] = EnvFile,
) -> None:
    """Run scenario files through the real worker pipeline; exit 0 when every scenario passes, 1 otherwise."""
    # The simulator is imported by the commands that run it (`docshield report` does not pay for it).
    from simulator.model_choice import ModelRefused, ModelUnavailable, check_access, parse_model
    from simulator.repeats import number_repeats
    from simulator.scenario import ScenarioError, load_files

    try:
        scenarios = load_files(files)
    except ScenarioError as exc:
        say(f"error: {exc}", RED)
        raise typer.Exit(code=2) from None
    if not scenarios:
        say("error: the files hold no scenarios", RED)
        raise typer.Exit(code=2)
    settings = settings_for(env_file)
    try:
        choice = parse_model(model, api_key=settings.openai_api_key)
    except ModelUnavailable as exc:
        say(f"error: {exc}", RED)
        raise typer.Exit(code=2) from None
    if choice.remote:
        try:
            asyncio.run(check_access(choice, api_key=settings.openai_api_key, base_url=settings.openai_base_url))
        except ModelRefused as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(code=1) from None
    from simulator.report import json_lines, table, write_html

    if audio:
        from simulator.audio.engines import AudioEnginesMissing, warm_up

        try:
            warm_up()
        except AudioEnginesMissing as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(code=2) from None
    runs, figures = _run(settings, scenarios * repeat, choice, show_progress=wanted(as_json),
                         audio=audio, max_turns=max_turns, time_limit_s=time_limit, with_report=report is not None,
                         processes=processes)
    if repeat > 1:
        number_repeats(runs)
    if as_json:
        typer.echo(json_lines(runs))
    else:
        table(runs, Console())
    if report is not None:
        write_html(runs, report, figures)
        if not as_json:
            typer.echo(f"report written to {report}")
    raise typer.Exit(code=0 if all(r.passed for r in runs) else 1)


def demo(env_file: Optional[Path] = EnvFile) -> None:
    """Call a handful of simulated practices through the whole pipeline, on embedded defaults."""
    from simulator.model_choice import ModelChoice
    from simulator.report import table
    from simulator.scenario import load_files

    scenarios = load_files([DEMO_FILE])
    settings = settings_for(env_file)
    console = Console()
    console.print(f"[bold]DocShield demo[/]: {len(scenarios)} simulated practices, real queue, worker, database, "
                  "compliance, calendar and storage; the offline brain plays the agent.")
    runs, _ = _run(settings, scenarios, ModelChoice("offline", "offline-script"), show_progress=wanted())
    for run in runs:
        o = run.observed
        console.rule(f"{run.scenario.contact['practice']} ({run.scenario.id})")
        for line in o.get("transcript", []):  # the whole call: a cut transcript hides how it ended
            style = "cyan" if line["speaker"] == "agent" else "dim" if line["speaker"] == "line" else ""
            console.print(f"[{style}]{line['speaker']:>6}[/]: {line['text']}" if style else
                          f"{line['speaker']:>6}: {line['text']}")
        detail = o["outcome"]
        if o.get("meeting"):
            detail += f", meeting at {o['meeting']['start']}"
        if o.get("deferred_until"):
            detail += f", moved to {o['deferred_until']}"
        if o.get("digits"):
            detail += f", pressed {' '.join(o['digits'])}"
        console.print(f"[bold]=> {detail}[/]")
    table(runs, console)
    raise typer.Exit(code=0 if all(r.passed for r in runs) else 1)
