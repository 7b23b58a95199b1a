"""LiveKitRoomControls against a fake room and room service: keys with a cooldown, hang-up after playout."""
from __future__ import annotations

import asyncio

import pytest
from livekit import api

from infrastructure.livekit_room_controls import DtmfError, LiveKitRoomControls, dtmf_codes


class Keypad:
    def __init__(self, fail_on: str | None = None):
        self.sent: list[tuple[int, str, float]] = []
        self.fail_on = fail_on

    async def publish_dtmf(self, *, code: int, digit: str) -> None:
        if digit == self.fail_on:
            raise ConnectionError("room disconnected")
        self.sent.append((code, digit, asyncio.get_running_loop().time()))


class FakeRoom:
    def __init__(self, keypad: Keypad | None = None):
        self.name = "call-abc"
        self.local_participant = keypad or Keypad()


class RoomService:
    """Records what the hang-up asks of LiveKit, in order; can answer like a server whose callee already left."""

    def __init__(self, callee_gone: bool = False):
        self.calls: list[tuple[str, str]] = []
        self.callee_gone = callee_gone

    async def remove_participant(self, remove: api.RoomParticipantIdentity):
        self.calls.append(("remove_participant", f"{remove.room}/{remove.identity}"))
        if self.callee_gone:
            raise api.TwirpError("not_found", "participant not found", status=404)

    async def delete_room(self, delete: api.DeleteRoomRequest):
        self.calls.append(("delete_room", delete.room))


class Speech:
    """A SpeechHandle stand-in whose playout ends when the test says so."""

    def __init__(self):
        self.finished = asyncio.Event()
        self.waited = 0

    def done(self) -> bool:
        return self.finished.is_set()

    async def wait_for_playout(self) -> None:
        self.waited += 1
        await self.finished.wait()


def test_dtmf_codes_follow_rfc_4733():
    assert dtmf_codes("09*#") == [(0, "0"), (9, "9"), (10, "*"), (11, "#")]


@pytest.mark.parametrize("digits, named", [("", "no digits"), ("1a", "'a'"), ("4 ", "' '")])
def test_bad_keys_are_refused_by_name(digits, named):
    with pytest.raises(DtmfError, match=named):
        dtmf_codes(digits)


async def test_keys_go_out_in_order_with_the_cooldown_between_them():
    room = FakeRoom()
    controls = LiveKitRoomControls(room, RoomService(), callee_identity="callee", key_interval_s=0.05)
    await controls.send_dtmf("1#")
    await controls.send_dtmf("4")
    sent = room.local_participant.sent
    assert [(c, d) for c, d, _ in sent] == [(1, "1"), (11, "#"), (4, "4")]
    gaps = [b[2] - a[2] for a, b in zip(sent, sent[1:])]
    # The cooldown also holds across two separate presses (the second call waited for the first).
    assert all(gap >= 0.045 for gap in gaps), gaps
    assert controls.pressed == ["1", "#", "4"]


async def test_concurrent_presses_do_not_interleave():
    room = FakeRoom()
    controls = LiveKitRoomControls(room, RoomService(), callee_identity="callee", key_interval_s=0.01)
    await asyncio.gather(controls.send_dtmf("123"), controls.send_dtmf("#*"))
    digits = "".join(d for _, d, _ in room.local_participant.sent)
    assert digits in ("123#*", "#*123")


async def test_a_bad_key_sends_nothing():
    room = FakeRoom()
    controls = LiveKitRoomControls(room, RoomService(), callee_identity="callee", key_interval_s=0)
    with pytest.raises(DtmfError):
        await controls.send_dtmf("12x")
    assert room.local_participant.sent == []


async def test_hang_up_returns_at_once_and_ends_the_leg_only_after_the_goodbye_played():
    service = RoomService()
    speech = Speech()
    controls = LiveKitRoomControls(FakeRoom(), service, callee_identity="callee",
                                   current_speech=lambda: speech, settle_s=0)
    await controls.hang_up()  # called from inside the tool: must not wait for its own speech
    await asyncio.sleep(0.02)
    assert service.calls == [] and not controls.ended.is_set()
    speech.finished.set()
    await asyncio.wait_for(controls.wait_ended(), timeout=5)
    # The SIP leg first: deleting the room alone has left phone calls up.
    assert service.calls == [("remove_participant", "call-abc/callee"), ("delete_room", "call-abc")]


async def test_hang_up_also_waits_for_the_reply_that_follows_the_tool():
    service = RoomService()
    tool_turn, goodbye = Speech(), Speech()
    current = [tool_turn]
    controls = LiveKitRoomControls(FakeRoom(), service, callee_identity="callee",
                                   current_speech=lambda: current[0], settle_s=0.01)
    await controls.hang_up()
    await asyncio.sleep(0.01)  # the hang-up is waiting on the tool's turn
    current[0] = goodbye  # the realtime model answers the tool output with a new speech
    tool_turn.finished.set()
    await asyncio.sleep(0.05)
    assert service.calls == []
    goodbye.finished.set()
    await asyncio.wait_for(controls.wait_ended(), timeout=5)
    assert tool_turn.waited == 1 and goodbye.waited == 1
    assert [c for c, _ in service.calls] == ["remove_participant", "delete_room"]


async def test_a_goodbye_that_never_ends_is_cut_at_the_limit():
    service = RoomService()
    controls = LiveKitRoomControls(FakeRoom(), service, callee_identity="callee", current_speech=Speech,
                                   max_playout_wait_s=0.05)
    await controls.hang_up()
    await asyncio.wait_for(controls.wait_ended(), timeout=5)
    assert [c for c, _ in service.calls] == ["remove_participant", "delete_room"]


async def test_end_now_hangs_up_without_waiting_and_only_once():
    service = RoomService()
    controls = LiveKitRoomControls(FakeRoom(), service, callee_identity="callee", current_speech=Speech)
    await controls.hang_up()
    await controls.end_now()
    await controls.end_now()
    await controls.hang_up()
    assert service.calls == [("remove_participant", "call-abc/callee"), ("delete_room", "call-abc")]


async def test_a_callee_who_already_hung_up_does_not_stop_the_room_deletion():
    service = RoomService(callee_gone=True)
    controls = LiveKitRoomControls(FakeRoom(), service, callee_identity="callee")
    await controls.end_now()
    assert [c for c, _ in service.calls] == ["remove_participant", "delete_room"] and controls.ended.is_set()


class SlowRoomService(RoomService):
    """Answers remove_participant only when the test lets it."""

    def __init__(self):
        super().__init__()
        self.removing = asyncio.Event()
        self.release = asyncio.Event()

    async def remove_participant(self, remove: api.RoomParticipantIdentity):
        self.calls.append(("remove_participant", f"{remove.room}/{remove.identity}"))
        self.removing.set()
        await self.release.wait()


async def test_ending_now_while_the_hang_up_is_removing_the_callee_still_deletes_the_room():
    service = SlowRoomService()
    controls = LiveKitRoomControls(FakeRoom(), service, callee_identity="callee", settle_s=0)
    await controls.hang_up()
    await asyncio.wait_for(service.removing.wait(), timeout=2)
    ending = asyncio.create_task(controls.end_now())  # the session closed meanwhile (the callee hung up too)
    await asyncio.sleep(0.01)
    service.release.set()
    await asyncio.wait_for(ending, timeout=2)
    assert service.calls == [("remove_participant", "call-abc/callee"), ("delete_room", "call-abc")]
    assert controls.ended.is_set()
