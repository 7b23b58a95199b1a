"""Choose what to press in a phone menu to reach the person who buys.

`TargetPolicy` ranks a menu option by its phrase: the contact's own name
first, then the decision-maker lines (practice administrator, office
manager, ...), then administration / business office, then the front desk, then an operator, then human-staffed
departments such as scheduling, then anything unrecognized, and last the lines
to avoid (nurse, pharmacy refills, lab, billing and payments, ...), taken only
when nothing else is left; a line that says it is a message box ("to leave a
message for the office manager") ranks with them. Lines under `never`
(emergency, 911) are never taken.

`MenuNavigator` is stateful over one call: feed it the prompt text as it is
transcribed (`hear`) and it answers with a `NavDecision`:

- it presses as soon as a decision-maker option (or the contact's name) has been heard in full, without
  waiting for the rest of the menu;
- while only weaker options have been heard it says WAIT, and picks the best on
  `final=True` (the prompt ended);
- it stays on the line when that is as good as the best key (a person answers);
- it never presses the same key twice in the same menu; when the same menu
  comes back after a choice (a loop) it takes the next best option, and after a
  dead end (`reached_dead_end`) it backs out with 0 or gives up.

After a PRESS or SAY the navigator treats the next text it hears as the next
prompt; call `reset()` when the caller knows a new prompt has begun (e.g. to
drop transcript of the old prompt still arriving after the key went out).
"""
from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field, replace
from functools import lru_cache
from enum import Enum
from typing import Any, Mapping, Sequence

from domain.menu_questions import answer_option
from domain.menu_reader import Menu, MenuOption, OptionKind, read_menu
from domain.misheard_words import mend
from domain.voicemail_detector import classify_greeting


class NavAction(str, Enum):
    PRESS = "press"              # send `digits`
    SAY = "say"                  # speak `say`
    WAIT = "wait"                # keep listening; nothing decided yet
    STAY_ON_LINE = "stay_on_line"  # decided: do nothing, a person will answer
    REPEAT = "repeat"            # ask for the menu again (`digits` is the repeat key, or empty: just wait)
    BACK_OUT = "back_out"        # leave a dead end: send `digits` ("0") or, when empty, redial
    GIVE_UP = "give_up"          # nothing left to try: the call is an IVR dead end


@dataclass(frozen=True)
class NavDecision:
    action: NavAction
    digits: str = ""
    say: str = ""
    reason: str = ""
    option: MenuOption | None = None

    @property
    def acts(self) -> bool:
        """True when the caller must send something (DTMF or speech)."""
        return bool(self.digits or self.say)


@dataclass(frozen=True)
class Tier:
    """A group of phrases that rank the same; `beats_avoid` lets it win over an avoid word in the same phrase."""

    name: str
    phrases: tuple[str, ...]
    beats_avoid: bool = True


DEFAULT_TIERS: tuple[Tier, ...] = (
    Tier("decision_maker", (
        "practice administrator", "practice manager", "office manager", "office administrator",
        "administrator", "practice director", "clinic manager", "operations manager", "manager",
    )),
    Tier("administration", (
        "administration", "administrative office", "administrative offices", "administrative",
        "business office", "management", "practice operations", "corporate office",
    )),
    Tier("front_desk", (
        "front desk", "front office", "reception", "receptionist", "all other questions",
        "all other calls", "all other inquiries", "all other", "any other", "anything else",
        "everything else", "other questions", "other inquiries", "general questions",
        "general information", "general inquiries", "main office", "office staff", "staff member",
        "member of our staff", "speak with someone", "speak to someone", "talk to someone",
        "talk with someone", "a person", "live person", "team member", "someone in our office",
        "remaining questions", "something else", "all others", "other callers", "all other callers",
    )),
    Tier("operator", ("operator", "representative", "attendant", "next available", "associate", "agent")),
    Tier("scheduling", (
        "appointment", "appointments", "schedule", "scheduling", "new patient", "new patients",
    ), beats_avoid=False),
)
DEFAULT_AVOID: tuple[str, ...] = (
    "nurse", "nurses", "nursing", "triage", "clinical", "medical question", "medical questions",
    "pharmacy", "pharmacies", "refill", "refills", "prescription", "prescriptions", "medication",
    "medications", "lab", "labs", "laboratory", "test results", "results", "billing", "bill",
    "payment", "payments", "pay", "balance", "statement", "fax", "physician", "physicians",
    "provider", "providers", "hospital", "hospitals", "referring", "records", "medical records",
    "radiology", "imaging", "x-ray", "espanol", "español", "spanish", "mandarin", "cantonese", "chinese",
    "vietnamese", "korean", "russian", "arabic", "tagalog", "portuguese", "french", "creole", "polish", "hindi",
    "other languages", "directory", "dial by name",
    "leave a message", "voicemail", "voice mail", "mailbox", "after hours", "answering service",
    "hours", "directions", "address", "location", "locations", "cancel", "confirm", "reschedule",
    "insurance verification", "pre-authorization", "prior authorization", "authorization",
    "doctor's office", "medical office", "calling from",
    "to enter", "re-enter", "enter a", "enter your", "enter the", "if this is correct", "pharmacy calling",
    "another doctor", "leave us a message",
)
# Emergencies, and lines that page a clinician on call, are never taken.
DEFAULT_NEVER: tuple[str, ...] = ("emergency", "emergencies", "911", "urgent", "on-call", "on call", "page the",
                                  "to page", "life-threatening")
# Between options of equal rank, meaning leans toward the office side of a practice (where the buyer works)
# over lines only for patients: "for north clinic staff" before "for north clinic patients".
OFFICE_SIDE: tuple[str, ...] = ("office", "offices", "staff", "business", "billing", "administration",
                                "administrative", "admin", "manager", "management", "operations", "corporate",
                                "accounts", "accounting")
PATIENT_SIDE: tuple[str, ...] = ("patient", "patients", "appointment", "appointments", "prescription",
                                 "prescriptions", "refill", "refills", "results", "symptoms", "my child", "your child",
                                 "medical", "visit")
# Said to an open speech prompt ("briefly, tell me the reason for your call"): whom the call is for, then a person.
OPEN_PROMPT_REPLIES: tuple[str, ...] = ("office manager", "representative")
_NOT_URGENT = re.compile(r"\bno(?:n|t)[- ]?urgent\b")
# A line that says it is a message box is avoided even when it names the manager.
DEFAULT_MESSAGE_LINES: tuple[str, ...] = (
    "leave a message", "leave a voicemail", "voicemail", "voice mail", "mailbox", "message line", "to leave a",
)


def _phrase_regex(phrases: Sequence[str]) -> re.Pattern[str] | None:
    return _phrase_regex_of(tuple(phrases))


@lru_cache(maxsize=256)  # a policy is made per call, mostly of the same phrase lists
def _phrase_regex_of(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    words = sorted({p.strip().lower() for p in phrases if p and p.strip()}, key=len, reverse=True)
    if not words:
        return None
    return re.compile(r"(?<![\w'])(?:" + "|".join(re.escape(w) for w in words) + r")(?![\w])")


@dataclass(frozen=True)
class TargetPolicy:
    """Who to reach, best first; see the module docstring for the default order.

    `names` (the contact's names) rank above every tier. `extension`, when
    known, is dialled at an extension prompt. Build per-campaign variants with
    `from_settings`.
    """

    tiers: tuple[Tier, ...] = DEFAULT_TIERS
    avoid: tuple[str, ...] = DEFAULT_AVOID
    never: tuple[str, ...] = DEFAULT_NEVER
    message_lines: tuple[str, ...] = DEFAULT_MESSAGE_LINES
    names: tuple[str, ...] = ()
    extension: str | None = None
    max_presses: int = 8
    _compiled: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.extension is not None and not re.fullmatch(r"[0-9*#]{1,8}", self.extension):
            raise ValueError(f"extension must be 1-8 DTMF characters (0-9, *, #), got {self.extension!r}")
        if self.max_presses < 1:
            raise ValueError(f"max_presses must be at least 1, got {self.max_presses}")
        compiled = (
            _phrase_regex([n for n in self.names if len(n.strip()) >= 2]),
            tuple((_phrase_regex(t.phrases), t.beats_avoid) for t in self.tiers),
            _phrase_regex(self.avoid),
            _phrase_regex(self.never),
            _phrase_regex(self.message_lines),
        )
        object.__setattr__(self, "_compiled", compiled)

    @property
    def best_rank(self) -> int:
        """The rank of the first decision-maker tier: heard in full, it is pressed at once."""
        return 1

    @property
    def person_rank(self) -> int:
        """The worst rank that still reaches a person: the operator tier's, or the first tier's without one."""
        names = [t.name for t in self.tiers]
        return names.index("operator") + 1 if "operator" in names else self.best_rank

    @property
    def neutral_rank(self) -> int:
        return len(self.tiers) + 1

    @property
    def avoid_rank(self) -> int:
        return len(self.tiers) + 2

    def rank(self, phrase: str) -> int | None:
        """0 names the contact, 1.. the tiers, then neutral, then avoid; None: never take it."""
        return self.rank_detail(phrase)[0]

    def rank_detail(self, phrase: str) -> tuple[int | None, int]:
        """The rank, and which of its tier's phrases matched (0 = the tier's first, most wanted, phrase).

        The second number breaks ties between options of one tier by meaning
        ("front desk" before "all other questions"), never by their order in the menu.
        """
        names, tiers, avoid, never, message_lines = self._compiled
        p = _NOT_URGENT.sub("routine", phrase.lower())
        if never is not None and never.search(p):
            return None, 0
        if message_lines is not None and message_lines.search(p):
            return self.avoid_rank, 0
        if names is not None and names.search(p):
            return 0, 0
        avoided = avoid is not None and avoid.search(p) is not None
        for i, (rx, beats_avoid) in enumerate(tiers):
            if rx is not None and (beats_avoid or not avoided):
                hit = rx.search(p)
                if hit:
                    phrases = [w.lower() for w in self.tiers[i].phrases]
                    found = hit.group(0)
                    return i + 1, phrases.index(found) if found in phrases else len(phrases)
        return (self.avoid_rank if avoided else self.neutral_rank), 0

    def avoids(self, option: MenuOption | None) -> bool:
        """Taking `option` means a line to avoid (taken only when nothing better is left)."""
        if option is None or option.kind not in (OptionKind.KEY, OptionKind.SPEECH):
            return False
        rank = self.rank(option.phrase or "")
        return rank is not None and rank >= self.avoid_rank

    def tier_name(self, rank: int | None) -> str:
        if rank is None:
            return "never"
        if rank == 0:
            return "contact"
        if rank <= len(self.tiers):
            return self.tiers[rank - 1].name
        return "neutral" if rank == self.neutral_rank else "avoid"

    def with_contact(self, *names: str | None) -> "TargetPolicy":
        """This policy with the contact's names ranked above everything ("for Dana Reyes press 4")."""
        kept = tuple(n.strip().lower() for n in names if n and len(n.strip()) >= 2)
        return replace(self, names=self.names + kept)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None) -> "TargetPolicy":
        """Build from a campaign's settings (the `menu_targets` mapping or the mapping itself).

        Keys: `targets` (list of lists of phrases, best first, replaces the
        tiers), `prefer` (phrases added to the top tier), `avoid` (replaces),
        `also_avoid` (adds), `never` (replaces), `message_lines` (replaces),
        `names`, `extension`, `max_presses`. An unknown key is an error.
        """
        if settings is None:
            return cls()
        if not isinstance(settings, Mapping):
            raise TypeError(f"menu target settings must be a mapping, not {type(settings).__name__}")
        if "menu_targets" in settings:
            settings = settings["menu_targets"] or {}
            if not isinstance(settings, Mapping):
                raise TypeError("settings['menu_targets'] must be a mapping")
        known = {"targets", "prefer", "avoid", "also_avoid", "never", "message_lines", "names", "extension",
                 "max_presses"}
        unknown = set(settings) - known
        if unknown:
            raise ValueError(f"unknown menu target setting(s): {', '.join(sorted(unknown))} "
                             f"(known: {', '.join(sorted(known))})")

        def phrases(key: str) -> tuple[str, ...]:
            value = settings.get(key, ())
            if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"menu target setting {key!r} must be a list of strings")
            return tuple(value)

        tiers = DEFAULT_TIERS
        if "targets" in settings:
            raw = settings["targets"]
            if not raw or isinstance(raw, str) or any(isinstance(t, str) or not t for t in raw):
                raise ValueError("menu target setting 'targets' must be a non-empty list of non-empty lists")
            tiers = tuple(Tier(f"target_{i + 1}", tuple(t)) for i, t in enumerate(raw))
        if "prefer" in settings:
            top = tiers[0]
            tiers = (replace(top, phrases=phrases("prefer") + top.phrases),) + tiers[1:]
        avoid = phrases("avoid") if "avoid" in settings else DEFAULT_AVOID
        avoid += phrases("also_avoid")
        never = phrases("never") if "never" in settings else DEFAULT_NEVER
        message_lines = phrases("message_lines") if "message_lines" in settings else DEFAULT_MESSAGE_LINES
        extension = settings.get("extension")
        if extension is not None:
            extension = str(extension)
        return cls(tiers=tiers, avoid=avoid, never=never, message_lines=message_lines, names=tuple(n.lower() for n in phrases("names")),
                   extension=extension, max_presses=int(settings.get("max_presses", 8)))


DEFAULT_POLICY = TargetPolicy()  # frozen: one instance serves every navigator without campaign settings


@dataclass
class _MenuState:
    fingerprint: tuple
    tried: set[str] = field(default_factory=set)  # keys / words taken here
    dead: set[str] = field(default_factory=set)
    visits: int = 1
    tie_waits: int = 0  # times the menu offered equally good options and the navigator waited for its timeout


_OFFICE_SIDE = re.compile(r"(?<![\w'])(?:" + "|".join(OFFICE_SIDE) + r")(?![\w])")
_PATIENT_SIDE = re.compile(r"(?<![\w'])(?:" + "|".join(PATIENT_SIDE) + r")(?![\w])")


def office_lean(phrase: str) -> int:
    """How far an option's words lead toward the practice's office (positive) or only to patients (negative)."""
    p = phrase.lower()
    return len(_OFFICE_SIDE.findall(p)) - len(_PATIENT_SIDE.findall(p))


def _same_meaning_pick(options: Sequence[MenuOption]) -> MenuOption:
    """One of options that mean the same, chosen from what the menu says as a whole: the same menu gives the same
    choice whatever the order its options were said in, and no key wins for being low (or first)."""
    menu = "|".join(sorted(f"{_handle(o)}:{o.phrase}" for o in options))
    return min(options, key=lambda o: zlib.crc32(f"{menu}#{_handle(o)}".encode()))


def _tied_names(options: Sequence[MenuOption]) -> str:
    """The tied options as "1 (for x) and 2 (for y)", sorted so that the text does not depend on menu order."""
    return " and ".join(sorted(f"{_handle(o)} ({o.phrase or 'no phrase'})" for o in options))


def _handle(option: MenuOption) -> str:
    if option.kind is OptionKind.STAY:
        return "stay"
    return option.key if option.key is not None else f"say:{option.say}"


def _same_menu(a: tuple, b: tuple) -> bool:
    """One fingerprint is a prefix of the other, with at least one option in common."""
    n = min(len(a), len(b))
    return n >= 1 and a[:n] == b[:n]


class MenuNavigator:
    """Stateful choice of keys through the menus of one call (see module docstring)."""

    def __init__(self, policy: TargetPolicy | None = None):
        self.policy = policy or DEFAULT_POLICY
        self._states: list[_MenuState] = []
        self._buffer = ""
        self._current: _MenuState | None = None
        self._last: tuple[_MenuState, MenuOption] | None = None
        self._decided = False
        self._extension_sent = False
        self._data_prompts: dict[str, int] = {}  # data-entry prompt -> times heard
        self._unoffered: set[str] = set()  # keys pressed that no menu offered
        self._open_answers = 0  # replies given to open speech prompts in this call
        self.presses: list[str] = []  # every key / word sent, in order

    # -- caller events ---------------------------------------------------
    def reset(self) -> None:
        """A new prompt begins: forget the text heard so far (the memory of menus stays)."""
        self._buffer = ""
        self._current = None
        self._decided = False

    def menu_repeated(self) -> None:
        """The caller saw the same menu play again after the last choice (a loop)."""
        if self._last is not None:
            state, option = self._last
            state.dead.add(_handle(option))
            state.visits += 1
        self.reset()

    def reached_dead_end(self, *, hung_up: bool = False) -> NavDecision:
        """The last choice led to a voicemail box or a line that hangs up: mark it, back out.

        Returns BACK_OUT with "0" from a voicemail box (most systems route 0 to
        an operator), BACK_OUT with no digits after a hang-up (redial: the next
        choice in that menu will differ), or GIVE_UP when every option is spent.
        """
        self.reset()
        if self._last is None:
            return NavDecision(NavAction.GIVE_UP, reason="dead end before any choice was made")
        state, option = self._last
        state.dead.add(_handle(option))
        if len(self.presses) >= self.policy.max_presses:
            return NavDecision(NavAction.GIVE_UP, reason=f"{len(self.presses)} presses without reaching a person")
        if hung_up:
            return NavDecision(NavAction.BACK_OUT, reason=f"option {_handle(option)} hung up; redial and try the next")
        if "0" not in state.tried and "0" not in state.dead:
            self.presses.append("0")
            return NavDecision(NavAction.BACK_OUT, digits="0",
                               reason=f"option {_handle(option)} reached a voicemail box; press 0 for an operator")
        return NavDecision(NavAction.BACK_OUT, reason=f"option {_handle(option)} reached a voicemail box; hang up")

    # -- the decision -----------------------------------------------------
    def hear(self, text: str, *, final: bool = False) -> NavDecision:
        """Add transcribed prompt text; decide what to do now."""
        if not isinstance(text, str):
            raise TypeError(f"prompt text must be a str, not {type(text).__name__}")
        if self._decided:
            self.reset()
        self._buffer = f"{self._buffer} {text}" if self._buffer else text
        ending = classify_greeting(self._buffer)
        if ending.final_outcome is not None:
            # "Please dial 1 plus 718 and the number": a carrier or a full mailbox ending the call, not a menu.
            return NavDecision(NavAction.WAIT, reason=f"not a menu: {ending.answerer.value} ({ending.cue})")
        # The options as meant, not as misheard ("for call in" is "for calling"): a menu, so no person is at stake.
        menu = read_menu(mend(self._buffer.lower()).text)
        state = self._state_for(menu)
        if len(self.presses) >= self.policy.max_presses:
            return NavDecision(NavAction.GIVE_UP, reason=f"{len(self.presses)} presses without reaching a person")

        if menu.extension_prompt and self.policy.extension and not self._extension_sent:
            self._extension_sent = True
            return self._take(state, MenuOption(key=self.policy.extension, phrase="known extension",
                                                kind=OptionKind.KEY), "extension prompt and the extension is known")

        scored = []
        for option in menu.choices:
            if option.kind is OptionKind.EXTENSION and not self.policy.extension:
                continue
            handle = _handle(option)
            if state is not None and (handle in state.tried or handle in state.dead):
                continue
            rank, meaning = self._score(menu, option)
            if rank is None:
                continue
            scored.append((rank, meaning, option))

        looping = state is not None and state.visits > 1
        best = min(scored, key=lambda s: (s[0], s[1], s[2].kind is not OptionKind.STAY), default=None)
        if menu.open_prompt and final and (best is None or best[0] > self.policy.person_rank):
            # "Briefly, tell me the reason for your call": say whom the call is for, unless an offered example
            # already leads to a person (a speech system understands its own examples best).
            return self._answer_open_prompt(menu)
        if best is not None:
            rank, meaning, option = best
            early = rank <= self.policy.best_rank and option.complete
            if early or final:
                rivals = [o for r, m, o in scored if (r, m) == (rank, meaning) and o is not option
                          and OptionKind.STAY not in (o.kind, option.kind)]
                if rivals and not final:
                    return NavDecision(NavAction.WAIT, reason="equally good options so far; waiting for the rest")
                if rivals and state is not None and state.tie_waits:
                    return self._break_tie(menu, state, [option, *rivals], scored)
                if rivals:
                    self._decided = True
                    if state is not None:
                        state.tie_waits += 1
                    return NavDecision(NavAction.WAIT, reason=(
                        f"options {_tied_names([option, *rivals])} mean the same to this call; no meaning "
                        "separates them and order never does: waiting for the menu's timeout (an operator or "
                        "the menu again)"))
                why = f"{self.policy.tier_name(rank)} option {_handle(option)} ({option.phrase or 'no phrase'})"
                farther = [o for r, m, o in scored if r == rank and m[0] == meaning[0] and m != meaning]
                if farther:
                    why += (f"; its words lead nearer the practice's office staff than {_tied_names(farther)}, "
                            "which rank the same")
                if looping:
                    why = f"loop: same menu again, next best is {why}"
                elif not final:
                    why = f"best possible option heard: {why}"
                return self._take(state, option, why)
            return NavDecision(NavAction.WAIT, reason="only weaker options so far; waiting for the rest of the menu")

        if final and menu.data_entry and not menu.choices:
            return self._data_entry(menu)
        if not final:
            return NavDecision(NavAction.WAIT, reason="no option heard yet")
        if menu.choices:
            spent = state is not None and ("0" in state.tried or "0" in state.dead)
            forbidden = any(o.key == "0" and self._score(menu, o)[0] is None for o in menu.options) \
                or any(o.key == "0" and o.kind is OptionKind.EMERGENCY for o in menu.options)
            if forbidden:
                return NavDecision(NavAction.GIVE_UP, reason="every usable option is spent or forbidden, and 0 is "
                                                             "this menu's emergency key: not pressing anything")
            if not spent:
                self._decided = True
                if state is not None:
                    state.tried.add("0")
                self.presses.append("0")
                return NavDecision(NavAction.BACK_OUT, digits="0",
                                   reason="every usable option is spent or forbidden; press 0 for an operator")
            return NavDecision(NavAction.GIVE_UP, reason="every option of this menu is spent")
        if menu.repeat_key and state is not None and menu.repeat_key not in state.tried:
            # Only the repeat instruction came through: the options were lost in transcription.
            self._decided = True
            state.tried.add(menu.repeat_key)
            return NavDecision(NavAction.REPEAT, digits=menu.repeat_key, reason="no usable option heard; repeat the menu")
        return NavDecision(NavAction.WAIT, reason="prompt ended without options (hold or announcement)")

    def _score(self, menu: Menu, option: MenuOption) -> tuple[int | None, tuple[int, int]]:
        """The option's rank and tie-breaking meaning (lower is better); rank None: never take it.

        The meaning is which of its tier's phrases matched, then how far its words lead toward the
        office rather than only to patients (office_lean)."""
        if option.kind is OptionKind.STAY:
            rank, meaning = self.policy.rank_detail(option.phrase or "operator")
            return rank, (meaning, 0)
        answered = answer_option(menu.text, option.phrase, option.position)
        if answered is not None:
            # "press 1 for yes" means what the question asked: right answers lead on, wrong ones are avoided.
            return (self.policy.neutral_rank, (0, 0)) if answered else (self.policy.avoid_rank, (0, 0))
        rank, meaning = self.policy.rank_detail(option.phrase or "")
        useful = rank is not None and rank < self.policy.avoid_rank  # lines to avoid stay tied: none is taken
        return rank, (meaning, -office_lean(option.phrase or "") if useful else 0)

    def _break_tie(self, menu: Menu, state: _MenuState, tied: list[MenuOption],
                   scored: list[tuple[int, tuple[int, int], MenuOption]]) -> NavDecision:
        """The menu came back with options that still mean the same: decide by meaning, never by their order.

        Tied options mean the same to this call (same rank, same phrase of their tier,
        leaning as far toward the office): those that can lead somewhere useful give way
        to an operator (staying on the line, or an operator option not yet tried); else
        one of them is taken, chosen from the menu's content as a whole, so that neither
        the order they were said in nor their keys decide (the next visit takes another).
        Tied options that lead nowhere useful (lines to avoid): wait for the
        timeout once more (many systems send it to an operator), then 0, which may not
        have been offered, unless 0 is forbidden or spent; else give up.
        """
        names = _tied_names(tied)
        rank = self._score(menu, tied[0])[0]
        if rank is not None and rank < self.policy.avoid_rank:
            operator = [o for r, _m, o in scored if o not in tied and
                        (o.kind is OptionKind.STAY or self.policy.tier_name(r) == "operator")]
            if operator:
                chosen = min(operator, key=lambda o: (o.kind is not OptionKind.STAY, o.key is None, _handle(o)))
                return self._take(state, chosen, (
                    f"the menu came back and options {names} still mean the same to this call: "
                    f"taking the operator ({_handle(chosen)}, {chosen.phrase or 'no phrase'})"))
            chosen = _same_meaning_pick(tied)
            return self._take(state, chosen, (
                f"the menu came back and options {names} still mean the same to this call (no word of theirs "
                f"leads nearer the office) and no operator is offered: any of them serves, taking {_handle(chosen)} "
                "(chosen from the menu as a whole: neither the order said nor the key decides)"))
        if state.tie_waits < 2:
            state.tie_waits += 1
            self._decided = True
            return NavDecision(NavAction.WAIT, reason=(
                f"the menu came back and options {names} are lines to avoid that mean the same: waiting for the "
                "timeout once more"))
        zero_forbidden = any(o.key == "0" and (o.kind is OptionKind.EMERGENCY or self._score(menu, o)[0] is None)
                             for o in menu.options)
        if not zero_forbidden and "0" not in state.tried and "0" not in state.dead:
            self._decided = True
            state.tried.add("0")
            self.presses.append("0")
            offered = any(o.key == "0" for o in menu.options)
            return NavDecision(NavAction.BACK_OUT, digits="0", reason=(
                f"the menu came back and options {names} mean the same and lead nowhere useful: pressing "
                f"0{'' if offered else ', which was not offered,'} for an operator"))
        self._decided = True
        return NavDecision(NavAction.GIVE_UP, reason=(
            f"options {names} lead nowhere useful and 0 is spent or forbidden"))

    def _answer_open_prompt(self, menu: Menu) -> NavDecision:
        """An open speech prompt: say whom the call is for; said again, ask for a person; then 0, then give up."""
        self._decided = True
        self._open_answers += 1
        n = self._open_answers
        if n <= len(OPEN_PROMPT_REPLIES):
            reply = OPEN_PROMPT_REPLIES[n - 1]
            self.presses.append(f"say:{reply}")
            return NavDecision(NavAction.SAY, say=reply, reason=(
                f"open speech prompt ({menu.open_prompt}): saying whom the call is for" if n == 1 else
                f"open speech prompt ({menu.open_prompt}) again: asking for a person"))
        zero = self._unoffered_zero(f"open speech prompt ({menu.open_prompt}) did not understand the replies")
        return zero or NavDecision(NavAction.GIVE_UP, reason=f"open speech prompt ({menu.open_prompt}) keeps coming back")

    def _unoffered_zero(self, why: str) -> NavDecision | None:
        """Press 0, which no menu offered, once per call (most systems route it to an operator); None after that."""
        if "0" in self._unoffered:
            return None
        self._unoffered.add("0")
        self.presses.append("0")
        return NavDecision(NavAction.BACK_OUT, digits="0",
                           reason=f"{why}: pressing 0, which was not offered, to reach an operator")

    def _data_entry(self, menu: Menu) -> NavDecision:
        """A prompt asking for data (an account number, a date of birth): never answered.

        The first time: wait, most systems route a caller who enters nothing to
        a person. The same prompt again: press 0, which it did not offer, and
        say why. After that: give up.
        """
        key = menu.data_entry
        self._data_prompts[key] = self._data_prompts.get(key, 0) + 1
        self._decided = True
        heard = self._data_prompts[key]
        if heard == 1:
            return NavDecision(NavAction.WAIT, reason=f"data-entry prompt ({key}): nothing to enter; not answering it, "
                                                      "waiting for the system to move on")
        zero = self._unoffered_zero(f"data-entry prompt ({key}) again and no offered option leads anywhere") \
            if heard == 2 else None
        return zero or NavDecision(NavAction.GIVE_UP, reason=f"data-entry prompt ({key}) keeps coming back")

    def _state_for(self, menu: Menu) -> _MenuState | None:
        fp = menu.fingerprint()
        if not fp:
            return self._current
        if self._current is not None:
            if len(fp) > len(self._current.fingerprint) and _same_menu(fp, self._current.fingerprint):
                self._current.fingerprint = fp
            return self._current
        for state in self._states:
            if _same_menu(fp, state.fingerprint):
                if state.tried or state.dead:
                    state.visits += 1
                if len(fp) > len(state.fingerprint):
                    state.fingerprint = fp
                self._current = state
                return state
        self._current = _MenuState(fp)
        self._states.append(self._current)
        return self._current

    def _take(self, state: _MenuState | None, option: MenuOption, why: str) -> NavDecision:
        self._decided = True
        handle = _handle(option)
        if state is not None:
            state.tried.add(handle)
            self._last = (state, option)
        if option.kind is OptionKind.STAY:
            return NavDecision(NavAction.STAY_ON_LINE, reason=why, option=option)
        self.presses.append(handle)
        if option.key is not None:
            return NavDecision(NavAction.PRESS, digits=option.key, reason=why, option=option)
        return NavDecision(NavAction.SAY, say=option.say or option.phrase, reason=why, option=option)
