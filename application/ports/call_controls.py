"""What the sales agent's tools do to the phone line itself.

Text-mode calls (the simulated practice) implement it by telling the practice;
production implements it on the LiveKit room (SIP DTMF, removing the SIP leg).
"""
from __future__ import annotations

from typing import Protocol


class CallControls(Protocol):
    async def send_dtmf(self, digits: str) -> None:
        """Press `digits` (0-9, * and #) on the line, in order, with the pause a keypad needs."""

    async def hang_up(self) -> None:
        """End the call after whatever the agent is saying has been heard."""
