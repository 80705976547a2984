"""``grade check``'s work: grade one exercise, then record it as the learner's progress.

Changes when what one learner's grading does around the grading itself changes (which
gradings count as progress, when the store is opened, what starts first for speed, when the
course's grading service is asked and what the learner is told when it cannot answer).

Imports stay inside the functions: the worker is started (:func:`start`) before the runner,
pytest and the store are imported, so that its imports overlap with ours.

When the course names a server (course.yaml ``server:``), the files graded here are read when
the grading starts and sent to it (:mod:`grader.learner.remote`) once the local result is
printed: the learner reads that at once, then the server's card, which grades every check. The
server's grading is the one recorded; without it, the local one is, with one line saying why.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from grader.course.wording import count
from grader.errors import UsageError

# The learner deleted (or moved) their file: say so before starting anything, with the way back.
FILE_MISSING = "{file} is missing, so {id} cannot be graded."
RESET_BRINGS_IT_BACK = "grade reset {id} puts the untouched stub back (from {origin}); your progress is kept."
NO_STUB_TO_RESTORE = "No untouched copy of the stub could be found here: ask your instructor for a fresh copy of {file}."
# The local result in one line, printed at once while the server grades every check.
LOCAL_LINE = "{id} on this machine: {passed} of {checks} passed ({score}/{points}). Grading every check on {server}…"
# After the local card when the server gave no card: why (remote's line), then what the card is.
LOCAL_ONLY = "The card above counts only the checks your copy holds, run here."
WAITING = "grading {id} on {server}"
SERVER_VIA = "server"  # the store's word for a grading done by the course's server

if TYPE_CHECKING:
    from grader.checking.results import ExerciseResult
    from grader.course import Course, Exercise
    from grader.learner.remote import Graded, Submission
    from grader.learner.store import Store


class Attempt:
    """One grading of one exercise, recorded when it is of the learner's own file; with the
    server's grading of the same files when the course has a server."""

    def __init__(
        self, course: Course, exercise: Exercise, source: Path | None, store: Store | None, submission: Submission | None = None
    ) -> None:
        self.course, self.exercise, self.source, self.store = course, exercise, source, store
        self.submission = submission

    @property
    def server_host(self) -> str:
        from grader.learner.remote import host_of

        return host_of(self.course.server or "")

    def local_line(self, result: ExerciseResult) -> str:
        """The local result in one line, said while the server grades."""
        ran = result.graded_checks
        return LOCAL_LINE.format(
            id=result.exercise, passed=sum(c.passed for c in ran), checks=count(len(ran), "check"),
            score=f"{result.score:g}", points=f"{sum(c.max_score for c in ran):g}", server=self.server_host,
        )

    @property
    def sending(self) -> bool:
        """Whether the files go to the server (not when it is known already that they cannot: no token)."""
        return self.submission is not None and self.submission.can_send

    @staticmethod
    def all_passed(result: ExerciseResult) -> bool:
        return bool(result.graded_checks) and all(c.passed for c in result.graded_checks)

    def waiting_label(self) -> str:
        return WAITING.format(id=self.exercise.id, server=self.server_host)

    def server_grading(self, *, verbose: bool = False) -> tuple[Graded | None, str]:
        """The server's grading, or None and the one line that says why there is none."""
        from grader.learner.remote import RemoteError

        assert self.submission is not None
        try:
            return self.submission.outcome(verbose=verbose), ""
        except RemoteError as exc:
            return None, f"{exc.line} {LOCAL_ONLY}"

    def grade(self, *, seed: int | None, progress: Callable[[int, int, str], None] | None = None) -> ExerciseResult:
        from grader.grading.runner import grade

        return grade(self.exercise, seed=seed, source=self.source, progress=progress)

    def record(self, result: ExerciseResult, *, via: str = "check") -> None:
        """Save the grading (a first solve is told, with what is next); never fails the grade."""
        from grader.learner.history import record

        record(self.store, self.course, result, via=via)

    def record_server(self, graded: Graded) -> None:
        """Save the server's grading in place of the local one: it is the one that grades every check."""
        from grader.checking.results import ExerciseResult

        self.record(ExerciseResult.from_json(graded.result), via=SERVER_VIA)


def start(course: Course, name: str, source: Path | None, *, local: bool = False, seed: int | None = None) -> Attempt:
    """Resolve ``name``, start its worker at once, open the store if the grading counts, and
    (when the course has a server and ``local`` is not asked) start the upload to the server."""
    from grader.sandbox import prestart

    ex = course.resolve(name)
    if source is None and ex.missing_learner_files():
        raise UsageError(missing_file(course, ex))
    prestart(ex)  # the worker's numpy/torch import starts now, beside ours

    from grader.learner.history import is_own_file, open_store

    # Opened before grading: it snapshots stubs the learner has not touched yet.
    store = open_store(course) if is_own_file(ex, source) else None
    submission = None
    if course.server and not local:
        from grader.grading.runner import learner_files
        from grader.learner.remote import Submission

        # The files graded here, read now: the server grades exactly what the local card is about
        # (sent after the local grading, see remote.Submission).
        files = learner_files(ex, source)[: len(ex.files.learner)]
        submission = Submission.start(course.server, ex.id, files, seed=seed)
    return Attempt(course, ex, source, store, submission)


def missing_file(course: Course, exercise: Exercise) -> str:
    """What to tell a learner whose file of ``exercise`` is gone: which, and how to get the stub back."""
    from grader.learner.reset import stub_origin

    missing = [exercise.directory / name for name in exercise.missing_learner_files()]
    shown = ", ".join(str(_in_course(course, path)) for path in missing)
    text = FILE_MISSING.format(file=shown, id=exercise.id)
    origin = stub_origin(course, exercise)
    if origin is None:
        return text + "\n  " + NO_STUB_TO_RESTORE.format(file=shown)
    return text + "\n  " + RESET_BRINGS_IT_BACK.format(id=exercise.id, origin=origin)


def _in_course(course: Course, path: Path) -> Path:
    try:
        return path.relative_to(course.root)
    except ValueError:
        return path
