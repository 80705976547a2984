"""What several commands print the same way: a ticker for long gradings, a progress bar for
many, and text tables, all drawn with rich.

Changes when the look of the terminal output that several commands share changes.

rich is imported inside the functions that draw, never at import: ``grade ex01`` must start
fast, and a grading that ends before the ticker's delay never imports it at all.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import sys
import threading
import time
from collections.abc import Sequence
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

TICKER_DETAIL = "check {done} of {total}: {name}"
TICKER_CLOCK = "… {task.fields[seconds]:.0f} s (Ctrl-C stops)"
DETAIL_WIDTH = 40  # a check's name cut to this: the ticker stays on one line
INDENT = "  "
# Without a terminal nobody reads a table's frame: tests, pipes and logs get plain columns.
_WIDE = 10_000  # no wrapping when the lines are not drawn on a terminal
_TAIL = re.compile(r"(?: |\x1b\[[0-9;]*m)+$")  # a line's trailing blanks, among the style codes that close it


def _is_tty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _console(file: Any, *, terminal: bool, width: int | None = None) -> Console:
    """A console writing to ``file``; NO_COLOR (read by rich itself) leaves colour out."""
    from rich.console import Console

    return Console(
        file=file, force_terminal=terminal, color_system="standard", width=width, highlight=False,
        emoji=False, markup=False, legacy_windows=False, soft_wrap=False,
    )


class Ticker:
    """Shows "grading ex07 · check 5 of 26: … 12 s" on the terminal during a long grading.

    Writes to a duplicate of the terminal's file descriptor taken before grading starts:
    pytest captures fd 2 while the checks run, and the ticker must get past that. Silent
    when stderr is not a terminal, and for gradings shorter than ``delay``: rich is imported
    only once that delay has passed, in the ticker's thread, so a quick grading never pays
    for it. The line is erased when the grading ends (the score card follows).
    """

    def __init__(self, label: str, *, delay: float = 2.0, interval: float = 0.25, force: bool = False) -> None:
        self.label, self.delay, self.interval = label, delay, interval
        self.enabled = force or _is_tty(sys.stderr)
        self._stop = threading.Event()
        self._lock = threading.Lock()  # the drawing thread and __exit__ never touch the display at once
        self._thread: threading.Thread | None = None
        self._fd = -1
        self._file: IO[str] | None = None  # over _fd, closed before it (its number may be reused)
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._done: tuple[int, int | None] = (0, None)
        self.detail = ""  # "check 5 of 26: ...", set from the grading thread through update()

    def update(self, done: int, total: int, name: str) -> None:
        """Progress from the grader: which check is running."""
        self.detail = TICKER_DETAIL.format(done=done, total=total, name=name[:DETAIL_WIDTH])
        self._done = (max(done - 1, 0), total)  # check ``done`` is running: ``done - 1`` are over

    def __enter__(self) -> Ticker:
        if self.enabled:
            try:
                self._fd = os.dup(sys.stderr.fileno())
            except (OSError, ValueError, AttributeError):
                return self
            self._thread = threading.Thread(target=self._run, name="grade-ticker", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        started = time.monotonic()
        if self._stop.wait(self.delay):
            return
        try:
            with self._lock:
                if self._stop.is_set():
                    return
                self._start_drawing()
            while True:
                with self._lock:
                    if self._stop.is_set() or self._progress is None:
                        return
                    self._draw(time.monotonic() - started)
                if self._stop.wait(self.interval):
                    return
        except (OSError, ImportError):  # the terminal went away, or no rich: the grading goes on without the ticker
            self._stop.set()

    def _start_drawing(self) -> None:
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn

        self._file = file = os.fdopen(self._fd, "w", encoding="utf-8", errors="replace", closefd=False)
        # Our thread refreshes it (auto_refresh off): no second thread, and nothing redirected,
        # since pytest holds sys.stdout and sys.stderr while the checks run.
        self._progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(bar_width=20),
            TextColumn("{task.fields[detail]}"), TextColumn(TICKER_CLOCK),
            console=_console(file, terminal=True), auto_refresh=False, transient=True,
            redirect_stdout=False, redirect_stderr=False,
        )
        self._task = self._progress.add_task(self.label, total=None, detail="", seconds=0.0)
        self._progress.start()

    def _draw(self, seconds: float) -> None:
        assert self._progress is not None and self._task is not None
        done, total = self._done
        self._progress.update(self._task, completed=done, total=total, detail=self.detail, seconds=seconds)
        self._progress.refresh()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
        with self._lock:  # a thread still importing rich finds the stop set and draws nothing
            if self._progress is not None:
                try:
                    self._progress.stop()  # transient: the line is erased
                except OSError:
                    pass
                self._progress = None
            if self._file is not None:
                try:
                    self._file.close()  # closefd=False: flushes, leaves _fd to us
                except OSError:
                    pass
                self._file = None
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1


class Bar:
    """A progress bar on stderr for many gradings (grade batch): "grading 34 submissions ━━━ 12/34 0:00:08".

    Without a terminal it prints its label once, as a log line, and nothing else.
    """

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total = label, total
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> Bar:
        import click

        if not _is_tty(sys.stderr):
            click.echo(self.label, err=True)
            return self
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), TimeRemainingColumn(),
            console=_console(sys.stderr, terminal=True),
        )
        self._task = self._progress.add_task(self.label, total=self.total)
        self._progress.start()
        return self

    def advance(self, n: int = 1) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, n)

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.stop()  # the finished bar stays: how long the class took
            self._progress = None


def table(heads: Sequence[str], rows: Sequence[Sequence[str]], last_styles: Sequence[str] | None = None) -> list[str]:
    """A two-space indented table of dim headings and columns padded to their widest cell,
    as lines for click.echo (which drops the styles where stdout is not a terminal).

    ``last_styles`` (one rich style per row, "" for none, e.g. "green") styles each row's last
    cell. On a terminal a rule sits under the headings and the widest cells are shortened
    ("…") to fit its width; elsewhere the columns are plain and whole, and no line ends in blanks.
    """
    from rich import box
    from rich.table import Table
    from rich.text import Text

    terminal = _is_tty(sys.stdout)
    grid = Table(
        box=box.SIMPLE_HEAD if terminal else None, show_edge=False, pad_edge=False,
        padding=(0, 1, 0, 0) if terminal else (0, 1), header_style="dim",
    )
    for head in heads:
        grid.add_column(head)  # wrappable, to rich: so that it narrows the widest columns first to fit

    def cell(text: str, style: str = "") -> Text:
        return Text(text, style=style, no_wrap=True, overflow="ellipsis")  # one line a row, cut with "…"

    for k, row in enumerate(rows):
        grid.add_row(*(cell(v) for v in row[:-1]), cell(row[-1], last_styles[k] if last_styles is not None else ""))
    width = max(shutil.get_terminal_size().columns - len(INDENT), 20) if terminal else _WIDE
    out = io.StringIO()
    # Styles are always written (click.echo strips them off a terminal): callers style alike.
    _console(out, terminal=True, width=width).print(grid)
    return [INDENT + _TAIL.sub(lambda tail: tail[0].replace(" ", ""), line) for line in out.getvalue().splitlines()]
