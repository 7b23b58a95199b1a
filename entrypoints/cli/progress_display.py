"""A progress bar for long work, on stderr and only on a terminal (never mixed into --json or a pipe)."""
from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from typing import Iterator, Optional

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn


def wanted(as_json: bool = False) -> bool:
    return not as_json and sys.stderr.isatty() and os.environ.get("TERM") != "dumb"


class Advance:
    """`advance(description=None)`: one unit done; `advance.more(n)`: n units found on the way."""

    def __init__(self, bar: Progress | None = None, task: TaskID | None = None, total: int = 0):
        self._bar, self._task, self._total = bar, task, total

    def __call__(self, description: Optional[str] = None) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, advance=1,
                             **({"description": description} if description is not None else {}))

    def more(self, units: int) -> None:
        self._total += units
        if self._bar is not None and self._task is not None and units:
            self._bar.update(self._task, total=self._total)


@contextmanager
def progress_bar(label: str, total: int, *, show: bool) -> Iterator[Advance]:
    """Yields an `Advance`. Draws nothing when `show` is false."""
    if not show:
        yield Advance()
        return
    with Progress(TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                  console=Console(stderr=True), transient=True) as bar:
        yield Advance(bar, bar.add_task("", total=total), total)
