"""``grade reset``'s work: put an exercise's untouched stub back, after backing up the learner's files.

Changes when the restore-and-backup rule changes: where backups go, what counts as changed,
the order in which files are kept and replaced.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from grader.course import Course, Exercise
from grader.errors import UsageError

NO_STUB = (
    "No untouched copy of the {id} stub could be found: none was saved, the course is not a "
    "git checkout, and {file} {why}. Ask your instructor for a fresh copy."
)
UNREADABLE = "could not be read as Python"
MISSING = "is missing"
BACKUPS_FOLDER = "backups"


@dataclass(frozen=True)
class Reset:
    """What a reset did: nothing when ``restored`` is empty (the files already are the stub)."""

    restored: list[str]  # the learner files put back, by name
    origin: str  # where the stub came from, in words
    backup: Path | None = None  # the folder holding the learner's versions
    kept: list[tuple[Path, Path]] = field(default_factory=list)  # (backup copy, file it came from)


def reset(course: Course, exercise: Exercise) -> Reset:
    """Restore the stub of ``exercise``; every file replaced is backed up first."""
    from grader.learner.history import open_store
    from grader.learner.pristine import pristine_stub, write_text_atomic
    from grader.learner.store import state_dir

    store = open_store(course)
    folder = store.folder if store else state_dir(course)
    stub = pristine_stub(course, exercise, folder)
    if stub is None:
        why = MISSING if exercise.missing_learner_files() else UNREADABLE
        raise UsageError(NO_STUB.format(id=exercise.id, file=exercise.learner_paths[0], why=why))
    changed = [name for name, text in stub.files.items() if _read(exercise.directory / name) != text]
    if not changed:
        return Reset([], stub.origin)
    backup = folder / BACKUPS_FOLDER / exercise.folder / time.strftime("%Y%m%d-%H%M%S")
    n = 1
    while backup.exists():  # two resets within a second keep both versions
        backup = backup.with_name(f"{backup.name.split('.')[0]}.{n}")
        n += 1
    kept: list[tuple[Path, Path]] = []
    for name in changed:
        target = exercise.directory / name
        if target.exists():
            saved = backup / name
            saved.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(target, saved)
            kept.append((saved, target))
    # Backups are complete before any file is overwritten.
    for name in changed:
        write_text_atomic(exercise.directory / name, stub.files[name])
    if store is not None:
        store.touch(exercise.id)
    return Reset(changed, stub.origin, backup, kept)


def stub_origin(course: Course, exercise: Exercise) -> str | None:
    """Where `grade reset` would take the stub of ``exercise`` from, in words (None: nowhere)."""
    from grader.learner.pristine import pristine_stub

    stub = pristine_stub(course, exercise, _state_folder(course))
    return None if stub is None else stub.origin


def _state_folder(course: Course) -> Path:
    """The folder holding the course's snapshots: the store's (it may fall back when the course
    folder is read-only), else where it would be."""
    from grader.learner.history import open_store
    from grader.learner.store import state_dir

    store = open_store(course)
    return store.folder if store else state_dir(course)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
