"""What several commands print the same way: a ticker for long gradings, and text tables.

Changes when the look of the terminal output that several commands share changes.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

import click


class Ticker:
    """Shows "grading ex07 … 12 s" on the terminal during a long grading.

    Writes to a duplicate of the terminal's file descriptor taken before grading starts:
    pytest captures fd 2 while the checks run, and the ticker must get past that. Silent
    when stderr is not a terminal, and for gradings shorter than ``delay``.
    """

    def __init__(self, label: str, *, delay: float = 2.0, interval: float = 0.5, force: bool = False) -> None:
        self.label, self.delay, self.interval = label, delay, interval
        self.enabled = force or _stderr_is_tty()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._fd = -1
        self._drawn = False
        self.detail = ""  # "check 5 of 26", set from the grading thread through update()

    def update(self, done: int, total: int, name: str) -> None:
        """Progress from the grader: which check is running."""
        self.detail = f"check {done} of {total}: {name[:40]}"

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
        while not self._stop.is_set():
            detail = f" · {self.detail}" if self.detail else ""
            self._write(f"\r{self.label}{detail} … {time.monotonic() - started:.0f} s (Ctrl-C stops) \033[K")
            self._drawn = True
            self._stop.wait(self.interval)

    def _write(self, text: str) -> None:
        try:
            os.write(self._fd, text.encode("utf-8", "replace"))
        except OSError:
            self._stop.set()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
        if self._fd >= 0:
            if self._drawn:
                self._write("\r\x1b[2K")  # erase the line: the score card follows
            os.close(self._fd)
            self._fd = -1


def _stderr_is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def table(
    heads: Sequence[str], rows: Sequence[Sequence[str]], last_styles: Sequence[Mapping[str, Any]] | None = None
) -> list[str]:
    """A two-space indented table: dim headings, columns padded to their widest cell.

    With ``last_styles`` (one click style per row) each row's last cell is styled, unpadded;
    without, each row is stripped of trailing blanks.
    """
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(heads)]
    lines = ["  " + click.style("  ".join(h.ljust(w) for h, w in zip(heads, widths)).rstrip(), dim=True)]
    for k, r in enumerate(rows):
        if last_styles is None:
            lines.append("  " + "  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip())
        else:
            padded = "  ".join(v.ljust(w) for v, w in zip(r[:-1], widths))
            lines.append("  " + padded + "  " + click.style(r[-1], **last_styles[k]))
    return lines
