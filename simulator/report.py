"""The simulation's outputs: the terminal table, JSON lines and the HTML report."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from application.call_report import ReportAnswer
from infrastructure.report_page import PageCall, ReportPage, local_time, wav
from simulator.line_audio import voicemail_audio
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


def write_html(runs: list[ScenarioRun], path: Path, report: ReportAnswer | None = None) -> None:
    """The report page (infrastructure/report_page.py): the run's figures and charts on top when `report` is
    given, then each scenario's call with its objections, the coach's guidance and the voicemail audio."""
    passed = sum(r.passed for r in runs)
    page = ReportPage("DocShield simulation", report.report if report else None, [_page_call(r) for r in runs],
                      intro=f"{passed}/{len(runs)} scenarios passed. Simulated practices on a simulated clock; "
                            "figures from this run's records.")
    path.write_text(page.render(), encoding="utf-8")


def _page_call(run: ScenarioRun) -> PageCall:
    o = run.observed
    s = run.scenario
    facts = [f"scenario {s.id} ({s.source})"]
    if o.get("objections"):
        facts.append("objections: " + ", ".join(o["objections"]))
    if o.get("digits"):
        facts.append("keys pressed: " + " ".join(o["digits"]))
    zone = s.contact_zone.key
    meeting = o.get("meeting")
    facts.append("meeting " + (f"{local_time(_moment(meeting['start']), zone)} to "
                               f"{local_time(_moment(meeting['end']), zone)}" if meeting else "none"))
    facts.append(f"voicemail {_yes(o.get('voicemail_left'))}, do-not-call {_yes(o.get('do_not_call'))}")
    if o.get("usage") and o["usage"].get("input_tokens"):
        cost = "no price set" if o.get("cost_usd") is None else f"${o['cost_usd']:.4f}"
        facts.append(f"model {o.get('model')}: {o['usage']['input_tokens']} tokens in, "
                     f"{o['usage']['output_tokens']} out, {cost}")
    if o.get("next_step"):
        facts.append(f"Next step: {o['next_step']}")
    audio, label = _voicemail_audio(run)
    return PageCall(
        title=f"{s.contact['practice']} ({s.id})", contact=f"{s.contact['first_name']} {s.contact['last_name']}",
        started_at=run.started_at, timezone=zone, outcome=o.get("outcome", "?"),
        duration_s=o.get("duration_s"), facts=facts, transcript=_with_coaching(run), audio_wav=audio,
        audio_label=label, verdict="passed" if run.passed else "; ".join(run.failures))


def _with_coaching(run: ScenarioRun) -> list[dict]:
    """The transcript, each guidance placed before the agent's reply it steered (the first agent line after it)."""
    lines = [dict(line) for line in run.observed.get("transcript", [])]
    times = run.transcript_at + [None] * (len(lines) - len(run.transcript_at))
    for given in run.observed.get("coaching", []):
        notes = [*(f"missed: {m}" for m in given.get("missed", [])), *(f"warning: {w}" for w in given.get("warnings", []))]
        text = f"after {given.get('moment', '?')}, stage {given.get('stage', '?')}: {given.get('next_move', '')}" + \
            "".join(f" ({n})" for n in notes)
        at = _moment(given.get("at"))
        target = next((i for i, line in enumerate(lines) if line["speaker"] == "agent" and at is not None
                       and (said := _moment(times[i])) is not None and said >= at), None)
        if target is None:
            lines.append({"speaker": "coach", "text": "(no reply followed)", "coach": [text]})
        else:
            lines[target].setdefault("coach", []).append(text)
    return lines


def _moment(value) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def _voicemail_audio(run: ScenarioRun) -> tuple[bytes | None, str]:
    """What the scenario's voicemail box played to this call (the same seeded audio the agent heard), as WAV."""
    heard = {line["text"] for line in run.observed.get("transcript", []) if line["speaker"] != "agent"}
    node = next((n for n in run.scenario.line.values() if n.kind == "voicemail" and n.text in heard), None)
    if node is None:
        return None, ""
    clip = voicemail_audio(f"{run.scenario.id}:{node.name}", beep=node.beep, greeting_s=node.greeting_s)
    beep = "with a beep" if node.beep else "no beep"
    return wav(clip.audio.pcm, clip.audio.sample_rate), f"the voicemail box '{node.name}' ({beep})"


def _yes(flag) -> str:
    return "yes" if flag else "no"
