"""The voicemail watch decides on the same frame however the far end's audio arrives: frame by frame as
on a live call, or a whole greeting at once as the simulator plays it (the beep detector then hears it in
blocks, its windows analysed together)."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from application.call import voicemail_watch
from application.call.voicemail_watch import VoicemailWatch
from domain.beep_detector import BeepEvent
from domain.voicemail import VoicemailTiming
from simulator.line_audio import voicemail_audio
from tests.unit.test_beep_detector import line_audio

GREETINGS = [None, "Hi, you've reached Lakeside. Please leave a message after the tone.",
             "Sorry we missed you, leave your name and number.", "The mailbox is full and cannot accept messages."]


class HeardAt(VoicemailTiming):
    """The timing, noting each beep it is told of and the frame it came with (the watch's clock)."""

    def __init__(self):
        super().__init__()
        self.watch: VoicemailWatch | None = None
        self.beeps: list[tuple[BeepEvent, float]] = []

    def beep(self, event):
        self.beeps.append((event, self.watch.now_s))
        super().beep(event)


def watched(rate, pcm, pieces, greeting):
    """Feed `pcm` in pieces of `pieces` frames (cycled) until the watch decides; what it concluded, and
    when each beep reached the timing."""
    timing = HeardAt()
    watch = timing.watch = VoicemailWatch(rate, timing=timing)
    if greeting is not None:
        watch.greeting(greeting)
    at, i = 0, 0
    while at < len(pcm) and watch.decision.step.value == "wait":
        size = pieces[i % len(pieces)] * watch.frame_bytes
        watch.feed(pcm[at:at + size])
        at, i = at + size, i + 1
    return watch.decision, watch.now_s, watch.beep, watch.last_speech_s, watch.spoke_after_beep, timing.beeps


@st.composite
def far_end(draw):
    if draw(st.booleans()):
        clip = voicemail_audio(f"watch:{draw(st.integers(0, 10 ** 6))}", beep=draw(st.booleans()),
                               greeting_s=draw(st.floats(0.2, 6.0)), after_s=draw(st.floats(0.05, 6.0)))
        return clip.audio.sample_rate, clip.audio.pcm
    return tuple(draw(line_audio()))


@settings(max_examples=40, deadline=None)
@given(far_end(), st.sampled_from(GREETINGS),
       st.lists(st.one_of(st.integers(1, 3), st.integers(4, 2 * voicemail_watch.BLOCK_FRAMES + 1),
                          st.just(10 ** 6)), min_size=1, max_size=5))
def test_the_same_decision_at_the_same_frame_however_the_audio_is_split(audio, greeting, pieces):
    rate, pcm = audio
    frame_by_frame = watched(rate, pcm, [1], greeting)
    assert watched(rate, pcm, pieces, greeting) == frame_by_frame
    assert watched(rate, pcm, [10 ** 6], greeting) == frame_by_frame  # the whole clip in one feed
