"""Grade one exercise: start the learner's worker, run the checks in pytest, tally.

Changes when the path of one grading changes (course -> sandbox -> checks -> result).

The worker is started first so that its start-up (a Python process importing numpy or
torch) overlaps with pytest's in this process.
"""

from __future__ import annotations

import os
import secrets
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grader.checking.misconceptions import Misconception, load_misconceptions, load_module
from grader.checking.proxy import Backend, Submission, WorkerBackend, parameter_names
from grader.checking.results import CheckResult, ExerciseResult
from grader.course import Exercise
from grader.course.wording import count, plural
from grader.errors import CourseError, UsageError
from grader.sandbox import forbidden as forbidden_scan
from grader.sandbox import kernel_scan, worker_for
from grader.sandbox.kernel_scan import Refusal

IMPORT_PRINTED = "while being imported, your code printed:\n{text}"
COLLECTION_FAILED = "the checks for this exercise could not be loaded; tell your instructor:\n{error}"
MISSING_FILE = "{path} does not exist: it should hold your {name}"
MISSING_OWN_FILE = MISSING_FILE + ". grade reset {id} puts the untouched stub back."
HIDDEN_POINTS_NOTE = (
    "{hidden:g} of the {total} {are} graded by your instructor's hidden checks, which are not in "
    "this copy of the course: this run can earn at most {public:g}."
)


def new_seed() -> int:
    return secrets.randbelow(2**31 - 1) + 1


def learner_files(exercise: Exercise, source: Path | None = None) -> list[tuple[str, Path]]:
    """The files copied into the worker's scratch folder: learner files, then data files.

    ``source`` may be a folder holding the learner's files (a submission, or the
    solutions folder) or one ``.py`` file standing for the exercise's main learner file.
    """
    files: list[tuple[str, Path]] = []
    for i, name in enumerate(exercise.files.learner):
        if source is None:
            path = exercise.directory / name
        elif source.is_dir():
            path = source / name
        elif i == 0:
            path = source
        else:
            path = exercise.directory / name
        if not path.is_file():
            said = MISSING_OWN_FILE if source is None else MISSING_FILE
            raise UsageError(said.format(path=path, name=name, id=exercise.id))
        files.append((name, path))
    files.extend((d, exercise.directory / d) for d in exercise.files.data)
    return files


def shown_path(path: Path) -> str:
    """A file as the learner knows it: relative to the current folder when below it (the course
    folder: exercises/ex01_.../cosine.py), else in full; never the worker's scratch copy."""
    try:
        full, here = path.resolve(), Path.cwd().resolve()
    except OSError:
        return str(path)
    return os.path.relpath(full, here) if full.is_relative_to(here) else str(full)


def static_forbidden(exercise: Exercise, files: list[tuple[str, Path]]) -> dict[str, list[str | Refusal]]:
    """What each function of the learner's main file uses that the exercise does not allow: forbidden
    names, and for a kernel exercise what its allow-list refuses (each naming its line)."""
    if not exercise.forbidden and exercise.kernel_rules is None:
        return {}
    try:
        source = files[0][1].read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    # Under kernel_rules nothing can rebind __name__, so a main guard never runs on import: the
    # learner's own tests there (against a @ b, with numpy) are no use of a forbidden name.
    listed = kernel_scan.hide_main_guards(source) if exercise.kernel_rules is not None else source
    found: dict[str, list[str | Refusal]] = dict(forbidden_scan.scan(listed, exercise.forbidden))
    if exercise.kernel_rules is not None:
        for fn, refusals in kernel_scan.scan(source, exercise.kernel_rules, exercise.entry_points).items():
            found[fn] = [*found.get(fn, []), *refusals]
    return found


def grade(
    exercise: Exercise,
    *,
    seed: int | None = None,
    source: Path | None = None,
    backend: Backend | None = None,
    label: str | None = None,
    only: list[str] | None = None,
    prefer_misconception: str | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    require_isolation: bool = False,
) -> ExerciseResult:
    """Grade the learner's files (or ``source``, or a ready ``backend``) for ``exercise``.

    ``require_isolation``: the score is recorded for someone else (batch, Gradescope), so the
    grading fails closed, raising IsolationMissing before any submitted code runs, when an
    isolation layer cannot be applied. Without it a missing layer is reported on the card."""
    started = time.perf_counter()
    seed = new_seed() if seed is None else seed
    forbidden: dict[str, list[str | Refusal]] = {}
    file_label = label
    if backend is None:
        files = learner_files(exercise, source)
        shown = {name: shown_path(path) for name, path in files[: len(exercise.files.learner)]}
        if label:
            shown[files[0][0]] = label
        worker = worker_for(exercise, files, require_isolation=require_isolation, shown_as=shown)
        worker.start()  # overlaps with pytest's start-up below
        if require_isolation:
            try:
                worker.connect()  # the layers' report comes before the learner's import
            except BaseException:
                worker.close()
                raise
        backend = WorkerBackend(worker, files[0][0])
        forbidden = static_forbidden(exercise, files)
        file_label = shown[files[0][0]]
    try:
        result = run_checks(
            exercise, backend, seed=seed, forbidden=forbidden, only=only, prefer_misconception=prefer_misconception, progress=progress
        )
    finally:
        backend.close()
    worker_layers = getattr(getattr(backend, "worker", None), "layers", None)
    if worker_layers:
        result.isolation = dict(worker_layers)
    import_failure = getattr(getattr(backend, "worker", None), "import_failure", None)
    if import_failure is not None:
        result.import_failure = import_failure.reason
        if import_failure.output.strip():
            result.import_failure += "\n" + IMPORT_PRINTED.format(text=import_failure.output.strip()[-2000:])
    result.file = file_label or backend.label
    result.seconds = time.perf_counter() - started
    if exercise.hidden_points:
        result.notes.append(
            HIDDEN_POINTS_NOTE.format(
                hidden=exercise.hidden_points, total=count(exercise.points, "point"), are=plural(exercise.hidden_points, "is"),
                public=exercise.points - exercise.hidden_points,
            )
        )
    if forbidden:
        for fn, names in sorted(forbidden.items()):
            plain = [n for n in names if not isinstance(n, Refusal)]
            if plain:
                result.notes.append(f"{fn} uses {', '.join(plain)}, which this exercise does not allow.")
            lines = sorted({n.line for n in names if isinstance(n, Refusal)})
            if lines and fn in exercise.entry_points:  # the failed checks list each line and why
                where = ", ".join(str(n) for n in lines)
                result.notes.append(f"{fn} does what this exercise does not allow outside a kernel (line {where}).")
    return result


def reference_loader(exercise: Exercise) -> Callable[[], Any]:
    def load() -> Any:
        if not exercise.reference_path.is_file():
            raise UsageError(
                f"the reference {exercise.reference_path} is not in this course: checks that compare "
                "with it are graded by your instructor"
            )
        return load_module(exercise.reference_path, "reference")

    return load


def misconceptions_loader(exercise: Exercise) -> Callable[[], list[Misconception]]:
    cache: list[list[Misconception]] = []

    def load() -> list[Misconception]:
        if not cache:
            cache.append(load_misconceptions(exercise.misconceptions_path))
        return cache[0]

    return load


def _reference_process(exercise: Exercise, params: dict[str, list[str]]) -> Submission:
    files = learner_files(exercise, exercise.solution_directory)
    worker = worker_for(exercise, files)
    worker.start()
    return Submission(WorkerBackend(worker, "reference"), exercise.entry_points, {}, params)


def run_pytest(exercise: Exercise, plugin: Any, extra: list[str] | tuple[str, ...] = ()) -> int:
    """Run the exercise's check files in this process with ``plugin``; pytest's exit code."""
    from grader.checking.plugin import run_in_process

    checks = [str(p) for p in exercise.check_paths if p.is_file()]
    return run_in_process(checks, plugin, rootdir=exercise.directory, extra=extra)


def run_checks(
    exercise: Exercise,
    backend: Backend,
    *,
    seed: int,
    forbidden: dict[str, list[str | Refusal]] | None = None,
    only: list[str] | None = None,
    prefer_misconception: str | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> ExerciseResult:
    from grader.checking.plugin import GradingPlugin  # imports pytest: by now the worker is already starting

    params = {}
    for path in (exercise.reference_path, exercise.learner_paths[0]):
        if path.is_file():
            params = parameter_names(path.read_text(encoding="utf-8", errors="replace"))
            break
    submission = Submission(backend, exercise.entry_points, forbidden or {}, params)
    plugin = GradingPlugin(
        submission=submission,
        seed=seed,
        reference=reference_loader(exercise),
        misconceptions=misconceptions_loader(exercise),
        default_visibility=exercise.visibility,
        prefer_misconception=prefer_misconception,
        exercise_dir=exercise.directory,
        reference_process=lambda: _reference_process(exercise, params),
        progress=progress,
    )
    if not any(p.is_file() for p in exercise.check_paths):
        # a published exercise whose checks all stay with the instructor: never let pytest collect "."
        return ExerciseResult(exercise=exercise.id, title=exercise.title, seed=seed, max_score=float(exercise.points))
    extra = ["-k", " or ".join(only)] if only else []
    if "torch" in sys.modules:
        # One thread in the trusted process too: a pool fighting the worker for 2 cores is slower.
        sys.modules["torch"].set_num_threads(1)
    code = run_pytest(exercise, plugin, extra)
    result = ExerciseResult(exercise=exercise.id, title=exercise.title, seed=seed, max_score=float(exercise.points))
    result.checks = list(plugin.results.values())
    if plugin.collection_errors or (code not in (0, 1) and not result.checks):
        error = "\n".join(plugin.collection_errors) or f"pytest exited with status {code}"
        result.checks.append(
            CheckResult(
                name="the checks load",
                test_id="<collection>",
                score=0.0,
                max_score=float(exercise.points),
                status="error",
                output=COLLECTION_FAILED.format(error=error.strip().splitlines()[-1]),
                detail=error,
            )
        )
    return result


__all__ = ["grade", "run_checks", "learner_files", "new_seed", "CourseError"]
