"""Read the options out of a transcribed phone-menu prompt.

`read_menu(text)` turns what an automated attendant said into a `Menu`: the
options (which key or word leads where) and a few flags (stay on the line,
extension prompt, repeat key). It understands the ways US practice menus say
an option:

- "for billing press 2", "billing, press 2", "to reach the office manager, dial 4"
- "press 2 for billing", "press 1 for appointments, 2 for billing, or 3 for records"
- digits as words ("press four"), "press star" / "press the pound key" (* and #)
- "select option 3", "dial extension 204"
- speech menus: "say billing", "press 2 or say billing", "you can say things
  like appointments, billing or office manager", "you can say billing, refills,
  or something else"
- "stay on the line to speak with the receptionist" (an option with no key)
- "if you know your party's extension, dial it now" (`extension_prompt`)
- "to repeat these options press 9" (`repeat_key`), "dial 911" (an emergency
  instruction, never an option to take)
- open speech prompts: "please tell me briefly the reason for your call", "in a
  few words, what are you calling about?" (`open_prompt`: the caller answers in
  its own words)

The reader is pure and stateless; feed it the whole prompt heard so far (a
prompt cut in two by the transcriber is read by passing the joined text).
Options whose phrase may still grow (a "press 4 for the office ..." at the end
of the text) are marked `complete=False` so that a caller deciding early can
wait for the rest.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache


class OptionKind(str, Enum):
    """What taking an option does, mechanically."""

    KEY = "key"            # press `key`
    SPEECH = "speech"      # say `say`
    STAY = "stay"          # do nothing: stay on the line
    REPEAT = "repeat"      # replays the menu
    BACK = "back"          # returns to the main / previous menu
    EXTENSION = "extension"  # leads to an extension-entry prompt
    EMERGENCY = "emergency"  # "dial 911": an instruction, never a choice


@dataclass(frozen=True)
class MenuOption:
    """One option of a menu.

    `key` is the DTMF to send ("2", "*", "#", "204"), or None for speech and
    stay-on-line options; `say` is the word to speak for speech options;
    `phrase` is the meaning as the menu said it ("for billing"), lower case.
    `position` is where the option sits in the text (options come in order).
    """

    key: str | None
    phrase: str
    kind: OptionKind
    say: str | None = None
    complete: bool = True
    position: int = 0


@dataclass(frozen=True)
class Menu:
    """The options heard in a prompt, in the order they were said."""

    options: tuple[MenuOption, ...] = ()
    stay_on_line_offered: bool = False
    extension_prompt: bool = False
    repeat_key: str | None = None
    back_key: str | None = None
    data_entry: str = ""  # the words asking for a piece of data ("enter your account number"), else ""
    open_prompt: str = ""  # the words asking the caller to say in its own words why it calls, else ""
    text: str = field(default="", repr=False)

    @property
    def choices(self) -> tuple[MenuOption, ...]:
        """Options that lead somewhere (not repeat, back or 911)."""
        return tuple(o for o in self.options
                     if o.kind not in (OptionKind.REPEAT, OptionKind.BACK, OptionKind.EMERGENCY))

    @property
    def answerable(self) -> bool:
        """The prompt asks the caller for something: an option to take, or an open question to answer."""
        return bool(self.choices or self.open_prompt)

    def fingerprint(self) -> tuple[tuple[str | None, str], ...]:
        """Identity of the menu for loop detection: its keys and phrases in order."""
        return tuple((o.key or o.say, o.phrase) for o in self.options if o.complete)


_WORD_KEYS = {
    "zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "six": "6", "seven": "7", "eight": "8", "nine": "9", "star": "*", "asterisk": "*",
    "pound": "#", "hash": "#", "number sign": "#", "pound sign": "#",
}
_DIGIT_WORDS = "zero|one|two|three|four|five|six|seven|eight|nine"
_KEY = rf"(\d{{1,5}}|{_DIGIT_WORDS}|oh|star|asterisk|pound sign|pound|hash|number sign|\*|#)"

# A key named after a verb: "press 2", "dial the pound key", "select option four".
_VERB_KEY = re.compile(
    rf"\b(?:press(?:ing)?|dial(?:ing)?|push|select|enter|choose|hit|touch|key in)\s+"
    rf"(?:the\s+)?(?:number\s+|digit\s+|option\s+|button\s+|extension\s+)?{_KEY}"
    rf"(?:\s+key|\s+button)?(?![\w'])"
)
_OPTION_KEY = re.compile(rf"\boption\s+{_KEY}(?![\w'])")
# "press 1 for x, 2 for y, or 3 for z": bare keys continuing a list.
_BARE_KEY = re.compile(
    rf"(?:(?<=[,;.])|\bor\b|\band\b)\s*(\d|{_DIGIT_WORDS})(?=\s*,?\s*(?:for|to)\b)"
)
_SAY = re.compile(
    r"\bsay\s+(?:the\s+word\s+)?[\"']?([a-z][a-z'\- ]{0,40}?)[\"']?"
    r"(?=\s*(?:[,.;?!]|$|\bor\b|\bfor\b|\bto\b|\bif\b|\bat any time\b|\bnow\b))"
)
_SPEAKER_SAYS = re.compile(r"\b(?:may|can|shall|will) i\s+$|\bi'?ll\s+$")
_SAY_OR = re.compile(r"\s*,?\s*or\s+[\"']?([a-z][a-z'\- ]{0,30}?)[\"']?(?=\s*(?:[,.;?!]|$))")
_SAY_EXAMPLES = re.compile(
    r"\bsay\s+(?:things|something)\s+like\s+([^.;?!]+)|\b(?:for example|such as)\s*,?\s+([^.;?!]+)"
    r"|\byou can (?:also |simply |just )?say\s+(?!(?:things|something)\s+like\b)([^.;?!]+)"
)
_STAY = re.compile(
    r"\b(?:stay|remain|hold)\s+on\s+(?:the\s+)?line\b|\bdo\s+nothing\b"
    r"|\bplease\s+hold\b|\bhold\s+for\s+(?:the|an|a)\b"
)
_EXTENSION_PROMPT = re.compile(
    r"\b(?:know|have)\s+(?:your\s+|the\s+|their\s+)?(?:party'?s\s+)?extensions?\b"
    r"|\benter\s+(?:the\s+|your\s+party'?s\s+|their\s+|an\s+)?extension\b"
    r"|\bdial\s+(?:the\s+|your\s+party'?s\s+|their\s+)?extension\s+(?:now|at any time)"
    r"|\bextension\s+at\s+any\s+time\b"
)
_REPEAT = re.compile(
    r"\b(?:repeat|replay|hear\s+(?:this|these|the|this\s+menu|the\s+menu|these\s+options|them)?\s*"
    r"(?:options|menu|message|choices)?\s*again)\b"
)
_BACK = re.compile(r"\b(?:return|go back|back)\s+to\s+the\s+(?:main|previous|prior)\s+menu\b|\bmain menu\b")
_SENTENCE_END = re.compile(r"[.;?!\n]")
_CONNECTIVE = re.compile(r"^(?:for|to|if|regarding|about|when|with)\b")
_CONNECTIVE_ANY = re.compile(r"\b(?:for|to|if)\b")
_LEAD_FILLER = re.compile(r"^(?:[\s,:\-]|now\b|please\b|at any time\b|or\b|and\b|otherwise\b|then\b|else\b)+")
_TRAIL_FILLER = re.compile(
    r"(?:[\s,:\-]|\bplease\b|\bsimply\b|\bjust\b|\bnow\b|\byou may\b|\byou can\b|\bcan\b|\bmay\b"
    r"|\bor\b|\band\b|\bplease\s+\w+\b(?=$))+$"
)
_PREAMBLE = re.compile(
    r"^(?:thank you for calling|thanks for calling|you have reached|you've reached|welcome to"
    r"|hello,? and welcome to|hello,? you've reached)\b.*?(?=\b(?:for|to|if)\b|$)"
)
_OR_GLUE = re.compile(r"^\s*,?\s*(?:or|,)\s*,?\s*$")
# A prompt that asks the caller to key in or say a piece of data: never answered, never a person.
_DATA_ENTRY = re.compile(
    r"\b(?:say or enter|enter or say|enter|key in|type in)\s+(?:in\s+)?(?:your|the|a|an|their)\s+"
    r"(?:[\w'-]+\s+){0,4}?(?:number|date of birth|birth ?date|birthday|zip(?: code)?|postal code|pin|password|"
    r"passcode|id|code|letters|digits|account|date)\b"
    r"|\bwhat(?:'s| is)\s+(?:your|you're|the)\s+(?:[\w'-]+\s+){0,3}?(?:number|date of birth|zip code|account|member id)\b"
    r"|\benter it (?:now|at any time)\b"
)

# An open speech prompt: say, briefly and in your own words, what the call is about.
_OPEN_PROMPT = re.compile(
    r"\b(?:in|using) (?:just |only )?(?:a few|a couple of|one or two|two or three|a couple|your own) words\b"
    r"|\bbriefly,? (?:tell|say|describe|state|explain)\b"
    r"|\b(?:tell|say|describe|state|explain) (?:to )?(?:me|us)?,? ?(?:very )?briefly\b"
    r"|\bin (?:a|one) (?:short )?sentence\b|\bin a short phrase\b"
    r"|\b(?:you can|just|simply) (?:say|tell me) (?:things|something) like\b"
    # "Welcome to X, please tell us why you're calling": an order, not a person's question ("can you tell me ...");
    # recognizers write "you're" as "your" too.
    r"|(?:^|[.,;!?]\s*|\bplease\s+)(?:just\s+)?(?:tell|say to) (?:us|me) (?:why you(?:'re| are|r) calling|"
    r"what you(?:'re| are|r) calling about|how (?:we|i) (?:can|may) help)"
)


def _normalize(text: str) -> str:
    t = text.lower().replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')
    t = re.sub(r"\b(?:9[\s\-]1[\s\-]1|nine[\s\-]one[\s\-]one)\b", "911", t)
    return re.sub(r"[ \t]+", " ", t).strip()


def _key_of(token: str) -> str:
    return _WORD_KEYS.get(token, token)


@dataclass
class _Mention:
    start: int
    end: int
    key: str | None = None
    say: str | None = None
    stay: bool = False


def _mentions(t: str) -> list[_Mention]:
    found: list[_Mention] = []
    for m in _VERB_KEY.finditer(t):
        found.append(_Mention(m.start(), m.end(), key=_key_of(m.group(1))))
    for m in _OPTION_KEY.finditer(t):
        found.append(_Mention(m.start(), m.end(), key=_key_of(m.group(1))))
    if found:
        for m in _BARE_KEY.finditer(t):
            found.append(_Mention(m.start(1), m.end(1), key=_key_of(m.group(1))))
    for m in _SAY.finditer(t):
        if _SPEAKER_SAYS.search(t, 0, m.start()):
            continue  # "may I say who is calling": the speaker will say it, the caller is not asked to
        word = m.group(1).strip()
        more = _SAY_OR.match(t, m.end())
        if more and more.group(1).strip() and not re.match(r"^(?:things|something)\b", word):
            # "say sales or support": a second word to say.
            found.append(_Mention(more.start(1), more.end(), say=more.group(1).strip()))
        if word and not re.match(r"^(?:the name|the department|your|what|a word|it|or|yes|no|things|something like"
                                 r"|something$)\b", word):
            found.append(_Mention(m.start(), m.end(), say=word))
    for m in _STAY.finditer(t):
        found.append(_Mention(m.start(), m.end(), stay=True))
    found.sort(key=lambda x: (x.start, -(x.end - x.start)))
    merged: list[_Mention] = []
    for mention in found:
        if merged and mention.start < merged[-1].end:
            continue  # overlapping matches: keep the first, longest
        merged.append(mention)
    # "press 2 or say billing" is one option with two ways to take it.
    joined: list[_Mention] = []
    for mention in merged:
        if joined and not mention.stay and not joined[-1].stay and _OR_GLUE.match(t[joined[-1].end:mention.start]):
            prev = joined[-1]
            if (prev.key is None) != (mention.key is None):
                prev.key = prev.key or mention.key
                prev.say = prev.say or mention.say
                prev.end = mention.end
                continue
        joined.append(mention)
    return joined


def _clean(phrase: str) -> str:
    phrase = _LEAD_FILLER.sub("", phrase)
    phrase = _TRAIL_FILLER.sub("", phrase)
    return phrase.strip(" ,.;:-\"'")


def _tail_span(t: str, start: int, limit: int) -> tuple[int, bool]:
    """End of the phrase after a key, and whether it reached a sentence end."""
    m = _SENTENCE_END.search(t, start, limit)
    return (m.start(), True) if m else (limit, False)


def _starts_with_connective(s: str) -> bool:
    return bool(_CONNECTIVE.match(_LEAD_FILLER.sub("", s)))


def _head_text(t: str, lo: int, hi: int, first: bool) -> str:
    # The last non-empty sentence before the key: a transcriber may cut one
    # option in two ("to reach our administrator. press 6").
    pieces = _SENTENCE_END.split(t[lo:hi])
    chunk = next((p.strip() for p in reversed(pieces) if p.strip(" ,")), "")
    if first:
        chunk = _PREAMBLE.sub("", chunk)
    return chunk


def read_menu(text: str) -> Menu:
    """Extract the options of a menu prompt (see the module docstring)."""
    if not isinstance(text, str):
        raise TypeError(f"menu text must be a str, not {type(text).__name__}")
    return _read_menu(text)


# A prompt is read again and again: by the greeting's judge, the menu navigator, and at each of the
# model's turns while the prompt is in its history. A Menu is frozen, so the same one can be handed out.
@lru_cache(maxsize=1024)
def _read_menu(text: str) -> Menu:
    t = _normalize(text)
    mentions = _mentions(t)
    n = len(mentions)
    # Style vote: "press 2 for billing" (key first) or "for billing press 2" (phrase first).
    key_first = phrase_first = 0
    for i, m in enumerate(mentions):
        nxt = mentions[i + 1].start if i + 1 < n else len(t)
        prev = mentions[i - 1].end if i else 0
        if _starts_with_connective(t[m.end:nxt]):
            key_first += 1
        if _starts_with_connective(_head_text(t, prev, m.start, i == 0)):
            phrase_first += 1
    if key_first == phrase_first and n:
        first_after = t[mentions[0].end:(mentions[1].start if n > 1 else len(t))]
        # "... to leave a message press 2 to reach an operator press 0": a menu that ends on a bare key said
        # each phrase before its key (read the other way, its last key would mean nothing).
        ends_bare = n > 1 and not _clean(t[mentions[-1].end:]) and bool(_clean(
            _head_text(t, mentions[-2].end, mentions[-1].start, False)))
        prefer_tail = _starts_with_connective(first_after) and not ends_bare
    else:
        prefer_tail = key_first > phrase_first

    options: list[MenuOption] = []
    consumed = 0  # text before this index already belongs to an earlier option
    for i, m in enumerate(mentions):
        nxt = mentions[i + 1].start if i + 1 < n else len(t)
        lo = max(consumed, mentions[i - 1].end if i else 0)
        head = _head_text(t, lo, m.start, i == 0)
        tail_end, closed = _tail_span(t, m.end, nxt)
        tail = t[m.end:tail_end]
        tail_ok = _starts_with_connective(tail) and bool(_clean(tail))
        head_ok = bool(_clean(head))
        if tail_ok and (prefer_tail or not head_ok):
            if not closed and i + 1 < n:
                # The gap runs into the next key: split it if the next option
                # needs a leading phrase of its own ("press 1 for x for y press 2").
                nxt_after = t[mentions[i + 1].end:(mentions[i + 2].start if i + 2 < n else len(t))]
                if not _starts_with_connective(nxt_after):
                    starts = [c.start() for c in _CONNECTIVE_ANY.finditer(t, m.end, nxt)]
                    if len(starts) >= 2:
                        tail_end = starts[-1]
                        tail = t[m.end:tail_end]
                closed = True
            phrase = _clean(tail)
            consumed = tail_end
            complete = closed
        else:
            phrase = _clean(head)
            complete = True
            if not phrase:
                # A bare "press 1" at the very end: its phrase may come next.
                complete = i + 1 < n or closed
        options.append(_build_option(m, phrase, complete))

    for example in _SAY_EXAMPLES.finditer(t):
        items = example.group(1) or example.group(2) or example.group(3)
        for item in re.split(r",|\bor\b|\band\b", items):
            word = _clean(item)
            if word and len(word.split()) <= 4 and not any(o.say == word for o in options):
                options.append(MenuOption(key=None, phrase=word, kind=OptionKind.SPEECH, say=word,
                                          position=example.start()))
    options.sort(key=lambda o: o.position)
    repeat_key = next((o.key for o in options if o.kind is OptionKind.REPEAT and o.key), None)
    back_key = next((o.key for o in options if o.kind is OptionKind.BACK and o.key), None)
    return Menu(
        options=tuple(options),
        stay_on_line_offered=any(o.kind is OptionKind.STAY for o in options),
        extension_prompt=bool(_EXTENSION_PROMPT.search(t)),
        repeat_key=repeat_key,
        back_key=back_key,
        data_entry=(lambda hit: hit.group(0) if hit else "")(_DATA_ENTRY.search(t)),
        open_prompt=(lambda hit: hit.group(0) if hit else "")(_OPEN_PROMPT.search(t)),
        text=t,
    )


def _build_option(m: _Mention, phrase: str, complete: bool) -> MenuOption:
    if m.stay:
        kind = OptionKind.STAY
    elif m.key == "911":
        kind = OptionKind.EMERGENCY
    elif _REPEAT.search(phrase):
        kind = OptionKind.REPEAT
    elif _BACK.search(phrase):
        kind = OptionKind.BACK
    elif "extension" in phrase:
        kind = OptionKind.EXTENSION
    elif m.key is None:
        kind = OptionKind.SPEECH
    else:
        kind = OptionKind.KEY
    if not phrase and m.say:
        phrase = m.say
    return MenuOption(key=m.key, phrase=phrase, kind=kind, say=m.say, complete=complete, position=m.start)
