"""``grade reset EXERCISE``: put the untouched stub back, keeping the learner's version."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import click

RESTORED = "Restored the stub of {id} ({files}) from {origin}."
BACKED_UP = "Your version is kept in {backup}"
BACKUP_HINT = "To get it back: cp {src} {dst}"
ALREADY = "{file} is already the untouched stub: nothing to reset."
NO_STUB = (
    "No untouched copy of the {id} stub could be found: none was saved, the course is not a "
    "git checkout, and {file} could not be read as Python. Ask your instructor for a fresh copy."
)
BACKUPS_FOLDER = "backups"


@click.command("reset")
@click.argument("exercise")
@click.pass_context
def command(ctx: click.Context, exercise: str) -> None:
    """Put the untouched stub of EXERCISE back in place of your file, to start over.

    Your current version is not lost: it is copied to a backup folder whose path is
    printed, with the command that brings it back. Your progress (best score, hints)
    is kept.
    """
    from grader.cli import load
    from grader.errors import UsageError
    from grader.learner.history import open_store
    from grader.learner.pristine import pristine_stub, write_text_atomic
    from grader.learner.store import state_dir

    course = load(ctx)
    ex = course.resolve(exercise)
    store = open_store(course)
    folder = store.folder if store else state_dir(course)
    stub = pristine_stub(course, ex, folder)
    if stub is None:
        raise UsageError(NO_STUB.format(id=ex.id, file=ex.learner_paths[0]))
    changed = [name for name, text in stub.files.items() if _read(ex.directory / name) != text]
    if not changed:
        click.echo(ALREADY.format(file=ex.learner_paths[0].relative_to(course.root)))
        return
    backup = folder / BACKUPS_FOLDER / ex.folder / time.strftime("%Y%m%d-%H%M%S")
    n = 1
    while backup.exists():  # two resets within a second keep both versions
        backup = backup.with_name(f"{backup.name.split('.')[0]}.{n}")
        n += 1
    kept: list[tuple[Path, Path]] = []
    for name in changed:
        target = ex.directory / name
        if target.exists():
            saved = backup / name
            saved.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(target, saved)
            kept.append((saved, target))
    # Backups are complete before any file is overwritten.
    for name in changed:
        write_text_atomic(ex.directory / name, stub.files[name])
    if store is not None:
        store.touch(ex.id)
    click.echo(RESTORED.format(id=ex.id, files=", ".join(changed), origin=stub.origin))
    if kept:
        click.echo(BACKED_UP.format(backup=backup))
        for saved, target in kept:
            click.echo("  " + BACKUP_HINT.format(src=saved, dst=target))


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None

