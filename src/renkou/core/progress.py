"""Progress bars for long work on the command line (rich), as a plain ``callback(done, total)``."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


@contextlib.contextmanager
def progress_bar(label: str, enabled: bool | None = None) -> Iterator[Callable[[int, int], None]]:
    """Yield a ``callback(done, total)`` that draws a bar on stderr (silent when not a terminal)."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield lambda done, total: None
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TimeRemainingColumn(), transient=False) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@contextlib.contextmanager
def progress_board(enabled: bool | None = None) -> Iterator[Callable[[str], Callable[[int, int], None]]]:
    """One display for several steps: yields ``task(label) -> callback(done, total)``."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield lambda label: (lambda done, total: None)
        return
    with Progress(TextColumn("{task.description:<40}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TimeRemainingColumn()) as bar:

        def task(label: str) -> Callable[[int, int], None]:
            tid = bar.add_task(label, total=None)

            def update(done: int, total: int) -> None:
                bar.update(tid, completed=done, total=total)

            return update

        yield task
