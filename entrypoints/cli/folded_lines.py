"""Plain lines for an 80-column terminal: long reasons and speech fold at word boundaries, never cut."""
from __future__ import annotations

import shutil
import textwrap

import typer


class FoldedLines:
    """Echoes lines folded to the terminal's width, at most 80 columns."""

    def __init__(self, width: int | None = None):
        self.width = width or min(80, shutil.get_terminal_size((80, 24)).columns)

    def say(self, text: str, indent: int = 0, hang: int = 2) -> None:
        if not text:
            typer.echo("")
            return
        typer.echo(textwrap.fill(text, width=self.width, initial_indent=" " * indent,
                                 subsequent_indent=" " * (indent + hang), break_on_hyphens=False))
