"""Has the agent pitched? It put the offer to a person: the value proposition and the ask for a meeting.

The report's funnel counts a call as pitched (between reaching the decision maker and booking) once the
agent says the script's introduction to a person, in the script's words or its own: a line carrying at
least PITCH_SHARE of the introduction's own words. A model paraphrases; it keeps the facts (the company,
the product, the practice, the rep, the meeting's length), and those are most of the words. Of the
shipped script's other lines only the answer to "who is this?" reaches it (it gives the offer and asks
for the call: a short pitch), and the voicemail message, which is not said to a person. Offering the
rep's times or booking one is the pitch accepted, so it counts too (`CallProgress.pitched`).
"""
from __future__ import annotations

import re

PITCH_SHARE = 0.4  # of the introduction's words the agent's line must carry

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# Words any line may hold: they say nothing about what is offered.
_COMMON = frozenset("""a about all also an and any are as at be been but by can could do for from get great have
hello here hi how i i'm if in into is it it's its just like may me more my no of on one or our out please really so
some thank thanks that the their them there they this to up us very was we we're what when which who will with
would yes you you're your""".split())


def pitch_words(text: str) -> frozenset[str]:
    """The words of `text` that carry meaning (lower case, the common ones left out)."""
    return frozenset(w for w in _WORD.findall(text.lower()) if w not in _COMMON)


def gives_pitch(said: str, introduction: str) -> bool:
    """`said` (an agent line) gives the pitch that `introduction` (the script's, rendered for this call) holds."""
    wanted = pitch_words(introduction)
    if not wanted:
        return False
    return len(wanted & pitch_words(said)) >= PITCH_SHARE * len(wanted)
