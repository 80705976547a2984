"""Trusted scores for a course that lives in nbgrader: ``grade batch --nbgrader COURSE``.

Changes when how our results map onto nbgrader's gradebook changes. nbgrader's own
``autograde`` runs the test cells in the learner's kernel, in the same process as the learner's
code, so a learner cell can replace ``run_check`` (or anything it calls) and pass every test.
Here the notebooks that ``nbgrader collect`` put in ``COURSE/submitted/<student>/<assignment>/``
are graded like any ``grade batch`` submission (the learner's cells imported in the sandbox,
the checks in the grader's process; nbgrader's test cells are left out of the module), and the
scores are written into nbgrader's own gradebook through its API (``nbgrader.api.Gradebook``),
where formgrader, ``nbgrader export`` and the rest of nbgrader read them.

How scores map: an exercise is the nbgrader assignment named after its folder (``exNN_slug``),
with one notebook of the same name, as ``grade publish`` writes them. Each graded test cell
(``grade_id``) of that notebook runs one check function; its ``auto_score`` becomes the sum of
our scores for that function (every parametrisation: partial credit where nbgrader's cell
would give all or nothing), and ``needs_manual_grade`` is cleared unless a grader already set a
manual score, as nbgrader's own ``SaveAutoGrades`` does. Graded cells that run no check (a
written answer) are left to nbgrader. A student or submission nbgrader does not know yet is
added (with ``timestamp.txt``'s time), and an assignment it does not know yet is created from
the source notebook, so scores never wait for ``generate_assignment``.

Which cell runs which check is read from the assignment's source notebook
(``COURSE/source/exNN_slug/exNN_slug.ipynb``; without one, the notebook ``grade publish``
would write now). Before anything is graded it is checked against the course's checks and
nbgrader's gradebook: a cell whose check is gone or whose points differ stops the batch with
the file, the cell and the field, since its scores would be wrong.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.course import Course, Exercise
from grader.course.wording import count
from grader.errors import CourseError, UsageError
from grader.instructor.gradebook import Row

SUBMITTED = "submitted"
SOURCE = "source"
CONFIG = "nbgrader_config.py"
TIMESTAMP = "timestamp.txt"
DEFAULT_COURSE_ID = "default_course"
CHECK_CALL = "run_check"

MISSING = (
    "grade batch --nbgrader writes into nbgrader's gradebook, and nbgrader is not installed ({error}): "
    "pip install 'grade[nbgrader]'"
)
NOT_A_COURSE = (
    "{path} is not an nbgrader course folder: it has no {submitted}/ folder "
    "(nbgrader collect puts each learner's notebooks in {submitted}/<student>/<assignment>/)"
)
BAD_CONFIG = "{path} could not be read as nbgrader's configuration: {error}"
BAD_SOURCE = "not a readable notebook ({error})"
CELL_GONE = (
    "grade cell '{cell}' runs the check {check}, which {ex} does not have: publish again (grade publish) "
    "and regenerate the assignment (nbgrader generate_assignment)"
)
POINTS_DIFFER = (
    "grade cell '{cell}' is worth {theirs}, but the check {check} it runs is worth {ours:g}: "
    "publish again (grade publish) and regenerate the assignment (nbgrader generate_assignment)"
)
NO_CELL = "the check {check} ({points}) has no grade cell: publish again (grade publish) and regenerate the assignment"
NOT_NBGRADER_LAYOUT = "{origin} is not {submitted}/<student>/{assignment}/{notebook}.ipynb, so nbgrader has no place for its scores"
NO_GRADE = "nbgrader's gradebook has no grade for cell '{cell}' of this submission ({error})"


def require_nbgrader() -> None:
    """Say how to install nbgrader, before anything is graded, when it is missing."""
    try:
        import nbgrader.api  # noqa: F401
    except ImportError as exc:
        raise UsageError(MISSING.format(error=exc)) from None


@dataclass(frozen=True)
class NbgraderCourse:
    """An nbgrader course folder and the gradebook its configuration names."""

    root: Path
    db_url: str
    course_id: str

    @property
    def submitted(self) -> Path:
        return self.root / SUBMITTED

    def assignments(self) -> set[str]:
        """The assignment folders anyone has handed in."""
        return {a.name for s in self.submitted.iterdir() if s.is_dir() for a in s.iterdir() if a.is_dir()}


def open_course(root: Path) -> NbgraderCourse:
    """``root`` as an nbgrader course: its ``submitted/`` folder and its gradebook (``nbgrader_config.py``'s
    ``CourseDirectory.db_url`` and ``course_id``, else nbgrader's defaults)."""
    require_nbgrader()
    root = root.resolve()
    if not (root / SUBMITTED).is_dir():
        raise UsageError(NOT_A_COURSE.format(path=root, submitted=SUBMITTED))
    db_url, course_id = f"sqlite:///{root / 'gradebook.db'}", DEFAULT_COURSE_ID
    config_path = root / CONFIG
    if config_path.is_file():
        from traitlets.config.loader import PyFileConfigLoader

        try:
            config = PyFileConfigLoader(CONFIG, path=str(root)).load_config()
        except Exception as exc:  # the instructor's Python file: any error is theirs to see
            raise CourseError(config_path, BAD_CONFIG.format(path=config_path, error=f"{type(exc).__name__}: {exc}")) from None
        directory = config.get("CourseDirectory", {})
        if directory.get("root"):
            base = Path(str(directory["root"]))
            db_url = f"sqlite:///{(base if base.is_absolute() else root / base).resolve() / 'gradebook.db'}"
        db_url = str(directory.get("db_url") or db_url)
        course_id = str(directory.get("course_id") or course_id)
    return NbgraderCourse(root, db_url, course_id)


# --- which cell runs which check ------------------------------------------------------------


@dataclass(frozen=True)
class GradeCell:
    grade_id: str
    check: str  # the check function it runs
    points: float


@dataclass(frozen=True)
class AssignmentMap:
    """One exercise's place in nbgrader: assignment, notebook, and its graded cells."""

    exercise: str  # our exercise id
    assignment: str
    notebook: str
    cells: tuple[GradeCell, ...]
    solution_cells: tuple[str, ...] = ()


def _check_of(source: str) -> str | None:
    """The check function a test cell runs: ``run_check(CHECK, 'test_...', ...)``'s second argument."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == CHECK_CALL:
            if len(node.args) > 1 and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str):
                return node.args[1].value
    return None


def assignment_maps(nb: NbgraderCourse, course: Course, exercises: Sequence[Exercise]) -> list[AssignmentMap]:
    """Each exercise's grade cells, checked against its checks and against nbgrader's gradebook."""
    from grader.instructor.batch import course_secret, derive_seed
    from grader.instructor.publish.nbgrader import nbgrader_notebook
    from grader.instructor.publish.plan import plan_exercise

    secret = course_secret(course, required=False)
    maps = []
    for ex in exercises:
        plan = plan_exercise(ex)
        ours = {spec.function: spec.points for spec in plan.checks if not spec.function.startswith("Test")}
        path = nb.root / SOURCE / ex.folder / f"{ex.folder}.ipynb"
        if path.is_file():
            try:
                document = json.loads(path.read_text(encoding="utf-8"))
                cells_json = list(document["cells"])
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise CourseError(path, BAD_SOURCE.format(error=exc)) from None
        else:
            path = ex.directory  # nothing in source/: the notebook grade publish writes
            cells_json = nbgrader_notebook(plan, derive_seed(secret, "nbgrader", ex.id, 1))["cells"]
        cells: list[GradeCell] = []
        solutions: list[str] = []
        for i, cell in enumerate(cells_json):
            meta = (cell.get("metadata") or {}).get("nbgrader") or {}
            if meta.get("solution") and meta.get("grade_id"):
                solutions.append(str(meta["grade_id"]))
            if not meta.get("grade") or meta.get("solution"):
                continue
            source = cell.get("source", "")
            check = _check_of("".join(source) if isinstance(source, list) else str(source))
            if check is None:
                continue  # graded by hand (a written answer): nbgrader's
            where = f"cells[{i}].metadata.nbgrader"
            if check not in ours:
                raise CourseError(path, CELL_GONE.format(cell=meta.get("grade_id"), check=check, ex=ex.id), field=f"{where}.grade_id")
            if abs(float(meta.get("points", 0)) - ours[check]) > 1e-9:
                theirs = count(float(meta.get("points", 0)), "point")
                raise CourseError(path, POINTS_DIFFER.format(cell=meta.get("grade_id"), theirs=theirs, check=check, ours=ours[check]),
                                  field=f"{where}.points")
            cells.append(GradeCell(str(meta["grade_id"]), check, ours[check]))
        missing = sorted(set(ours) - {c.check for c in cells})
        if missing:
            points = count(ours[missing[0]], "point")
            raise CourseError(path, NO_CELL.format(check=missing[0], points=points), field="cells")
        amap = AssignmentMap(ex.id, ex.folder, ex.folder, tuple(cells), tuple(solutions))
        _agree_with_gradebook(nb, amap)
        maps.append(amap)
    return maps


def _agree_with_gradebook(nb: NbgraderCourse, amap: AssignmentMap) -> None:
    """The points nbgrader's gradebook holds for each cell (when it knows the notebook) are ours."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(nb.db_url, course_id=nb.course_id) as gb:
        try:
            notebook = gb.find_notebook(amap.notebook, amap.assignment)
        except MissingEntry:
            return  # created when the scores are written
        known = {c.name: c.max_score for c in notebook.grade_cells}
    for cell in amap.cells:
        if cell.grade_id in known and abs(float(known[cell.grade_id] or 0) - cell.points) > 1e-9:
            raise CourseError(
                nb.db_url.removeprefix("sqlite:///"),
                POINTS_DIFFER.format(cell=cell.grade_id, theirs=count(float(known[cell.grade_id] or 0), "point"),
                                     check=cell.check, ours=cell.points),
                field=f"{amap.assignment}/{amap.notebook}/{cell.grade_id}.max_score",
            )


# --- writing the scores ----------------------------------------------------------------------


@dataclass
class Written:
    """What went into nbgrader's gradebook."""

    db_url: str
    submissions: int = 0
    grades: int = 0
    skipped: list[tuple[str, str, str]] = field(default_factory=list)  # learner, exercise, why


def in_scope(exercises: Iterable[Exercise]) -> Callable[[str], bool]:
    """Whether a handed-in file (as shown: ``student/assignment/...``) is in an assignment of ours:
    notebooks of nbgrader assignments that are not exercises of this course are nbgrader's alone."""
    folders = {ex.folder for ex in exercises}

    def keep(shown: str) -> bool:
        parts = shown.split("/")
        return len(parts) > 2 and parts[1] in folders

    return keep


def _scores(row: Row) -> dict[str, float]:
    """Our score per check function (its parametrisations summed)."""
    out: dict[str, float] = {}
    for check in row.checks:
        name = str(check.get("id", "")).split("[")[0]
        out[name] = out.get(name, 0.0) + float(check.get("score", 0.0))
    return out


def _ensure_assignment(gb: Any, amap: AssignmentMap) -> None:
    """Create the assignment, notebook and cells nbgrader does not know yet (generate_assignment not run)."""
    from nbgrader.api import MissingEntry

    try:
        gb.find_assignment(amap.assignment)
    except MissingEntry:
        gb.add_assignment(amap.assignment)
    try:
        gb.find_notebook(amap.notebook, amap.assignment)
    except MissingEntry:
        gb.add_notebook(amap.notebook, amap.assignment)
    for cell in amap.cells:
        try:
            gb.find_grade_cell(cell.grade_id, amap.notebook, amap.assignment)
        except MissingEntry:
            gb.add_grade_cell(cell.grade_id, amap.notebook, amap.assignment, max_score=cell.points, cell_type="code")
    for name in amap.solution_cells:
        try:
            gb.find_solution_cell(name, amap.notebook, amap.assignment)
        except MissingEntry:
            gb.add_solution_cell(name, amap.notebook, amap.assignment)


def write_scores(nb: NbgraderCourse, maps: Sequence[AssignmentMap], rows: Iterable[Row]) -> Written:
    """Each row's per-check scores into nbgrader's gradebook, one submission at a time."""
    from nbgrader.api import Gradebook, MissingEntry

    by_exercise = {m.exercise: m for m in maps}
    written = Written(nb.db_url)
    with Gradebook(nb.db_url, course_id=nb.course_id) as gb:
        for amap in maps:
            _ensure_assignment(gb, amap)
        for row in rows:
            amap = by_exercise.get(row.exercise)
            if amap is None:
                continue
            parts = row.origin.split("/")
            if len(parts) != 3 or parts[1] != amap.assignment or parts[2] != f"{amap.notebook}.ipynb":
                written.skipped.append((row.learner, row.exercise, NOT_NBGRADER_LAYOUT.format(
                    origin=row.origin, submitted=SUBMITTED, assignment=amap.assignment, notebook=amap.notebook)))
                continue
            student = parts[0]  # nbgrader's student id: the folder's own name
            try:
                gb.find_student(student)
            except MissingEntry:
                gb.add_student(student)
            kwargs: dict[str, Any] = {}
            stamp = nb.submitted / student / amap.assignment / TIMESTAMP
            if stamp.is_file():
                kwargs["timestamp"] = stamp.read_text(encoding="utf-8").strip()
            try:
                gb.update_or_create_submission(amap.assignment, student, **kwargs)
            except Exception:  # an unreadable timestamp must not cost the scores
                gb.update_or_create_submission(amap.assignment, student)
            scores = _scores(row)
            try:
                for cell in amap.cells:
                    grade = gb.find_grade(cell.grade_id, amap.notebook, amap.assignment, student)
                    grade.auto_score = min(cell.points, scores.get(cell.check, 0.0))
                    # as nbgrader's SaveAutoGrades: a score a grader set by hand still asks for review
                    grade.needs_manual_grade = grade.manual_score is not None
            except MissingEntry as exc:
                gb.db.rollback()  # all of a submission's scores, or none
                written.skipped.append((row.learner, row.exercise, NO_GRADE.format(cell=cell.grade_id, error=exc)))
                continue
            gb.db.commit()
            written.submissions += 1
            written.grades += len(amap.cells)
    return written
