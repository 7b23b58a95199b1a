"""An AgentSession's events fed to the call core, and the core's answers carried out on the session.

Shared by the shells that let livekit-agents run the turns (the LiveKit job, and the simulator's audio
harness): the final transcript lines go to `callee_said` / `agent_said`, the streamed words to the
listeners (`callee_words`), the end of the callee's speech to `prompt_ended`, the moments either side starts
speaking to the call's progress; a `Reply` becomes
`generate_reply(instructions=...)`, a `HangUp` the controls' hang-up. The text-mode shell runs its turns
itself and feeds the core directly.
"""
from __future__ import annotations

from typing import Any

from application.call.core import Action, CallCore, HangUp, Reply
from domain.voicemail_detector import Answerer, GreetingVerdict

# livekit-agents AMD categories (infrastructure.answering_machine), as the core's verdicts.
AMD_VERDICTS = {"human": Answerer.HUMAN, "machine-ivr": Answerer.IVR, "machine-vm": Answerer.VOICEMAIL,
                "machine-unavailable": Answerer.MAILBOX_FULL, "uncertain": Answerer.UNCERTAIN}


class SessionFeed:
    core: CallCore | None = None
    session: Any = None

    def attach(self, session: Any) -> None:
        """Feed `session`'s (an AgentSession's) events to the core."""
        self.session = session
        session.on("conversation_item_added", self._on_item_added)
        session.on("user_input_transcribed", self._on_user_transcribed)
        session.on("user_state_changed", self._on_user_state)
        session.on("agent_state_changed", self._on_agent_state)

    def act(self, action: Action | None) -> None:
        """Carry out what the core decided: a reply with its instructions, or a hang-up."""
        if self.core is None:
            return
        if isinstance(action, Reply) and self.session is not None:
            self.session.generate_reply(instructions=action.instructions)
        elif isinstance(action, HangUp):
            self.core.spawn(self.core.controls.hang_up())

    def amd_verdict(self, category: str, *, reason: str = "", delay_s: float | None = None) -> Action | None:
        """The answering-machine detector's verdict, for the core to map; the verdict's transcript stays out
        (the callee's words)."""
        if self.core is None:
            return None
        verdict = GreetingVerdict(AMD_VERDICTS.get(category, Answerer.UNCERTAIN), rule=category)
        return self.core.verdict(verdict, source="amd", reason=reason, delay_s=delay_s)

    def agent_line(self, item: Any) -> None:
        """Hook: a final line of the agent's (after the core has it)."""

    def callee_line(self, item: Any) -> None:
        """Hook: a final line of the callee side's (before the core judges it)."""

    # -- session events (sync callbacks: the emitter does not await)

    def _on_item_added(self, event: Any) -> None:
        item = event.item
        text = (item.text_content or "").strip() if getattr(item, "type", None) == "message" else ""
        if not text or item.role not in ("user", "assistant") or self.core is None:
            return
        if item.role == "assistant":
            self.core.agent_said(text)
            self.agent_line(item)
        else:
            self.callee_line(item)
            self.act(self.core.callee_said(text))

    def _on_user_transcribed(self, event: Any) -> None:
        if event.transcript and self.core is not None:
            self.core.spawn(self.core.callee_words(event.transcript, final=bool(event.is_final)))

    def _on_user_state(self, event: Any) -> None:
        if self.core is None:
            return
        if getattr(event, "new_state", None) == "speaking":
            self.core.progress.callee_speaking(self.core.clock.now())
        if getattr(event, "old_state", None) == "speaking" and getattr(event, "new_state", None) != "speaking":
            self.core.spawn(self.core.prompt_ended())

    def _on_agent_state(self, event: Any) -> None:
        # The speaking moments time the first reply (the callee's first words to the agent's).
        if getattr(event, "new_state", None) == "speaking" and self.core is not None:
            self.core.progress.agent_speaking(self.core.clock.now())
