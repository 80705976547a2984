"""Knowing when the learner saved a file, for `grade watch`.

Change events come from watchdog (inotify, FSEvents, kqueue, ReadDirectoryChangesW): they
wake the watcher at once. Events do not arrive everywhere (network drives, some container
and VM mounts, a full inotify table), so the files' contents are also compared every
``poll_interval`` seconds whatever happens: events make it fast, the poll makes it sure.
Only a change of content counts, so an editor that touches a file without changing it, or
writes it in two steps, triggers one re-grade, after the file has been quiet for
``debounce`` seconds.
"""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path
from typing import Any

MODE_EVENTS = "file events"
MODE_WATCHDOG_POLLING = "polling (watchdog)"
MODE_POLLING = "polling"
WRITE_EVENTS = frozenset({"modified", "created", "moved", "deleted", "closed"})


class FileWatcher:
    def __init__(self, paths: list[Path], *, use_events: bool = True, poll_interval: float = 1.0) -> None:
        self.paths = [Path(p).absolute() for p in paths]
        self.use_events = use_events
        self.poll_interval = poll_interval
        self.mode = MODE_POLLING
        self._wake = threading.Event()
        self._observer: Any = None
        self._seen = self.signature()

    def signature(self) -> tuple[str | None, ...]:
        out: list[str | None] = []
        for p in self.paths:
            try:
                out.append(hashlib.sha256(p.read_bytes()).hexdigest())
            except OSError:
                out.append(None)  # missing for a moment while an editor saves
        return tuple(out)

    def start(self) -> str:
        """Start listening; returns how changes are noticed (for the footer)."""
        if self.use_events:
            self._observer, self.mode = self._start_observer()
        return self.mode

    def _start_observer(self) -> tuple[Any, str]:
        try:
            from watchdog.events import FileSystemEvent, FileSystemEventHandler
            from watchdog.observers import Observer
            from watchdog.observers.polling import PollingObserver
        except ImportError:
            return None, MODE_POLLING
        names = {str(p) for p in self.paths}
        wake = self._wake

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                # Reading a file raises "opened" and "closed_no_write" events: reacting to
                # those would make the watcher's own reads wake it forever.
                if event.event_type not in WRITE_EVENTS:
                    return
                # Editors save by writing a temp file and renaming it over the original:
                # the watched name can be the source or the destination of the event.
                paths = {str(getattr(event, "src_path", "")), str(getattr(event, "dest_path", "") or "")}
                if paths & names:
                    wake.set()

        folders = sorted({str(p.parent) for p in self.paths})
        for factory, mode in ((Observer, MODE_EVENTS), (PollingObserver, MODE_WATCHDOG_POLLING)):
            observer = factory()
            try:
                for folder in folders:
                    observer.schedule(Handler(), folder, recursive=False)
                observer.start()
            except Exception:  # e.g. the inotify watch limit: fall back to polling
                try:
                    observer.stop()
                except Exception:
                    pass
                continue
            return observer, mode
        return None, MODE_POLLING

    def wait(self, *, debounce: float = 0.3, timeout: float | None = None) -> bool:
        """Block until the files' contents change and stay unchanged for ``debounce`` s.

        Returns False if ``timeout`` passes first.
        """
        end = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if end is None else end - time.monotonic()
            if left is not None and left <= 0:
                return False
            self._wake.wait(self.poll_interval if left is None else min(self.poll_interval, left))
            self._wake.clear()
            current = self.signature()
            if current == self._seen:
                continue
            while True:  # debounce: until a whole quiet period passes with no new change
                if self._wake.wait(debounce):
                    self._wake.clear()
                    current = self.signature()
                    continue
                settled = self.signature()
                if settled == current:
                    break
                current = settled
            if current == self._seen:
                continue
            self._seen = current
            return True

    def stop(self) -> None:
        if self._observer is not None:
            try:
                self._observer.stop()
                self._observer.join(timeout=2.0)
            except Exception:
                pass
            self._observer = None

    def __enter__(self) -> FileWatcher:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
