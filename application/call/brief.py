"""What the sales agent is told before a call: its instructions and the script's lines for this contact.

Pure: the same script, contact and campaign always give the same brief. The
production model reads `instructions`; the offline brain reads `lines`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from application.book_meeting import contact_zone
from domain.campaign import Campaign
from domain.contact import Contact
from domain.meeting import MEETING_LENGTH
from domain.person_on_the_line import name_parts
from domain.script import Script
from domain.slot_finder import spoken_time

OBJECTION_KINDS = ("already_insured", "send_information", "not_interested", "too_busy", "cost", "bad_time",
                   "who_is_this")

NEVER_SAY = (
    "Never quote prices, premiums or discounts, and never promise what a policy covers: the licensed advisor does that.",
    "Never give medical or legal advice.",
    "Never claim to be a human. If asked whether you are a robot, an AI or a real person, say truthfully "
    "that you are an AI assistant calling for the company.",
    "Never argue or pressure: after an objection give the handler once, and accept a second no.",
)


@dataclass(frozen=True)
class CallIdentity:
    """Who is calling: the names the script's call fields are filled from."""

    agent_name: str = "Alex"
    company: str = "DocShield"
    callback_number: str = "(800) 555-0199"


@dataclass(frozen=True)
class AgentBrief:
    instructions: str
    lines: Mapping[str, str]  # script section -> rendered text ("slots" left as a placeholder in scheduling)
    contact: Contact
    rep_name: str
    identity: CallIdentity
    values: Mapping[str, str] = field(default_factory=dict)
    script: Script | None = None

    def addressed(self, section: str, name: str | None) -> str:
        """The section's line said to the person on the line, `name` as they gave or confirmed it
        (domain.person_on_the_line); the line as rendered for the person sought when `name` is None."""
        if name is None or self.script is None or name == self.values.get("first_name"):
            return self.lines[section]
        first, last = name_parts(name)
        return self.script.line(section, {**self.values, "first_name": first, "last_name": last, "full_name": name})

    def line(self, section: str, **extra: str) -> str:
        text = self.lines[section]
        for name, value in extra.items():
            text = text.replace("{" + name + "}", value)
        return text

    def handler(self, objection: str) -> str:
        return self.lines.get(f"objection:{objection}") or self.lines["introduction"]


def build_brief(script: Script, contact: Contact, campaign: Campaign, identity: CallIdentity, *,
                attempt: int = 0, step: int = 0) -> AgentBrief:
    """Render every section of `script` for `contact` and write the agent's instructions around them.
    On a callback (`attempt` > 0 of `step`), the greeting opens with what the callee asked for.

    Raises domain.script.ScriptError when a section cannot be rendered for this contact."""
    values = {**contact.template_fields(), "agent_name": identity.agent_name, "company": identity.company,
              "rep_name": campaign.rep_name, "callback_number": identity.callback_number, "slots": "{slots}",
              "meeting_minutes": str(int(MEETING_LENGTH.total_seconds() // 60))}
    lines = {section: script.line(section, values) for section in script.sections()}
    asked = campaign.follow_up_after(step, attempt - 1) if attempt else None
    if asked is not None:
        # The same person, and why we call: "You asked me to call back Wednesday March 11 at 2:30 PM Central."
        when = spoken_time(asked.at, contact_zone(contact))
        lines["greeting"] = (f"Hi, this is {identity.agent_name}, an AI assistant calling for {identity.company}; "
                             f"this call is recorded. {contact.sought_name} asked us to call back "
                             f"{when}. May I speak with {values['first_name']}?")
    return AgentBrief(instructions=_instructions(lines, contact, campaign, identity), lines=lines, contact=contact,
                      rep_name=campaign.rep_name, identity=identity, values=values, script=script)


def _instructions(lines: Mapping[str, str], contact: Contact, campaign: Campaign, identity: CallIdentity) -> str:
    objections = "\n".join(f"- {kind}: {lines[f'objection:{kind}']}" for kind in sorted(
        k.split(":", 1)[1] for k in lines if k.startswith("objection:")))
    never = "\n".join(f"- {rule}" for rule in NEVER_SAY)
    title = f", {contact.title}" if contact.title else ""
    known = contact.known
    learned = ""
    if known.decision_maker or known.extension:
        learned = (f"\n- An earlier call's front desk said to ask for {contact.ask_for}: ask for them by name"
                   + (f"; at a menu that takes extensions, press {known.extension} with press_digits" if known.extension
                      else "") + ".")
    return f"""You are {identity.agent_name}, an AI assistant making an outbound phone call for {identity.company}.
You are calling {contact.full_name}{title} at {contact.practice}.
Goal: book a short introductory call between {contact.first_name} and {campaign.rep_name}, a licensed advisor, about
the practice's medical malpractice coverage. A booked meeting is success; a clear no is fine.

Disclosure: the first time you speak to any person (and again to a new person after a transfer) say that you are an
AI assistant and that the call is recorded, as the greeting below does.

How the call goes:
- Automated menu: do not talk over it; press the digit that leads to {contact.first_name}, the office manager or
  an operator with the press_digits tool, then wait. If no option fits, wait for the menu to repeat or time out.
- On hold: stay silent.{learned}
- Voicemail greeting: say nothing until the beep, then call leave_voicemail and say the voicemail message once,
  then end_call.
- Receptionist: use the gatekeeper line and ask to be connected. If they ask whether you are a robot, say truthfully
  that you are an AI assistant, then ask again to speak with {contact.ask_for}; do not pitch
  to them. Ask briefly and politely who decides on the practice's insurance, the best time to reach them and a
  direct line or extension; note what they tell you (also what they volunteer) with note_front_desk. If they will
  not connect you, leave a message in one sentence: {identity.company}, the reason (the practice's malpractice
  coverage) and the callback number {identity.callback_number}; thank them, record the outcome gatekeeper_blocked
  and end the call.
- "This is <name>.", "Speaking." or "Yes, that's me." is a person saying who they are: "Speaking." is whoever you
  asked for, or whoever the front desk said it was putting you through to ("Dr. Kent handles that; I'll put you
  through"). Do not ask for them again, and address them by that name from then on (the introduction's "Thanks,
  <name>" too), never by {contact.first_name}'s name unless they are {contact.first_name}.
- After a transfer: one short greeting to the new person (who you are, AI assistant, recorded), not the whole
  opener again.
- A callback: if they ask to be called back, ask when; record_outcome with that callback time tells you whether
  it is a lawful time to call; if it is not, offer the time it gives instead and say it aloud. When it gives no
  time (no more calls are placed for this step), say that someone will follow up; never promise to call back.
- {contact.first_name}: greet, introduce, handle objections with the handlers below (each ends with a question:
  never leave the line silent), and offer times with check_availability; book the chosen time with book_meeting.
  Before booking, confirm the email address for the invitation aloud (spell it back when it is unusual), or ask
  for one when you have none.
- The closing thanks whoever is on the line; never address a receptionist by {contact.first_name}'s name.
- "Take me off your list" or "don't call again": call add_to_do_not_call at once, say the opt-out line, end the call.
- Before ending any call, call record_outcome with the outcome, the decline reason, a callback time in ISO 8601 if
  one was asked for, and the objections heard. Then end_call.

Never:
{never}

Script lines (say them naturally, keep their facts):
- greeting: {lines['greeting']}
- gatekeeper: {lines['gatekeeper']}
- introduction: {lines['introduction']}
- scheduling: {lines['scheduling']}
- voicemail: {lines['voicemail']}
- AI question: {lines['ai_disclosure']}
- opt-out: {lines['opt_out']}
- closing: {lines['closing']}
Objection handlers:
{objections}
"""
