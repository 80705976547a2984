"""``grade batch``: grade a class's submissions into the gradebook, in parallel, resumably.

``SUBMISSIONS`` holds one entry per learner: a folder, an archive (``.zip``, ``.tar.gz``,
``.tgz``, ``.tar``), or a lone ``.py`` / ``.ipynb`` file. Each learner's files are matched to
the course's exercises by :mod:`grader.instructor.matching` (a path naming the exercise, or
code defining its entry points; a notebook's code cells through
:mod:`grader.instructor.notebooks`); the rest is listed as unmatched, with the reason, in the
summary and the gradebook. A learner may hand in any subset of the exercises, and ``-e`` only
chooses which matched files are graded. With ``nbgrader=COURSE`` the submissions are an
nbgrader course's ``submitted/`` tree and the scores also go into nbgrader's gradebook
(:mod:`grader.instructor.nbgrader_gradebook`).

Each (learner, exercise) is staged into its own folder next to the gradebook and graded by
:func:`grader.grading.runner.grade` in a pool of processes; the parent alone writes the
gradebook, one transaction per result, so an interrupted batch resumes where it stopped.

Seeds come from the course secret: ``HMAC-SHA256(secret, learner / exercise / attempt)``.
Inputs differ per learner and per attempt, cannot be predicted without the secret, and the
instructor can replay any row with ``grade exNN --file <staged folder> --seed N``.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import hashlib
import hmac
import os
import re
import secrets
import shutil
import signal
import tarfile
import traceback
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from grader.course import Course, Exercise
from grader.course.wording import count
from grader.errors import GradeError, IsolationMissing, UsageError
from grader.instructor.gradebook import Gradebook, Row
from grader.instructor.matching import SKIPPED_PARTS, Located, map_files, read_source
from grader.instructor.nbgrader_gradebook import Written
from grader.instructor.notebooks import NotebookSupportMissing
from grader.sandbox import check_isolation

SECRET_ENV = "GRADE_SECRET"
PUBLIC_KEY = "grade: no course secret"  # for seeds that need not be secret (nbgrader defaults)
ARCHIVES = (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar", ".zip")
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_UNPACKED_FILES = 5000
REASON_CHARS = 600

NO_SECRET = (
    "grade batch derives each learner's seed from a course secret, and this course has none. "
    "Add a line to course.yaml (keep it out of anything you give learners; grade publish drops it):\n"
    "  secret: {example}\n"
    "or set the environment variable GRADE_SECRET."
)
NO_SUBMISSIONS = "{path} holds no submissions: expected one folder, archive, .py or .ipynb file per learner"
UNSAFE_ARCHIVE = "{archive}: {problem}; the archive was not unpacked"
GRADER_ERROR = "the grader failed on this submission ({error}); it was not graded. Replay it with: {replay}"
COLLECTION = "<collection>"
NBGRADER_DB = "grade.sqlite"  # with --nbgrader and no --db/--out/--json: our gradebook, in the nbgrader course
NO_SOURCE = "say what to grade: a folder of submissions (SUBMISSIONS), or an nbgrader course (--nbgrader COURSE)"
BOTH_SOURCES = "--nbgrader grades the course's {submitted}: give no SUBMISSIONS folder with it"
NO_ASSIGNMENT = (
    "nothing in {submitted} is an exercise of this course: its assignments are {found}; the exercises' "
    "nbgrader assignments are named after their folders ({known})"
)
UNGRADED_REASON = "{points} ungraded, in no total ({reasons})"  # checks the grading machine could not run
POOL_DIED = (
    "the process grading this submission was killed while it ran (twice, the second time alone): "
    "the code probably signals or kills other processes. Scored 0; review it by hand."
)


# --- seeds ----------------------------------------------------------------------------------


def course_secret(course: Course, *, required: bool = True) -> str | None:
    """The course secret: ``GRADE_SECRET`` if set, else course.yaml's ``secret:``."""
    secret = os.environ.get(SECRET_ENV) or course.secret
    if not secret and required:
        raise UsageError(NO_SECRET.format(example=secrets.token_urlsafe(24)))
    return secret or None


def derive_seed(secret: str | None, learner: str, exercise: str, attempt: int) -> int:
    """A seed in [1, 2**31 - 1] for one learner, exercise and attempt."""
    key = (secret or PUBLIC_KEY).encode()
    digest = hmac.new(key, f"{learner}\0{exercise}\0{attempt}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") % (2**31 - 1) + 1


def secret_fingerprint(secret: str) -> str:
    return hmac.new(secret.encode(), b"gradebook fingerprint", hashlib.sha256).hexdigest()[:16]


# --- finding submissions -------------------------------------------------------------------


@dataclass(frozen=True)
class Learner:
    id: str
    path: Path  # a folder, an archive or a single file


def _archive_stem(name: str) -> str | None:
    lower = name.lower()
    for suffix in ARCHIVES:
        if lower.endswith(suffix):
            return name[: -len(suffix)]
    return None


def learner_id(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._@+-]", "_", name).strip("._") or "learner"


def discover(submissions: Path) -> list[Learner]:
    if not submissions.is_dir():
        raise UsageError(f"{submissions} is not a folder of submissions")
    learners: dict[str, Learner] = {}
    for entry in sorted(submissions.iterdir()):
        if entry.name.startswith(".") or entry.name in SKIPPED_PARTS:
            continue
        if entry.is_dir():
            name = entry.name
        elif (stem := _archive_stem(entry.name)) is not None:
            name = stem
        elif entry.suffix in (".py", ".ipynb"):
            name = entry.stem
        else:
            continue
        lid = learner_id(name)
        if lid in learners:  # alice/ and alice.zip: keep the first, say nothing is lost silently
            raise UsageError(f"{submissions}: two entries for learner '{lid}' ({learners[lid].path.name}, {entry.name}); keep one")
        learners[lid] = Learner(lid, entry)
    if not learners:
        raise UsageError(NO_SUBMISSIONS.format(path=submissions))
    return list(learners.values())


def unpack(archive: Path, dest: Path) -> None:
    """Extract an archive with no path escaping ``dest`` and bounded size."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    total = 0
    if archive.name.lower().endswith(".zip"):
        try:
            with zipfile.ZipFile(archive) as zf:
                infos = zf.infolist()
                if len(infos) > MAX_UNPACKED_FILES:
                    raise UsageError(UNSAFE_ARCHIVE.format(archive=archive.name, problem=f"more than {MAX_UNPACKED_FILES} files"))
                for info in infos:
                    parts = Path(info.filename).parts
                    if info.filename.startswith("/") or ".." in parts or info.is_dir():
                        continue
                    if (info.external_attr >> 16) & 0o170000 == 0o120000:
                        continue  # a symbolic link
                    total += info.file_size
                    if total > MAX_UNPACKED_BYTES:
                        raise UsageError(UNSAFE_ARCHIVE.format(archive=archive.name, problem="more than 200 MB unpacked"))
                    target = dest.joinpath(*parts)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with zf.open(info) as src, open(target, "wb") as out:
                        shutil.copyfileobj(src, out)
        except zipfile.BadZipFile as exc:
            raise UsageError(f"{archive.name} is not a readable zip file ({exc})") from None
        return
    try:
        with tarfile.open(archive) as tf:
            members = [m for m in tf.getmembers() if m.isfile()]
            if len(members) > MAX_UNPACKED_FILES or sum(m.size for m in members) > MAX_UNPACKED_BYTES:
                raise UsageError(UNSAFE_ARCHIVE.format(archive=archive.name, problem="too many or too large files"))
            tf.extractall(dest, members=members, filter="data")
    except (tarfile.TarError, OSError) as exc:
        raise UsageError(f"{archive.name} is not a readable archive ({exc})") from None


def locate(ex: Exercise, root: Path, *, sole_exercise: bool = False, exercises: Sequence[Exercise] = ()) -> Located | None:
    """The learner's files for ``ex`` under ``root`` (a folder or a single file), or None.

    Files are matched against ``exercises`` (the whole course; just ``ex`` when not given) by
    :func:`grader.instructor.matching.map_files`. ``sole_exercise`` is kept for callers that
    grade one exercise: it no longer widens the match, since a file is ``ex`` only when its
    path names ``ex`` or its code defines ``ex``'s entry points.
    """
    del sole_exercise
    return map_files(root, list(exercises) or [ex]).located.get(ex.id)


# --- tasks ----------------------------------------------------------------------------------


@dataclass
class Task:
    learner: str
    exercise: Exercise
    attempt: int
    seed: int
    source: Path  # the staged folder
    origin: str  # where the main file came from, relative to the submissions folder
    code: str
    error: str = ""  # set when staging failed: the row records it without grading
    require_isolation: bool = True  # a gradebook grading fails closed without every isolation layer


def stage(ex: Exercise, located: Located, dest: Path) -> str:
    """Copy (or extract) the learner's files into ``dest`` under their exercise.yaml names."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    main_name = ex.files.learner[0]
    code = read_source(located.main)
    (dest / main_name).parent.mkdir(parents=True, exist_ok=True)
    (dest / main_name).write_text(code, encoding="utf-8")
    for name in ex.files.learner[1:]:
        src = located.others.get(name, ex.directory / name)  # missing: the stub, as handed out
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest / name)
    return code


def _reason(result: object) -> tuple[str, str]:
    """(outcome, reason) for one ExerciseResult, in words an instructor can scan."""
    from grader.checking.results import ExerciseResult

    assert isinstance(result, ExerciseResult)
    if any(c.test_id == COLLECTION for c in result.checks):
        return "error", "the checks could not be loaded: " + result.checks[-1].output.splitlines()[-1][:300]
    ungraded = []
    if result.ungraded:
        points = count(result.ungraded_points, "point")
        ungraded.append(UNGRADED_REASON.format(points=points, reasons="; ".join(result.ungraded_reasons)))
    if result.full_marks:
        return "full", "; ".join(["full marks", *ungraded])
    parts: list[str] = [*result.notes, *ungraded]
    for c in result.checks:
        if c.passed or c.ungraded:  # an ungraded check lost nothing: its points are in no total
            continue
        lines = [line.strip() for line in c.output.splitlines() if line.strip()]
        said = next((line for line in lines if line.lower().startswith(("your ", "this looks like"))), lines[-1] if lines else c.status)
        if c.misconception:
            said = f"looks like '{c.misconception}'"
        parts.append(f"{c.name}: {said[:160]}")
    reason = "; ".join(dict.fromkeys(parts))
    if len(reason) > REASON_CHARS:
        reason = reason[: REASON_CHARS - 1] + "…"
    return ("zero" if result.score == 0 else "partial"), reason


def grade_task(task: Task) -> Row:
    """Grade one staged submission; never raises (a failure becomes the row's reason)."""
    return grade_task_full(task)[0]


def grade_task_full(task: Task) -> tuple[Row, dict | None]:
    """:func:`grade_task`, with the whole grading as ``ExerciseResult.to_json(instructor=True)``
    (None when nothing was graded): ``grade serve`` renders the learner's card from it."""
    from grader.grading.runner import grade

    ex = task.exercise
    code_sha = hashlib.sha256(task.code.encode()).hexdigest()
    base = dict(
        learner=task.learner, exercise=ex.id, attempt=task.attempt, seed=task.seed, max_score=float(ex.points),
        source=str(task.source), origin=task.origin, code_sha256=code_sha, code=task.code,
    )
    if task.error:
        return Row(score=0.0, outcome="error", reason=task.error, checks=[], seconds=0.0, **base), None  # type: ignore[arg-type]
    try:
        result = grade(ex, seed=task.seed, source=task.source, label=task.origin, require_isolation=task.require_isolation)
    except IsolationMissing:
        raise  # the machine's fault, not the learner's: never a row
    except GradeError as exc:
        return Row(score=0.0, outcome="error", reason=str(exc), checks=[], seconds=0.0, **base), None  # type: ignore[arg-type]
    except Exception as exc:  # a grader bug must cost one row, not the batch
        replay = f"grade {ex.id} --file {task.source} --seed {task.seed}"
        reason = GRADER_ERROR.format(error=f"{type(exc).__name__}: {exc}", replay=replay)
        return Row(score=0.0, outcome="error", reason=reason + "\n" + traceback.format_exc(limit=3), checks=[], seconds=0.0, **base), None  # type: ignore[arg-type]
    outcome, reason = _reason(result)
    whole = result.to_json(instructor=True)
    # The totals of the grading itself: the points graded, and those of checks not run here apart.
    base.update(max_score=result.graded_max, ungraded_points=result.ungraded_points)
    row = Row(score=result.score, outcome=outcome, reason=reason, checks=whole["tests"], seconds=round(result.seconds, 3), **base)  # type: ignore[arg-type]
    return row, whole


def _ignore_sigint() -> None:
    # Ctrl-C is the parent's to handle: it lets running gradings finish and records them.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


# --- the batch -------------------------------------------------------------------------------


@dataclass
class Summary:
    learners: int = 0
    tasks: int = 0  # (learner, exercise) pairs found
    skipped: int = 0  # already in the gradebook
    graded: int = 0
    errors: int = 0
    not_submitted: list[tuple[str, str]] = field(default_factory=list)  # (learner, exercise) with no file matched
    unmatched: list[tuple[str, str, str]] = field(default_factory=list)  # learner, file, why it was not graded
    interrupted: bool = False
    flagged: list[tuple[str, str, str, float]] = field(default_factory=list)  # exercise, a, b, ratio
    waiting: list[tuple[str, str, str]] = field(default_factory=list)  # learner, exercise, why: not graded yet

    @property
    def handed_in(self) -> int:
        """(learner, exercise) pairs with a file matched to them, graded or not."""
        return self.tasks

    @property
    def left(self) -> int:
        """Found, not in the gradebook before, and not graded by this run."""
        return self.tasks - self.skipped - self.graded


@dataclass(frozen=True)
class ClassGraded:
    """What ``grade batch`` did: the run's summary, the gradebook, the exports written."""

    summary: Summary
    db: Path
    written: list[Path]
    nbgrader: Written | None = None  # with --nbgrader: what went into nbgrader's gradebook


def default_db(out: Path | None, json_out: Path | None) -> Path:
    anchor = out or json_out
    return anchor.with_suffix(".sqlite") if anchor else Path("gradebook.sqlite")


def plan_tasks(
    course: Course,
    learners: list[Learner],
    exercises: list[Exercise],
    *,
    attempt: int,
    secret: str,
    work: Path,
    done: set[tuple[str, str, int]],
    summary: Summary,
    scope: Callable[[str], bool] | None = None,
) -> list[Task]:
    """A task per (learner, exercise asked for) whose file :func:`map_files` matched; the rest
    goes into ``summary`` (not handed in, unmatched with the reason). Files outside ``scope``
    (given the file as shown, ``learner/path``) are not this batch's at all."""
    tasks = []
    universe = list(course.exercises)  # every file is matched against the whole course, whatever -e says
    for learner in learners:
        root = learner.path
        if root.is_file() and _archive_stem(root.name) is not None:
            unpacked = work / learner.id / "_unpacked"
            try:
                unpack(root, unpacked)  # every run: the archive may have been replaced
            except UsageError as exc:
                shutil.rmtree(unpacked, ignore_errors=True)
                if len(universe) == 1 and universe[0] in exercises:
                    # A one-exercise course: the archive can only be that one; its row says why it failed.
                    ex = universe[0]
                    summary.tasks += 1
                    if (learner.id, ex.id, attempt) in done:
                        summary.skipped += 1
                    else:
                        tasks.append(Task(learner.id, ex, attempt, derive_seed(secret, learner.id, ex.id, attempt), work / learner.id / ex.folder, root.name, "", str(exc)))
                else:
                    summary.unmatched.append((learner.id, root.name, str(exc)))
                continue
            root = unpacked

        def shown(path: Path, root: Path = root, learner: Learner = learner) -> str:
            return f"{learner.path.name}/{path.relative_to(root).as_posix()}" if root.is_dir() else learner.path.name

        mapping = map_files(root, universe)
        summary.unmatched.extend((learner.id, shown(path), why) for path, why in mapping.unmatched if scope is None or scope(shown(path)))
        for ex in exercises:
            key = (learner.id, ex.id, attempt)
            located = mapping.located.get(ex.id)
            if located is not None and scope is not None and not scope(shown(located.main)):
                located = None
            if located is None:
                summary.not_submitted.append((learner.id, ex.id))
                continue
            summary.tasks += 1
            if key in done:
                summary.skipped += 1
                continue
            seed = derive_seed(secret, learner.id, ex.id, attempt)
            dest = work / learner.id / ex.folder
            origin = shown(located.main)
            try:
                code = stage(ex, located, dest)
                tasks.append(Task(learner.id, ex, attempt, seed, dest, origin, code))
            except NotebookSupportMissing:
                raise  # the machine's problem, not the learner's: never a row
            except (GradeError, OSError) as exc:
                tasks.append(Task(learner.id, ex, attempt, seed, dest, origin, "", str(exc)))
    return tasks


def executor_for(kind: str, *, scheduler: str | None, config: Path | None, jobs: int) -> Executor | None:
    """The executor for ``--executor`` (None: the local process pool); says how to install Dask if needed."""
    if kind != "dask":
        return None
    from grader.instructor.dask_executor import DaskExecutor, require_dask

    require_dask()  # before anything is staged: say how to install it
    return DaskExecutor(scheduler=scheduler, config=config, jobs=jobs)


def grade_class(
    course: Course,
    submissions: Path | None,
    *,
    db: Path | None = None,
    out: Path | None = None,
    json_out: Path | None = None,
    exercises: list[Exercise] | None = None,
    jobs: int = 1,
    attempt: int = 1,
    threshold: float | None = None,
    executor: Executor | None = None,
    on_planned: Callable[[int], None] | None = None,
    on_row: Callable[[Row], None] | None = None,
    allow_weak_isolation: bool = False,
    nbgrader: Path | None = None,
) -> ClassGraded:
    """:func:`run_batch` into ``db`` (default: beside the exports), then the CSV and JSON exports
    asked for, unless the run was interrupted.

    With ``nbgrader`` (an nbgrader course folder) the submissions are its ``submitted/`` tree,
    the exercises those handed in there (or ``exercises``), the gradebook ``COURSE/grade.sqlite``
    by default, and every row of the attempt is then written into nbgrader's own gradebook
    (:mod:`grader.instructor.nbgrader_gradebook`)."""
    scope = maps = nb_course = None
    if nbgrader is not None:
        from grader.instructor import nbgrader_gradebook as nbg

        nb_course = nbg.open_course(nbgrader)
        if submissions is not None and submissions.resolve() != nb_course.submitted:
            raise UsageError(BOTH_SOURCES.format(submitted=nb_course.submitted))
        submissions = nb_course.submitted
        if exercises is None:
            handed = nb_course.assignments()
            exercises = [ex for ex in course.exercises if ex.folder in handed]
            if not exercises:
                raise UsageError(NO_ASSIGNMENT.format(submitted=submissions, found=", ".join(sorted(handed)) or "none",
                                                      known=", ".join(ex.folder for ex in course.exercises)))
        maps = nbg.assignment_maps(nb_course, course, exercises)  # before grading: a stale cell stops it here
        scope = nbg.in_scope(exercises)
        db = db or (default_db(out, json_out) if out or json_out else nb_course.root / NBGRADER_DB)
    elif submissions is None:
        raise UsageError(NO_SOURCE)
    db = db or default_db(out, json_out)
    summary = run_batch(course, submissions, db, exercises=exercises, jobs=jobs, attempt=attempt, threshold=threshold,
                        on_planned=on_planned, on_row=on_row, executor=executor,
                        require_isolation=not (allow_weak_isolation or course.allow_weak_isolation), scope=scope)
    written: list[Path] = []
    if summary.interrupted:
        return ClassGraded(summary, db, written)
    with Gradebook(db) as book:
        if out:
            book.export_csv(out)
            written.append(out)
        if json_out:
            book.export_json(json_out, course=course.title)
            written.append(json_out)
        if nb_course is not None and maps is not None:
            ids = {ex.id for ex in exercises or ()}
            rows = [r for r in book.rows(attempt=attempt) if r.exercise in ids]
            return ClassGraded(summary, db, written, nbg.write_scores(nb_course, maps, rows))
    return ClassGraded(summary, db, written)


def run_batch(
    course: Course,
    submissions: Path,
    db_path: Path,
    *,
    exercises: list[Exercise] | None = None,
    jobs: int = 1,
    attempt: int = 1,
    threshold: float | None = None,
    on_planned: Callable[[int], None] | None = None,
    on_row: Callable[[Row], None] | None = None,
    executor: Executor | None = None,
    require_isolation: bool = True,
    scope: Callable[[str], bool] | None = None,
) -> Summary:
    """Grade everything in ``submissions`` that the gradebook lacks; returns what happened.

    With ``require_isolation`` (the default) a machine that cannot apply every isolation
    layer grades nothing: IsolationMissing says which layer, why and how to get it."""
    from grader.instructor.similarity import DEFAULT_THRESHOLD, require_copydetect, similar_pairs

    require_copydetect()  # before anything is graded: the similarity report needs it (the error says how to install it)

    secret = course_secret(course)
    assert secret is not None
    exercises = list(exercises or course.exercises)
    if require_isolation and executor is None:
        # Asked here, before anything is staged; a Dask worker asks on its own machine (grade_task).
        for ex in exercises:
            check_isolation(ex)
    learners = discover(submissions)
    summary = Summary(learners=len(learners))
    work = db_path.with_suffix(".files")
    with Gradebook(db_path) as book:
        book.bind_secret(secret_fingerprint(secret))
        book.set_meta("course", course.title)
        tasks = plan_tasks(course, learners, exercises, attempt=attempt, secret=secret, work=work, done=book.done(), summary=summary,
                           scope=scope)
        book.set_unmatched(attempt, summary.unmatched)
        tasks = [dataclasses.replace(t, require_isolation=require_isolation) for t in tasks]
        if on_planned:
            on_planned(len(tasks))

        def record(row: Row) -> None:
            book.add(row)
            summary.graded += 1
            summary.errors += row.outcome == "error"
            if on_row:
                on_row(row)

        try:
            if executor is None:
                _grade_all(tasks, jobs, record)
            else:
                executor(tasks, record)
        except KeyboardInterrupt:
            summary.interrupted = True
        finally:
            summary.waiting = list(getattr(executor, "waiting", []))
        if not summary.interrupted:
            for ex in exercises:
                rows = [r for r in book.rows(exercise=ex.id, attempt=attempt) if r.code]
                ref = ex.reference_path.read_text(encoding="utf-8") if ex.reference_path.is_file() else None
                stub = ex.learner_paths[0] if ex.learner_paths else None  # what every learner was given
                given = stub.read_text(encoding="utf-8") if stub is not None and stub.is_file() else None
                pairs = similar_pairs({r.learner: r.code for r in rows}, threshold=threshold or DEFAULT_THRESHOLD, reference=ref,
                                      boilerplate=given)
                book.set_similarity(ex.id, attempt, pairs)
                summary.flagged.extend((ex.id, a, b, ratio) for a, b, ratio in pairs)
    return summary


# Grades tasks elsewhere (grader.instructor.dask_executor.DaskExecutor), calling record(row) as rows come back;
# an executor may keep a `waiting` list of (learner, exercise, why) it could not grade yet.
Executor = Callable[[list[Task], Callable[[Row], None]], None]


def died_row(task: Task) -> Row:
    """The row for a submission whose grading process was killed twice (see :func:`_grade_all`;
    grade serve's dispatcher too)."""
    ex = task.exercise
    return Row(
        learner=task.learner, exercise=ex.id, attempt=task.attempt, seed=task.seed, score=0.0, max_score=float(ex.points),
        outcome="zero", reason=POOL_DIED, checks=[], seconds=0.0, source=str(task.source), origin=task.origin,
        code_sha256=hashlib.sha256(task.code.encode()).hexdigest(), code=task.code,
    )


def _grade_all(tasks: Iterable[Task], jobs: int, record: Callable[[Row], None]) -> None:
    """Grade in a pool of processes (even for one job: learner code that kills its parent's
    process must take down a pool worker, never the batch). A task whose pool died is
    retried alone in a fresh pool; if that dies too, the submission scores 0 with the reason.
    """
    pending = list(tasks)
    suspects: list[Task] = []
    while pending:
        pool = cf.ProcessPoolExecutor(max_workers=jobs, initializer=_ignore_sigint)
        futures = {pool.submit(grade_task, t): t for t in pending}
        pending = []
        try:
            for future in cf.as_completed(futures):
                try:
                    record(future.result())
                except cf.process.BrokenProcessPool:
                    suspects.append(futures[future])
        except KeyboardInterrupt:
            # Stop handing out work, but record what is already being graded: it is valid.
            for f in futures:
                f.cancel()
            try:
                for future in cf.as_completed([f for f in futures if not f.cancelled()]):
                    if not future.cancelled() and future.exception() is None:
                        record(future.result())
            finally:
                pool.shutdown(wait=False, cancel_futures=True)
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    for task in suspects:  # one at a time, so the culprit cannot take others down with it
        pool = cf.ProcessPoolExecutor(max_workers=1, initializer=_ignore_sigint)
        try:
            record(pool.submit(grade_task, task).result())
        except cf.process.BrokenProcessPool:
            record(died_row(task))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
