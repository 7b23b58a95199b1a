"""The report page: one self-contained HTML file (inline SVG charts, inline styles, no network to open it).

Used by `docshield report --html` and `docshield simulate --report`: the
summary and charts on top, then the calls, each with its transcript one click
away. It names practices and contacts, so it is for staff and says so.
"""
from __future__ import annotations

import base64
import html
import io
import wave
from dataclasses import dataclass, field
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from application.ports.call_statistics import ListedCall
from domain.call_report import REPLY_TARGET_S, WEEKDAYS, CallReport
from domain.outcomes import CallOutcome
from infrastructure import report_charts
from infrastructure.mongo_call_statistics import LATENCY_BUCKET_MS

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#263238;background:#fafafa}
header{background:#263238;color:#fff;padding:16px 28px}header h1{margin:0;font-size:22px}
.staff{background:#fff3e0;color:#8a4b00;padding:6px 28px;font-weight:600;border-bottom:1px solid #ffe0b2}
main{padding:12px 28px;max-width:1400px}h2{margin:26px 0 8px;font-size:18px}
table{border-collapse:collapse;background:#fff;margin:6px 0}td,th{border:1px solid #e0e0e0;padding:4px 9px;
text-align:left;vertical-align:top}th{background:#eceff1}td.n{text-align:right;font-variant-numeric:tabular-nums}
.pass{color:#1b5e20;font-weight:700}.fail{color:#b71c1c;font-weight:700}.none{color:#78909c}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(560px,1fr));gap:14px}
figure.chart{background:#fff;border:1px solid #e0e0e0;margin:0;padding:8px}figure.chart figcaption{font-weight:600}
figure.chart svg{width:100%;height:auto;display:block}
.tables{display:flex;flex-wrap:wrap;gap:22px;align-items:flex-start}.muted{color:#78909c}
details{margin:2px 0}summary{cursor:pointer;color:#1565c0}ol.transcript{margin:4px 0 8px 0;padding-left:22px}
.agent{color:#0d47a1}.line{color:#78909c}.coach{background:#f3e5f5;border-left:3px solid #8e24aa;padding:2px 8px;
margin:3px 0;display:block}.bad{color:#b71c1c}
"""
# Catches any script error into the page (the headless test reads it back), counts the charts drawn, and
# loads each voicemail clip to count those the browser can play (it read their length).
_SCRIPT = """
window.addEventListener('error', function (e) {
  var sink = document.getElementById('page-errors');
  if (sink) { sink.textContent += (e.message || 'error') + '\\n'; }
});
window.addEventListener('load', function () {
  var charts = document.querySelectorAll('figure.chart'), shown = 0;
  charts.forEach(function (f) {
    var svg = f.querySelector('svg'), box = svg ? svg.getBoundingClientRect() : null;
    if (box && box.width > 100 && box.height > 60) { shown += 1; }
  });
  document.body.setAttribute('data-charts', String(charts.length));
  document.body.setAttribute('data-charts-shown', String(shown));
  var clips = document.querySelectorAll('audio'), playable = 0;
  document.body.setAttribute('data-audio', String(clips.length));
  document.body.setAttribute('data-audio-playable', '0');
  clips.forEach(function (a) {
    a.addEventListener('loadedmetadata', function () {
      if (a.duration > 0) { playable += 1; document.body.setAttribute('data-audio-playable', String(playable)); }
    });
    a.load();
  });
});
"""


@dataclass
class PageCall:
    """One call as the page lists it."""

    title: str  # the practice, or the scenario
    contact: str = ""
    started_at: datetime | None = None
    timezone: str | None = None  # the practice's zone: times are shown in it
    outcome: str = ""
    duration_s: float | None = None
    facts: list[str] = field(default_factory=list)  # short lines: objections, digits, meeting, reason
    transcript: list[dict] = field(default_factory=list)  # {speaker, text, coach?: [guidance before this line]}
    audio_wav: bytes | None = None  # the voicemail greeting the line played
    audio_label: str = ""
    verdict: str | None = None  # simulate: "passed" or the failures

    @classmethod
    def from_listed(cls, call: ListedCall) -> "PageCall":
        r = call.record
        facts = []
        if r.objections:
            facts.append("objections: " + ", ".join(r.objections))
        if r.digits:
            facts.append("keys pressed: " + " ".join(r.digits))
        if r.meeting:
            facts.append(f"meeting {local_time(r.meeting.start, call.timezone)}")
        if r.callback_at:
            facts.append(f"call back {local_time(r.callback_at, call.timezone)}")
        if r.reason:
            facts.append(r.reason)
        return cls(title=call.practice or f"campaign {r.campaign_id}", contact=call.contact_name,
                   started_at=r.started_at, timezone=call.timezone, outcome=r.outcome.value,
                   duration_s=r.duration_s, facts=facts, transcript=list(call.transcript))


def local_time(moment: datetime | None, zone: str | None) -> str:
    if moment is None:
        return ""
    try:
        tz = ZoneInfo(zone) if zone else timezone.utc
    except (ZoneInfoNotFoundError, ValueError):
        tz = timezone.utc
    return moment.astimezone(tz).strftime("%a %d %b %Y %H:%M %Z")


def wav(pcm: bytes, sample_rate: int) -> bytes:
    """16-bit mono PCM as a WAV file (what an <audio> element plays)."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm)
    return out.getvalue()


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def _pct(value: float | None) -> str:
    return "not recorded" if value is None else f"{value:.1%}"


def _measured(value: float | None, unit: str) -> str:
    if value is None:
        return "not recorded"
    return f"{value:.1%}" if unit == "ratio" else f"{value:.2f} s"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}:{secs:02d}"


def _money(value: float | None) -> str:
    return "-" if value is None else f"${value:,.2f}" if value >= 1 else f"${value:.3f}"


@dataclass
class ReportPage:
    title: str
    report: CallReport | None
    calls: list[PageCall] = field(default_factory=list)
    intro: str = ""
    generated_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    @classmethod
    def for_report(cls, answer) -> "ReportPage":
        """The page of `docshield report` (an application.call_report.ReportAnswer)."""
        report = answer.report
        window = "all records" if report.since is None else \
            f"{report.since.isoformat(timespec='minutes')} to {report.until.isoformat(timespec='minutes')} (UTC)"
        intro = f"Calls recorded by every worker, {window}" + (f", batch {report.batch}" if report.batch else "") + "."
        return cls("DocShield calls report", report, [PageCall.from_listed(c) for c in answer.calls], intro)

    def render(self) -> str:
        parts = ["<!doctype html><html lang=en><head><meta charset=utf-8>",
                 "<meta name=viewport content='width=device-width,initial-scale=1'>",
                 f"<title>{_e(self.title)}</title><style>{_STYLE}</style><script>{_SCRIPT}</script></head><body>",
                 f"<header><h1>{_e(self.title)}</h1><div>{_e(self.intro)} Generated "
                 f"{self.generated_at.isoformat(timespec='seconds')}.</div></header>",
                 "<div class=staff>For DocShield staff only: this page names practices and contacts and holds "
                 "call transcripts. Do not forward it outside the company.</div><main>",
                 "<pre id=page-errors class=bad></pre>"]
        if self.report is None or self.report.empty:
            parts.append("<p><b>No calls recorded in this window: nothing to report.</b></p>")
        else:
            parts += self._summary(self.report)
        if self.calls:
            parts += self._calls()
        parts.append("</main></body></html>")
        return "\n".join(parts)

    # --- the summary -----------------------------------------------------------------------------------

    def _summary(self, report: CallReport) -> list[str]:
        f = report.figures
        out = ["<h2>Success criteria</h2><table><tr><th>criterion</th><th>target</th><th>measured</th>"
               "<th>result</th><th>basis</th></tr>"]
        for c in report.criteria:
            verdict = {True: "<span class=pass>pass</span>", False: "<span class=fail>FAIL</span>",
                       None: "<span class=none>-</span>"}[c.passed]
            out.append(f"<tr><td>{_e(c.name)}</td><td>{_e(c.target)}</td><td class=n>{_measured(c.measured, c.unit)}"
                       f"</td><td>{verdict}</td><td class=muted>{_e(c.basis)}</td></tr>")
        out.append("</table>")
        by_hour, by_weekday = f.answer_rates(1), f.answer_rates(0)
        hours = list(range(24))
        charts = [
            ("funnel", "Funnel", report_charts.funnel([(s.name, s.calls) for s in report.funnel])),
            ("outcomes-over-time", "Outcomes per day (UTC)",
             report_charts.outcomes_over_time({d: {o.value: n for o, n in row.items()} for d, row in f.by_day.items()})),
            ("latency", f"Agent reply time per turn ({f.turn_latency_ms.count} turns)",
             report_charts.latency_histogram(f.latency_histogram_ms, LATENCY_BUCKET_MS, REPLY_TARGET_S)),
            ("answer-by-hour", "Answer rate by hour of day (callee's local time; calls dialed above each bar)",
             report_charts.answer_rate([str(h) for h in hours],
                                       [by_hour[h].answer_rate if h in by_hour else None for h in hours],
                                       [by_hour[h].dialed if h in by_hour else 0 for h in hours], "hour",
                                       "answer rate by hour")),
            ("answer-by-weekday", "Answer rate by weekday (callee's local time)",
             report_charts.answer_rate(list(WEEKDAYS), [by_weekday[d].answer_rate if d in by_weekday else None
                                                        for d in range(7)],
                                       [by_weekday[d].dialed if d in by_weekday else 0 for d in range(7)], "weekday",
                                       "answer rate by weekday")),
        ]
        out.append("<h2>Charts</h2><div class=charts>")
        for key, caption, svg in charts:
            out.append(f"<figure class=chart data-chart={key}><figcaption>{_e(caption)}</figcaption>{svg}</figure>")
        out.append("</div><h2>Figures</h2><div class=tables>")
        out.append(self._table("Funnel", ("stage", "calls", "note"),
                               [(s.name, "not recorded" if s.calls is None else s.calls, s.note) for s in report.funnel]))
        total = f.calls
        out.append(self._table("Outcome mix", ("outcome", "calls", "share"),
                               [(o.value, c.calls, _pct(c.calls / total)) for o, c in
                                sorted(f.by_outcome.items(), key=lambda x: -x[1].calls)]))
        out.append(self._table("Voicemail and callbacks", ("what", "calls"), [
            ("voicemails left", int(f.total("voicemail"))),
            ("callbacks requested", f.outcome_calls(CallOutcome.CALLBACK_REQUESTED)),
            ("callback times set", int(f.total("callbacks")))]))
        out.append(self._table("Objections", ("objection", "calls", "still booked"),
                               [(k, v.calls, v.booked) for k, v in f.objections.items()] or [("none recorded", "", "")]))
        decisions = [(rule, verdict, n) for rule, row in f.decisions.items() for verdict, n in sorted(row.items())]
        decisions.append(("opted out on the call", "opted_out", f.outcome_calls(CallOutcome.OPTED_OUT)))
        out.append(self._table("Compliance decisions", ("rule", "verdict", "decisions"), decisions))
        out.append(self._table("Failures", ("reason", "calls"), list(f.failures.items()) or [("none", 0)]))
        c = report.costs
        out.append(self._table("Cost", ("item", "value"), [
            ("dialed minutes", f"{c.dialed_minutes:,.1f}"),
            ("price per minute", f"telephony ${c.prices.telephony_per_min}, realtime model "
                                 f"${c.prices.realtime_per_min}, LiveKit ${c.prices.livekit_per_min}"),
            ("total", _money(c.total)), ("per call", _money(c.per_call)),
            ("per booked meeting", _money(c.per_booking))]))
        timing = [("first reply (callee's first words to the agent's)", f.first_reply_s),
                  ("human/machine verdict after the answer", f.verdict_s)]
        out.append(self._table("Timings", ("what", "calls", "p50", "p95"), [
            (name, p.count, "not recorded" if p.p50 is None else f"{p.p50:.2f} s",
             "not recorded" if p.p95 is None else f"{p.p95:.2f} s") for name, p in timing]))
        out.append("</div>")
        return out

    @staticmethod
    def _table(caption: str, head: tuple[str, ...], rows: list[tuple]) -> str:
        cells = "".join(f"<th>{_e(h)}</th>" for h in head)
        body = "".join("<tr>" + "".join(
            f"<td class=n>{_e(v)}</td>" if isinstance(v, (int, float)) else f"<td>{_e(v)}</td>" for v in row) + "</tr>"
            for row in rows)
        return f"<table><caption><b>{_e(caption)}</b></caption><tr>{cells}</tr>{body}</table>"

    # --- the calls -------------------------------------------------------------------------------------

    def _calls(self) -> list[str]:
        out = [f"<h2>Calls ({len(self.calls)})</h2><p class=muted>Times are in the practice's time zone. "
               "Open a call for its transcript.</p>"]
        for i, call in enumerate(self.calls):
            when = local_time(call.started_at, call.timezone)
            verdict = ""
            if call.verdict is not None:
                verdict = " &middot; <span class=pass>passed</span>" if call.verdict == "passed" else \
                    f" &middot; <span class=fail>FAILED</span> {_e(call.verdict)}"
            out.append(f"<details id=call-{i}><summary><b>{_e(call.title)}</b>"
                       f"{' &middot; ' + _e(call.contact) if call.contact else ''} &middot; {_e(when)} &middot; "
                       f"<b>{_e(call.outcome)}</b>{' &middot; ' + _duration(call.duration_s) if call.duration_s else ''}"
                       f"{verdict}</summary>")
            if call.facts:
                out.append("<div class=muted>" + " &middot; ".join(_e(x) for x in call.facts) + "</div>")
            if call.audio_wav:
                data = base64.b64encode(call.audio_wav).decode()
                out.append(f"<div>{_e(call.audio_label or 'voicemail audio')}: "
                           f"<audio controls preload=none src='data:audio/wav;base64,{data}'></audio></div>")
            out.append("<ol class=transcript>")
            for line in call.transcript:
                for guidance in line.get("coach", []):
                    out.append(f"<li class=coach>coach, changing the reply below: {_e(guidance)}</li>")
                speaker = str(line.get("speaker", "?"))
                out.append(f"<li class={_e(speaker)}><b>{_e(speaker)}</b>: {_e(line.get('text', ''))}</li>")
            if not call.transcript:
                out.append("<li class=muted>no transcript stored</li>")
            out.append("</ol></details>")
        return out
