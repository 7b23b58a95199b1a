"""CallControls on a LiveKit room: SIP DTMF keys and the hang-up of the phone leg.

Keys go out one at a time with a cooldown between them (and between two calls),
because keys pressed too fast are lost by some menus (pipecat#1386). The hang-up
never cuts the goodbye: it waits for the current speech to play out (including
the reply that follows the tool that asked for it), then removes the SIP
participant and only then deletes the room, since deleting the room alone has
left phone calls up (livekit/agents#1033).
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Callable, Protocol

from livekit import api

log = logging.getLogger(__name__)

# SIP INFO / RFC 4733 event codes: digits are themselves, then * and #.
DTMF_CODES: dict[str, int] = {**{str(d): d for d in range(10)}, "*": 10, "#": 11}


class DtmfError(ValueError):
    """Digits that cannot be sent as DTMF; the message names the bad key."""


class SpeechPlayout(Protocol):
    """What hang_up needs of a livekit SpeechHandle."""

    def done(self) -> bool: ...

    async def wait_for_playout(self) -> None: ...


class DtmfPublisher(Protocol):
    async def publish_dtmf(self, *, code: int, digit: str) -> None: ...


class RoomLike(Protocol):
    name: str
    local_participant: DtmfPublisher


class RoomService(Protocol):
    """The part of livekit.api's RoomService the hang-up uses."""

    async def remove_participant(self, remove: api.RoomParticipantIdentity) -> Any: ...

    async def delete_room(self, delete: api.DeleteRoomRequest) -> Any: ...


def dtmf_codes(digits: str) -> list[tuple[int, str]]:
    """(code, digit) per key of `digits`; raises DtmfError naming a key that is not 0-9, * or #."""
    if not digits:
        raise DtmfError("no digits to press")
    keys = []
    for digit in digits:
        if digit not in DTMF_CODES:
            raise DtmfError(f"{digit!r} is not a DTMF key (0-9, * and #)")
        keys.append((DTMF_CODES[digit], digit))
    return keys


class LiveKitRoomControls:
    """CallControls for one call in `room`.

    `room_service`: livekit.api's RoomService (`ctx.api.room`). `current_speech`:
    returns the session's current SpeechHandle or None (`lambda: session.current_speech`).
    `key_interval_s`: the cooldown between two keys. `settle_s`: after a speech ends,
    how long to look for the follow-up reply before hanging up. `max_playout_wait_s`:
    the goodbye is never waited on longer than this."""

    def __init__(self, room: RoomLike, room_service: RoomService, *, callee_identity: str,
                 current_speech: Callable[[], SpeechPlayout | None] = lambda: None,
                 key_interval_s: float = 0.3, settle_s: float = 0.4, max_playout_wait_s: float = 20.0,
                 delete_room: bool = True, monotonic: Callable[[], float] = time.monotonic):
        if key_interval_s < 0 or settle_s < 0 or max_playout_wait_s <= 0:
            raise ValueError("key_interval_s and settle_s must be >= 0, max_playout_wait_s > 0")
        self.room = room
        self.room_service = room_service
        self.callee_identity = callee_identity
        self.current_speech = current_speech
        self.key_interval_s = key_interval_s
        self.settle_s = settle_s
        self.max_playout_wait_s = max_playout_wait_s
        self.delete_room = delete_room
        self._monotonic = monotonic
        self._keys = asyncio.Lock()
        self._last_key_at: float | None = None
        self._hang_up: asyncio.Task | None = None
        self._ending_leg = False
        self.ended = asyncio.Event()
        self.pressed: list[str] = []

    async def send_dtmf(self, digits: str) -> None:
        """Publish each key in order, `key_interval_s` apart (also from the previous call's last key)."""
        keys = dtmf_codes(digits)
        async with self._keys:
            for code, digit in keys:
                if self._last_key_at is not None:
                    wait = self.key_interval_s - (self._monotonic() - self._last_key_at)
                    if wait > 0:
                        await asyncio.sleep(wait)
                await self.room.local_participant.publish_dtmf(code=code, digit=digit)
                self._last_key_at = self._monotonic()
                self.pressed.append(digit)

    async def hang_up(self) -> None:
        """Schedule the hang-up after the current speech's playout and return at once.

        Returning at once matters: the agent calls this from inside a tool, and the
        speech that owns the tool cannot finish while the tool waits for it."""
        if self._hang_up is None:
            self._hang_up = asyncio.create_task(self._after_playout(), name="hang-up-after-playout")

    async def wait_ended(self) -> None:
        """Until the SIP leg is removed and the room deleted (after hang_up or end_now)."""
        await self.ended.wait()

    async def end_now(self) -> None:
        """Hang up without waiting for speech (session over, errors): on every path, once."""
        if self._hang_up is not None and not self._hang_up.done():
            # Only the playout wait is cut: a hang-up already removing the callee must go on to delete the room.
            if not self._ending_leg:
                self._hang_up.cancel()
            await asyncio.gather(self._hang_up, return_exceptions=True)
        if not self.ended.is_set():
            await self._end_leg()

    async def _after_playout(self) -> None:
        try:
            await asyncio.wait_for(self._playout(), timeout=self.max_playout_wait_s)
        except asyncio.TimeoutError:
            log.warning("room %s: goodbye still playing after %.0f s; hanging up", self.room.name,
                        self.max_playout_wait_s)
        except Exception as exc:  # a failed speech must not keep the line up
            log.warning("room %s: waiting for playout failed (%s); hanging up", self.room.name, type(exc).__name__)
        await self._end_leg()

    async def _playout(self) -> None:
        waited: set[int] = set()
        while True:
            speech = self.current_speech()
            if speech is not None and id(speech) not in waited and not speech.done():
                waited.add(id(speech))
                await speech.wait_for_playout()
                # A realtime model answers the tool's output with a new speech: that is the goodbye.
                await asyncio.sleep(self.settle_s)
                continue
            return

    async def _end_leg(self) -> None:
        if self.ended.is_set():
            return
        self._ending_leg = True
        try:
            await self._quietly("hang up the SIP leg", self.room_service.remove_participant(
                api.RoomParticipantIdentity(room=self.room.name, identity=self.callee_identity)))
            if self.delete_room:
                await self._quietly("delete the room", self.room_service.delete_room(
                    api.DeleteRoomRequest(room=self.room.name)))
        finally:
            self.ended.set()

    async def _quietly(self, what: str, step) -> None:
        try:
            await step
        except api.TwirpError as exc:
            # The callee hanging up first (not_found) is the normal race at the end of a call.
            if exc.code not in ("not_found", "failed_precondition"):
                log.warning("room %s: could not %s (%s)", self.room.name, what, exc.code)
        except Exception as exc:
            log.warning("room %s: could not %s (%s)", self.room.name, what, type(exc).__name__)
