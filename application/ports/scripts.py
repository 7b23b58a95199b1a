from __future__ import annotations

from typing import Protocol

from domain.script import Script


class ScriptCatalog(Protocol):
    async def for_campaign(self, batch: str, script_id: str | None) -> Script:
        """The stored script for this batch/sequence, else the shipped default."""

    async def save(self, batch: str, script: Script) -> None: ...
