"""The phone-tree fast path: press the right key the moment the menu makes it clear, without the model.

Feed it the callee side's transcript as it streams (`hear`, interim and final
segments) and the end of each prompt (`prompt_ended`). It runs the domain's
MenuNavigator; when the navigator decides PRESS / SAY (or BACK_OUT / REPEAT
with a key), the fast path sends the keys through CallControls one at a time
with the pause DTMF needs, records them on CallProgress, and tells the agent
through AgentChannel what it did, so the model neither presses again nor keeps
talking over the menu.

It holds back (returns None, leaving the model and the menu's own timeout to
decide) when the only choice is a line to avoid (nurse, refills, billing...):
many practice menus route a caller who presses nothing to an operator.
Interim text is tried on a copy of the navigator, so a guess that the
transcriber later revises leaves no trace.
"""
from __future__ import annotations

import asyncio
import copy
import re
from typing import Any, Awaitable, Callable, Mapping

from application.call.progress import CallProgress
from application.call.stages import CallStages
from application.ports.agent_channel import AgentChannel
from application.ports.call_controls import CallControls
from application.ports.clock import Clock
from domain.contact import Contact
from domain.menu_navigator import MenuNavigator, NavAction, NavDecision, TargetPolicy

DTMF_PAUSE_S = 0.3  # keys pressed faster are lost by some systems (field lesson 3)
_ACTING = (NavAction.PRESS, NavAction.SAY, NavAction.BACK_OUT, NavAction.REPEAT)
_SENTENCES = re.compile(r"(?<=[.?!])\s+")
# "If you know your party's extension, dial it now": a known extension goes straight to the person.
_EXTENSION_PROMPT = re.compile(r"(?i)\bextension\b|\bext\.")


def menu_policy(campaign_settings: Mapping[str, Any] | None, contact: Contact | None) -> TargetPolicy:
    """The campaign's target policy (`settings["menu_targets"]`, defaults when absent) with the contact's names."""
    targets = (campaign_settings or {}).get("menu_targets") or {}
    policy = TargetPolicy.from_settings({"menu_targets": targets})
    if contact is None:
        return policy
    return policy.with_contact(contact.full_name, contact.last_name, contact.first_name)


def is_avoided(decision: NavDecision, policy: TargetPolicy) -> bool:
    """The decision takes a line the policy ranks with the ones to avoid (taken only as a last resort)."""
    return decision.action in (NavAction.PRESS, NavAction.SAY) and policy.avoids(decision.option)


class PhoneTreeFastPath:
    """One call's menu fast path (see the module docstring)."""

    def __init__(self, *, controls: CallControls, progress: CallProgress, channel: AgentChannel | None = None,
                 policy: TargetPolicy | None = None, digit_pause_s: float = DTMF_PAUSE_S,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep, take_avoided_lines: bool = False,
                 stages: CallStages | None = None, extension: str | None = None, clock: Clock | None = None):
        if digit_pause_s < 0:
            raise ValueError(f"digit_pause_s must not be negative, got {digit_pause_s}")
        self.controls = controls
        self.progress = progress
        self.channel = channel
        self.clock = clock
        self.navigator = MenuNavigator(policy)
        self.digit_pause_s = digit_pause_s
        self.take_avoided_lines = take_avoided_lines
        self.stages = stages or CallStages()
        self._sleep = sleep
        self._skip_segment = False  # the rest of a segment whose interim already decided
        self._lock = asyncio.Lock()
        self.actions: list[NavDecision] = []  # what the fast path did, in order
        self.held: NavDecision | None = None  # the last decision it left to the model
        self._answered_prompt = False  # it acted on the current prompt: the model must not answer it too
        self.extension = extension  # the decision maker's, from what the front desk told an earlier call

    @classmethod
    def for_call(cls, *, contact: Contact, campaign_settings: Mapping[str, Any] | None, controls: CallControls,
                 progress: CallProgress, channel: AgentChannel | None = None, **options: Any) -> "PhoneTreeFastPath":
        """The fast path for one call, with the campaign's target policy and the contact's names."""
        return cls(controls=controls, progress=progress, channel=channel,
                   policy=menu_policy(campaign_settings, contact), extension=contact.known.extension, **options)

    @property
    def policy(self) -> TargetPolicy:
        return self.navigator.policy

    # -- transcript events ------------------------------------------------------------------

    async def hear(self, text: str, *, final: bool) -> NavDecision | None:
        """A transcript segment of the callee side; `final` when the transcriber committed it.

        Returns the decision acted on, or None when nothing was sent.
        """
        if not isinstance(text, str):
            raise TypeError(f"transcript text must be a str, not {type(text).__name__}")
        async with self._lock:
            if self._skip_segment:
                self._skip_segment = not final
                return None
            if not text.strip():
                return None
            if self.extension and _EXTENSION_PROMPT.search(text):
                extension, self.extension = self.extension, None  # dialed once: a repeated prompt gets the menu
                self._skip_segment = not final
                return await self._act(NavDecision(NavAction.PRESS, digits=extension,
                                                   reason="the decision maker's extension, known from the front desk"))
            if final:
                decision = self.navigator.hear(text)
                return await self._act(decision) if decision.action in _ACTING or \
                    decision.action is NavAction.STAY_ON_LINE else None
            probe = self._probe()
            decision = probe.hear(text)
            if decision.action in _ACTING or decision.action is NavAction.STAY_ON_LINE:
                self.navigator = probe
                self._skip_segment = True
                return await self._act(decision)
            return None

    async def prompt_ended(self) -> NavDecision | None:
        """The callee side went quiet after a prompt: choose from what was heard, if the choice is sound."""
        async with self._lock:
            self._skip_segment = False
            probe = self._probe()
            decision = probe.hear("", final=True)
            if decision.action is NavAction.WAIT:
                self.navigator = probe  # what it waited on (a data-entry prompt, a tie) is remembered
                return None
            if decision.action is NavAction.GIVE_UP or (
                    is_avoided(decision, self.policy) and not self.take_avoided_lines):
                self.held = decision
                return None
            self.navigator = probe
            return await self._act(decision)

    async def hear_prompt(self, text: str) -> NavDecision | None:
        """A whole prompt at once (text mode): fed sentence by sentence as final segments, then ended."""
        for sentence in (s for s in _SENTENCES.split(text.strip()) if s):
            acted = await self.hear(sentence, final=True)
            if acted is not None:
                return acted
        return await self.prompt_ended()

    def new_prompt(self) -> None:
        """A new prompt begins (e.g. the line spoke again after the keys went out)."""
        self.navigator.reset()
        self._skip_segment = False
        self._answered_prompt = False

    def take_answered_prompt(self) -> bool:
        """True once after the fast path acted on a prompt: the model's turn on that prompt is to be skipped.

        On sound the fast path acts on the streamed words, before the callee's turn is committed; the
        model would otherwise answer the same menu again (the keys pressed twice)."""
        answered, self._answered_prompt = self._answered_prompt, False
        return answered

    def menu_repeated(self) -> None:
        """The same menu played again after the last choice (a loop)."""
        self.navigator.menu_repeated()

    async def dead_end(self, *, hung_up: bool = False) -> NavDecision:
        """The last choice reached a voicemail box or a line that hangs up; backs out with 0 when it can."""
        async with self._lock:
            decision = self.navigator.reached_dead_end(hung_up=hung_up)
            if decision.digits:
                await self._act(decision)
            return decision

    def consult(self, text: str) -> NavDecision:
        """What the navigator would do with this whole prompt, without acting or changing its state."""
        probe = self._probe()
        probe.reset()
        return probe.hear(text, final=True)

    # -- acting --------------------------------------------------------------------------------

    def _probe(self) -> MenuNavigator:
        return copy.deepcopy(self.navigator, memo={id(self.navigator.policy): self.navigator.policy})

    async def _act(self, decision: NavDecision) -> NavDecision:
        self.progress.heard_menu = True
        self.stages.navigating()
        if decision.digits:
            self.progress.pressed(decision.digits)
            for index, digit in enumerate(decision.digits):
                if index:
                    await self._sleep(self.digit_pause_s)
                await self.controls.send_dtmf(digit)
        elif decision.say and self.channel is not None:
            await self.channel.speak_to_menu(decision.say)
        self.actions.append(decision)
        self._answered_prompt = True
        if decision.action is NavAction.BACK_OUT and decision.digits:
            # A key the menu did not offer: the call's transcript says why it was pressed.
            self.progress.said("system", f"pressed {decision.digits}, which the menu did not offer: {decision.reason}",
                               self.clock.now() if self.clock is not None else self.progress.started_at)
        if self.channel is not None:
            await self.channel.note_menu_action(decision)
        return decision
