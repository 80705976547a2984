"""Pristine stubs: where `grade reset` and `grade drill` get an untouched stub from.

Changes when a new source of untouched stubs is added.

The learner edits ``exercises/exNN_slug/<file>.py`` in place, so the stub's original text
must come from somewhere else. In order of trust:

1. **git**: in a git checkout (the instructor's tree, or a course cloned from one), the
   newest committed version of the file that still looks like a stub (every entry point's
   body only raises ``NotImplementedError``, read with ``ast``). It follows the
   instructor's revisions of a stub, and skips past a learner's own commits.
2. **snapshot**: a learner bundle need not be a git repository. So the first time any
   learner command sees an exercise whose files still look like a stub, they are copied
   into the state folder (``.grade/stubs/exNN_slug/<file>``). ``grade ex01``, ``grade list``
   and ``grade`` alone snapshot every exercise at once, so later exercises are saved
   before they are ever opened.
3. **rebuilt**: from the learner's own file, with every entry point's body replaced by its
   docstring and ``raise NotImplementedError``: signatures, imports and docstrings survive.
   For a drill, or when the learner's file no longer parses, the same from the reference
   solution, with its helpers dropped so that no answer leaks.

A snapshot is taken once and kept: re-taking it whenever the file looks like a stub would
fold a learner's first edits (a helper, an import) into "the stub".
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from grader.course import Course, Exercise
from grader.course.stubs import is_docstring, looks_like_stub

STUBS_FOLDER = "stubs"
GIT_TIMEOUT_S = 5.0
GIT_HISTORY_DEPTH = 30  # commits searched for a stub-like version of a file

ORIGIN_SNAPSHOT = "the copy saved when you first opened the exercise"
ORIGIN_GIT = "the course's git history (commit {commit})"
ORIGIN_REBUILT_LEARNER = "your file, with each function's body replaced by `raise NotImplementedError`"
ORIGIN_REBUILT_REFERENCE = "the reference solution's signatures and docstrings, with the bodies removed"


@dataclass(frozen=True)
class StubSource:
    files: dict[str, str]  # learner file name (as in exercise.yaml) -> text
    origin: str  # for the learner: where this stub came from


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


# --- snapshots ---------------------------------------------------------------------


def snapshot_folder(state_dir: Path, exercise: Exercise) -> Path:
    return state_dir / STUBS_FOLDER / exercise.folder


def has_snapshot(state_dir: Path, exercise: Exercise) -> bool:
    folder = snapshot_folder(state_dir, exercise)
    return all((folder / name).is_file() for name in exercise.files.learner)


def write_text_atomic(path: Path, text: str) -> None:
    """Replace ``path`` in one step (a reader sees the old file or the new, never half),
    keeping its permissions (mkstemp's are owner-only)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        mode = 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def snapshot_if_stub(state_dir: Path, exercise: Exercise) -> bool:
    """Save the exercise's files as its pristine stub if none is saved and they still look untouched.

    Returns True when a snapshot exists afterwards.
    """
    if has_snapshot(state_dir, exercise):
        return True
    texts = {name: _read(exercise.directory / name) for name in exercise.files.learner}
    main = texts[exercise.files.learner[0]]
    if main is None or any(t is None for t in texts.values()) or not looks_like_stub(main, exercise.entry_points):
        return False
    folder = snapshot_folder(state_dir, exercise)
    # The main file goes last: its presence is what marks a snapshot as complete.
    for name in [*exercise.files.learner[1:], exercise.files.learner[0]]:
        write_text_atomic(folder / name, texts[name] or "")
    return True


def snapshot_course(state_dir: Path, course: Course) -> list[Exercise]:
    """Snapshot every exercise that still looks like a stub; returns those without a snapshot."""
    missing = []
    for ex in course.exercises:
        try:
            if not snapshot_if_stub(state_dir, ex):
                missing.append(ex)
        except OSError:
            missing.append(ex)
    return missing


# --- git ---------------------------------------------------------------------------


def _git(root: Path, *args: str) -> str | None:
    if shutil.which("git") is None:
        return None
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_S,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _from_git(course: Course, exercise: Exercise) -> StubSource | None:
    top = _git(course.root, "rev-parse", "--show-toplevel")
    if not top:
        return None
    top_path = Path(top.strip())
    main = exercise.learner_paths[0]
    try:
        rel = {name: (exercise.directory / name).resolve().relative_to(top_path).as_posix() for name in exercise.files.learner}
    except ValueError:
        return None
    log = _git(top_path, "log", f"-n{GIT_HISTORY_DEPTH}", "--format=%H", "--", str(main.resolve()))
    for commit in (log or "").split():
        texts = {name: _git(top_path, "show", f"{commit}:{path}") for name, path in rel.items()}
        first = texts[exercise.files.learner[0]]
        if first is not None and all(t is not None for t in texts.values()) and looks_like_stub(first, exercise.entry_points):
            return StubSource({k: v or "" for k, v in texts.items()}, ORIGIN_GIT.format(commit=commit[:10]))
    return None


# --- rebuilding a stub from a solved file -------------------------------------------


class _Stubber(ast.NodeTransformer):
    def __init__(self, entry_points: tuple[str, ...], drop_helpers: bool) -> None:
        self.entry_points, self.drop_helpers = set(entry_points), drop_helpers

    @staticmethod
    def _stub_body(body: list[ast.stmt]) -> list[ast.stmt]:
        keep: list[ast.stmt] = [body[0]] if body and is_docstring(body[0]) else []
        return [*keep, ast.Raise(exc=ast.Name(id="NotImplementedError", ctx=ast.Load()), cause=None)]

    def visit_Module(self, node: ast.Module) -> ast.Module:
        out: list[ast.stmt] = []
        for stmt in node.body:
            is_def = isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            if is_def and stmt.name in self.entry_points:
                if isinstance(stmt, ast.ClassDef):
                    for m in stmt.body:
                        if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)):
                            m.body = self._stub_body(m.body)
                else:
                    stmt.body = self._stub_body(stmt.body)
            elif is_def and self.drop_helpers:
                continue  # a reference's helper would give the answer away
            out.append(stmt)
        node.body = out
        return node


def _splice_stub(source: str, entry_points: tuple[str, ...]) -> str | None:
    """Replace entry-point bodies in the text itself, keeping every comment elsewhere."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    edits: list[tuple[int, int, str]] = []  # (first line index, end line index, replacement)
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or node.name not in entry_points:
            continue
        body = node.body
        start = body[1] if len(body) > 1 and is_docstring(body[0]) else (None if is_docstring(body[0]) else body[0])
        if start is None:  # only a docstring: add the raise after it
            indent = " " * body[0].col_offset
            edits.append((body[0].end_lineno or body[0].lineno, body[0].end_lineno or body[0].lineno, f"{indent}raise NotImplementedError\n"))
            continue
        line = lines[start.lineno - 1]
        if line[: start.col_offset].strip():  # body on the def's own line: leave it to ast.unparse
            return None
        indent = " " * start.col_offset
        edits.append((start.lineno - 1, node.end_lineno or start.lineno, f"{indent}raise NotImplementedError\n"))
    for first, end, text in sorted(edits, reverse=True):
        lines[first:end] = [text]
    return "".join(lines)


def rebuild_stub(source: str, entry_points: tuple[str, ...], *, drop_helpers: bool = False) -> str | None:
    """A stub made from a working file, or None if it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    if not drop_helpers:
        spliced = _splice_stub(source, entry_points)
        if spliced is not None and looks_like_stub(spliced, entry_points):
            return spliced
    text = ast.unparse(ast.fix_missing_locations(_Stubber(entry_points, drop_helpers).visit(tree))) + "\n"
    return text if looks_like_stub(text, entry_points) else None


# --- the one entry point for reset and drill ---------------------------------------


def pristine_stub(course: Course, exercise: Exercise, state_dir: Path, *, for_drill: bool = False) -> StubSource | None:
    """The best available untouched stub of ``exercise``, or None if there is none.

    ``for_drill`` prefers the reference's skeleton over the learner's file when rebuilding:
    a drill must not carry the learner's earlier work into the workspace.
    """
    from_git = _from_git(course, exercise)
    if from_git is not None:
        return from_git
    folder = snapshot_folder(state_dir, exercise)
    if has_snapshot(state_dir, exercise):
        texts = {name: _read(folder / name) for name in exercise.files.learner}
        if all(t is not None for t in texts.values()):
            return StubSource({k: v or "" for k, v in texts.items()}, ORIGIN_SNAPSHOT)
    main = exercise.files.learner[0]
    others = {name: _read(exercise.directory / name) or "" for name in exercise.files.learner[1:]}
    learner_text = _read(exercise.directory / main)
    reference_text = _read(exercise.reference_path)
    candidates = [
        (learner_text, False, ORIGIN_REBUILT_LEARNER),
        (reference_text, True, ORIGIN_REBUILT_REFERENCE),
    ]
    if for_drill:
        candidates.reverse()
    for text, drop, origin in candidates:
        if text is None:
            continue
        if looks_like_stub(text, exercise.entry_points):
            return StubSource({main: text, **others}, origin)
        rebuilt = rebuild_stub(text, exercise.entry_points, drop_helpers=drop)
        if rebuilt is not None:
            return StubSource({main: rebuilt, **others}, origin)
    return None
