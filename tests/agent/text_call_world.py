"""One text-mode call's parts, wired as the simulator wires them, for agent tests."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

from application.book_meeting import BookMeeting
from application.call.brief import AgentBrief, CallIdentity
from application.call.core import CallCore, CallPorts, CallSettings
from application.call.phone_tree import PhoneTreeFastPath
from application.call.progress import CallProgress
from application.ports.sales_coach import SalesCoach
from domain.campaign import Campaign
from domain.contact import Contact
from domain.script import default_script
from infrastructure.sales_agent import SalesAgent
from simulator.offline_brain import OfflineBrain
from simulator.practice import Practice
from simulator.practice_line import PracticeControls
from simulator.scenario import Scenario, load_file
from simulator.simulated_clock import SimulatedClock
from simulator.text_call import TextChannel, run_text_call
from tests.fakes.calendar import FakeCalendar, FakeCalendarCredentials
from tests.fakes.compliance import FakeDoNotCallList

CONTACT = Contact(id="c1", first_name="Dana", last_name="Reyes", phone="+15125550143", practice="Lakeside",
                  email="dana@lakeside.example",
                  title="Practice Administrator", timezone="America/Chicago")


def scenario(tmp_path, line: str) -> Scenario:
    """A one-scenario file around the given `line:` graph (indented six spaces)."""
    path = tmp_path / "s.yaml"
    path.write_text(f"""scenarios:
  - id: text-mode
    now: "2026-03-10T10:15:00-05:00"
    contact: {{first_name: Dana, last_name: Reyes, title: Practice Administrator, practice: Lakeside,
               phone: "+15125550143", timezone: America/Chicago}}
    line:
{line}
    expect: {{outcome: meeting_booked}}
""")
    return load_file(path)[0]


@dataclass
class TextCallWorld:
    clock: SimulatedClock
    core: CallCore
    practice: Practice
    agent: SalesAgent
    brain: OfflineBrain

    @property
    def brief(self) -> AgentBrief:
        return self.core.brief

    @property
    def progress(self) -> CallProgress:
        return self.core.progress

    @property
    def fast_path(self) -> PhoneTreeFastPath:
        return self.core.fast_path

    async def run(self) -> None:
        await run_text_call(core=self.core, agent=self.agent, model=self.brain, other_side=self.practice)


@contextmanager
def text_call_world(s: Scenario, *, coach: SalesCoach | None = None, interval_s: float = 15.0,
                    timeout_s: float = 1.0) -> Iterator[TextCallWorld]:
    """The core, the agent, its offline brain and the simulated practice, on the scenario's clock."""
    clock = SimulatedClock()
    with clock.starting_at(s.now):
        practice = Practice(s, clock.now, clock.advance)
        ports = CallPorts(do_not_call=FakeDoNotCallList(),
                          book_meeting=BookMeeting(FakeCalendar(), FakeCalendarCredentials(), clock),
                          sales_coach=coach, clock=clock)
        core = CallCore(call_id="call-text", campaign=Campaign(id="k1", contact_id="c1", rep_name="Jordan"),
                        contact=CONTACT, script=default_script(), identity=CallIdentity(),
                        controls=PracticeControls(practice), ports=ports,
                        settings=CallSettings(coach_interval_s=interval_s, coach_timeout_s=timeout_s,
                                              digit_pause_s=0.0))
        agent = SalesAgent(core.brief, core.actions, fast_path=core.fast_path)
        core.connect(TextChannel(agent, practice, core))
        yield TextCallWorld(clock, core, practice, agent, OfflineBrain(core.brief, clock, s.contact_zone, core.policy))
