"""Text mode as production runs it: menus through the fast path, voicemail audio through the beep detector."""
from __future__ import annotations

from datetime import datetime, timezone

from simulator.simulated_clock import SimulatedClock
from simulator.line_audio import LineAudio
from simulator.practice import Practice
from tests.agent.text_call_world import scenario, text_call_world

NOW = datetime(2026, 3, 10, 15, 15, tzinfo=timezone.utc)


async def call(s):
    with text_call_world(s) as w:
        asked: list = []  # the last chat item each time the model was asked
        answer = w.brain.answer
        w.brain.answer = lambda ctx: (asked.append(ctx.items[-1]), answer(ctx))[1]
        await w.run()
        return w.progress, w.practice, w.fast_path, w.agent, asked


async def test_menus_are_navigated_by_the_fast_path_without_asking_the_model(tmp_path):
    s = scenario(tmp_path, """      start: {menu: "Thank you for calling. For billing press 2. For administration press 3.",
              options: {"2": gone, "3": admin}}
      admin: {menu: "For human resources press 2. For the practice administrator press 1.",
              options: {"1": dana, "2": gone}}
      gone: {hangup: true}
      dana: {person: decision_maker, says: "This is Dana.", decision: decline}""")
    progress, _practice, fast_path, agent, asked = await call(s)
    assert progress.digits == ["3", "1"] and progress.reached_human
    assert [d.digits for d in fast_path.actions] == ["3", "1"]
    # The model saw the keys as its own press_digits calls and was first asked when a person spoke.
    calls = [i for i in agent.chat_ctx.items if i.type == "function_call" and i.name == "press_digits"]
    assert [c.arguments for c in calls] == ['{"digits": "3"}', '{"digits": "1"}']
    assert all(c.call_id.startswith("fastpath_") for c in calls)
    speeches = [line for line in progress.transcript if line.speaker == "agent"]
    assert speeches and all(line.at > progress.transcript[1].at for line in speeches)
    assert asked and not any(i.type == "message" and "press" in (i.text_content or "") for i in asked)


async def test_the_agent_waits_out_a_long_greeting_and_speaks_after_the_beep(tmp_path):
    s = scenario(tmp_path, """      start: {voicemail: "Hi, you've reached Dana. Please leave a message after the tone.", greeting_s: 6}""")
    progress, practice, *_ = await call(s)
    assert progress.voicemail_left and progress.voicemail_after_beep is True
    assert progress.beep_heard_at is not None and not practice.talked_over_greeting
    speakers = [line.speaker for line in progress.transcript]
    assert speakers == ["callee", "agent"]  # the beep is no words: the model was asked with instructions


async def test_speaking_when_the_words_end_would_talk_over_the_greeting(tmp_path):
    s = scenario(tmp_path, """      start: {voicemail: "Hi, you've reached Dana. Please leave a message after the tone.", greeting_s: 6}""")
    clock = SimulatedClock()
    with clock.starting_at(s.now):
        practice = Practice(s, clock.now, clock.advance)
        practice.pick_up()
        clip = practice.next_utterance()
        assert isinstance(clip, LineAudio) and clip.seconds > 6
        practice.audio_heard_until(1.0)  # a transcript-only agent: the words ended, so it talks
        practice.hear("Hi Dana, this is Alex from DocShield.")
    assert practice.talked_over_greeting


async def test_a_greeting_without_a_beep_is_answered_after_it_ends(tmp_path):
    s = scenario(tmp_path, """      start: {voicemail: "You have reached Dana Reyes. Leave a message.", beep: false, greeting_s: 2}""")
    progress, practice, *_ = await call(s)
    assert progress.voicemail_left and progress.voicemail_after_beep is False
    assert progress.beep_heard_at is None and not practice.talked_over_greeting
