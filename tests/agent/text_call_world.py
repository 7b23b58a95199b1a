"""One text-mode call's parts, wired as the simulator wires them, for agent tests."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

from application.agent_brief import AgentBrief, CallIdentity, build_brief
from application.call_actions import CallActions
from application.call_progress import CallProgress
from application.phone_tree_fast_path import PhoneTreeFastPath, menu_policy
from domain.campaign import Campaign
from domain.contact import Contact
from domain.script import default_script
from simulator.offline_brain import OfflineBrain
from infrastructure.sales_agent import SalesAgent
from simulator.simulated_clock import SimulatedClock
from simulator.practice import Practice
from simulator.practice_line import PracticeControls
from simulator.scenario import Scenario, load_file
from simulator.text_call import TextChannel
from tests.agent.test_sales_agent import OneSlotCalendar
from tests.fakes.compliance import FakeDoNotCallList


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
    brief: AgentBrief
    progress: CallProgress
    practice: Practice
    fast_path: PhoneTreeFastPath
    agent: SalesAgent
    brain: OfflineBrain


@contextmanager
def text_call_world(s: Scenario) -> Iterator[TextCallWorld]:
    """The agent, its offline brain, the fast path and the simulated practice, on the scenario's clock."""
    clock = SimulatedClock()
    with clock.starting_at(s.now):
        contact = Contact(id="c1", first_name="Dana", last_name="Reyes", phone="+15125550143", practice="Lakeside",
                          title="Practice Administrator", timezone="America/Chicago")
        brief = build_brief(default_script(), contact, Campaign(id="k1", contact_id="c1", rep_name="Jordan"),
                            CallIdentity())
        progress = CallProgress(started_at=clock.now())
        practice = Practice(s, progress, clock.now, clock.advance)
        controls = PracticeControls(practice)
        actions = CallActions(progress=progress, controls=controls, do_not_call=FakeDoNotCallList(),
                              scheduler=OneSlotCalendar(), clock=clock, contact=contact)
        policy = menu_policy({}, contact)
        fast_path = PhoneTreeFastPath(controls=controls, progress=progress, policy=policy, digit_pause_s=0.0)
        agent = SalesAgent(brief, actions, fast_path=fast_path)
        fast_path.channel = TextChannel(agent, practice, progress, clock)
        yield TextCallWorld(clock, brief, progress, practice, fast_path, agent,
                            OfflineBrain(brief, clock, s.contact_zone, policy))
