"""The simulation's outputs: the terminal table, JSON lines and the HTML report."""
from __future__ import annotations

import html
import json
from datetime import datetime, timezone
from pathlib import Path

from rich.console import Console
from rich.table import Table

from simulator.simulation import ScenarioRun


def json_lines(runs: list[ScenarioRun]) -> str:
    return "\n".join(json.dumps(run.as_json(), default=str) for run in runs)


def table(runs: list[ScenarioRun], console: Console) -> None:
    t = Table("scenario", "outcome", "human", "digits", "meeting", "result", title="simulated calls")
    for run in runs:
        o = run.observed
        t.add_row(run.scenario.id, o.get("outcome", "?"), "yes" if o.get("reached_human") else "no",
                  " ".join(o.get("digits", [])) or "-", (o.get("meeting") or {}).get("start", "-"),
                  "[green]passed[/]" if run.passed else "[red]FAILED[/]\n" + "\n".join(run.failures))
    console.print(t)
    passed = sum(r.passed for r in runs)
    console.print(f"{passed}/{len(runs)} scenarios passed")
    if any(r.repeat for r in runs):
        rates = Table("scenario", "runs", "pass rate", title="pass rate per scenario")
        for run in runs:
            if run.repeat == 1:
                count = sum(1 for r in runs if r.scenario is run.scenario)
                rates.add_row(run.scenario.id, str(count), f"{run.pass_rate:.0%}")
        console.print(rates)


def write_html(runs: list[ScenarioRun], path: Path) -> None:
    passed = sum(r.passed for r in runs)
    parts = ["<!doctype html><meta charset=utf-8><title>DocShield simulation</title>"
             "<style>body{font:14px sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
             "padding:4px 8px}.ok{color:#070}.ko{color:#b00}.agent{color:#036}.line{color:#888}.coach{color:#555}.next{font-weight:bold}</style>",
             f"<h1>DocShield simulation</h1><p>{passed}/{len(runs)} passed; generated "
             f"{datetime.now(timezone.utc).isoformat(timespec='seconds')}</p>",
             "<table><tr><th>scenario</th><th>outcome</th><th>digits</th><th>meeting</th><th>result</th></tr>"]
    for run in runs:
        o = run.observed
        meeting = o.get("meeting") or {}
        parts.append(f"<tr><td><a href='#{html.escape(run.scenario.id)}'>{html.escape(run.scenario.id)}</a></td>"
                     f"<td>{html.escape(o.get('outcome', '?'))}</td><td>{html.escape(' '.join(o.get('digits', [])))}"
                     f"</td><td>{html.escape(meeting.get('start', ''))}</td><td class={'ok' if run.passed else 'ko'}>"
                     f"{'passed' if run.passed else html.escape('; '.join(run.failures))}</td></tr>")
    parts.append("</table>")
    for run in runs:
        o = run.observed
        parts.append(f"<h2 id='{html.escape(run.scenario.id)}'>{html.escape(run.scenario.id)}</h2>"
                     f"<p>{html.escape(run.scenario.source)} &middot; outcome <b>{html.escape(o.get('outcome', '?'))}"
                     f"</b> &middot; digits {html.escape(' '.join(o.get('digits', [])) or 'none')} &middot; meeting "
                     f"{html.escape(_span(o.get('meeting')))} &middot; voicemail {_yes(o.get('voicemail_left'))} "
                     f"&middot; do-not-call {_yes(o.get('do_not_call'))}</p>")
        if o.get("usage") and o["usage"].get("input_tokens"):
            cost = "no price set" if o.get("cost_usd") is None else f"${o['cost_usd']:.4f}"
            parts.append(f"<p>model {html.escape(str(o.get('model')))} &middot; {o['usage']['input_tokens']} tokens "
                         f"in, {o['usage']['output_tokens']} out &middot; {cost}</p>")
        if o.get("next_step"):
            parts.append(f"<p class=next>Next step: {html.escape(o['next_step'])}</p>")
        parts.append("<ol>")
        for line in o.get("transcript", []):
            parts.append(f"<li class={html.escape(line['speaker'])}><b>{html.escape(line['speaker'])}</b>: "
                         f"{html.escape(line['text'])}</li>")
        parts.append("</ol>")
        if o.get("coaching"):
            parts.append("<details class=coach><summary>Sales coach: "
                         f"{len(o['coaching'])} guidance update(s)</summary><ul>")
            for given in o["coaching"]:
                notes = [*(f"missed: {m}" for m in given.get("missed", [])),
                         *(f"warning: {w}" for w in given.get("warnings", []))]
                parts.append(f"<li>{html.escape(str(given.get('at', '')))} after {html.escape(given.get('moment', '?'))}"
                             f" &middot; <b>{html.escape(given.get('stage', '?'))}</b>: "
                             f"{html.escape(given.get('next_move', ''))}"
                             + "".join(f"<br><i>{html.escape(n)}</i>" for n in notes) + "</li>")
            parts.append("</ul></details>")
    path.write_text("\n".join(parts), encoding="utf-8")


def _span(meeting: dict | None) -> str:
    return f"{meeting['start']} to {meeting['end']}" if meeting else "none"


def _yes(flag) -> str:
    return "yes" if flag else "no"
