"""The phone line of a machine without voice credentials (`docshield campaign add` + `start-worker`).

A campaign whose settings name a practice scenario (`practice_scenario: FILE#ID`, set by
`campaign add --practice-scenario`, by default the friendly administrator of
`first_call_practice.yaml`) gets that practice on the line: the production SalesAgent with the
offline brain, in text mode, as in `docshield simulate`, at the product's clock. Any other
campaign gets the plain simulated line (a receptionist who takes a message).
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

from application.call.brief import CallIdentity
from application.book_meeting import BookMeeting
from application.ports.call_line import CallLine, CallRequest, CallResult, DialingHook
from application.ports.clock import Clock
from application.ports.compliance import DoNotCallList
from application.ports.telemetry import Telemetry
from domain.campaign import MAX_FOLLOW_UPS_PER_STEP
from domain.callee_location import locate
from domain.contact import Contact
from simulator.scenario import Scenario, ScenarioError, load_file
from simulator.simulated_clock import SimulatedClock

PRACTICE_SCENARIO = "practice_scenario"  # the campaign settings key: "FILE#ID"
DEFAULT_PRACTICE = f"{Path(__file__).resolve().parent / 'first_call_practice.yaml'}#friendly-administrator"


def practice_scenario(reference: str) -> Scenario:
    """The scenario `FILE#ID` names (the only one in FILE when `#ID` is left out); ScenarioError otherwise."""
    path, _, wanted = reference.partition("#")
    scenarios = load_file(path)
    if not wanted and len(scenarios) == 1:
        return scenarios[0]
    for scenario in scenarios:
        if scenario.id == wanted:
            return scenario
    known = ", ".join(s.id for s in scenarios)
    raise ScenarioError(path, wanted or None, "id", f"no scenario {wanted!r} here (give FILE#ID; ids: {known})")


def absolute_reference(reference: str) -> str:
    """`FILE#ID` with FILE made absolute: the worker may run from another folder."""
    path, sep, wanted = reference.partition("#")
    return f"{Path(path).resolve()}{sep}{wanted}"


def for_contact(scenario: Scenario, contact: Contact) -> Scenario:
    """The scenario's practice, speaking as the campaign's contact, in the contact's time zone."""
    zone = locate(contact.phone, state=contact.state, timezone=contact.timezone).zones[0]
    people = {**scenario.contact, "first_name": contact.first_name, "last_name": contact.last_name,
              "practice": contact.practice, "title": contact.title or scenario.contact.get("title", ""),
              "phone": contact.phone, "email": contact.email or scenario.contact.get("email", "")}
    return replace(scenario, contact=people, contact_zone=ZoneInfo(zone))


class EmbeddedPracticeLine:
    """CallLine: a practice scenario's people for campaigns that name one, the plain simulated line otherwise."""

    def __init__(self, plain: CallLine, *, clock: Clock, do_not_call: DoNotCallList, book_meeting: BookMeeting,
                 agent_name: str = "Alex", company: str = "DocShield", callback_number: str = "(800) 555-0199",
                 telemetry: Telemetry | None = None, max_follow_ups: int = MAX_FOLLOW_UPS_PER_STEP):
        self.max_follow_ups = max_follow_ups
        self.plain = plain
        self.clock = clock
        self.do_not_call = do_not_call
        self.book_meeting = book_meeting
        self.identity = CallIdentity(agent_name, company, callback_number)
        self.telemetry = telemetry
        self.simulated = SimulatedClock()

    async def conduct(self, request: CallRequest, on_dialing: DialingHook) -> CallResult:
        reference = (request.campaign.settings or {}).get(PRACTICE_SCENARIO)
        if not reference:
            return await self.plain.conduct(request, on_dialing)
        # livekit-agents takes a second and a hundred megabytes to import: only practice calls pay for it.
        from simulator.offline_brain import OfflineBrain
        from simulator.practice_line import PracticeLine

        scenario = for_contact(practice_scenario(reference), request.contact)
        line = PracticeLine(
            scenarios={request.campaign.id: scenario}, clock=self.simulated, do_not_call=self.do_not_call,
            book_meeting=self.book_meeting, identity=self.identity, telemetry=self.telemetry,
            max_follow_ups=self.max_follow_ups, model_factory=lambda brief, zone, policy: OfflineBrain(brief, self.simulated, zone, policy))
        with self.simulated.starting_at(self.clock.now()):
            return await line.conduct(request, on_dialing)
