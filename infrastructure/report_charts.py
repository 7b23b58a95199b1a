"""The report page's charts, drawn by matplotlib as inline SVG: no script and no network to show them.

Each function takes figures (domain types or plain numbers) and returns an
`<svg>` element as text. Text stays text (`svg.fonttype: none`), so the page
is small and searchable.
"""
from __future__ import annotations

import io
from typing import Mapping, Sequence

OUTCOME_COLOURS = {
    "meeting_booked": "#2e7d32", "callback_requested": "#66bb6a", "declined": "#ef6c00",
    "gatekeeper_blocked": "#8d6e63", "opted_out": "#c62828", "voicemail_left": "#1565c0",
    "no_answer": "#90a4ae", "busy": "#b0bec5", "ivr_dead_end": "#6a1b9a", "wrong_number": "#ad1457",
    "skipped": "#cfd8dc", "deferred": "#eceff1", "failed": "#212121",
}
_INK = "#263238"


def _figure(width: float, height: float):
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    matplotlib.rcParams.update({"svg.fonttype": "none", "font.size": 9, "axes.edgecolor": "#90a4ae",
                                "axes.labelcolor": _INK, "xtick.color": _INK, "ytick.color": _INK,
                                "axes.spines.top": False, "axes.spines.right": False})
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.add_subplot()


def _svg(fig, title: str) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = buffer.getvalue()
    start = svg.index("<svg")  # drop the XML prolog and doctype: the SVG sits inside HTML
    return svg[start:].replace("<svg ", f'<svg role="img" aria-label="{title}" ', 1)


def funnel(stages: Sequence[tuple[str, int | None]]) -> str:
    """Horizontal bars, widest first; a stage that is not recorded is drawn as an empty, labelled bar."""
    fig, ax = _figure(6.4, 2.6)
    names = [name for name, _ in stages][::-1]
    top = max([n for _, n in stages if n] or [1])
    for y, (name, calls) in enumerate(reversed(stages)):
        if calls is None:
            ax.barh(y, top, color="none", edgecolor="#b0bec5", hatch="//", linewidth=0.8)
            ax.text(top / 2, y, "not recorded", ha="center", va="center", color="#607d8b")
        else:
            ax.barh(y, calls, color="#1565c0")
            ax.text(calls, y, f" {calls}", va="center", color=_INK)
    ax.set_yticks(range(len(names)), names)
    ax.set_xlim(0, top * 1.15)
    ax.set_xlabel("calls")
    return _svg(fig, "funnel")


def outcomes_over_time(by_day: Mapping[str, Mapping[str, int]]) -> str:
    """Calls per day, stacked by outcome."""
    fig, ax = _figure(6.4, 2.8)
    days = list(by_day)
    outcomes = [o for o in OUTCOME_COLOURS if any(o in row for row in by_day.values())]
    bottoms = [0] * len(days)
    for outcome in outcomes:
        values = [by_day[d].get(outcome, 0) for d in days]
        ax.bar(range(len(days)), values, bottom=bottoms, color=OUTCOME_COLOURS[outcome], label=outcome, width=0.8)
        bottoms = [b + v for b, v in zip(bottoms, values)]
    step = max(1, len(days) // 10)
    ax.set_xticks(range(0, len(days), step), [d[5:] for d in days[::step]])
    ax.set_ylabel("calls")
    if outcomes:
        ax.legend(fontsize=7, ncols=2, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return _svg(fig, "outcomes over time")


def latency_histogram(buckets_ms: Mapping[int, int], bucket_ms: int, target_s: float) -> str:
    """Agent turns by reply time, with the target drawn as a line."""
    fig, ax = _figure(6.4, 2.6)
    if not buckets_ms:
        ax.set_xlim(0, target_s * 2)
        ax.set_ylim(0, 1)
        ax.set_yticks([])
        ax.text(target_s, 0.5, "no agent turns recorded", ha="center", va="center", color="#607d8b")
    starts = [k / 1000 for k in buckets_ms]
    ax.bar(starts, list(buckets_ms.values()), width=bucket_ms / 1000, align="edge", color="#546e7a")
    ax.axvline(target_s, color="#c62828", linestyle="--", linewidth=1)
    ax.text(target_s, ax.get_ylim()[1] * 0.95, f" target {target_s} s", color="#c62828", va="top")
    ax.set_xlim(left=0)
    ax.set_xlabel("agent reply time (s)")
    ax.set_ylabel("turns")
    return _svg(fig, "latency histogram")


def answer_rate(labels: Sequence[str], rates: Sequence[float | None], dialed: Sequence[int], xlabel: str,
                title: str) -> str:
    """The share of dialed calls that were answered, per hour or weekday (the number dialed above each bar)."""
    fig, ax = _figure(6.4, 2.4)
    heights = [r if r is not None else 0 for r in rates]
    ax.bar(range(len(labels)), heights, color="#00897b")
    for x, (h, n) in enumerate(zip(heights, dialed)):
        if n:
            ax.text(x, h, str(n), ha="center", va="bottom", fontsize=6, color="#607d8b")
    ax.set_xticks(range(len(labels)), labels)
    ax.set_ylim(0, 1.1)
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("answered")
    return _svg(fig, title)
