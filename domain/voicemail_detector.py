"""Human or machine, from the first words the callee's side says.

`classify_greeting(text)` returns a `GreetingVerdict`: the `Answerer`
(HUMAN, VOICEMAIL, MAILBOX_FULL, IVR, SCREENING, CARRIER, UNCERTAIN) and the
cue that decided it. Call it again as more words arrive; the verdict only
firms up. Machine cues win over human ones, so a short voicemail greeting
("Hi, this is Dana, leave a message") is never taken for a person, while a
short live answer ("Hello?", "Lakeside Ortho, this is Amy") is HUMAN at once.
A greeting with no cue either way is UNCERTAIN: keep listening (and let the
beep detector speak).

Order of precedence: a full / unset mailbox, then carrier intercepts ("the
number you have dialed is not in service"), then call screening, then
the carrier's "not available" (unless a mailbox follows), then voicemail cues,
then menu cues (an IVR), then human cues.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from domain.menu_reader import OptionKind, read_menu
from domain.outcomes import CallOutcome


class Answerer(str, Enum):
    HUMAN = "human"
    VOICEMAIL = "voicemail"          # leave the message after the beep
    MAILBOX_FULL = "mailbox_full"    # a mailbox that cannot take a message (full or never set up)
    IVR = "ivr"                      # an automated menu or announcement: navigate it
    SCREENING = "screening"          # a call-screening assistant asks who is calling
    CARRIER = "carrier"              # a network intercept: the call cannot go through
    UNCERTAIN = "uncertain"          # not enough words yet


@dataclass(frozen=True)
class GreetingVerdict:
    answerer: Answerer
    cue: str = ""          # the words that decided, as heard (lower case); empty when UNCERTAIN
    rule: str = ""         # the name of the rule that matched

    @property
    def is_machine(self) -> bool:
        return self.answerer in (Answerer.VOICEMAIL, Answerer.MAILBOX_FULL, Answerer.IVR,
                                 Answerer.SCREENING, Answerer.CARRIER)

    @property
    def final_outcome(self) -> CallOutcome | None:
        """The call's outcome when this verdict ends the call without a message, else None."""
        if self.answerer is Answerer.MAILBOX_FULL:
            return CallOutcome.NO_ANSWER
        if self.answerer is Answerer.CARRIER:
            if self.rule == "carrier_busy":
                return CallOutcome.BUSY
            if self.rule == "carrier_unavailable":
                return CallOutcome.NO_ANSWER
            return CallOutcome.WRONG_NUMBER
        return None


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in parts))


_MAILBOX_FULL = _rx(
    r"\bmail ?box\b[^.]{0,40}\b(?:is|are) (?:currently |now )?full\b",
    r"\b(?:cannot|can't|can not|unable to|is not able to) (?:accept|take|receive|record) (?:any )?(?:new |more |additional )?messages?\b",
    r"\bnot (?:accepting|taking) (?:any )?(?:new )?messages\b",
    r"\b(?:mail ?box|voice ?mail)\b[^.]{0,40}\b(?:has not|hasn't|has not yet|not) been set ?up\b",
    r"\bhas not set up (?:their|his|her|a) (?:voice ?mail|mail ?box)\b",
    r"\bmail ?box is not (?:set ?up|available)\b",
)
_CARRIER_INVALID = _rx(
    r"\bnumber you have (?:dialed|reached|called)\b[^.]{0,40}\b(?:not in service|disconnected|no longer in service|not a working number|changed)",
    r"\b(?:is )?(?:not|no longer) in service\b",
    r"\bhas been disconnected\b",
    r"\bcall cannot be completed as dialed\b",
    r"\bcheck the number and (?:dial|try) again\b",
    r"\bnot a working number\b",
    r"\bhas been changed to a non-?published number\b",
)
_CARRIER_BUSY = _rx(r"\ball circuits are busy\b", r"\bthe (?:number|party|line) you (?:are calling|have dialed) is busy\b")
_CARRIER_UNAVAILABLE = _rx(
    r"\b(?:wireless|cellular) customer you (?:are calling|have called|are trying to reach) is not available\b",
    r"\bsubscriber you have (?:dialed|called) is not available\b",
    r"\bperson you(?: are|'re) (?:calling|trying to reach) is (?:not available|unavailable)\b",
    r"\bplease try your call again later\b",
)
_SCREENING = _rx(
    r"\b(?:record|say|state) your name and (?:the )?reason for calling\b",
    r"\busing a (?:call )?screening service\b",
    r"\bcall assist\b",
    r"\bbefore i (?:try to )?connect you\b",
    r"\bsay your name (?:after|at) the (?:tone|beep)\b",
    r"\bgoogle assistant\b[^.]{0,40}\bscreening\b",
)
_VOICEMAIL = _rx(
    r"\b(?:after|at) the (?:tone|beep|sound of the tone)\b",
    r"\bleave (?:me |us )?(?:a |your |a brief |a short |a detailed )?(?:message|voicemail|name and number|name,? number)\b",
    r"\bleave your name\b",
    r"\brecord your message\b",
    r"\b(?:not|unable to|can't|cannot) (?:available|come|get|answer|take)\b[^.]{0,30}\b(?:the )?(?:phone|call|your call)\b",
    r"\b(?:is|am|are) (?:not available|unavailable)\b",
    r"\b(?:away from|not at) (?:my|the|our) (?:desk|phone|office)\b",
    r"\bget back to you\b",
    r"\breturn your call\b",
    r"\bcall you back\b",
    r"\bvoice ?mail(?:box)?\b",
    r"\bmail ?box\b",
    r"\bwhen you(?: have|'ve)? finished recording\b",
    r"\bnot here right now\b",
    r"\byou(?: have|'ve) reached the (?:voice ?mail|mail ?box|personal)\b",
)
_IVR = _rx(
    r"\blisten carefully\b",
    r"\bmenu options have changed\b",
    r"\bplease (?:make|choose) (?:a|your) selection\b",
    r"\byour call is important to us\b",
    r"\b(?:all of )?our (?:representatives|agents|staff members) are (?:currently )?(?:busy|assisting)\b",
    r"\bnext available (?:representative|agent|team member|staff member)\b",
    r"\bcalls? (?:may|will) be (?:recorded|monitored)\b",
    r"\b(?:our )?office (?:is|hours are) (?:currently |now )?(?:closed|open)\b",
    r"\bour (?:office|business) hours\b",
    r"\bplease hold while\b",
    r"\bif you know your party'?s extension\b",
    r"\bdial by name\b",
    r"\bpara (?:español|espanol)\b",
    r"\bif this is (?:a|an) (?:medical )?emergency\b",
)
_HUMAN = _rx(
    r"^(?:hello|hi|hey|yeah|yes|yep|good (?:morning|afternoon|evening))\W*$",
    r"^(?:hello|hi|yes)\s*\?",
    r"\bthis is [a-z]+(?: [a-z]+)?(?:\s+(?:speaking|here))?\W*(?:how|can|what|may|$)",
    r"\b[a-z]+ speaking\b",
    r"\bhow (?:can|may|might) (?:i|we) (?:help|assist|direct)\b",
    r"\bwhat can i do for you\b",
    r"\bwho(?:'s| is) (?:calling|this)\b",
    r"\bcan i (?:help|ask who)\b",
    r"\bmay i (?:help|ask who|have your name)\b",
    r"\bcan you hold\b",
    r"\bhold on(?:e| a) (?:second|sec|moment|minute)\b",
    r"\bjust a (?:moment|second|sec|minute)\b",
    r"\bwhat do you (?:need|want)\b",
    r"\?\s*$",
)
# A carrier's "not available" is followed by one of these when a mailbox exists.
_VOICEMAIL_STRONG = re.compile(r"\b(?:tone|beep|leave|record)\b")
# People answering do not say "you've reached"; machines do, menus and mailboxes alike.
_REACHED = re.compile(r"\byou(?: have|'ve) reached\b|\bthis is the (?:voice ?mail|mail ?box|personal line)\b")
# A "this is Amy" that starts a longer greeting is still the machine speaking.
_HUMAN_WEAK = _rx(
    r"\bthis is [a-z]+\b",
    r"^(?:hello|hi|hey|good (?:morning|afternoon|evening))\b[^.?!]{0,60}[.!]?$",
    r"^[^.?!]{0,40},\s*(?:please hold|one moment|one moment please)\W*$",
    r"^(?:[a-z' ]{2,40}(?:,|\.)\s*)?(?:front desk|reception|scheduling|business office)\W*$")
# Phrases a voicemail system itself says about keys; they do not make it a menu.
_VOICEMAIL_KEYS = re.compile(r"\bfinish|\bmore options\b|\bhang up\b|\bcallback number\b|\bre-?record\b|\bto leave\b|\bmessage\b|\bpage\b")


def _norm(text: str) -> str:
    t = text.lower().replace("\u2019", "'")
    return re.sub(r"\s+", " ", t).strip()


def _hit(rx: re.Pattern[str], t: str) -> str | None:
    m = rx.search(t)
    return m.group(0).strip() if m else None


def classify_greeting(text: str) -> GreetingVerdict:
    """Classify what answered from its first words (see the module docstring)."""
    if not isinstance(text, str):
        raise TypeError(f"greeting text must be a str, not {type(text).__name__}")
    t = _norm(text)
    if not t:
        return GreetingVerdict(Answerer.UNCERTAIN, rule="no_words")
    for rx, answerer, rule in (
        (_MAILBOX_FULL, Answerer.MAILBOX_FULL, "mailbox_full"),
        (_CARRIER_INVALID, Answerer.CARRIER, "carrier_invalid"),
        (_CARRIER_BUSY, Answerer.CARRIER, "carrier_busy"),
        (_SCREENING, Answerer.SCREENING, "screening"),
    ):
        cue = _hit(rx, t)
        if cue:
            return GreetingVerdict(answerer, cue, rule)

    carrier_cue = _hit(_CARRIER_UNAVAILABLE, t)
    if carrier_cue and not _VOICEMAIL_STRONG.search(t):
        return GreetingVerdict(Answerer.CARRIER, carrier_cue, "carrier_unavailable")

    menu_keys = [o for o in read_menu(t).options
                 if o.kind not in (OptionKind.EMERGENCY, OptionKind.STAY) and not _VOICEMAIL_KEYS.search(o.phrase)]
    voicemail_cue = _hit(_VOICEMAIL, t)
    # A practice menu may offer a message box as one option among others.
    if voicemail_cue and len(menu_keys) < 2:
        return GreetingVerdict(Answerer.VOICEMAIL, voicemail_cue, "voicemail")
    if menu_keys:
        o = menu_keys[0]
        return GreetingVerdict(Answerer.IVR, f"{o.phrase} {o.key or o.say}".strip(), "menu_option")
    cue = _hit(_IVR, t)
    if cue:
        return GreetingVerdict(Answerer.IVR, cue, "ivr")
    cue = _hit(_REACHED, t)
    if cue:
        return GreetingVerdict(Answerer.VOICEMAIL, cue, "reached")
    cue = _hit(_HUMAN, t)
    if cue:
        return GreetingVerdict(Answerer.HUMAN, cue, "human")
    words = len(t.split())
    cue = _hit(_HUMAN_WEAK, t)
    if cue and words <= 8:
        return GreetingVerdict(Answerer.HUMAN, cue, "human_short")
    return GreetingVerdict(Answerer.UNCERTAIN, rule="no_cue")
