"""The sales script and its strict interpolation.

A placeholder that names no known field is an error that names it: a call
that says "Hi {first_name}" with a blank name sounds like a robocall, so it
must never go out.
"""
from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from typing import Mapping


class ScriptError(ValueError):
    """A script that cannot be rendered as written."""


class UnknownPlaceholder(ScriptError):
    def __init__(self, section: str, name: str, known: set[str]):
        super().__init__(
            f"script section {section!r} uses unknown placeholder {{{name}}}; known: {', '.join(sorted(known))}"
        )
        self.section = section
        self.name = name


class MissingValue(ScriptError):
    def __init__(self, section: str, name: str):
        super().__init__(f"script section {section!r} needs {{{name}}} but the contact has no value for it")
        self.section = section
        self.name = name


_FORMATTER = string.Formatter()


def placeholders(template: str) -> set[str]:
    """Names used by a template; format specs and conversions are not allowed."""
    names = set()
    for _literal, name, spec, conversion in _FORMATTER.parse(template):
        if name is None:
            continue
        if not name.isidentifier():
            raise ScriptError(f"placeholder {{{name}}} must be a plain name")
        if spec or conversion:
            raise ScriptError(f"placeholder {{{name}}} may not carry a format spec or conversion")
        names.add(name)
    return names


def render(template: str, values: Mapping[str, str], *, section: str = "text",
           optional: frozenset[str] = frozenset()) -> str:
    names = placeholders(template)
    for name in sorted(names):
        if name not in values:
            raise UnknownPlaceholder(section, name, set(values))
        if not str(values[name]).strip() and name not in optional:
            raise MissingValue(section, name)
    text = template.format_map({k: str(values[k]) for k in names})
    if any(not str(values[name]).strip() for name in names):
        # An empty optional value leaves a gap: "May I speak with Dr. Kent ?" is said "Dr. Kent?".
        text = re.sub(r"[ \t]+([?.!,;:])", r"\1", re.sub(r"[ \t]{2,}", " ", text))
    return text


# Fields the agent and the call supply, beyond the contact's own.
CALL_FIELDS = frozenset({"agent_name", "company", "rep_name", "slots", "callback_number", "meeting_minutes"})
CONTACT_FIELDS = frozenset(
    {"first_name", "last_name", "full_name", "ask_for", "title", "practice", "practice_name", "email", "state"}
)


@dataclass(frozen=True)
class Script:
    """The words of a campaign, by section; objection handlers by objection kind."""

    id: str
    version: int
    greeting: str
    introduction: str
    gatekeeper: str
    scheduling: str
    voicemail: str
    closing: str
    opt_out: str
    ai_disclosure: str
    objection_handlers: Mapping[str, str] = field(default_factory=dict)

    def sections(self) -> dict[str, str]:
        named = {
            "greeting": self.greeting,
            "introduction": self.introduction,
            "gatekeeper": self.gatekeeper,
            "scheduling": self.scheduling,
            "voicemail": self.voicemail,
            "closing": self.closing,
            "opt_out": self.opt_out,
            "ai_disclosure": self.ai_disclosure,
        }
        named.update({f"objection:{kind}": text for kind, text in self.objection_handlers.items()})
        return named

    def validate(self, extra_fields: frozenset[str] = frozenset()) -> None:
        """Raise on the first placeholder no contact or call could ever fill."""
        known = CONTACT_FIELDS | CALL_FIELDS | extra_fields
        for section, text in self.sections().items():
            for name in placeholders(text):
                if name not in known:
                    raise UnknownPlaceholder(section, name, set(known))

    def line(self, section: str, values: Mapping[str, str]) -> str:
        text = self.sections().get(section)
        if text is None:
            raise ScriptError(f"script {self.id} v{self.version} has no section {section!r}")
        # A missing email or title should not stop a call that never says it aloud.
        optional = {"title", "email", "state", "slots"}
        if values.get("first_name") and values.get("first_name") == values.get("full_name"):
            optional.add("last_name")  # a name said whole ("Dr. Kent") has no last name of its own
        return render(text, values, section=section, optional=frozenset(optional))


def default_script() -> Script:
    """The versioned script shipped with the worker (used when a batch has none stored)."""
    return Script(
        id="docshield-default",
        version=1,
        greeting=(
            "Hi, this is {agent_name}, an AI assistant calling for {company}. "
            "This call is recorded. May I speak with {ask_for}?"
        ),
        introduction=(
            "Thanks, {first_name}. {company} provides medical malpractice insurance built for independent "
            "practices like {practice}. Many practices your size are reviewing their coverage this year, and "
            "{rep_name} would like to set up a {meeting_minutes}-minute call to compare options. Would that be "
            "useful?"
        ),
        gatekeeper=(
            "Hi, this is {agent_name}, an AI assistant calling for {company}; this call is recorded. "
            "I'm trying to reach {ask_for} about the practice's malpractice coverage. "
            "Could you connect me?"
        ),
        scheduling=(
            "{rep_name} has a few times open: {slots}. Which of those works best for you?"
        ),
        voicemail=(
            "Hi {first_name}, this is {agent_name}, an AI assistant calling for {company} about malpractice "
            "coverage for {practice}. This message is recorded. {rep_name} would like to set up a "
            "{meeting_minutes}-minute call to compare options. Please call us back at {callback_number} and ask "
            "for {rep_name}. Again, that's {callback_number}. Thank you."
        ),
        # Whoever is on the line at the end (the contact, or a receptionist who took a message) is thanked,
        # never addressed by the contact's name.
        closing="Thank you for your time. Have a great day.",
        opt_out=(
            "I understand. I've removed this number from our call list, and {company} won't call again. "
            "Have a good day."
        ),
        ai_disclosure=(
            "Yes, I'm an AI assistant calling on behalf of {company}, and this call is recorded. "
            "Would a short call with {rep_name}, a licensed advisor, be useful?"
        ),
        objection_handlers={
            "already_insured": (
                "That makes sense; most practices we talk with already have a policy. Many find they can get "
                "broader coverage when they compare at renewal. Would a short review with {rep_name} be worth it?"
            ),
            "send_information": (
                "Happy to send information to {practice}. So it's relevant to you, a {meeting_minutes}-minute call "
                "with {rep_name} would tailor it. Could we find a time?"
            ),
            "not_interested": (
                "Understood. Just so you know, a short comparison often helps practices at renewal time. "
                "Would a brief call with {rep_name} later be acceptable?"
            ),
            "too_busy": (
                "I understand you're busy. The call with {rep_name} takes {meeting_minutes} minutes, at a time "
                "that suits you. Would later this week or early next week be better?"
            ),
            "cost": (
                "Cost is exactly what {rep_name} can go through with you; I can't quote prices myself, but a "
                "{meeting_minutes}-minute call would give you real numbers for {practice}. Shall I find a time?"
            ),
            "bad_time": "No problem. When would be a better time to talk for a few minutes?",
            "who_is_this": (
                "I'm {agent_name}, an AI assistant calling for {company}, a malpractice insurance provider for "
                "independent practices. This call is recorded. Would a short call with {rep_name} about your "
                "coverage be useful?"
            ),
        },
    )
