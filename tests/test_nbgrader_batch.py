"""`grade batch --nbgrader COURSE`: an nbgrader course graded in the sandbox, scores in nbgrader's gradebook.

A tiny nbgrader course is built in a temporary folder: the source notebook `grade publish`
writes, a gradebook made through nbgrader's own API (as generate_assignment would leave it),
and submitted notebooks with learner code in the solution cell. Scores are read back through
nbgrader's API. A learner cell that replaces run_check fools nbgrader's own model (the test
cells run in the learner's kernel) and changes nothing in the trusted score.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.course import load_course
from grader.instructor.batch import derive_seed
from grader.instructor.gradebook import Gradebook as OurGradebook
from grader.instructor.publish.nbgrader import SELF_CHECK, nbgrader_notebook
from grader.instructor.publish.plan import plan_exercise

from .instructor_support import CLASS, CORRECT, EX, SECRET, make_course

pytest.importorskip("nbgrader", reason="nbgrader is not installed (pip install 'grade[nbgrader]')")
pytest.importorskip("IPython", reason="IPython reads learners' notebooks (pip install 'grade[notebooks]')")
from nbgrader.api import Gradebook  # noqa: E402

# nbgrader's own add_submission trips these SQLAlchemy warnings (its autograde does too).
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:Object of type <Submitted")]

WRONG = CLASS["misc_least_first"][0]  # top_k_similar returns the least similar first: three checks fail
# Fools nbgrader's model: every test cell imports run_check from the module this patches.
FORGERY = '''try:
    import grader.checking.notebook as _checks
    _checks.run_check = lambda *args, **kwargs: None
except Exception:
    pass


def run_check(*args, **kwargs):
    return None
'''
MAGICS = [
    "%%bash\necho 'this never runs while grading'\nls -la\n",
    "files = !ls\n%matplotlib inline\n%time warm = cosine_similarity(np.ones(3), np.ones(3))\n",
    "cosine_similarity?\n!pip install nothing-at-all\n",
    "%%time\nassert abs(warm - 1.0) < 1e-9\n",
]
OTHER_ASSIGNMENT = "ps0"  # an nbgrader assignment that is not one of grade's exercises


def _cells(source: dict[str, Any], solution: str | None = None, extra: list[str] = (), release: bool = True) -> dict[str, Any]:
    """The source notebook as a learner hands it in: the solution cell filled in, their extra
    cells after it, and (as nbgrader's release does) the hidden tests cut out."""
    nb = json.loads(json.dumps(source))
    cells = []
    for cell in nb["cells"]:
        meta = cell["metadata"]["nbgrader"]
        text = "".join(cell["source"])
        if meta.get("solution") and solution is not None:
            cell["source"] = solution.splitlines(keepends=True)
        elif release and "### BEGIN HIDDEN TESTS" in text:
            text = re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n?", "", text, flags=re.S)
            cell["source"] = text.splitlines(keepends=True)
        cells.append(cell)
        if meta.get("solution"):
            for i, code in enumerate(extra):
                cells.append({"cell_type": "code", "id": f"mine-{i}", "metadata": {}, "execution_count": None, "outputs": [],
                              "source": code.splitlines(keepends=True)})
    nb["cells"] = cells
    return nb


def _submit(nbcourse: Path, student: str, notebook: dict[str, Any] | str, assignment: str = EX, timestamp: str | None = None) -> None:
    folder = nbcourse / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    text = notebook if isinstance(notebook, str) else json.dumps(notebook)
    (folder / f"{assignment}.ipynb").write_text(text)
    if timestamp:
        (folder / "timestamp.txt").write_text(timestamp)


def _nbgrader_gradebook(nbcourse: Path, source: dict[str, Any], students: list[str]) -> None:
    """The gradebook generate_assignment would leave, made through nbgrader's API."""
    with Gradebook(f"sqlite:///{nbcourse / 'gradebook.db'}", course_id="grade-test") as gb:
        gb.add_assignment(EX)
        gb.add_notebook(EX, EX)
        for cell in source["cells"]:
            meta = cell["metadata"]["nbgrader"]
            if meta.get("grade"):
                gb.add_grade_cell(meta["grade_id"], EX, EX, max_score=meta["points"], cell_type="code")
            if meta.get("solution"):
                gb.add_solution_cell(meta["grade_id"], EX, EX)
        for student in students:
            gb.add_student(student)


def _scores(nbcourse: Path, student: str) -> tuple[float, dict[str, tuple[float | None, bool]]]:
    with Gradebook(f"sqlite:///{nbcourse / 'gradebook.db'}") as gb:
        submission = gb.find_submission(EX, student)
        cells = {g.name: (g.auto_score, g.needs_manual_grade) for nb in submission.notebooks for g in nb.grades}
        return submission.score, cells


def _batch(course: Path, *args: str) -> Any:
    return CliRunner().invoke(main, ["--course", str(course), "batch", *args], catch_exceptions=False)


def _run_in_one_kernel(nb: dict[str, Any]) -> dict[str, str]:
    """Every code cell in one namespace, in order, as nbgrader's autograde runs them: grade_id -> 'ok' or the error."""
    import grader.checking.notebook as checks

    real = checks.run_check
    namespace: dict[str, Any] = {"__name__": "__main__"}
    out = {}
    try:
        for i, cell in enumerate(nb["cells"]):
            if cell["cell_type"] != "code":
                continue
            name = cell["metadata"].get("nbgrader", {}).get("grade_id", f"cell-{i}")
            try:
                exec(compile("".join(cell["source"]), name, "exec"), namespace)
                out[name] = "ok"
            except Exception as exc:
                out[name] = f"{type(exc).__name__}: {exc}"
    finally:
        checks.run_check = real  # the forgery patched this process's module
    return out


@pytest.fixture(scope="module")
def nbclass(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("nbgrader")
    course = make_course(base / "course")
    ex = load_course(course).resolve("ex01")
    source = nbgrader_notebook(plan_exercise(ex), derive_seed(SECRET, "nbgrader", "ex01", 1))
    nbcourse = base / "nbcourse"
    (nbcourse / "source" / EX).mkdir(parents=True)
    (nbcourse / "source" / EX / f"{EX}.ipynb").write_text(json.dumps(source))
    (nbcourse / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.course_id = 'grade-test'\n")
    students = ["right", "wrong", "forger", "magic", "broken"]
    _nbgrader_gradebook(nbcourse, source, students[:-1])  # "broken" is new to nbgrader: added by the batch
    _submit(nbcourse, "right", _cells(source, CORRECT), timestamp="2025-03-01 10:00:00.000000 UTC")
    _submit(nbcourse, "wrong", _cells(source, WRONG))
    _submit(nbcourse, "forger", _cells(source, WRONG, [FORGERY]))
    _submit(nbcourse, "magic", _cells(source, CORRECT, MAGICS))
    _submit(nbcourse, "broken", "{ this is not json")
    _submit(nbcourse, "right", {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, assignment=OTHER_ASSIGNMENT)
    run = _batch(course, "--nbgrader", str(nbcourse), "--jobs", "2")
    with OurGradebook(nbcourse / "grade.sqlite") as book:  # ours, resumable, beside nbgrader's by default
        rows = {r.learner: dataclasses.asdict(r) for r in book.rows()}
    return {"base": base, "course": course, "nbcourse": nbcourse, "source": source, "run": run, "rows": rows}


def test_scores_go_into_nbgrader_gradebook_cell_by_cell(nbclass):
    nbcourse, rows, run = nbclass["nbcourse"], nbclass["rows"], nbclass["run"]
    assert run.exit_code == 1, run.output  # "broken" could not be graded
    graded = [c for c in nbclass["source"]["cells"] if c["metadata"]["nbgrader"].get("grade")]
    assert f"wrote {5 * len(graded)} grades of 5 submissions into nbgrader's gradebook" in run.output
    total, cells = _scores(nbcourse, "right")
    assert total == 20 == rows["right"]["score"]
    assert set(cells) == {c["metadata"]["nbgrader"]["grade_id"] for c in graded}
    for cell in graded:
        meta = cell["metadata"]["nbgrader"]
        assert cells[meta["grade_id"]] == (meta["points"], False)  # full points, nothing left to grade by hand
    total, cells = _scores(nbcourse, "wrong")
    assert total == rows["wrong"]["score"] == 16
    failed = {c["id"] for c in rows["wrong"]["checks"] if c["status"] != "passed"}
    assert failed == {"test_top_k_returns_the_most_similar_rows_first", "test_top_k_breaks_ties_towards_the_lower_index",
                      "test_top_k_ranks_by_cosine_not_by_dot_product"}
    assert sum(score for score, _ in cells.values()) == 16 and sorted(s for s, _ in cells.values() if s == 0) == [0, 0, 0]


def test_a_learner_cell_that_replaces_run_check_fools_nbgrader_but_not_the_trusted_score(nbclass):
    source = nbclass["source"]
    # In one kernel, as nbgrader's autograde runs the instructor's notebook (hidden tests restored):
    honest = _run_in_one_kernel(_cells(source, WRONG, release=False))
    forged = _run_in_one_kernel(_cells(source, WRONG, [FORGERY], release=False))
    assert sum(v != "ok" for v in honest.values()) == 3
    assert set(forged.values()) == {"ok"}, forged  # nbgrader would give full marks
    # Graded in the sandbox, the forgery changes nothing: the same score and checks as without it.
    rows = nbclass["rows"]
    assert rows["forger"]["score"] == rows["wrong"]["score"] == 16
    assert [(c["id"], c["status"]) for c in rows["forger"]["checks"]] == [(c["id"], c["status"]) for c in rows["wrong"]["checks"]]
    assert _scores(nbclass["nbcourse"], "forger")[0] == 16


def test_notebooks_with_magics_import_and_earn_full_marks(nbclass):
    row = nbclass["rows"]["magic"]
    assert row["score"] == 20, row["reason"]
    assert _scores(nbclass["nbcourse"], "magic")[0] == 20
    staged = (Path(row["source"]) / "cosine.py").read_text()
    assert "get_ipython" not in staged and "warm = cosine_similarity(np.ones(3), np.ones(3))" in staged
    assert "run_check(CHECK" not in staged  # nbgrader's test cells are not the learner's module


def test_an_unreadable_notebook_names_the_learner_and_file_and_scores_zero(nbclass):
    row = nbclass["rows"]["broken"]
    assert row["outcome"] == "error"
    assert f"broken/{EX}/{EX}.ipynb:1: not a readable notebook (not JSON" in row["reason"]
    total, cells = _scores(nbclass["nbcourse"], "broken")  # added to nbgrader, as its autograde would
    assert total == 0 and all(score == 0 for score, _ in cells.values())


def test_other_nbgrader_assignments_are_left_alone_and_timestamps_kept(nbclass):
    run = nbclass["run"]
    assert OTHER_ASSIGNMENT not in run.output and "0 unmatched" in run.output
    with Gradebook(f"sqlite:///{nbclass['nbcourse'] / 'gradebook.db'}") as gb:
        assert [a.name for a in gb.assignments] == [EX]
        assert str(gb.find_submission(EX, "right").timestamp).startswith("2025-03-01 10:00:00")
    assert set(nbclass["rows"]) == {"right", "wrong", "forger", "magic", "broken"}


def test_a_rerun_grades_nothing_again_and_keeps_a_graders_manual_score(nbclass):
    nbcourse = nbclass["nbcourse"]
    hand = "hidden_check_7"  # a top_k check "wrong" failed: a grader gives 1 point by hand
    with Gradebook(f"sqlite:///{nbcourse / 'gradebook.db'}") as gb:
        grade = gb.find_grade(hand, EX, EX, "wrong")
        assert grade.auto_score == 0
        grade.manual_score = 1.0
        gb.db.commit()
    again = _batch(nbclass["course"], "--nbgrader", str(nbcourse), "--assignment", EX)
    assert "\n0 graded now, 5 already in" in again.output, again.output
    total, cells = _scores(nbcourse, "wrong")
    assert cells[hand] == (0.0, True) and total == 17  # the manual score counts and still asks for review


def test_a_stale_source_notebook_stops_before_grading_naming_file_and_field(nbclass, tmp_path):
    nbcourse = tmp_path / "stale"
    shutil.copytree(nbclass["nbcourse"], nbcourse)
    path = nbcourse / "source" / EX / f"{EX}.ipynb"
    nb = json.loads(path.read_text())
    index, cell = next((i, c) for i, c in enumerate(nb["cells"]) if c["metadata"]["nbgrader"].get("grade"))
    cell["metadata"]["nbgrader"]["points"] = 5
    path.write_text(json.dumps(nb))
    run = _batch(nbclass["course"], "--nbgrader", str(nbcourse), "--db", str(tmp_path / "g.sqlite"))
    assert run.exit_code == 3, run.output
    assert str(path) in run.output and f"field 'cells[{index}].metadata.nbgrader.points'" in run.output
    assert "publish again" in run.output and not (tmp_path / "g.sqlite").exists()


def test_without_a_gradebook_the_assignment_is_created_and_scored(nbclass, tmp_path):
    nbcourse = tmp_path / "fresh"
    (nbcourse / "submitted").mkdir(parents=True)
    shutil.copytree(nbclass["nbcourse"] / "submitted" / "right", nbcourse / "submitted" / "right")
    run = _batch(nbclass["course"], "--nbgrader", str(nbcourse))  # no source/, no gradebook.db, no config
    assert run.exit_code == 0, run.output
    assert _scores(nbcourse, "right")[0] == 20


def test_bad_nbgrader_invocations_are_usage_errors(nbclass, tmp_path):
    run = _batch(nbclass["course"], "--nbgrader", str(tmp_path))
    assert run.exit_code == 2 and f"{tmp_path.resolve()} is not an nbgrader course folder" in run.output
    both = _batch(nbclass["course"], str(tmp_path), "--nbgrader", str(nbclass["nbcourse"]))
    assert both.exit_code == 2 and "give no SUBMISSIONS folder" in both.output
    neither = _batch(nbclass["course"])
    assert neither.exit_code == 2 and "--nbgrader COURSE" in neither.output


def test_published_test_cells_say_they_are_a_self_check(nbclass):
    public = [c for c in nbclass["source"]["cells"] if c["metadata"]["nbgrader"].get("grade_id", "").startswith("check_")]
    assert public and all(SELF_CHECK in "".join(c["source"]) for c in public)
    assert "grade batch --nbgrader" in SELF_CHECK
