"""The audio shell over the call core: a simulated practice on sound, the agent in a real AgentSession.

The third shell beside the LiveKit job and the text-mode line. The practice's words are spoken by the
offline voice and sent through a phone line (8 kHz mu-law) with its beeps, hold music and line noise; the
agent hears them through silero VAD and the offline recognizer, answers through the offline voice, and
the callee side recognizes the agent's audio the same way, so the practice reacts to what was actually
said. As on a live call, the shell only feeds the core the line's events (the answer, the streamed and
final transcripts, the end of each prompt, the callee's audio for the voicemail timing, the detector's
verdict, the hang-up) and carries out what it answers; the rules are the core's.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

import numpy as np

from application.call.core import GREETING_INSTRUCTIONS, CallCore, Reply
from application.call.progress import LineEnding
from infrastructure.answering_machine import DETECTION_TIMEOUT_S, start_detector, take_verdict
from infrastructure.sales_agent import SalesAgent
from infrastructure.session_feed import SessionFeed
from simulator.audio import engines
from simulator.audio.detector_model import DetectorModel
from simulator.audio.line import RATE, LineInput, LineOutput, PhoneLine, Stretch
from simulator.audio.telephone import hold_music, phone_band, resample, ring_back
from simulator.line_audio import LineAudio

log = logging.getLogger(__name__)

RING_S = 2.0  # ring-back before the pickup
HOLD_CAP_S = 3.0  # a hold is played for at most this long (the practice's own clock counts the rest)
CALLEE_PAUSE_S = 0.5  # a person's pause before answering once the agent stops
AGENT_DONE_S = 1.2  # the agent is taken to be done when silent this long after speaking
PATIENCE_S = 4.0  # with the agent silent this long after the callee side spoke, the line moves on
TRANSCRIPT_WAIT_S = 30.0  # the longest the callee side waits for its words to be recognized
BARGE_IN_AFTER_S = 2.0  # a callee who interrupts does it this far into a long agent line


class AudioChannel:
    """AgentChannel on sound: words for a speech menu are spoken on the line."""

    def __init__(self, call: "AudioCall", agent: SalesAgent):
        self.call = call
        self.agent = agent

    async def speak_to_menu(self, words: str) -> None:
        if self.call.session is not None:
            self.call.session.say(words, add_to_chat_ctx=False)

    async def note_menu_action(self, decision: Any) -> None:
        await self.agent.note_menu_action(decision)

    async def update_instructions(self, instructions: str) -> None:
        await self.agent.update_instructions(instructions)


class AudioCall(SessionFeed):
    """One call on sound: the core, the line, and the practice on the other end."""

    def __init__(self, core: CallCore, line: PhoneLine, practice: Any, detection_timeout_s: float = DETECTION_TIMEOUT_S):
        self.core = core
        self.detection_timeout_s = detection_timeout_s
        self.line = line
        self.practice = practice  # simulator.practice.Practice
        self.verdicts: list[tuple[float, dict]] = []  # each verdict the core took, with its line time
        self.detector: Any = None  # the answering-machine detector (infrastructure.answering_machine)
        self.session: Any = None
        self.output: LineOutput | None = None
        self._keys = asyncio.Event()
        self._verdicts_seen = 0
        self._barged = False  # the callee has talked over the agent once already
        self._recognitions = 0  # agent segments the callee side is still recognizing
        self._callee_item_at_s = -1.0  # line time of the last final transcript of the callee side

    # ------------------------------------------------------------ wiring

    def callee_audio(self, pcm: bytes) -> None:
        """Every frame the agent side hears: the core's voicemail timing listens to it."""
        self._note_verdicts()
        action = self.core.line_audio(pcm)
        if action is not None:
            self.act(action)

    def keys_pressed(self, digits: str) -> None:
        self.line.dtmf.append((self.line.now_s(), digits))
        self._keys.set()

    def heard_agent(self, samples: np.ndarray, stretch: Stretch) -> None:
        """A segment of the agent's voice ended: the callee side recognizes it and hears that."""
        self._recognitions += 1
        self.core.spawn(self._recognize(samples, stretch))

    async def _recognize(self, samples: np.ndarray, stretch: Stretch) -> None:
        try:
            text = await asyncio.to_thread(engines.transcribe, samples, RATE, "en")
            stretch.text = text
            if text:
                self.practice.hear(text)
        finally:
            self._recognitions -= 1

    # ------------------------------------------------------------ session events

    def _note_verdicts(self) -> None:
        while self._verdicts_seen < len(self.core.verdicts):
            self.verdicts.append((self.line.now_s(), self.core.verdicts[self._verdicts_seen]))
            self._verdicts_seen += 1

    async def _detect(self, detector: Any) -> None:
        await take_verdict(self, detector)
        # Decided, the detector goes. Left on this session (turns taken by the VAD and the recognizer) it would
        # skip the agent's reply to every later turn after a machine verdict, a person picking up after the
        # menu included. On a live call the Realtime model's server-side turns do not pass that gate (as
        # livekit-agents' source reads; not checked on a live call).
        await detector.aclose()

    def callee_line(self, item: Any) -> None:
        self._callee_item_at_s = self.line.now_s()

    # ------------------------------------------------------------ the callee side

    async def drive(self) -> None:
        """The practice's side of the call, until the line or the agent ends it."""
        progress = self.core.progress
        self.line.play(ring_back(RATE, RING_S), "ring")
        await self._played_out()
        utterance = self.practice.pick_up()
        if utterance is None:
            self.core.not_answered(self.practice.ended or LineEnding.NO_ANSWER)
            return
        self.core.answered()
        # As on a live call: the detector listens from the answer and holds the greeting until its verdict.
        self.detector = await start_detector(self.session, DetectorModel(), timeout_s=self.detection_timeout_s)
        self.core.spawn(self._detect(self.detector))
        self.act(Reply(GREETING_INSTRUCTIONS))
        while utterance is not None and not progress.ended:
            await self._say(utterance)
            if progress.ended:
                break
            if self.practice.node.kind == "voicemail" and isinstance(utterance, str):
                utterance = self.practice.next_utterance()  # a box plays its greeting and beep without a pause
                continue
            await self._agents_turn()
            if progress.ended:
                break
            if self.practice.node.kind == "hold":
                self.line.play(hold_music(RATE, min(HOLD_CAP_S, self.practice.node.seconds)), "hold")
                await self._played_out()
            utterance = self.practice.next_utterance()
        if utterance is None and not progress.ended and progress.line_ending is None:
            if self.practice.ended is LineEnding.HUNG_UP or self.practice.ended is None:
                self.core.hung_up()
            else:
                progress.line_ending = self.practice.ended

    async def _say(self, utterance: str | LineAudio) -> None:
        machine = self.practice.node.kind in ("menu", "voicemail", "hold")
        if isinstance(utterance, LineAudio):
            samples = np.frombuffer(utterance.pcm, dtype=np.int16)
            samples = phone_band(resample(samples, utterance.sample_rate, RATE), RATE, RATE)
            stretch = self.line.play(samples, "tones")
            stretch.machine = True
            clip = self.practice.voicemail_clip
            if clip is not None and clip.audio is utterance:
                stretch.beep_end_s = clip.beep_end_s
                stretch.sound_s = clip.beep_end_s if clip.beep_end_s is not None else clip.greeting_end_s
            else:
                stretch.sound_s = 0.0  # the box's quiet: nothing to talk over
        else:
            voice, rate = await asyncio.to_thread(engines.speak, utterance)
            self.line.play(phone_band(voice, rate, RATE), "speech", utterance).machine = machine
        await self._played_out()

    async def _played_out(self, barge: bool = False) -> None:
        while not self.line.callee_idle.is_set() and not self.core.progress.ended:
            await asyncio.sleep(0.02)

    async def _agents_turn(self) -> None:
        """Wait until the agent has had its say (or pressed keys, or stayed silent), then let the line go on."""
        self._keys.clear()
        quiet_since = self.line.now_s()
        spoke = False
        while not self.core.progress.ended:
            await asyncio.sleep(0.05)
            if self._keys.is_set():
                await asyncio.sleep(CALLEE_PAUSE_S)
                return
            speaking = self._agent_speaking()
            if speaking is not None:
                await self._maybe_barge_in(speaking)  # then the agent has the word again: keep waiting
            if speaking is not None or (self.output is not None and self.output.playing):
                spoke = True
            if speaking is not None or self._agent_busy() or self._transcript_pending() or self._recognizing() \
                    or (self.output is not None and self.output.playing):
                quiet_since = self.line.now_s()  # still hearing, thinking or speaking: a caller waits for that
                continue
            if spoke and self.line.now_s() - quiet_since >= AGENT_DONE_S:
                await asyncio.sleep(CALLEE_PAUSE_S)
                return
            if self.line.now_s() - quiet_since >= PATIENCE_S:
                return

    def _agent_speaking(self) -> Stretch | None:
        now = self.line.now_s()
        return next((s for s in reversed(self.line.timeline)
                     if s.side == "agent" and s.cut_at_s is None and s.start_s <= now <= s.end_s + 0.05), None)

    def _transcript_pending(self) -> bool:
        """The callee side's last words have not reached the agent's transcript yet (the recognizer is slow)."""
        spoken = [st for st in self.line.timeline if st.side == "callee" and st.kind == "speech"]
        if not spoken:
            return False
        last = spoken[-1]
        waited = self.line.now_s() - last.end_s
        return self._callee_item_at_s < last.end_s and waited < TRANSCRIPT_WAIT_S

    def _agent_busy(self) -> bool:
        return self.session is not None and self.session.agent_state in ("thinking", "speaking")

    def _recognizing(self) -> bool:
        return self._recognitions > 0

    async def _maybe_barge_in(self, speaking: Stretch) -> None:
        """A callee who interrupts speaks over a long agent line once it is BARGE_IN_AFTER_S in."""
        node = self.practice.node
        # Once a call, the pitch, not the greeting: the person has answered once already and not yet decided.
        if self._barged or node.kind != "person" or not node.interrupts \
                or self.practice.stage < 1 or self.practice.decided:
            return
        if self.line.now_s() - speaking.start_s < BARGE_IN_AFTER_S:
            return
        self._barged = True
        so_far = await asyncio.to_thread(engines.transcribe, self.output.so_far(), RATE, "en")
        self.practice.hear(so_far)
        reply = self.practice.next_utterance()
        if reply is not None:
            await self._say(reply)


async def run_audio_call(*, core: CallCore, agent: SalesAgent, model: Any, practice: Any,
                         time_limit_s: float | None = None,
                         detection_timeout_s: float = DETECTION_TIMEOUT_S) -> AudioCall:
    """Run one call on sound until it ends (or `time_limit_s` of wall time pass: the core hears it timed out);
    the answering-machine detector gives up `detection_timeout_s` after the answer. The AudioCall holds the
    line's timeline for the measures."""
    from livekit.agents import AgentSession
    from livekit.plugins import silero

    line = PhoneLine(noise_seed=core.call_id)
    call = AudioCall(core=core, line=line, practice=practice, detection_timeout_s=detection_timeout_s)
    core.connect(AudioChannel(call, agent))
    core.controls.on_keys = call.keys_pressed
    line.on_callee_audio = call.callee_audio
    session = AgentSession(llm=model, stt=engines.OfflineRecognizer(), tts=engines.OfflineVoice(),
                           vad=_vad(silero), turn_detection="vad", min_endpointing_delay=0.5,
                           allow_interruptions=True)
    session.input.audio = LineInput(line)
    session.output.audio = call.output = LineOutput(line, call.heard_agent)
    call.attach(session)
    await session.start(agent, record=False)
    core.dialing()
    try:
        try:
            await asyncio.wait_for(call.drive(), timeout=time_limit_s)
        except asyncio.TimeoutError:
            core.timed_out(f"the call ran past the simulation's time limit of {time_limit_s:g} s")
        # The goodbye or the voicemail message may still be playing: the line stays up until it is out.
        for _ in range(300):
            if not call._agent_busy() and not call.output.playing and not call._recognizing():
                break
            await asyncio.sleep(0.05)
    finally:
        line.closed = True
        if call.detector is not None:
            await call.detector.aclose()
        await session.aclose()
    return call


_VAD: Any = None


def _vad(silero: Any) -> Any:
    global _VAD
    if _VAD is None:
        _VAD = silero.VAD.load()
    return _VAD
