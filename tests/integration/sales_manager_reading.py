"""What a sales manager reading a call's transcript must not find (issue 14): dead air, a wrong name,
a repeated opener. Read from the transcript alone, as a person reads it."""
from __future__ import annotations

import re

from domain.callee_words import Heard, heard
from domain.menu_reader import read_menu
from domain.voicemail_detector import Answerer, classify_greeting

# "Hi Dana", "Thanks, Dana", "Thank you for your time, Jay.": the agent addressing someone by name.
_ADDRESSED = re.compile(r"\b(?:Hi|Hello|Thanks|Thank you)(?: for your time)?,? ((?:Dr\. )?[A-Z][a-z]+)\b"
                        r"|, ((?:Dr\. )?[A-Z][a-z]+)[.!?]")
_TRANSFER = re.compile(r"(?i)put you through|transferring|connecting you")
# Saying again who is calling answers these; it is not the opener said twice.
_ASKS_WHO_CALLS = re.compile(r"(?i)robot|real person|a machine|\bAI\b|who is this|who's (?:this|calling)|what company")
SILENCE = "Hello? Is anyone there?"  # what a simulated person says when the agent leaves the line silent
# Who the person on the line is, as a reader hears it: "This is Dr. Kent." / "Tom speaking", or, for "Speaking."
# after a transfer, whom the front desk said it was putting the call through to ("Dr. Kent handles that").
_GIVES_NAME = re.compile(r"\b(?:[Tt]his is|[Ii]t's) ((?:Dr\. )?[A-Z][a-z]+)\b(?!'s)|\b((?:Dr\. )?[A-Z][a-z]+) speaking\b")
_HANDLES = re.compile(r"\b((?:Dr\. )?[A-Z][a-z]+(?: [A-Z][a-z]+)?) handles that\b")
_ONLY_SPEAKING = re.compile(r"(?i)^\s*(?:yes,? )?(?:speaking|that's me|it's me)\W*$")


def contact_names(scenario) -> tuple[str, ...]:
    """The names the called person may go by: the scenario contact's first name, the decision maker an
    earlier call's front desk named (`contact.known`), and one a receptionist of this line names (`gives`)."""
    named = [scenario.known.decision_maker] + [node.gives.get("decision_maker") for node in scenario.line.values()
                                               if node.kind == "person"]
    return (scenario.contact["first_name"], *dict.fromkeys(n for n in named if n))


def transcript_defects(transcript: list[dict], names: tuple[str, ...], *, voicemail_left: bool) -> list[str]:
    """Every defect found, each naming the line; [] for a transcript a sales manager signs off. `names`: what
    the called person may be addressed as, once they said who they are."""
    defects = []
    agent_lines = [t["text"] for t in transcript if t["speaker"] == "agent"]
    defects += [f"repeated: {line!r}" for line in sorted({a for a in agent_lines if agent_lines.count(a) > 1})]
    last_agent = max((i for i, t in enumerate(transcript) if t["speaker"] == "agent"), default=-1)
    parties, openers, identified, said = 1, 0, False, ""
    party_name, put_through_to = None, None  # the name the person on the line goes by, once a reader knows it
    for i, turn in enumerate(transcript):
        text = turn["text"]
        if turn["speaker"] != "agent":
            # Silence is right while the person put the call on hold or is transferring it.
            waiting = i > 0 and transcript[i - 1]["speaker"] != "agent" \
                and heard(transcript[i - 1]["text"])[0] in (Heard.HOLD, Heard.TRANSFER)
            if text == SILENCE and not waiting:
                defects.append(f"dead air before {text!r}")
            if handles := _HANDLES.search(text):
                put_through_to = handles.group(1)
            if _TRANSFER.search(text):
                parties, identified, party_name = parties + 1, False, None
            if any(heard(text, name)[0] is Heard.CONFIRMS_IDENTITY for name in names):
                identified = True
            if given := _GIVES_NAME.search(text):
                party_name = given.group(1) or given.group(2)
            elif _ONLY_SPEAKING.match(text):  # the one asked for, or the one the front desk put the call through to
                party_name = put_through_to
            said = text
            continue
        if "call is recorded" in text and not _ASKS_WHO_CALLS.search(said):
            openers += 1
            if openers > parties:
                defects.append(f"opener repeated to the same person: {text!r}")
        voicemail_message = voicemail_left and i == last_agent
        for match in _ADDRESSED.finditer(text):
            name = match.group(1) or match.group(2)
            if name not in names or not (identified or voicemail_message) \
                    or (identified and party_name is not None and name != party_name):
                defects.append(f"wrong name {name!r} in {text!r}")
        # Words to a menu or a call screener need no question; a person's do.
        to_a_machine = bool(read_menu(said).choices) or len(text.split()) <= 3 \
            or classify_greeting(said).answerer in (Answerer.IVR, Answerer.SCREENING)
        goes_on = any(t["speaker"] == "agent" for t in transcript[i + 1:])
        if goes_on and not to_a_machine and not text.rstrip().endswith("?"):
            defects.append(f"dead air after {text!r}")
    return defects
