"""What the agent does on hearing the line's words: one decision for the live fast path, the simulator and the benchmark.

`read_line(text, navigator, complete=...)` classifies the words heard so far
(classify_greeting) and, for a menu, asks the navigator; it returns a
`LineDecision`:

- TALK: a person answered; WAIT_FOR_BEEP: a machine that takes a message (an
  English greeting, or one in another language: the message stays English);
- END with an outcome: a full / unset mailbox or a "not available" carrier
  message (`no_answer`), a disconnected, not in service or changed number
  (`wrong_number`), circuits busy (`busy`); nothing is said;
- ANSWER_SCREENER: a call screener asks who is calling (domain.call_screening);
- PRESS / SAY / STAY: a menu option, chosen by meaning (never an emergency key);
- LISTEN: nothing to do yet (an announcement, hold, a data-entry prompt left
  to time out, a choice only among lines to avoid, or words still coming).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from domain.menu_navigator import MenuNavigator, NavAction, NavDecision
from domain.outcomes import CallOutcome
from domain.voicemail_detector import Answerer, GreetingVerdict, classify_greeting


class LineAction(str, Enum):
    TALK = "talk"
    WAIT_FOR_BEEP = "wait_for_beep"
    END = "end"
    ANSWER_SCREENER = "answer_screener"
    PRESS = "press"
    SAY = "say"
    STAY = "stay"
    LISTEN = "listen"


@dataclass(frozen=True)
class LineDecision:
    action: LineAction
    reason: str
    verdict: GreetingVerdict
    outcome: CallOutcome | None = None
    digits: str = ""
    say: str = ""
    navigation: NavDecision | None = None

    @property
    def label(self) -> str:
        """A short name of the decision: "person", "wait_for_beep", "end:busy", "press:2", "say:operator", ..."""
        if self.action is LineAction.TALK:
            return "person"
        if self.action is LineAction.END:
            return f"end:{self.outcome.value if self.outcome else 'unknown'}"
        if self.action is LineAction.PRESS:
            return f"press:{self.digits}"
        if self.action is LineAction.SAY:
            return f"say:{self.say}"
        return self.action.value


_VERDICT_ACTIONS = {
    Answerer.HUMAN: LineAction.TALK,
    Answerer.VOICEMAIL: LineAction.WAIT_FOR_BEEP,
    Answerer.SCREENING: LineAction.ANSWER_SCREENER,
}


def read_line(text: str, navigator: MenuNavigator | None = None, *, complete: bool = True) -> LineDecision:
    """Decide from the line's words so far (see the module docstring).

    `navigator` keeps the menus of this call (loops, keys already tried); it
    hears `text` as a new prompt. `complete=False` while the words may go on;
    `complete=True` once the far end stopped talking (its turn ended).
    """
    verdict = classify_greeting(text, complete=complete, turn_ended=complete)
    if verdict.final_outcome is not None:
        return LineDecision(LineAction.END, f"{verdict.answerer.value}: {verdict.cue}", verdict,
                            outcome=verdict.final_outcome)
    action = _VERDICT_ACTIONS.get(verdict.answerer)
    if action is not None:
        return LineDecision(action, f"{verdict.answerer.value}: {verdict.cue}", verdict)
    if verdict.answerer is Answerer.UNCERTAIN:
        return LineDecision(LineAction.LISTEN, f"not enough words yet ({verdict.rule})", verdict)
    navigator = navigator or MenuNavigator()
    navigator.reset()
    decision = navigator.hear(text, final=complete)
    if decision.action is NavAction.STAY_ON_LINE:
        return LineDecision(LineAction.STAY, decision.reason, verdict, navigation=decision)
    if decision.action in (NavAction.PRESS, NavAction.SAY) and navigator.policy.avoids(decision.option):
        return LineDecision(LineAction.LISTEN, f"only lines to avoid: {decision.reason}; letting the menu time out",
                            verdict, navigation=decision)
    if decision.say:
        return LineDecision(LineAction.SAY, decision.reason, verdict, say=decision.say, navigation=decision)
    if decision.digits:
        return LineDecision(LineAction.PRESS, decision.reason, verdict, digits=decision.digits, navigation=decision)
    return LineDecision(LineAction.LISTEN, decision.reason, verdict, navigation=decision)
