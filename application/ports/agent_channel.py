"""How the call core reaches the conversational agent without a model round trip.

Production implements it on the LiveKit session (interrupt, say, chat context, instructions);
text mode implements it on the text-mode session and the simulated practice.
"""
from __future__ import annotations

from typing import Protocol

from domain.menu_navigator import NavDecision


class AgentChannel(Protocol):
    async def speak_to_menu(self, words: str) -> None:
        """Say `words` to a speech-driven menu at once (not through the model)."""

    async def note_menu_action(self, decision: NavDecision) -> None:
        """Tell the model what the fast path did (keys sent, word said, staying on the line), and stop
        anything it is saying, so it neither presses again nor talks over the menu."""

    async def update_instructions(self, instructions: str) -> None:
        """Replace the model's instructions for its next reply, without interrupting its speech."""
