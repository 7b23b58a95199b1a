"""Prompts as a speech recognizer delivers them: the "as-recognized" forms of a clean prompt.

`recognized_forms(text, seed)` gives, for one prompt, each form as the list
of pieces that arrive one after another (a single piece unless the form is
"pieces"):

- "lowercase": lower case, no punctuation;
- "numbers": lower case, no punctuation, numbers as words written as digits and
  digits written as words ("press one" <-> "press 1", "911" -> "nine one one");
- "misheard": lower case, no punctuation, one word replaced by what recognizers
  often hear instead (a fixed table of sound-alikes; "message" -> "massage");
- "pieces": lower case, no punctuation, cut at 1-4 random word boundaries (mid
  sentence), arriving in pieces.

The generator knows nothing about the decisions: it applies the same
transformations to every prompt, seeded so a run can be repeated.
"""
from __future__ import annotations

import random
import re

FORMS = ("lowercase", "numbers", "misheard", "pieces")

_DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_WORD_DIGIT = {w: str(i) for i, w in enumerate(_DIGITS)}
# Common recognizer confusions of words heard on phone lines (sound-alikes, merges and splits).
SOUND_ALIKES = {
    "message": "massage", "leave": "leaf", "calling": "call in", "please": "pleas", "tone": "town",
    "beep": "beat", "office": "offers", "reached": "reach", "thank": "think", "hours": "ours",
    "appointment": "appointments", "appointments": "appointment", "voicemail": "voice male", "mailbox": "mail box",
    "your": "you're", "you're": "your", "number": "numbers", "record": "recored", "doctor": "docker",
    "patient": "patients", "billing": "building", "nurse": "nursed", "operator": "operate her",
    "representative": "represented", "name": "names", "reason": "raisin", "line": "lime", "hold": "old",
    "receptionist": "reception is", "service": "services", "circuits": "circus", "available": "a veil able",
    "screening": "screaming", "mensaje": "mensajes", "llamada": "llamado", "extension": "extensions",
    "hello": "hallo", "speaking": "speak in", "again": "a gain", "connect": "connected", "account": "count",
}
_PUNCT = re.compile(r"[^\w\s'#*-]|(?<!\w)'|'(?!\w)")


def plain(text: str) -> str:
    """Lower case, punctuation dropped (apostrophes inside words kept), single spaces."""
    t = text.lower().replace("\u2019", "'")
    t = _PUNCT.sub(" ", t)
    t = re.sub(r"(?<=\w)-(?=\s)|(?<=\s)-(?=\w)", " ", t)
    return " ".join(t.split())


def flip_numbers(text: str) -> str:
    """Digits as words and number words as digits."""
    def digits_to_words(m: re.Match) -> str:
        return " ".join(_DIGITS[int(d)] for d in m.group(0))
    words = []
    for w in text.split():
        if w in _WORD_DIGIT:
            words.append(_WORD_DIGIT[w])
        elif re.fullmatch(r"\d+", w):
            words.append(re.sub(r"\d+", digits_to_words, w))
        else:
            words.append(w)
    return " ".join(words)


def mishear(text: str, rng: random.Random) -> str:
    """One word (chosen at random among those with a known sound-alike) replaced by its sound-alike."""
    words = text.split()
    candidates = [i for i, w in enumerate(words) if w in SOUND_ALIKES]
    if not candidates:
        return text
    i = rng.choice(candidates)
    words[i] = SOUND_ALIKES[words[i]]
    return " ".join(words)


def in_pieces(text: str, rng: random.Random) -> list[str]:
    """The words cut at 1-4 random boundaries."""
    words = text.split()
    if len(words) < 2:
        return [text]
    cuts = sorted(rng.sample(range(1, len(words)), k=min(len(words) - 1, rng.randint(1, 4))))
    bounds = [0] + cuts + [len(words)]
    return [" ".join(words[a:b]) for a, b in zip(bounds, bounds[1:])]


def recognized_forms(text: str, seed: int = 13) -> dict[str, list[str]]:
    """Every as-recognized form of `text` (see the module docstring), each as its pieces."""
    rng = random.Random(f"{seed}:{text}")
    base = plain(text)
    return {
        "lowercase": [base],
        "numbers": [flip_numbers(base)],
        "misheard": [mishear(base, rng)],
        "pieces": in_pieces(base, rng),
    }
