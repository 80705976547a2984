"""Which exercise each file a learner handed in is: the mapping ``grade batch`` cannot misfile.

Changes when the rule for matching a learner's files to exercises changes. Every ``.py`` and
``.ipynb`` file is matched against *every* exercise of the course, whatever ``-e`` asks to
grade, so a run over one exercise never takes another exercise's file for it:

1. **Its path names an exercise.** The file's own name first, else its nearest folder (inside
   the learner's folder or archive): a name names an exercise when it holds its id (``ex09``,
   ``ex9``, ``ex_09``), its slug as whole words (``attention``, ``cosine_similarity``), or is
   the learner file's own name (``cosine.py``, ``cosine.ipynb``). A name naming two
   exercises is settled by the code (below), else the file is unmatched.
2. **Otherwise, its code defines an exercise's entry points**: at least half of them, and a
   larger share than of any other exercise's (top-level ``def``, ``class``, assignment or
   ``from ... import``, read with a regular expression so that code with a syntax error still
   says what it is). A lone ``.py``/``.ipynb`` handed in for a learner is named after the
   learner, so only its code counts.
3. **Anything else is unmatched**, with the reason: a file naming no exercise and defining too
   few entry points, one that cannot be read, and a second file for an exercise already matched
   (one file per exercise is graded: the one with the learner file's name, then the closest
   name, then the most entry points). With a one-exercise course a file that cannot be read
   can only be for that exercise, so it is graded (its row says why it failed).

Tests (``test_*.py``, ``*_test.py``, ``conftest.py``), ``setup.py`` and ``__init__.py`` are
never a learner's answer and are not listed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from grader.course import Exercise
from grader.course.wording import count
from grader.errors import GradeError

SKIPPED_PARTS = {"__MACOSX", "__pycache__", ".ipynb_checkpoints", ".git"}
SOURCE_SUFFIXES = (".py", ".ipynb")
NOT_ANSWERS = re.compile(r"^(test_.*|.*_test|conftest|setup|__init__)$")
DEFINITION = re.compile(
    r"^(?:async[ \t]+)?def[ \t]+(\w+)"
    r"|^class[ \t]+(\w+)"
    r"|^(\w+)[ \t]*(?::[^=\n]*)?=(?!=)"
    r"|^from[ \t]+[\w.]+[ \t]+import[ \t]+([\w \t,]+)$",
    re.MULTILINE,
)
ENOUGH = 0.5  # the share of an exercise's entry points a file must define to be matched by its code

NAMES_SEVERAL = "its {where} names {exercises}, and its code does not say which"
DEFINES_NOTHING = "it names no exercise and defines none of any exercise's entry points"
DEFINES_TOO_FEW = "it names no exercise and defines only {some} of {ex}'s {n} entry points ({all})"
DEFINES_SEVERAL = "it names no exercise and defines as many entry points of {exercises}"
UNREADABLE = "it names no exercise and could not be read: {error}"
SUPERSEDED = "not graded: {ex} is graded from {main}"
HOW_NAME = "its name"
HOW_FOLDER = "its folder {folder}"
HOW_CODE = "it defines {k} of {ex}'s {entry_points}"


@dataclass(frozen=True)
class Located:
    main: Path  # the learner's main module, or a notebook holding it
    others: dict[str, Path]  # further learner files, by the name in exercise.yaml
    how: str = ""  # why this file is this exercise, in words


@dataclass
class Mapping:
    """One learner's files: the file graded for each exercise (by id), and those not graded."""

    located: dict[str, Located] = field(default_factory=dict)
    unmatched: list[tuple[Path, str]] = field(default_factory=list)  # (file, reason)


def source_files(root: Path) -> list[Path]:
    """The ``.py`` and ``.ipynb`` files under ``root`` (itself, if a file) that could be an answer."""
    if root.is_file():
        return [root] if root.suffix in SOURCE_SUFFIXES else []
    out = []
    for p in root.rglob("*"):
        rel = p.relative_to(root).parts
        if any(part in SKIPPED_PARTS or part.startswith(".") for part in rel):
            continue
        if p.suffix in SOURCE_SUFFIXES and p.is_file() and not p.is_symlink() and not NOT_ANSWERS.match(p.stem):
            out.append(p)
    return sorted(out)


def _words(name: str) -> str:
    return "_" + "_".join(re.findall(r"[a-z0-9]+", name.lower())) + "_"


def names(name: str, ex: Exercise) -> bool:
    """Whether a file or folder name (without suffix) names ``ex``."""
    lower = name.lower()
    if lower == ex.module_name.lower():
        return True
    if re.search(rf"(?<![a-z0-9])ex[_\- ]?0*{ex.number}(?![0-9])", lower):
        return True
    return _words(ex.slug) in _words(lower)


def defined_names(code: str) -> set[str]:
    """Top-level names ``code`` defines, read without parsing (a syntax error elsewhere changes nothing)."""
    out: set[str] = set()
    for m in DEFINITION.finditer(code):
        if m.group(4):
            for part in m.group(4).split(","):
                words = part.split()
                if words:
                    out.add(words[-1])
        else:
            out.add(next(g for g in m.groups() if g))
    return out


def _share(defined: set[str], ex: Exercise) -> float:
    return len(defined & set(ex.entry_points)) / max(1, len(ex.entry_points))


def _ids(exercises: Sequence[Exercise]) -> str:
    items = [ex.id for ex in exercises]
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)


class _Reader:
    """Each file's code, read once (notebooks through :mod:`grader.instructor.notebooks`)."""

    def __init__(self, read: Callable[[Path], str]) -> None:
        self.read = read
        self.cache: dict[Path, set[str] | str] = {}

    def defined(self, path: Path) -> set[str] | str:
        """The names ``path`` defines, or why it could not be read."""
        if path not in self.cache:
            from grader.instructor.notebooks import NotebookSupportMissing

            try:
                self.cache[path] = defined_names(self.read(path))
            except NotebookSupportMissing:
                raise  # the machine's problem: stop before anything is graded
            except (GradeError, OSError) as exc:
                self.cache[path] = str(exc)
        return self.cache[path]


def read_source(path: Path) -> str:
    """A learner file's code: a ``.py`` as text, a notebook's code cells as a module."""
    if path.suffix == ".ipynb":
        from grader.instructor.notebooks import code_from_notebook

        return code_from_notebook(path)
    return path.read_text(encoding="utf-8", errors="replace")


def map_files(
    root: Path,
    exercises: Sequence[Exercise],
    *,
    read: Callable[[Path], str] = read_source,
) -> Mapping:
    """Match every source file under ``root`` (a learner's folder, or a lone file) to ``exercises``
    (the whole course); one file per exercise is chosen for grading."""
    reader = _Reader(read)
    lone = root.is_file()
    base = root.parent if lone else root
    mapping = Mapping()
    matched: dict[str, list[tuple[Path, int, str]]] = {}  # exercise id -> (file, level, how)
    by_id = {ex.id: ex for ex in exercises}
    for path in source_files(root):
        found = _classify(path, base, exercises, reader, lone=lone)
        if isinstance(found, str):
            mapping.unmatched.append((path, found))
        else:
            ex, level, how = found
            matched.setdefault(ex.id, []).append((path, level, how))
    for ex_id, files in matched.items():
        ex = by_id[ex_id]
        main_name = Path(ex.files.learner[0]).name
        companions = {Path(n).name for n in ex.files.learner[1:]}

        def rank(item: tuple[Path, int, str], ex: Exercise = ex, main_name: str = main_name) -> tuple:
            path, level, _ = item
            defined = reader.defined(path)
            count = len(defined & set(ex.entry_points)) if isinstance(defined, set) else -1
            rel = path.relative_to(base)
            return (path.name != main_name, level, -count, path.suffix != ".py", len(rel.parts), rel.as_posix())

        ordered = sorted((f for f in files if f[0].name not in companions), key=rank)
        if not ordered:
            continue
        main, _, how = ordered[0]
        others: dict[str, Path] = {}
        for name in ex.files.learner[1:]:
            near = main.parent / Path(name).name
            found_other = near if near.is_file() else next((p for p, _, _ in files if p.name == Path(name).name), None)
            if found_other is not None:
                others[name] = found_other
        mapping.located[ex_id] = Located(main, others, how)
        for path, _, _ in ordered[1:]:
            mapping.unmatched.append((path, SUPERSEDED.format(ex=ex_id, main=main.relative_to(base).as_posix())))
    return mapping


def _classify(
    path: Path, base: Path, exercises: Sequence[Exercise], reader: _Reader, *, lone: bool
) -> tuple[Exercise, int, str] | str:
    """(exercise, level: 0 its name, 1 its folder, 2 its code, how) or the reason it matches none."""
    if not lone:
        rel = path.relative_to(base)
        levels = [(0, path.stem, HOW_NAME)] + [
            (1, part, HOW_FOLDER.format(folder=part)) for part in reversed(rel.parts[:-1])
        ]
        for level, name, how in levels:
            pool = [ex for ex in exercises if names(name, ex)]
            if len(pool) == 1:
                return pool[0], level, how
            if pool:
                settled = _by_code(path, pool, reader)
                if isinstance(settled, tuple):
                    return settled[0], level, how
                return NAMES_SEVERAL.format(where="name" if level == 0 else f"folder {name}", exercises=_ids(pool))
    found = _by_code(path, exercises, reader)
    if isinstance(found, tuple):
        return found[0], 2, found[1]
    if isinstance(reader.defined(path), str) and len(exercises) == 1:
        return exercises[0], 2, found  # nothing else it could be: graded, and its row says why it failed
    return found


def _by_code(path: Path, pool: Sequence[Exercise], reader: _Reader) -> tuple[Exercise, str] | str:
    """The one exercise in ``pool`` whose entry points the file defines most of (at least half)."""
    defined = reader.defined(path)
    if isinstance(defined, str):
        return UNREADABLE.format(error=defined)
    shares = {ex.id: _share(defined, ex) for ex in pool}
    top = max(shares.values(), default=0.0)
    best = [ex for ex in pool if shares[ex.id] == top]
    if top == 0:
        return DEFINES_NOTHING
    if len(best) > 1:
        return DEFINES_SEVERAL.format(exercises=_ids(best))
    ex = best[0]
    some = sorted(defined & set(ex.entry_points))
    if top < ENOUGH:
        return DEFINES_TOO_FEW.format(some=", ".join(some), ex=ex.id, n=len(ex.entry_points), all=", ".join(ex.entry_points))
    return ex, HOW_CODE.format(k=len(some), ex=ex.id, entry_points=count(len(ex.entry_points), "entry point"))
