"""report (contracts section 2): the success criteria and the calls behind them, over every worker's records."""
from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from entrypoints.cli.progress_display import progress_bar, wanted
from entrypoints.cli.session import EnvFile, run, settings_for

_SINCE = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
HTML_CALLS = 200  # the most recent calls listed on the page, each with its transcript


def parse_since(value: str) -> timedelta | None:
    """`30m`, `12h`, `7d`, `2w`, or `all`; raises typer.BadParameter (exit 2) otherwise."""
    if value.strip().lower() == "all":
        return None
    found = _SINCE.match(value)
    if not found or int(found.group(1)) == 0:
        raise typer.BadParameter(f"{value!r} is not a duration: use e.g. 30m, 12h, 7d, 2w or all",
                                 param_hint="--since")
    return timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})


def register(app: typer.Typer) -> None:
    app.command("report")(report)


def report(
    since: str = typer.Option("7d", "--since", help="How far back: 30m, 12h, 7d, 2w, or all."),
    batch: Optional[str] = typer.Option(None, "--batch", help="Only the campaigns of this batch."),
    as_json: bool = typer.Option(False, "--json", help="Every figure as one JSON object on stdout."),
    html: Optional[Path] = typer.Option(None, "--html", help="Also write the report page (for staff) here.",
                                        dir_okay=False),
    env_file: Optional[Path] = EnvFile,
) -> None:
    """The specification's success criteria, the funnel, outcomes, objections, compliance and costs."""
    from application.call_report import ReportRequest

    window = parse_since(since)
    settings = settings_for(env_file)
    request = ReportRequest(since=window, batch=batch, calls=HTML_CALLS if html is not None else 0)

    # A bar on a terminal: the figures, each listed call's transcript, the page.
    with progress_bar("reporting", 2 if html is not None else 1, show=wanted(as_json)) as advance:
        async def work(container):
            return await (await container.call_report())(request, progress=advance)

        answer = run(settings, work)
        page = None
        if html is not None:
            from infrastructure.report_page import ReportPage

            page = ReportPage.for_report(answer).render()
            advance("page")
    figures = report_json(answer.report)
    if as_json:
        typer.echo(json.dumps(figures, indent=2))
    elif answer.report.empty:
        typer.echo(f"No calls recorded {_window_words(since, batch)}: nothing to report.")
    else:
        print_report(figures, Console())
    if html is not None and page is not None:  # the page is written last, even for an empty window
        html.write_text(page, encoding="utf-8")
        if not as_json:
            typer.echo(f"report page written to {html}")


def _window_words(since: str, batch: str | None) -> str:
    words = "at all" if since.strip().lower() == "all" else f"in the last {since.strip()}"
    return words + (f" for batch {batch}" if batch else "")


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def report_json(report) -> dict:
    """Every figure of `report` (a domain CallReport), JSON-ready."""
    from domain.call_report import WEEKDAYS
    from domain.outcomes import CallOutcome

    f = report.figures
    by_hour = f.answer_rates(1)
    by_weekday = f.answer_rates(0)
    dialed = int(f.total("calls", lambda o: o.dialed))
    return {
        "since": _iso(report.since), "until": _iso(report.until), "batch": report.batch,
        "empty": report.empty, "calls": f.calls,
        "first_call_at": _iso(f.first_call_at), "last_call_at": _iso(f.last_call_at),
        "criteria": [{"name": c.name, "target": c.target, "measured": c.measured, "unit": c.unit,
                      "passed": c.passed, "basis": c.basis} for c in report.criteria],
        "funnel": [{"stage": s.name, "calls": s.calls, "note": s.note} for s in report.funnel],
        "outcomes": {o.value: f.outcome_calls(o) for o in CallOutcome if f.outcome_calls(o)},
        "voicemails_left": int(f.total("voicemail")),
        "callbacks_requested": f.outcome_calls(CallOutcome.CALLBACK_REQUESTED),
        "callbacks_scheduled": int(f.total("callbacks")),
        "objections": {k: {"calls": v.calls, "booked": v.booked} for k, v in f.objections.items()},
        "answer_rate_by_hour": {str(h): {"dialed": c.dialed, "answered": c.answered, "rate": c.answer_rate}
                                for h, c in by_hour.items()},
        "answer_rate_by_weekday": {WEEKDAYS[d]: {"dialed": c.dialed, "answered": c.answered, "rate": c.answer_rate}
                                   for d, c in by_weekday.items()},
        "dialed_without_zone": dialed - sum(c.dialed for c in by_hour.values()),
        "compliance": {"decisions_by_rule": f.decisions, "opted_out": f.outcome_calls(CallOutcome.OPTED_OUT),
                       "deferred": sum(v.get("defer", 0) for v in f.decisions.values()),
                       "skipped": sum(v.get("skip", 0) for v in f.decisions.values())},
        "failures_by_reason": f.failures,
        "latency": {"turns": f.turn_latency_ms.count, "p50_ms": f.turn_latency_ms.p50,
                    "p95_ms": f.turn_latency_ms.p95,
                    "histogram_ms": {str(k): v for k, v in f.latency_histogram_ms.items()}},
        "first_reply_s": {"calls": f.first_reply_s.count, "p50": f.first_reply_s.p50, "p95": f.first_reply_s.p95},
        "verdict_s": {"calls": f.verdict_s.count, "p50": f.verdict_s.p50, "p95": f.verdict_s.p95},
        "outcomes_by_day": {d: {o.value: n for o, n in row.items()} for d, row in f.by_day.items()},
        "costs": {"telephony_per_min": report.costs.prices.telephony_per_min,
                  "realtime_per_min": report.costs.prices.realtime_per_min,
                  "livekit_per_min": report.costs.prices.livekit_per_min,
                  "dialed_minutes": report.costs.dialed_minutes, "total": report.costs.total,
                  "per_call": report.costs.per_call, "per_booked_meeting": report.costs.per_booking},
    }


def _shown(value, unit: str) -> str:
    if value is None:
        return "not recorded"
    return f"{value:.1%}" if unit == "ratio" else f"{value:.2f} s"


def print_report(figures: dict, console: Console) -> None:
    console.print(f"[bold]DocShield calls[/] {figures['calls']} records, "
                  f"{figures['first_call_at'] or '-'} to {figures['last_call_at'] or '-'}")
    criteria = Table("criterion", "target", "measured", "result", "basis", title="success criteria")
    for c in figures["criteria"]:
        verdict = {True: "[green]pass[/]", False: "[red]FAIL[/]", None: "-"}[c["passed"]]
        criteria.add_row(c["name"], c["target"], _shown(c["measured"], c["unit"]), verdict, c["basis"])
    console.print(criteria)
    funnel = Table("stage", "calls", "note", title="funnel")
    for s in figures["funnel"]:
        funnel.add_row(s["stage"], "not recorded" if s["calls"] is None else str(s["calls"]), s["note"])
    console.print(funnel)
    outcomes = Table("outcome", "calls", title="outcomes")
    for outcome, n in sorted(figures["outcomes"].items(), key=lambda x: -x[1]):
        outcomes.add_row(outcome, str(n))
    console.print(outcomes)
    console.print(f"voicemails left {figures['voicemails_left']}, callbacks requested "
                  f"{figures['callbacks_requested']}")
    if figures["objections"]:
        objections = Table("objection", "calls", "still booked", title="objections")
        for kind, v in figures["objections"].items():
            objections.add_row(kind, str(v["calls"]), str(v["booked"]))
        console.print(objections)
    compliance = Table("rule", "decisions", title="compliance decisions")
    for rule, verdicts in figures["compliance"]["decisions_by_rule"].items():
        compliance.add_row(rule, ", ".join(f"{v} {n}" for v, n in sorted(verdicts.items())))
    compliance.add_row("opted out (on the call)", str(figures["compliance"]["opted_out"]))
    console.print(compliance)
    if figures["failures_by_reason"]:
        failures = Table("reason", "calls", title="failures")
        for reason, n in figures["failures_by_reason"].items():
            failures.add_row(reason, str(n))
        console.print(failures)
    c = figures["costs"]
    per_call = f"{c['per_call']:.3f}" if c["per_call"] is not None else "-"
    per_booking = f"{c['per_booked_meeting']:.2f}" if c["per_booked_meeting"] is not None else "-"
    console.print(f"cost: {c['dialed_minutes']:.1f} dialed minutes, total {c['total']:.2f}, per call {per_call}, "
                  f"per booked meeting {per_booking}")
