"""State calling rules stricter than the federal ones, one row per state, each with its source.

The federal floor (47 C.F.R. § 64.1200(c)(1), 16 C.F.R. § 310.4(c)): no
telephone solicitation before 8:00 or after 21:00 at the called party's
location. The rows below narrow that. Most of these statutes govern sales
calls to consumers (several exempt business-to-business calls or established
relationships); they are applied to every call by default because the cost of
a wrong exemption is a per-call penalty. A campaign may replace or drop a row
through its settings once counsel has decided an exemption applies.

Reviewed against the statutes and two industry summaries (ClickPoint, Drop
Cowboy, 2025). This table is data, not legal advice: re-check it when a state
legislates (several did in 2021-2024).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from domain.us_holidays import STATE_HOLIDAYS

Window = tuple[time, time]  # [start, end) in local time


def parse_window(text: str) -> Window:
    """'09:00-17:00' -> (09:00, 17:00); the end is exclusive and must follow the start."""
    try:
        start_text, end_text = (part.strip() for part in str(text).split("-"))
        start, end = time.fromisoformat(start_text), time.fromisoformat(end_text)
    except ValueError:
        raise ValueError(f"calling window {text!r} is not of the form HH:MM-HH:MM") from None
    if not start < end:
        raise ValueError(f"calling window {text!r} ends before it starts")
    return start, end


@dataclass(frozen=True)
class StateCallingRule:
    """What one state adds to the federal rules.

    `windows` maps a weekday (0 = Monday) to the lawful window that day, or to
    None when no call may be placed that day. `zone` pins the window to a fixed
    zone where the statute names one (Mississippi says Central *Standard* Time).
    """

    state: str
    windows: dict[int, Window | None]
    source: str
    no_call_on_holidays: bool = False  # federal holidays plus `extra_holidays`
    extra_holidays: tuple[str, ...] = ()
    max_calls_per_24h: int | None = None  # per campaign (the "same subject matter")
    zone: str | None = None
    note: str = ""

    def __post_init__(self):
        for key in self.extra_holidays:
            if key not in STATE_HOLIDAYS:
                raise ValueError(f"{self.state}: unknown state holiday {key!r}")


_SAME = object()


def week(weekdays: str, *, saturday=_SAME, sunday=_SAME) -> dict[int, Window | None]:
    """Windows for Monday-Friday, with Saturday and Sunday the same unless given (None = no calls)."""
    base = parse_window(weekdays)
    table: dict[int, Window | None] = {day: base for day in range(5)}
    table[5] = base if saturday is _SAME else (None if saturday is None else parse_window(saturday))
    table[6] = base if sunday is _SAME else (None if sunday is None else parse_window(sunday))
    return table


def rule_from_settings(state: str, spec: dict) -> StateCallingRule:
    """A campaign's replacement row: {"window": "09:00-18:00", "saturday": ..., "sunday": null, ...}."""
    known = {"window", "saturday", "sunday", "no_call_on_holidays", "extra_holidays", "max_calls_per_24h",
             "zone", "source"}
    unknown = set(spec) - known
    if unknown:
        raise ValueError(f"state rule {state}: unknown keys {sorted(unknown)} (known: {sorted(known)})")
    if "window" not in spec:
        raise ValueError(f"state rule {state}: 'window' is required")
    kwargs = {k: spec[k] for k in ("saturday", "sunday") if k in spec}
    cap = spec.get("max_calls_per_24h")
    if cap is not None and (not isinstance(cap, int) or cap < 1):
        raise ValueError(f"state rule {state}: max_calls_per_24h must be a positive integer, not {cap!r}")
    return StateCallingRule(
        state=state, windows=week(spec["window"], **kwargs), source=spec.get("source", "campaign settings"),
        no_call_on_holidays=bool(spec.get("no_call_on_holidays", False)),
        extra_holidays=tuple(spec.get("extra_holidays", ())), max_calls_per_24h=cap, zone=spec.get("zone"),
    )


STATE_RULES: dict[str, StateCallingRule] = {rule.state: rule for rule in (
    StateCallingRule(
        "AL", week("08:00-20:00", sunday=None), no_call_on_holidays=True,
        extra_holidays=("al_confederate_memorial_day", "al_jefferson_davis_birthday"),
        source="Alabama PSC Telephone Rules, Rule T-31 (telephone solicitation); holidays: Ala. Code § 1-3-8",
        note="Mardi Gras is a holiday only in Baldwin and Mobile counties; not applied statewide",
    ),
    StateCallingRule(
        "CT", week("09:00-20:00"),
        source="Conn. Gen. Stat. § 42-288a(c), as amended by Public Act 23-98 (eff. 2023-10-01)",
    ),
    StateCallingRule(
        "FL", week("08:00-20:00"), max_calls_per_24h=3,
        source="Fla. Stat. § 501.059(8)(a) (Florida Telephone Solicitation Act, SB 1120 of 2021); § 501.616(6)",
    ),
    StateCallingRule(
        "KY", week("10:00-21:00"),
        source="Ky. Rev. Stat. § 367.46955 (telephone solicitation before 10 a.m. or after 9 p.m.)",
    ),
    StateCallingRule(
        "LA", week("08:00-20:00", sunday=None), no_call_on_holidays=True,
        extra_holidays=("la_mardi_gras", "la_good_friday"),
        source="La. R.S. 45:844.11 et seq. and Louisiana PSC Do Not Call rules (no Sundays or legal holidays); "
               "holidays: La. R.S. 1:55",
        note="calls are also barred during a declared state of emergency (La. R.S. 45:844.31): not modelled",
    ),
    StateCallingRule(
        "MA", week("08:00-20:00"),
        source="Mass. Gen. Laws ch. 159C, § 3; 201 CMR 12.02",
    ),
    StateCallingRule(
        "MD", week("08:00-20:00"), max_calls_per_24h=3,
        source="Md. Code Ann., Com. Law § 14-4503 (Stop the Spam Calls Act of 2023, eff. 2024-01-01)",
    ),
    StateCallingRule(
        "MS", week("08:00-20:00", sunday=None), zone="Etc/GMT+6",
        source="Miss. Code Ann. § 77-3-723 (8:00 a.m. to 8:00 p.m. Central Standard Time; no Sundays)",
        note="the statute names Central Standard Time, so in summer the window is 09:00-21:00 CDT",
    ),
    StateCallingRule(
        "OK", week("08:00-20:00"), max_calls_per_24h=3,
        source="Okla. Stat. tit. 15, § 775C.4 (Telephone Solicitation Act of 2022)",
    ),
    StateCallingRule(
        "RI", week("09:00-18:00", saturday="10:00-17:00", sunday=None), no_call_on_holidays=True,
        extra_holidays=("ri_victory_day",),
        source="R.I. Gen. Laws §§ 5-61-2(9), 5-61-3.6 (hours of operation); holidays: § 25-1-1",
    ),
    StateCallingRule(
        "TX", week("09:00-21:00", sunday="12:00-21:00"),
        source="Tex. Bus. & Com. Code § 301.051 (9 a.m.-9 p.m. Monday-Saturday, noon-9 p.m. Sunday)",
    ),
    StateCallingRule(
        "UT", week("08:00-21:00"), no_call_on_holidays=True, extra_holidays=("ut_pioneer_day",),
        source="Utah Code § 13-25a-103 (no solicitation on legal holidays); holidays: § 63G-1-301",
    ),
    StateCallingRule(
        "WA", week("08:00-20:00"),
        source="Rev. Code Wash. § 80.36.390(2); § 19.158.110",
    ),
)}
