"""Words a speech recognizer misheard, put back to the words the line rules listen for.

A recognizer on a phone line hears "please leaf your message", "the subscriber
is not a veil able", "thank you for call in". The rules (greeting classifier,
menu reader, menu questions) listen for fixed words; `mend(text)` compares
each heard word, and each run of two or three heard words joined, with the
rules' own cue words (taken from their patterns, so the vocabulary follows
the rules and is never a second copy of them), by sound (metaphone) and by
spelling (Jaro-Winkler), and returns the text with the close ones replaced.

Only a word the rules do not already know is mended, and only into a cue word
that sounds the same and is spelled alike. Whether a mended reading may
overturn the plain one (a person is never made a machine by a mended word
alone) is the greeting classifier's rule, not this module's.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType

import jellyfish

# The rule modules whose patterns hold the cue words (imported lazily: they use this module).
_RULE_MODULES = ("domain.voicemail_detector", "domain.menu_reader", "domain.menu_questions")
MIN_CUE_LETTERS = 4      # shorter cue words ("tone" is 4) are too easily hit by chance
MIN_HEARD_LETTERS = 4
# Jaro-Winkler between the heard and the cue word (their sounds are the same); a long sound is more evidence.
SAME_SOUND_SPELLING = 0.80
LONG_SOUND_SPELLING = 0.75
LONG_SOUND = 4  # metaphone letters
MIN_SPLIT_LETTERS = 7  # a cue word heard as two or three words is a long one ("a veil able", "voice male")

_ESCAPE = re.compile(r"\\[A-Za-z]")
_PATTERN_WORD = re.compile(r"(?<![\]\w])([a-z]{%d,})(?![\[\w])" % MIN_CUE_LETTERS)
_TOKEN = re.compile(r"^(\W*)([a-z]+(?:'[a-z]+)?)(\W*)$")  # a word, with its punctuation around it


@dataclass(frozen=True)
class Mended:
    """The heard text with misheard words put back, and which words of it were put back."""

    text: str
    mended: tuple[str, ...] = ()  # the cue words that replaced misheard ones, in order

    def only_mended(self, cue: str) -> bool:
        """True when every word of `cue` (a span of `text`) is one that was put back."""
        words = re.findall(r"[a-z']+", cue.lower())
        return bool(words) and all(w in self.mended for w in words)


def cue_words_of(patterns: list[re.Pattern[str]]) -> frozenset[str]:
    """The literal words (of MIN_CUE_LETTERS or more) that the patterns listen for."""
    words: set[str] = set()
    for pattern in patterns:
        words.update(_PATTERN_WORD.findall(_ESCAPE.sub(" ", pattern.pattern)))
    return frozenset(words)


def _patterns(module: ModuleType) -> list[re.Pattern[str]]:
    return [v for v in vars(module).values() if isinstance(v, re.Pattern)]


@lru_cache(maxsize=1)
def _rule_patterns() -> tuple[re.Pattern[str], ...]:
    import importlib

    patterns: list[re.Pattern[str]] = []
    for name in _RULE_MODULES:
        patterns += _patterns(importlib.import_module(name))
    return tuple(patterns)


@lru_cache(maxsize=1)
def cue_vocabulary() -> frozenset[str]:
    """Every cue word of the line rules (see the module docstring)."""
    return cue_words_of(list(_rule_patterns()))


def _matches(text: str) -> frozenset[int]:
    return frozenset(i for i, p in enumerate(_rule_patterns()) if p.search(text))


@lru_cache(maxsize=1)
def _by_sound() -> dict[str, tuple[str, ...]]:
    sounds: dict[str, list[str]] = {}
    for word in sorted(cue_vocabulary()):
        sounds.setdefault(_sound(word), []).append(word)
    return {k: tuple(v) for k, v in sounds.items()}


def _sound(word: str) -> str:
    # Recognizers drop the final g of "-ing" ("callin", "speak in"): the same sound either way.
    return jellyfish.metaphone(word[:-1] if word.endswith("ing") else word)


_INFLECTIONS = ("s", "es", "d", "ed", "ing", "er", "ers", "ly")


def _inflected(a: str, b: str) -> bool:
    """One word is the other with an ending: the recognizer heard a real word, the rules handle endings."""
    short, long_ = sorted((a, b), key=len)
    return long_.startswith(short) and long_[len(short):] in _INFLECTIONS


@lru_cache(maxsize=4096)
def cue_word_for(heard: str) -> str | None:
    """The cue word that `heard` (a word, or words written together) sounds like and is spelled alike, or None."""
    if heard in cue_vocabulary() or len(heard) < MIN_HEARD_LETTERS:
        return None
    sound = _sound(heard)
    floor = LONG_SOUND_SPELLING if len(sound) >= LONG_SOUND else SAME_SOUND_SPELLING
    best, best_score = None, 0.0
    for word in _by_sound().get(sound, ()):
        if abs(len(word) - len(heard)) > 2 or _inflected(word, heard):
            continue
        score = jellyfish.jaro_winkler_similarity(heard, word)
        if score >= floor and score > best_score:
            best, best_score = word, score
    return best


def _candidate(parts: list[re.Match[str] | None], i: int, span: int) -> str | None:
    """The cue word that the heard words parts[i:i+span] may have been meant as, or None."""
    if i + span > len(parts):
        return None
    run = parts[i:i + span]
    words = []
    for k, p in enumerate(run):
        if p is None or (k > 0 and p.group(1)) or (k < span - 1 and p.group(3)):
            return None  # not a plain word, or punctuation inside the run
        words.append(p.group(2).replace("'", ""))  # "you're" sounds as "youre": it may be a misheard "your"
    joined = "".join(words)
    target = joined if span > 1 and joined in cue_vocabulary() else cue_word_for(joined)
    if target is None or (span > 1 and len(target) < MIN_SPLIT_LETTERS):
        return None  # "leaf a" is not a split "leave": recognizers split long words
    return target


@lru_cache(maxsize=2048)
def mend(text: str) -> Mended:
    """`text` (lower case) with misheard words put back to the cue words they sound like.

    A word (or a run of two or three) is put back only where the cue word
    completes something the rules listen for and undoes nothing they heard:
    the rules' patterns matching the mended text are more than, and include
    all of, those matching it before.
    """
    tokens = text.split(" ")
    parts = [_TOKEN.match(t) for t in tokens]
    heard: frozenset[int] | None = None  # the patterns matching so far, found at the first candidate
    mended: list[str] = []
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for span in (3, 2, 1):
            target = _candidate(parts, i, span)
            if target is None:
                continue
            first, last = parts[i], parts[i + span - 1]
            assert first is not None and last is not None
            rest = tokens[i + span:]
            trial = [*out, f"{first.group(1)}{target}{last.group(3)}"]
            if heard is None:
                heard = _matches(" ".join([*out, *tokens[i:]]))
            now = _matches(" ".join([*trial, *rest]))
            if now > heard:
                out, heard = trial, now
                mended.append(target)
                i += span
                break
        else:
            out.append(tokens[i])
            i += 1
    return Mended(" ".join(out), tuple(mended)) if mended else Mended(text)
