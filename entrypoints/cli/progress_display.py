"""A progress bar for long work, on stderr and only on a terminal (never mixed into --json or a pipe)."""
from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from typing import Callable, Iterator, Optional

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

Advance = Callable[[Optional[str]], None]


def wanted(as_json: bool = False) -> bool:
    return not as_json and sys.stderr.isatty() and os.environ.get("TERM") != "dumb"


@contextmanager
def progress_bar(label: str, total: int, *, show: bool) -> Iterator[Advance]:
    """Yields `advance(description=None)`: one unit done. Draws nothing when `show` is false."""
    if not show:
        yield lambda description=None: None
        return
    with Progress(TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("", total=total)

        def advance(description: Optional[str] = None) -> None:
            bar.update(task, advance=1, **({"description": description} if description is not None else {}))

        yield advance
