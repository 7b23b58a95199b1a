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
number you have dialed is not in service", circuits busy, unless a mailbox
follows), then call screening, then the carrier's "not available" (unless a
mailbox follows; held back while words may still come), then a greeting in
another language (a machine: wait for the beep), then a data-entry prompt
or an extension prompt or an open speech prompt ("briefly, tell me why
you are calling": an IVR, never a person), then voicemail cues, then
menu cues (an IVR), then human cues. Once the far end's turn is over
(`turn_ended=True`), a short answer with no machine cue is a person.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

from domain.menu_reader import OptionKind, read_menu
from domain.misheard_words import Mended, mend
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
    r"\bmail ?box\b[^.]{0,60}\b(?:is|are) (?:currently |now )?full\b",
    r"\b(?:voice ?mail|mail ?box)\b[^.]{0,60}\bis full\b",
    r"\b(?:cannot|can't|can not|unable to|is not able to) (?:accept|take|receive|record) (?:any )?(?:new |more |additional )?messages?\b",
    r"\bnot (?:currently )?(?:accepting|taking|receiving) (?:any )?(?:new )?messages\b",
    r"\b(?:mail ?box|voice ?mail)\b[^.]{0,60}\b(?:has not|hasn't|has not yet|not|never) been set ?up\b",
    r"\bhas not set up (?:their|his|her|a) (?:voice ?mail|mail ?box)\b",
    r"\bmail ?box is not (?:set ?up|available)\b",
    r"\b(?:mail ?box|voice ?mail ?box)(?: you are trying to reach| you(?:'ve| have) (?:reached|called))? is "
    r"(?:currently )?(?:unavailable|not available)\b",
    r"\b(?:storage limit|mail ?box is full|due to a full mail ?box)\b",
    r"\bwill send an? (?:sms|text)\b[^.]{0,30}\binstead\b",
)
_CARRIER_INVALID = _rx(
    r"\bnumber you(?: have|'ve)? (?:dialed|reached|called)\b[^.]{0,60}\b(?:not in service|disconnected"
    r"|no longer in service|not a working number|changed|been reassigned)",
    r"\b(?:is )?(?:not|no longer) in service\b",
    r"\b(?:has been|is|been) disconnected\b",
    r"\bcall cannot be completed as dialed\b",
    r"\bcheck the number and (?:dial|try)\b",
    r"\bnot a working number\b",
    r"\bhas been changed to (?:a )?non-?published number\b",
    r"\b(?:area code|number) (?:for the number )?you have dialed has been changed\b",
    r"\bthe new number is\b",
    r"\bdialed by mistake\b|\bmisdialed call\b",
    # The same intercepts in Spanish: a US line may announce a dead number in the caller's other language.
    r"\bn[úu]mero\b[^.]{0,40}\b(?:no existe|es incorrecto|se marc[óo] (?:incorrectamente|mal)|no est[áa] en servicio"
    r"|fuera de servicio|ha sido desconectado)",
)
_CARRIER_BUSY = _rx(
    r"\ball circuits are (?:busy|currently busy)\b",
    r"\ball (?!of\b|our\b|representatives\b|agents\b|staff\b|associates\b|operators\b|lines\b)[a-z]+ are "
    r"(?:currently )?busy\b",
    r"\bis busy\b[^.]{0,20}\btry (?:your call )?again\b",
    r"\b(?:number|party|line|subscriber|person) you (?:are calling|have dialed|have dial|dialed|have called) is "
    r"(?:currently )?busy\b",
    r"\b(?:temporary )?service difficulties\b",
    r"\bunable to (?:connect|complete) your call at this time\b",
    r"\bconnection has ended due to technical reasons\b",
    r"\bnetwork (?:is )?(?:busy|congest)",
)
# A screener asking the caller to speak (rather than only saying that it screens).
_SCREENING_ASKS = _rx(
    r"\b(?:record|say|state|tell me|give me|have) (?:your|you're) name\b",
    r"\b(?:reason|purpose) (?:for|of) (?:your call|calling|the call)\b",
    r"\bwhy you(?:'re| are) calling\b|\bwhat you(?:'re| are) calling about\b",
)
# What only a screener asks or says: the caller's name, or that it screens the call.
_SCREENER_ONLY = _rx(
    r"\b(?:record|say|state|tell me|give me|have|with) (?:your|you're) name\b",
    r"\bwho(?:'s| is) calling\b|\bwhat company\b",
    r"\bscreen|\bcall assist\b|\bgoogle\b|\bconnect you\b|\bsee if this person\b",
)
_CARRIER_UNAVAILABLE = _rx(
    r"\b(?:wireless|cellular|mobile) customer you (?:are calling|have called|have dialed|are trying to reach)\b",
    r"\bsubscriber you have (?:dialed|called) is (?:currently )?not available\b",
    # A phone that is off or out of reach: the network says so, no mailbox follows.
    r"\b(?:number|subscriber|person|party|customer|phone)\b[^.]{0,40}\b(?:is (?:currently )?(?:switched off|"
    r"not reachable|unreachable|out of (?:coverage|reach))|cannot be reached)\b",
    r"\b(?:person|party|number) you(?: are|'re| have| has)? (?:calling|trying to reach|dial(?:ed)?|called) "
    r"(?:is (?:not available|unavailable|not accepting calls)|does not accept|cannot take your call)\b",
    r"\bnot accepting calls at this time\b",
    r"\b(?:left the vehicle|beyond the service area|outside the (?:coverage|service) area)\b",
    r"\bplease try your call again later\b",
    r"\bnumber you (?:have |has )?dial(?:ed)?\b.{0,40}\btry (?:your call )?again later\b",
    r"\bdoes not accept unidentified calls\b",
    r"\b(?:dial|dialing|calling|call) restrictions\b|\bhas been restricted\b",
    r"\bcannot (?:accept|receive) calls\b",
    r"\b(?:cannot|can't|is unable to) take your call\b[^.]{0,40}\b(?:have a (?:nice|good|great) day|goodbye)\b",
    # A third party (a PBX, a phone's screening) declining the call for its owner; a mailbox, if any, says so after.
    r"\b(?:party|person|subscriber|customer)\b[^.]{0,30}\b(?:is unable to|cannot|can't) take your call\b",
    # A line that refuses this caller: anonymous or private calls, or this number.
    r"\b(?:anonymous|private|blocked|restricted|unidentified) (?:calls|callers) (?:are )?not accepted\b",
    r"\bunblock your caller id\b|\b(?:this|your) (?:number|call) is not accepted\b",
)
_SCREENING = _rx(
    r"\b(?:record|say|state|tell me|give me) (?:your|you're) name\b",
    r"\b(?:say|state|tell me|tell us) (?:the )?(?:reason|purpose) (?:for|of) (?:your call|calling|the call)\b",
    r"(?<!may i )(?<!can i )\b(?:say|state) (?:who(?: is|'s)? calling|why you(?:'re| are) calling)\b",
    r"\byour name and (?:the )?(?:reason|purpose)\b",
    r"\bmonitor for spam\b",
    r"\bscreening service\b|\bcall(?:er id)? screening\b|\bbeing screened\b|\bscreen(?:ing)? (?:this|your) call\b",
    r"\bcall assist\b",
    r"\bbefore i (?:try to )?connect you\b",
    r"\bcan i ask what you(?:'re| are) calling about\b",
    r"\bsee if this person is available\b",
    r"\bwhat company are you (?:with|calling from)\b",
    r"\bgoogle assistant\b[^.]{0,40}\bscreening\b",
)
_VOICEMAIL = _rx(
    r"\b(?:after|at) the (?:tone|beep|sound of the tone)\b",
    r"\bleave (?:me |us )?(?:a |your |a brief |a short |a detailed )?(?:message|voicemail|name and number|name,? number)\b",
    r"\bleave (?:me |us )?(?:a |your |you're )(?:[a-z]+ ){0,2}(?:message|name|number)\b",
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
    r"\b(?:nobody|no one) is (?:available|here)\b",
    r"\bis on the (?:phone|other line)\b",
    r"\bvoice message system\b|\bmessaging system\b",
    r"\b(?:be )?back in the office\b|\bout of (?:the )?office\b",
    r"\ba message\b",
    r"\bforwarded to an? (?:automatic|automated)\b",
    r"\b(?:to|can't|cannot) take your call\b",
    r"\bmissed your call\b",
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
    r"\b(?:invalid|incorrect) (?:selection|option|entry|key|choice|extension|response)\b",
    r"\bnot a valid (?:option|selection|extension|entry|choice)\b",
    r"\btransferring (?:you |your call )?to\b",
    r"\byour call is being (?:forwarded|transferred|connected)\b",
    r"\bwe(?:'ll| will) be with you\b",
    r"\b(?:helping|assisting|serving) other (?:callers|customers|patients)\b",
    r"\bthank you for (?:your patience|holding|waiting)\b",
    r"\b(?:waiting|wait) to (?:speak|talk) (?:with|to)\b",
    r"\bif you know your party'?s extension\b",
    r"\bdial by name\b",
    r"\bpara (?:español|espanol)\b",
    r"\bif this is (?:a|an) (?:medical )?emergency\b",
)
_HUMAN = _rx(
    r"^(?:hello|hallo|hullo|hi|hey|yeah|yes|yep|good (?:morning|afternoon|evening))\W*$",
    r"^(?:hello|hallo|hi|yes)\s*\?",
    r"^(?:(?:hello|hallo|hi|hey),? )?[a-z]+ here\W*$",
    r"^(?:hold on|one (?:sec|second|moment)|just a (?:sec|second|moment))\W*$",
    r"\bthis is [a-z]+(?: [a-z]+)?(?:\s+(?:speaking|here))?\W*(?:how|can|what|may|$)",
    r"\b[a-z]+ speaking\b",
    # "Speaking." / "Yes, that's me." / "This is he.": someone answering to their name; no recording says it alone.
    r"^(?:yes,? )?(?:speaking|that's me|it's me|this is (?:he|she|him|her))\W*$",
    r"\bhow (?:can|may|might) (?:i|we) (?:help|assist|direct|\w+ you)\b",
    r"\bwhat can i do for you\b",
    r"\bwho(?:'s| is) (?:calling|this)\b",
    r"\bcan i (?:help|ask who)\b",
    r"\bmay i (?:help|ask who|have your name)\b",
    r"\b(?:can|could|will|would) you (?:please )?hold\b",
    r"\bhold on(?:e| a) (?:second|sec|moment|minute)\b",
    r"\bjust a (?:moment|second|sec|minute)\b",
    r"\bwhat do you (?:need|want)\b",
    r"\bi'?ll be right (?:back|with you)\b",
    r"\bmay i\b",
    r"\bexcuse me\b",
    r"\?\s*$",
)
# What a person says and a recording does not: enough to decide before the turn ends.
_HUMAN_SURE = _rx(
    r"\bhow (?:can|may|might) (?:i|we) (?:help|assist|direct)\b",
    r"\bwho(?:'s| is) (?:calling|this)\b",
    r"\bwhat can i do for you\b",
    r"\b(?:can|could|will|would) you (?:please )?hold\b",
    r"\b(?:may|can|shall) i call you back\b",
    r"\b(?:may|can|shall) i take a message\b",
    r"\bmay i (?:say|tell (?:her|him|them)) who(?:'s| is) calling\b",
    r"\b(?:may|can) i (?:ask|have) (?:him|her|them|the doctor) (?:to )?(?:return your call|call you back)\b",
    r"\bis (?:this|it) urgent\b",
    r"\bi can (?:interrupt|get|grab|check|transfer|put you through)\b",
    r"\bi can help you\b",
    r"\b(?:glad|happy) to (?:transfer|connect|put) you\b",
    r"\btransfer you to (?:his|her|their) voice ?mail\b",
)
# A short answer with no machine cue in it, once the turn is over, is a person; unless it opens a recording.
_RECORDING_VOICE = re.compile(
    r"^(?:thank you for calling|thanks for calling|welcome to|you have reached|you've reached)\b"
    r"|\b(?:we|we're|we'll|we've|our|thank you for|representative|agent|operator|callers?|press|say|dial|enter|"
    r"extension|option|options|menu|recording|recorded)\b")
SHORT_ANSWER_WORDS = 6
# A carrier's "not available" is followed by one of these when a mailbox exists.
_VOICEMAIL_STRONG = re.compile(r"\b(?:tone|beep|leave|record)\b")
# People answering do not say "you've reached"; machines do, menus and mailboxes alike (a recognizer may drop the -ed).
_REACHED = re.compile(r"\byou(?: have|'ve) reach(?:ed)?\b|\bthis is the (?:voice ?mail|mail ?box|personal line)\b")
# A "this is Amy" that starts a longer greeting is still the machine speaking.
_HUMAN_WEAK = _rx(
    r"\bthis is [a-z]+\b",
    r"^(?:hello|hi|hey|good (?:morning|afternoon|evening))\b[^.?!]{0,60}[.!]?$",
    r"^[^.?!]{0,40},\s*(?:please hold|one moment|one moment please)\W*$",
    r"^(?:[a-z' ]{2,40}(?:,|\.)\s*)?(?:front desk|reception|scheduling|business office)\W*$")
# A key to leave a message for someone else: a menu routing the call, not this mailbox's greeting.
_ROUTED_MESSAGE = re.compile(r"\ba message (?:for|with) (?!me\b)")
_LEAVE_OPTION = re.compile(r"\bto leave (?:[a-z]+ ){0,3}?(?:voice ?mail|message)")
# Phrases a voicemail system itself says about keys; they do not make it a menu.
_VOICEMAIL_KEYS = re.compile(r"\bfinish|\bmore options\b|\bhang up\b|\bcallback number\b|\bre-?record\b|\bto leave\b|\bmessage\b|\bpage\b")


def _norm(text: str) -> str:
    t = text.lower().replace("\u2019", "'")
    t = re.sub(r"\bdiall(ed|ing)\b", r"dial\1", t)  # British spelling, as recognizers and carriers write it
    return re.sub(r"\s+", " ", t).strip()


def _hit(rx: re.Pattern[str], t: str) -> str | None:
    m = rx.search(t)
    return m.group(0).strip() if m else None


def classify_greeting(text: str, *, complete: bool = True, turn_ended: bool = False) -> GreetingVerdict:
    """Classify what answered from its first words (see the module docstring).

    `complete=False` says more words of this prompt may still come: a verdict
    that the rest could overturn (a carrier's "not available" that a mailbox
    prompt may follow, a "Hello, you've..." that may become a recorded
    greeting) is then held back as UNCERTAIN. `turn_ended=True` says the far
    end stopped talking: a short answer with no machine cue in it is then a
    person ("Charles speaking", "Hold on").

    Words a recognizer misheard ("please leaf your message") are read again
    as the cue words they sound like (domain.misheard_words); see
    `_trusted` for when that second reading decides.
    """
    if not isinstance(text, str):
        raise TypeError(f"greeting text must be a str, not {type(text).__name__}")
    return _classify_greeting(text, complete, turn_ended)


# The same words are judged several times (the call's judge of who answered, the menu navigator, each of
# the model's turns while they are in its history). A verdict is frozen, so the same one is handed out.
@lru_cache(maxsize=1024)
def _classify_greeting(text: str, complete: bool, turn_ended: bool) -> GreetingVerdict:
    t = _norm(text)
    names = names_in(text)
    heard = _classify(t, complete=complete, turn_ended=turn_ended, names=names)
    mended = mend(t)
    if not mended.mended:
        return heard
    return _trusted(heard, _classify(mended.text, complete=complete, turn_ended=turn_ended, names=names), mended)


# A person decided only because no machine cue was heard: a misheard cue may overturn it.
_PERSON_FOR_WANT_OF_A_CUE = ("short_answer", "human_short")


def _trusted(heard: GreetingVerdict, mended: GreetingVerdict, words: Mended) -> GreetingVerdict:
    """The verdict on the words as heard, or on the mended words when those may decide.

    A mended word never turns a machine into a person (that would pitch to a
    machine), never overturns a person heard saying what only people say, and
    never makes a machine on its own: the cue that decides must hold a word
    heard as it is besides the mended ones.
    """
    if mended.answerer is heard.answerer and mended.rule == heard.rule:
        return heard
    if heard.is_machine and mended.answerer is Answerer.HUMAN:
        return heard
    if heard.answerer is Answerer.HUMAN and heard.rule not in _PERSON_FOR_WANT_OF_A_CUE:
        return heard
    if mended.answerer is not Answerer.UNCERTAIN and words.only_mended(mended.cue):
        return heard
    return mended


def _classify(t: str, *, complete: bool, turn_ended: bool, names: frozenset[str] = frozenset()) -> GreetingVerdict:
    if not t:
        return GreetingVerdict(Answerer.UNCERTAIN, rule="no_words")
    takes_message = _VOICEMAIL_STRONG.search(t) is not None
    for rx, answerer, rule in (
        (_MAILBOX_FULL, Answerer.MAILBOX_FULL, "mailbox_full"),
        (_CARRIER_INVALID, Answerer.CARRIER, "carrier_invalid"),
        (_CARRIER_BUSY, Answerer.CARRIER, "carrier_busy"),
        (_SCREENING, Answerer.SCREENING, "screening"),
    ):
        cue = _hit(rx, t)
        if cue and rule == "screening" and not _hit(_SCREENING_ASKS, t) and any(
                o.key for o in read_menu(t).options if o.kind is OptionKind.KEY):
            continue  # "This call is being screened. Press 1 to connect": a menu, answered with a key
        if cue and rule == "screening" and not _hit(_SCREENER_ONLY, t) and read_menu(t).open_prompt:
            continue  # "Briefly, tell me the reason for your call": a speech menu asking what the call is about
        if cue and not (rule == "carrier_busy" and takes_message):
            return GreetingVerdict(answerer, cue, rule)

    carrier_cue = _hit(_CARRIER_UNAVAILABLE, t)
    if carrier_cue and not takes_message:
        if not complete:
            return GreetingVerdict(Answerer.UNCERTAIN, rule="carrier_unavailable_pending")
        return GreetingVerdict(Answerer.CARRIER, carrier_cue, "carrier_unavailable")

    menu = read_menu(t)
    menu_keys = [o for o in menu.options
                 if o.kind not in (OptionKind.EMERGENCY, OptionKind.STAY) and not _VOICEMAIL_KEYS.search(o.phrase)]
    if not menu_keys:
        language = other_language(t, names)
        if language:
            return GreetingVerdict(Answerer.VOICEMAIL, language, "other_language")
    cue = menu.data_entry
    if cue and len(menu_keys) < 2:
        return GreetingVerdict(Answerer.IVR, cue, "data_entry")
    if menu.extension_prompt:
        return GreetingVerdict(Answerer.IVR, "extension", "extension_prompt")
    if menu.open_prompt and not menu_keys and not takes_message:
        return GreetingVerdict(Answerer.IVR, menu.open_prompt, "open_prompt")
    cue = _hit(_HUMAN_SURE, t)
    if cue and not menu_keys and not takes_message:
        # "Can you hold, or may I call you back?": asked of the caller, never recorded.
        return GreetingVerdict(Answerer.HUMAN, cue, "human")
    routed = [o for o in menu.options if _ROUTED_MESSAGE.search(o.phrase)]
    if menu_keys:
        # "Press 1 to connect the call, press 2 to leave a message": leaving a message is one choice among others.
        routed += [o for o in menu.options if o.key and _LEAVE_OPTION.search(o.phrase)]
    voicemail_cue = _hit(_VOICEMAIL, t)
    # A practice menu may offer a message box as one option among others.
    if voicemail_cue and len(menu_keys) < 2 and not routed:
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
    cue = _hit(_HUMAN_SURE, t)
    if cue:
        return GreetingVerdict(Answerer.HUMAN, cue, "human")
    if not complete:
        # "Hello, you've ..." may still become a recorded greeting: a person is decided when the turn ends.
        return GreetingVerdict(Answerer.UNCERTAIN, rule="words_may_follow")
    cue = _hit(_HUMAN, t)
    if cue:
        return GreetingVerdict(Answerer.HUMAN, cue, "human")
    words = len(t.split())
    cue = _hit(_HUMAN_WEAK, t)
    if cue and words <= 8:
        return GreetingVerdict(Answerer.HUMAN, cue, "human_short")
    if turn_ended and words <= SHORT_ANSWER_WORDS and not menu.options and not _RECORDING_VOICE.search(t):
        return GreetingVerdict(Answerer.HUMAN, " ".join(t.split()), "short_answer")
    return GreetingVerdict(Answerer.UNCERTAIN, rule="no_cue")


# Function words of the languages a US practice line may greet in, and of English.
_FOREIGN_WORDS = {
    "spanish": frozenset("el la los las de del que su sus por favor para mensaje llamada usted número numero "
                         "después despues tono deje deja déjame dejar gracias oprima marque pulse presione buzón "
                         "buzon en este esta estos momento no puedo podemos atender hola llamar le lo con una un "
                         "tu te mi se es está esta estás estas contestador teléfono telefono señal senal tras "
                         "pitido citas cita farmacia ventas soporte usted brevedad posible a al y has ha llamado comunicado nos "
                         "nuestro nuestra horario oficina consultorio devolveremos".split()),
    "french": frozenset("le la les de du des que vous votre numéro numero composé compose est pas n'est "
                        "disponible région region veuillez laisser message après apres bip merci".split()),
    "italian": frozenset("il lo la gli le di che numero avete raggiunto è stato cambiato un non pubblicato "
                         "lasciate messaggio dopo segnale grazie".split()),
    "german": frozenset("die der das nummer sie haben erreicht wurde abgemeldet es sind keine weiteren "
                        "informationen verfügbar bitte nachricht nach dem signalton hinterlassen".split()),
}
_ENGLISH_WORDS = frozenset(
    "the a an you your to for is are please of this have has been not call number press message leave "
    "and or at after tone beep we our i i'm it be will with can can't if reached calling hello hi thank thanks "
    "office available right now back".split())
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_SENTENCE_MARKS = ".!?¡¿:;"  # what ends a sentence, or opens a Spanish one


def names_in(text: str) -> frozenset[str]:
    """The words capitalized within a sentence, lowercased: names (the practice's, a person's), as
    recognizers write them. "I" and its contractions are words of their own; words in a text without a
    lowercase letter are not told apart by their case."""
    if not any(c.islower() for c in text):
        return frozenset()
    found, end = set(), 0
    for m in _WORD.finditer(text):
        before = text[end:m.start()].rstrip()  # what lies between this word and the one before it
        opens_a_sentence = before[-1] in _SENTENCE_MARKS if before else end == 0
        if m.group()[0].isupper() and not opens_a_sentence:
            found.add(m.group().lower())
        end = m.end()
    return frozenset(w for w in found if w != "i" and not w.startswith("i'"))


def other_language(text: str, names: frozenset[str] = frozenset()) -> str:
    """The name of the language the words are in when it is clearly not English, else "".

    Needs at least three words, two of them function words of that language,
    and more than twice as many of them as English function words. `names`
    (`names_in`) are no language's evidence: "Hola, has llamado a After Hours
    Clinic" is Spanish.
    """
    words = _WORD.findall(text.lower())
    if len(words) < 3:
        return ""
    # A word both languages have ("a", "no") is evidence for neither.
    english = sum(w in _ENGLISH_WORDS and w not in names and not any(w in v for v in _FOREIGN_WORDS.values())
                  for w in words)
    best, best_hits = "", 0
    for language, vocabulary in _FOREIGN_WORDS.items():
        hits = sum(w in vocabulary and w not in _ENGLISH_WORDS and w not in names for w in words)
        if hits > best_hits:
            best, best_hits = language, hits
    if best_hits >= 2 and best_hits > 2 * english:
        return best
    return ""


_NAMES_THE_BOX = re.compile(r"\b(?:tone|beep|leave|record|voice ?mail|mail ?box|messages?)\b")


def names_the_message_box(verdict: GreetingVerdict) -> bool:
    """A voicemail or full-mailbox verdict whose cue names the tone, a message or the mailbox.

    Once a person is talking, only such a verdict makes the party a machine: people say
    "she's not available" too."""
    return verdict.answerer in (Answerer.VOICEMAIL, Answerer.MAILBOX_FULL) and bool(_NAMES_THE_BOX.search(verdict.cue))
