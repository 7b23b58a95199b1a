"""Listening to a voicemail box: the greeting's words, then its audio, until it is time to speak.

`VoicemailWatch` joins the domain's BeepDetector (on the PCM frames) and
VoicemailTiming (on words, speech activity and the beep). Feed it the
greeting's transcript (`greeting`) and the far end's audio (`feed`); it
answers with the timing's decision: WAIT, SPEAK (now: right after the beep, or
after the greeting ended when no beep came) or HANG_UP (a full mailbox, or a
greeting that never ends). Times are seconds since the first audio fed.

Speech activity comes from the caller's voice-activity detector when it has
one (`speech_active=`); otherwise a frame louder than `speech_level_dbfs` is
taken as speech, which suits clean line audio such as the simulator's.
"""
from __future__ import annotations

from domain.beep_detector import BeepDetector, BeepEvent, frame_rms
from domain.voicemail import VoicemailDecision, VoicemailStep, VoicemailTiming

FRAME_S = 0.02
BLOCK_FRAMES = 25  # 0.5 s at 20 ms: what the detector may hear past a decision


class VoicemailWatch:
    def __init__(self, sample_rate: int, *, timing: VoicemailTiming | None = None,
                 speech_level_dbfs: float = -35.0, frame_s: float = FRAME_S):
        if frame_s <= 0:
            raise ValueError(f"frame_s must be positive, got {frame_s}")
        self.sample_rate = sample_rate
        self.detector = BeepDetector(sample_rate)
        self.timing = timing or VoicemailTiming()
        self.frame_bytes = 2 * max(1, int(round(sample_rate * frame_s)))
        self._speech_rms = 32768.0 * 10 ** (speech_level_dbfs / 20)
        self.now_s = 0.0
        self.beep: BeepEvent | None = None
        self.last_speech_s: float | None = None
        self.decision = VoicemailDecision(VoicemailStep.WAIT, "nothing heard yet")

    @property
    def spoke_after_beep(self) -> bool | None:
        return self.timing.spoke_after_beep

    def greeting(self, text: str) -> VoicemailDecision:
        """Words of the greeting, heard now."""
        self.decision = self.timing.greeting(text, self.now_s)
        self.last_speech_s = self.now_s
        return self.decision

    def feed(self, pcm: bytes, *, speech_active: bool | None = None) -> VoicemailDecision:
        """Far-end audio (16-bit mono PCM); stops at the first frame that decides SPEAK or HANG_UP.

        After a decision the rest of `pcm` does not count; `now_s` is the moment of the decision. The
        frames are judged one by one, as a live call delivers them, while the beep detector hears up to
        BLOCK_FRAMES of them at a time (a simulated greeting comes whole: its windows are analysed
        together); each beep is taken at the frame that completed it, so the decisions are the same.
        """
        if self.decision.step is not VoicemailStep.WAIT:
            return self.decision
        heard: list[tuple[int, BeepEvent]] = []   # (bytes of pcm after which the beep had ended, beep)
        read = 0                                  # bytes of pcm the detector has heard
        for start in range(0, len(pcm), self.frame_bytes):
            frame = pcm[start:start + self.frame_bytes]
            if start == read:
                block = pcm[read:read + BLOCK_FRAMES * self.frame_bytes]
                heard += [(read + at, event) for at, event in self.detector.feed_all(block)]
                read += len(block)
            event: BeepEvent | None = None
            while heard and heard[0][0] <= start + len(frame):
                event = heard.pop(0)[1]           # the frame's last beep: what feeding it alone returns
            if event is not None:
                self.beep = event
                self.timing.beep(event)
            self.now_s += len(frame) / 2 / self.sample_rate
            active = self._loud(frame) if speech_active is None else speech_active
            if active:
                self.last_speech_s = self.now_s
            self.decision = self.timing.tick(self.now_s, speech_active=active)
            if self.decision.step is not VoicemailStep.WAIT:
                return self.decision
        return self.decision

    def _loud(self, frame: bytes) -> bool:
        return frame_rms(frame) >= self._speech_rms  # 0.0 for an empty frame: never loud
