"""The pitch in text-mode calls (issue 17): the core records whether the offer was put to a person."""
from __future__ import annotations

import pytest

from tests.agent.text_call_world import scenario, text_call_world


async def finished(tmp_path, line: str):
    with text_call_world(scenario(tmp_path, line)) as w:
        await w.run()
        return await w.core.finish()


async def test_a_call_that_gives_the_introduction_to_the_contact_pitched(tmp_path):
    result = await finished(tmp_path, """      start: {person: decision_maker, says: "This is Dana.", decision: decline}""")
    assert result.outcome.value == "declined" and result.pitched is True


async def test_a_booked_call_pitched(tmp_path):
    result = await finished(tmp_path, """      start: {person: decision_maker, says: "This is Dana.", decision: accept,
              availability: ["2026-03-11T09:00/2026-03-11T17:00"]}""")
    assert result.outcome.value == "meeting_booked" and result.pitched is True


@pytest.mark.parametrize("line, outcome", [
    ("""      start: {person: receptionist, says: "Lakeside Ortho, this is Amy.", refuses_transfer: true}""",
     "gatekeeper_blocked"),
    ("""      start: {voicemail: "Hi, you've reached Lakeside. Please leave a message after the beep.", beep: true}""",
     "voicemail_left"),
], ids=["receptionist-blocks", "voicemail"])
async def test_a_call_that_never_put_the_offer_to_a_person_did_not_pitch(tmp_path, line, outcome):
    result = await finished(tmp_path, line)
    assert result.outcome.value == outcome and result.pitched is False
