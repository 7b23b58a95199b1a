"""The people and machines on a simulated practice's line, walking the scenario's node graph.

Text mode: the practice speaks text, hears the agent's text and keypresses,
and advances the simulated clock by how long each thing would take. A
voicemail box speaks its greeting's words, then plays audio (LineAudio, 16 kHz
PCM): the greeting's last seconds, the beep (when `beep`), then line noise. The
practice knows where the beep is and notes when the agent talked over it
(`talked_over_greeting`): the simulator's truth, whatever the agent believed.
"""
from __future__ import annotations

import re

from datetime import datetime, timedelta
from typing import Callable

from application.call.progress import LineEnding
from domain.call_screening import missing_from_introduction
from domain.slot_finder import times_said
from simulator.line_audio import LineAudio, VoicemailAudio, quiet_audio, voicemail_audio
from simulator.scenario import Node, Scenario

WORDS_PER_SECOND = 2.5
MENU_TIMEOUT_S = 5.0
RING_S = 6.0
NO_ANSWER_RING_S = 30.0
SCREENER_RING_S = 8.0

OBJECTION_WORDS = {
    "already_insured": "We already have malpractice insurance, we're covered.",
    "send_information": "Can you just send me some information by email?",
    "not_interested": "Honestly, I'm not interested.",
    "too_busy": "I'm really busy at the moment.",
    "cost": "How much does this cost?",
    "bad_time": "It's not a good time, I'm in the middle of clinic.",
    "who_is_this": "Sorry, who is this? What company?",
}


def speaking_time(text: str) -> float:
    return max(1.0, len(text.split()) / WORDS_PER_SECOND)


def _spoken(moment: datetime) -> str:
    hour = moment.hour % 12 or 12
    return f"{moment:%A} {moment:%B} {moment.day} at {hour}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


def _spoken_window(start: datetime, end: datetime) -> str:
    def clock(m: datetime) -> str:
        return f"{m.hour % 12 or 12}:{m.minute:02d} {'AM' if m.hour < 12 else 'PM'}"
    return f"{start:%A} {start:%B} {start.day} between {clock(start)} and {clock(end)}"


# The agent asking a receptionist how to reach the decision maker.
_ASKED_EMAIL = re.compile(r"(?i)\bwhat email\b|\bemail address should\b")
_ASKED_DETAILS = re.compile(r"(?i)\b(?:best time|extension|direct line|who (?:handles|decides|takes care))")

class Practice:
    def __init__(self, scenario: Scenario, now: Callable[[], datetime], advance: Callable[[float], None]):
        self.scenario = scenario
        self.ended: LineEnding | None = None  # how the line itself ended the call
        self.decision_maker_reached = False  # the line's truth, kept on the record for the report
        self.now = now
        self.advance = advance
        self.node: Node = scenario.line["start"]
        self.pressed: list[str] = []
        self.agent_lines: list[str] = []  # what the agent said since the practice last spoke
        self.hung_up = False
        self.talked_over_greeting = False
        self.screened_by: str | None = None  # the screener node that passed the call on
        self._clip: VoicemailAudio | None = None
        self._clip_heard_s = 0.0  # how far into the voicemail audio the agent listened
        self._reset_node_state()

    @property
    def voicemail_clip(self) -> VoicemailAudio | None:
        """The voicemail box's last clip (tail of the greeting, beep, quiet), with where its beep is."""
        return self._clip

    # --- what the agent does -------------------------------------------------------------------

    def press(self, digits: str) -> None:
        self.advance(0.3 * len(digits))
        self.pressed.extend(digits)

    def hear(self, text: str) -> None:
        if self.node.kind == "voicemail":
            clip = self._clip
            if clip is None or (clip.beep_end_s is not None and self._clip_heard_s < clip.beep_end_s) \
                    or self._clip_heard_s < clip.greeting_end_s:
                self.talked_over_greeting = True
        self.advance(speaking_time(text))
        self.agent_lines.append(text)

    def audio_heard_until(self, seconds: float) -> None:
        self.advance(seconds)
        self._clip_heard_s += seconds

    def agent_hung_up(self) -> None:
        self.hung_up = True

    # --- what the line does --------------------------------------------------------------------

    def pick_up(self) -> str | None:
        """The first thing heard after dialing, or None when nobody answers."""
        if self.node.kind == "no_answer":
            self.advance(NO_ANSWER_RING_S)
            return self._end(LineEnding.NO_ANSWER)
        self.advance(RING_S)
        if self.node.kind == "busy":
            return self._end(LineEnding.BUSY)
        if self.node.kind == "invalid_number":
            return self._end(LineEnding.INVALID_NUMBER)
        return self._enter(self.node)

    def next_utterance(self) -> str | LineAudio | None:
        """What the line says next, given what the agent did since; None when the line has ended."""
        if self.hung_up or self.ended is not None:
            return None
        said, self.agent_lines = " ".join(self.agent_lines), []
        digits, self.pressed = "".join(self.pressed), []
        kind = self.node.kind
        if kind == "menu":
            return self._menu(said, digits)
        if kind == "hold":
            self.advance(self.node.seconds)
            return self._goto(self.node.then)
        if kind == "voicemail":
            return self._voicemail(said)
        if kind == "screener":
            return self._screener(said)
        if kind == "person":
            return self._person(said)
        return self._end(LineEnding.HUNG_UP)

    # --- nodes ---------------------------------------------------------------------------------

    def _reset_node_state(self) -> None:
        self.misses = 0
        self.stage = 0
        self.objections_left = list(self.node.objections)
        self.asked_robot = False
        self.beeped = False
        self.quiet_turns = 0
        self.slot_rounds = 0
        self.decided = False

    def _goto(self, name: str | None) -> str | None:
        if name is None:
            return self._end(LineEnding.HUNG_UP)
        self.node = self.scenario.line[name]
        self._reset_node_state()
        return self._enter(self.node)

    def _enter(self, node: Node) -> str | None:
        if node.kind in ("hangup", "no_answer", "busy", "invalid_number"):
            return self._end(LineEnding.HUNG_UP)
        if node.kind == "menu":
            return self._say(node.text)
        if node.kind in ("hold", "voicemail", "screener"):
            return self._say(node.text)
        if node.role == "decision_maker":
            self.decision_maker_reached = True
        return self._say(node.says or f"{self.scenario.contact['practice']}, how can I help you?")

    def _menu(self, said: str, digits: str) -> str | None:
        node = self.node
        if digits and digits in node.extensions:
            return self._goto(node.extensions[digits])
        if digits:
            key = digits[0]
            if key in node.options:
                return self._goto(node.options[key])
            if node.on_invalid:
                return self._goto(node.on_invalid)
            return self._repeat("Sorry, that is not a valid option. ")
        low = said.lower()
        for word, target in node.speech.items():
            if word in low:
                return self._goto(target)
        self.advance(MENU_TIMEOUT_S)
        return self._repeat("")

    def _repeat(self, prefix: str) -> str | None:
        self.misses += 1
        if self.misses > self.node.repeats:
            if self.node.on_timeout:
                return self._goto(self.node.on_timeout)
            return self._end(LineEnding.HUNG_UP)
        return self._say(prefix + self.node.text)

    def _voicemail(self, said: str) -> str | LineAudio | None:
        if said and self.beeped:
            return self._end(LineEnding.HUNG_UP)  # the box hangs up after the message
        if not self.beeped:
            self.beeped = True
            self._clip = box_recording(self.scenario, self.node)
            self._clip_heard_s = 0.0
            return self._clip.audio
        self.quiet_turns += 1
        if self.quiet_turns > 2:
            return self._end(LineEnding.HUNG_UP)  # a long silence: the box hangs up
        return quiet_audio(3.0, f"{self.scenario.id}:{self.node.name}:{self.quiet_turns}")

    def _screener(self, said: str) -> str | None:
        """A call screener passes the call on only when the caller gave its name, company and reason."""
        node = self.node
        if not said:
            return self._goto_after_screening(node.on_silence)
        missing = missing_from_introduction(said)
        if not missing:
            self.screened_by = node.name
            self.advance(SCREENER_RING_S)  # the screener rings the person
            return self._goto_after_screening(node.then)
        self.misses += 1
        if self.misses > 1:
            return self._goto_after_screening(node.on_silence)
        return self._say(f"Sorry, I didn't get your {' and '.join(missing)}. Please say your name, your company "
                         "and the reason for your call.")

    def _goto_after_screening(self, name: str | None) -> str | None:
        if name is not None and self.scenario.line[name].kind == "no_answer":
            return self._end(LineEnding.NO_ANSWER)  # the screener rang the person; nobody picked up
        return self._goto(name)

    def _person(self, said: str) -> str | None:
        node = self.node
        if not said and node.role == "receptionist" and self.stage == 1 and node.transfers_to \
                and not node.refuses_transfer:
            self.advance(4.0)
            return self._goto(node.transfers_to)  # "I'll put you through": the caller waits in silence
        if not said:
            self.quiet_turns += 1
            return self._end(LineEnding.HUNG_UP) if self.quiet_turns > 2 else self._say("Hello? Is anyone there?")
        self.quiet_turns = 0
        if self.decided:
            return self._after_decision(said)
        if node.asks_if_robot and not self.asked_robot:
            self.asked_robot = True
            return self._say("Wait, am I talking to a real person or a robot?")
        if node.role == "receptionist":
            return self._receptionist(said)
        return self._decision_maker(said)

    def _receptionist(self, said: str = "") -> str | None:
        first = self.scenario.contact["first_name"]
        if self.stage == 0:
            self.stage = 1
            if self.node.transfers_to and not self.node.refuses_transfer:
                # A receptionist who knows who decides names them as she transfers the call.
                named = self.node.gives.get("decision_maker")
                return self._say(f"{named} handles that. One moment, I'll put you through." if named
                                 else "One moment, I'll put you through.")
            return self._say(f"I'm sorry, {first} is not available and doesn't take sales calls. "
                             "I can take a message.")
        if self.stage == 1 and self.node.transfers_to and not self.node.refuses_transfer:
            self.advance(4.0)
            return self._goto(self.node.transfers_to)
        if self.stage == 1 and _ASKED_DETAILS.search(said):
            self.stage = 2
            return self._say(self._details() if self.node.gives else "Sorry, I can't give that out.")
        return self._end(LineEnding.HUNG_UP)

    def _details(self) -> str:
        """What this receptionist tells about reaching the decision maker (`gives`), in plain words."""
        gives = self.node.gives
        words = []
        if gives.get("decision_maker"):
            words.append(f"{gives['decision_maker']} handles that.")
        if gives.get("best_time"):
            words.append(f"Best to try {gives['best_time']}.")
        if gives.get("extension"):
            words.append(f"The extension is {gives['extension']}.")
        if gives.get("direct_line"):
            words.append(f"The direct line is {gives['direct_line']}.")
        if gives.get("email"):
            words.append(f"The email is {gives['email']}.")
        return " ".join(words)

    def _decision_maker(self, said: str) -> str | None:
        first = self.scenario.contact["first_name"]
        if self.stage == 0:
            self.stage = 1
            if first.lower() in said.lower() and not self._introduced(said):
                return self._say("Speaking.")
        if self.stage == 1 and "?" in said and len(self.objections_left) == len(self.node.objections) \
                and not self._introduced(said):
            return self._say("Yes, go on.")
        self.stage = 2
        if self.objections_left:
            return self._say(OBJECTION_WORDS[self.objections_left.pop(0)])
        self.decided = True
        return self._say(self._decision_words())

    @staticmethod
    def _introduced(said: str) -> bool:
        return "insurance" in said.lower() or "coverage" in said.lower() or "worth" in said.lower() \
            or "useful" in said.lower() or "time" in said.lower()

    def _decision_words(self) -> str:
        node = self.node
        decision = node.decision or "decline"
        if decision == "opt_out":
            return "Please take me off your list and don't call this number again."
        if decision == "callback":
            when = node.callback_at or self._next_weekday_morning()
            return f"Can you call me back on {_spoken(when.astimezone(self.scenario.contact_zone))}?"
        if decision == "decline":
            return "No thank you, we'll pass."
        words = "Sure, let's set something up."
        if node.availability:
            windows = " or ".join(_spoken_window(i.start.astimezone(self.scenario.contact_zone),
                                                 i.end.astimezone(self.scenario.contact_zone))
                                  for i in node.availability)
            words += f" I'm free {windows}."
        if node.email:
            words += f" Send the invitation to {node.email}."
        return words

    def _after_decision(self, said: str) -> str | None:
        if (self.node.decision or "decline") != "accept":
            return self._say("Goodbye.") if self.slot_rounds == 0 and not self._ends(said) else \
                self._end(LineEnding.HUNG_UP)
        if "all set" in said.lower() or "booked" in said.lower():
            self.slot_rounds = 99
            return self._say("Great, thank you. Bye.")
        if _ASKED_EMAIL.search(said):
            email = self.node.gives.get("email") or self.node.email
            return self._say(f"It's {email}." if email else "I'd rather not give one.")
        offered = times_said(said, self.now(), self.scenario.contact_zone)
        if not offered:
            self.slot_rounds += 1
            return self._say("Okay.") if self.slot_rounds < 3 else self._end(LineEnding.HUNG_UP)
        fitting = [t for t in offered if not self.node.availability
                   or any(i.start <= t < i.end for i in self.node.availability)]
        if fitting:
            return self._say(f"{_spoken(fitting[0])} works for me.")
        self.slot_rounds += 1
        if self.slot_rounds > 2:
            return self._say("None of those work. Let's leave it for now, thanks.")
        windows = " or ".join(_spoken_window(i.start.astimezone(self.scenario.contact_zone),
                                             i.end.astimezone(self.scenario.contact_zone))
                              for i in self.node.availability)
        return self._say(f"None of those work for me. I'm free {windows}.")

    def _ends(self, said: str) -> bool:
        return any(w in said.lower() for w in ("have a great day", "goodbye", "have a good day"))

    def _next_weekday_morning(self) -> datetime:
        local = self.now().astimezone(self.scenario.contact_zone)
        day = local + timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        return day.replace(hour=10, minute=0, second=0, microsecond=0)

    # --- speaking ------------------------------------------------------------------------------

    def _say(self, text: str, *, cue: bool = False) -> str:
        if not cue:
            self.advance(speaking_time(text))
        return text

    def _end(self, how: LineEnding) -> None:
        self.ended = how
        return None


def box_recording(scenario: Scenario, node: Node) -> VoicemailAudio:
    """What this scenario's voicemail box plays: always the same clip for the same scenario and box."""
    return voicemail_audio(f"{scenario.id}:{node.name}", beep=node.beep, greeting_s=node.greeting_s)
