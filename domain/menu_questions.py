"""Menus that ask a question: answer them by what the question means for this caller.

"Are you a healthcare provider? Press 1 for yes, press 2 for no." offers two
keys whose phrases ("for yes", "for no") say nothing by themselves; the
question decides. DocShield's agent calls a practice for its office manager:
it is not a patient, a provider, a pharmacy or an emergency, it has no
account number or date of birth to give, and it wants a person.

`answer_option(menu_text, option_phrase, position)` says whether taking that
yes/no option is the right answer (True), the wrong one (False), or that the
option is not a yes/no answer or the question means nothing known (None).
"""
from __future__ import annotations

import re
from enum import Enum


class Answer(str, Enum):
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


_YES = re.compile(r"^(?:(?:for|if|say|press|to answer)\s+)?(?:yes|yeah|correct|that is correct)\b")
_NO = re.compile(r"^(?:(?:for|if|say|press|to answer)\s+)?(?:no|not|nope|incorrect|if not)\b")
_QUESTION_START = re.compile(
    r"\b(?:are|is|do|does|would|will|have|has|did|was|were|can|shall|may)\s+(?:you|this|your|it|the|there)\b")
_SENTENCE = re.compile(r"[^.?!]+[.?!]?")

# The caller is none of these: a question whether it is gets "no".
_NOT_US = re.compile(
    r"\b(?:patient|patients|provider|providers|physician|doctor|doctor's office|pharmacy|pharmacist|hospital|"
    r"nurse|clinic|insurance company|emergency|urgent|referral|referring|lab|laboratory|caregiver|parent|"
    r"guardian|member|subscriber|customer|employee|student|veteran)\b"
    r"|\bcalling (?:to|about|for|regarding) (?:schedule|make|cancel|reschedule|confirm|an? appointment|"
    r"appointments|a prescription|prescriptions|a refill|refills|results|test results|billing|a bill|your bill|"
    r"payment|a payment)\b")
# Data the caller does not have: "do you have your account number?" gets "no".
_HAS_DATA = re.compile(
    r"\b(?:have|know)\s+(?:your|the|a|an)\s+(?:[\w'-]+\s+){0,3}?(?:account|number|date of birth|member id|"
    r"pin|password|confirmation|reference|claim|policy|extension)\b")
# Things offered that are not a person: "would you like to leave a message?" gets "no".
_OFFER_NOT_A_PERSON = re.compile(
    r"\b(?:would you like|do you want|do you wish)\s+to\s+(?:leave|record|hear|receive|get|pay|make a payment|"
    r"schedule|confirm|cancel|reschedule|check|use|try|return to|go back)\b")
# A person, or going on in English: "yes".
_WANTS_PERSON = re.compile(
    r"\b(?:speak|talk|be connected|be transferred|transfer|representative|operator|someone|somebody|"
    r"a person|live person|staff|receptionist|front desk|office manager|practice manager|administrator|"
    r"continue in english|in english|hold for)\b")


def option_answer(phrase: str) -> Answer | None:
    """YES / NO when the option's phrase is a yes or no answer ("for yes", "if not"), else None."""
    p = phrase.strip().lower()
    if _NO.match(p):
        return Answer.NO
    if _YES.match(p):
        return Answer.YES
    return None


def question_before(text: str, position: int) -> str:
    """The last question asked in `text` before `position` ("are you a healthcare provider?"), or ""."""
    head = text[:position]
    for sentence in reversed(_SENTENCE.findall(head)):
        s = sentence.strip()
        if s.endswith("?") or _QUESTION_START.search(s):
            return s
    return ""


def answer(question: str) -> Answer:
    """What this caller answers to `question` (see the module docstring)."""
    q = question.lower()
    if not q:
        return Answer.UNKNOWN
    if _OFFER_NOT_A_PERSON.search(q):
        return Answer.NO
    if _WANTS_PERSON.search(q) and not _NOT_US.search(q):
        return Answer.YES
    if _HAS_DATA.search(q):
        return Answer.NO
    if _QUESTION_START.search(q) and _NOT_US.search(q):
        return Answer.NO
    return Answer.UNKNOWN


def answer_option(menu_text: str, phrase: str, position: int) -> bool | None:
    """True when taking this yes/no option answers the menu's question rightly, False when wrongly, else None."""
    given = option_answer(phrase)
    if given is None:
        return None
    wanted = answer(question_before(menu_text, position))
    if wanted is Answer.UNKNOWN:
        return None
    return given is wanted
