"""One scenario per prompt of the real phone-line corpora, for `docshield simulate`.

    python -m simulator.real_line_scenarios > scenarios/real_lines.yaml

Each prompt of every corpus (benchmarks/phone_tree_corpus/real_prompts.yaml,
held_out_prompts.yaml, new_sources_prompts.yaml: CORPORA) becomes the first thing a simulated practice's line says, in a line built so that every
decision the corpus accepts leads somewhere known and every other one does not:

- carrier messages and mailboxes that take no message: the line says the prompt and
  hangs up; expect the corpus's outcome (wrong_number, busy, no_answer), no message;
- voicemail and other-language greetings: a voicemail box with a beep; expect a
  message, left after the beep;
- call screeners: the screener passes the call to the decision maker (even
  prompts) or rings nobody (odd prompts); expect a person and the AI disclosure,
  or no_answer;
- live answers: the decision maker says the prompt; expect a person and the disclosure;
- menus: every accepted key or word leads to the decision maker, every other
  offered key hangs up, and the timeout reaches the front desk when waiting is
  accepted; expect a person, and the key when only one is right.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from domain.menu_reader import read_menu

_CORPUS_DIR = Path(__file__).resolve().parent.parent / "benchmarks" / "phone_tree_corpus"
CORPUS = _CORPUS_DIR / "real_prompts.yaml"
# Every corpus of real prompts: the one the rules were written beside, the one held out from them, and the one
# gathered from new sources after the misheard-word mending and the ties by meaning were frozen.
CORPORA = (CORPUS, _CORPUS_DIR / "held_out_prompts.yaml", _CORPUS_DIR / "new_sources_prompts.yaml")
CONTACT = {"first_name": "Dana", "last_name": "Reyes", "title": "Practice Administrator",
           "practice": "Lakeside Orthopedics", "phone": "+15125550143", "email": "dana@lakeside.example"}
NOW = "2026-03-10T10:15:00-05:00"
DANA = {"person": "decision_maker", "says": "This is Dana.", "decision": "decline"}
FRONT = {"person": "receptionist", "says": "Lakeside Ortho, this is Amy.", "transfers_to": "dana"}


def _accepted(prompt: dict) -> list[str]:
    value = prompt["expect"]
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _menu_line(prompt: dict, accepted: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    keys = {o.key for o in read_menu(prompt["text"]).options if o.key and len(o.key) == 1}
    good_keys = {a.split(":", 1)[1] for a in accepted if a.startswith("press:")}
    good_words = {a.split(":", 1)[1] for a in accepted if a.startswith("say:")}
    waiting_ok = bool({"listen", "stay", "wait_for_beep"} & set(accepted))
    options = {k: ("dana" if k in good_keys else "gone") for k in sorted(keys | good_keys)}
    start: dict[str, Any] = {"menu": prompt["text"]}
    if options:
        start["options"] = options
    if good_words:
        start["speech"] = {w: "dana" for w in sorted(good_words)}
    start["on_timeout"] = "front" if waiting_ok else "gone"
    if waiting_ok:
        start["repeats"] = 0
    line = {"start": start, "dana": dict(DANA), "front": dict(FRONT), "gone": {"hangup": True}}
    expect: dict[str, Any] = {"reached_human": True, "voicemail_left": False}
    if waiting_ok and not good_keys and not good_words:
        expect["digits"] = []
    elif len(good_keys) == 1 and not waiting_ok and not good_words:
        expect["digits"] = sorted(good_keys)
    else:
        expect["max_digits"] = 1
    return line, expect


def scenario_for(prompt: dict, index: int) -> dict[str, Any]:
    """The scenario of one corpus prompt (see the module docstring)."""
    category, accepted = prompt["category"], _accepted(prompt)
    first = accepted[0]
    if category == "menu" or first.startswith(("press:", "say:")):
        line, expect = _menu_line(prompt, accepted)
    elif first.startswith("end:"):
        line = {"start": {"hold": prompt["text"], "seconds": 0, "then": "gone"}, "gone": {"hangup": True}}
        expect = {"outcome": first.split(":", 1)[1], "reached_human": False, "voicemail_left": False,
                  "digits": []}
    elif first == "wait_for_beep":
        line = {"start": {"voicemail": prompt["text"], "beep": True}}
        expect = {"outcome": "voicemail_left", "voicemail_after_beep": True, "reached_human": False}
    elif first == "answer_screener":
        picks_up = index % 2 == 0
        line = {"start": {"screener": prompt["text"], "then": "dana" if picks_up else "nobody"},
                "dana": dict(DANA), "nobody": {"no_answer": True}}
        expect = ({"reached_human": True, "disclosed_ai": True, "outcome": "declined"} if picks_up
                  else {"outcome": "no_answer", "reached_human": False, "voicemail_left": False})
    elif first in ("listen", "stay"):
        line = {"start": {"hold": prompt["text"], "seconds": 5, "then": "dana"}, "dana": dict(DANA)}
        expect = {"reached_human": True, "disclosed_ai": True, "digits": []}
    elif first == "person":
        line = {"start": {**DANA, "says": prompt["text"]}}
        expect = {"reached_human": True, "disclosed_ai": True, "outcome": "declined", "digits": []}
    else:
        raise ValueError(f"prompt {prompt['id']}: no scenario for expectation {first!r}")
    return {"id": f"real-{category}-{prompt['id']}", "description": f"{category} prompt from {prompt['source']}",
            "now": NOW, "contact": dict(CONTACT), "line": line, "expect": expect}


def scenarios(corpora: tuple[Path, ...] = CORPORA) -> list[dict[str, Any]]:
    """The scenario of every prompt of every corpus, in corpus order."""
    found: list[dict[str, Any]] = []
    for corpus in corpora:
        with open(corpus, encoding="utf-8") as f:
            prompts = yaml.safe_load(f)["prompts"]
        found += [scenario_for(p, i) for i, p in enumerate(prompts)]
    return found


def main() -> None:
    names = ", ".join(c.name for c in CORPORA)
    sys.stdout.write(f"# Generated from benchmarks/phone_tree_corpus/ ({names}) by\n"
                     "#   python -m simulator.real_line_scenarios > scenarios/real_lines.yaml\n"
                     "# One scenario per real prompt of every corpus (issue 13); see simulator/real_line_scenarios.py.\n")
    yaml.safe_dump({"scenarios": scenarios()}, sys.stdout, sort_keys=False, allow_unicode=True, width=120)


if __name__ == "__main__":
    main()
