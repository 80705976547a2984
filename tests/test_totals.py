"""One truth for totals: a check not run on this machine (skipped, like ex15's speed checks
without a GPU) is ungraded everywhere, and counted in no total.

A copy of ex01 gains two checks skipped by ``pytest.mark.skipif`` (3 points each, as ex15's
``needs_gpu``): the card, ``--json``, ``--gradescope``, the learner's store, a batch's gradebook
row with its CSV and JSON exports, and the report must all say 20/20 with 6 points ungraded.
"""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from grader.checking.results import UNGRADED, CheckResult, ExerciseResult
from grader.cli import main
from grader.course import load_course
from grader.grading.card import ALL_DONE, score_card
from grader.instructor.gradebook import Gradebook

from .conftest import ROOT, one_exercise_course
from .instructor_support import CORRECT, SECRET

EX = "ex01_cosine_similarity"
REASON = "needs a CUDA GPU, and this machine has none"
GPU_CHECKS = f'''"""Checks this machine never runs, like ex15's speed checks without a GPU."""

import pytest

from grader.checking import points

needs_gpu = pytest.mark.skipif(True, reason="{REASON}")


@needs_gpu
@points(3)
def test_speed_is_within_twice_the_reference(submission):
    raise AssertionError("never run here")


@needs_gpu
@points(3)
def test_speed_is_within_1_5_times_the_reference(submission):
    raise AssertionError("never run here")
'''
GRADED, UNGRADED_POINTS = 20, 6  # ex01's 20 points run here; the 6 of the two speed checks do not
WRONG = CORRECT.replace("return unit(A) @ unit(B).T", "return A @ B.T")  # the raw dot product: partial


def gpu_course(root: Path) -> Path:
    """ex01 with two more checks, worth 6 points, that this machine never runs."""
    course = one_exercise_course(root, "GPU course")
    # A file of their own: pytest runs checks in this process, where a test_cosine module is already known.
    (course / "exercises" / EX / "checks" / "test_cosine_on_a_gpu.py").write_text(GPU_CHECKS)
    spec = course / "exercises" / EX / "exercise.yaml"
    text = spec.read_text().replace("points: 20", f"points: {GRADED + UNGRADED_POINTS}")
    both = "checks: [checks/test_cosine.py, checks/test_cosine_on_a_gpu.py]"
    spec.write_text(text.replace("checks: [checks/test_cosine.py]", both))
    (course / "course.yaml").write_text(f"title: GPU course\nsecret: {SECRET}\nexercises:\n  - {EX}\n")
    return course


@pytest.fixture
def course_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("GRADE_STATE_DIR", raising=False)
    course = gpu_course(tmp_path / "course")
    shutil.copy(ROOT / "solutions" / EX / "cosine.py", course / "exercises" / EX / "cosine.py")
    return course


def grade(course: Path, *args: str):
    return CliRunner().invoke(main, ["--course", str(course), *args], catch_exceptions=False)


def test_card_json_gradescope_and_store_say_the_same_total(course_dir: Path, tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    card = grade(course_dir, "ex01", "--seed", "5", "--gradescope", str(results))
    assert card.exit_code == 0, card.output  # full marks: every graded point
    head = card.output.splitlines()[0]
    assert f"{GRADED}/{GRADED} · {UNGRADED_POINTS} points ungraded" in head, head
    assert "26" not in head
    assert f"Full marks on the {GRADED} points graded here" in card.output
    assert ALL_DONE not in card.output  # never a plain "Full marks." while points wait
    assert f"{UNGRADED_POINTS} points wait for a machine that can run their checks ({REASON})" in card.output
    assert card.output.count(f"ungraded (3 points): {REASON}") == 2

    data = json.loads(grade(course_dir, "ex01", "--seed", "5", "--json").output)
    totals = (data["score"], data["max_score"], data["ungraded_points"], data["full_marks"])
    assert totals == (GRADED, GRADED, UNGRADED_POINTS, True)
    ungraded = [t for t in data["tests"] if t["status"] == UNGRADED]
    assert [(t["max_score"], t["score"], t["output"]) for t in ungraded] == [(3, 0, REASON)] * 2
    assert "skipped" not in {t["status"] for t in data["tests"]}

    gs = json.loads(results.read_text())
    assert gs["score"] == GRADED and sum(t["max_score"] for t in gs["tests"]) == GRADED  # what Gradescope totals
    assert gs["extra_data"] == {"max_score": GRADED, "ungraded_points": UNGRADED_POINTS}
    not_run = [t for t in gs["tests"] if "ungraded" in t["tags"]]
    assert len(not_run) == 2 and len(gs["tests"]) == 13
    for t in not_run:
        assert t["max_score"] == t["score"] == 0 and "status" not in t  # neither passed nor failed
        assert t["name"].endswith("(ungraded)") and "3 points are in no total" in t["output"] and REASON in t["output"]
    assert all(t["status"] == "passed" for t in gs["tests"] if t not in not_run)
    assert f"{UNGRADED_POINTS} points are not graded here" in gs["output"]

    from grader.learner.store import Store

    with Store.open(load_course(course_dir)) as store:
        progress = store.progress("ex01")
        assert (progress.best_score, progress.max_score) == (GRADED, GRADED) and progress.first_solved is not None
        attempts = [tuple(r) for r in store.conn.execute("SELECT score, max_score FROM attempt")]
        assert attempts == [(GRADED, GRADED)] * 2


def test_a_partial_score_is_out_of_the_graded_points(course_dir: Path, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.py"
    wrong.write_text(WRONG)
    card = grade(course_dir, "ex01", "--seed", "5", "--file", str(wrong))
    assert card.exit_code == 1
    data = json.loads(grade(course_dir, "ex01", "--seed", "5", "--file", str(wrong), "--json").output)
    assert 0 < data["score"] < GRADED and data["max_score"] == GRADED and data["ungraded_points"] == UNGRADED_POINTS
    assert f"{data['score']:g}/{GRADED} · {UNGRADED_POINTS} points ungraded" in card.output.splitlines()[0]
    assert "grade ex01 --seed 5" in card.output and "points wait for a machine" in card.output


def _result(*statuses: str, max_score: float = 4.0) -> ExerciseResult:
    result = ExerciseResult(exercise="ex99", title="T", seed=1, max_score=max_score)
    result.checks = [
        CheckResult(name=f"c{i}", test_id=f"t{i}", score=2.0 if s == "passed" else 0.0, max_score=2.0, status=s,
                    output=REASON if s == "skipped" else "")
        for i, s in enumerate(statuses)
    ]
    return result


def test_one_definition_for_every_output() -> None:
    result = _result("passed", "skipped")
    assert (result.score, result.graded_max, result.ungraded_points, result.full_marks) == (2, 2, 2, True)
    assert result.to_json()["max_score"] == 2 and result.to_json()["ungraded_points"] == 2
    gs = result.to_gradescope()
    assert gs["score"] == sum(t["max_score"] for t in gs["tests"]) == 2
    card = click.unstyle(score_card(result))
    assert "2/2 · 2 points ungraded" in card and "1 point" not in card.splitlines()[0]
    assert "2 points wait for a machine that can run its check" in card


def test_nothing_graded_is_not_full_marks_and_asks_for_no_replay() -> None:
    result = _result("skipped", "skipped")
    assert not result.full_marks and result.graded_max == 0
    card = click.unstyle(score_card(result))
    assert "0/0 · 4 points ungraded" in card and "4 points wait for a machine" in card
    assert "Full marks" not in card and "--seed" not in card and "hidden checks" not in card


def test_published_hidden_points_stay_in_the_total_beside_ungraded_ones() -> None:
    result = _result("passed", "skipped", max_score=10.0)  # 6 points of hidden checks, not in this copy
    assert result.graded_max == 8 and not result.full_marks
    card = click.unstyle(score_card(result))
    assert "2/8 · 2 points ungraded" in card and "The other 6 points are graded by your instructor" in card
    assert "--seed" not in card


def test_batch_gradebook_exports_and_report_count_the_graded_points(course_dir: Path, tmp_path: Path) -> None:
    subs = tmp_path / "submissions"
    for learner, code in (("right", CORRECT), ("wrong", WRONG)):
        (subs / learner).mkdir(parents=True)
        (subs / learner / "cosine.py").write_text(code)
    out, js = tmp_path / "grades.csv", tmp_path / "grades.json"
    run = grade(course_dir, "batch", str(subs), "--out", str(out), "--json", str(js), "--allow-weak-isolation")
    assert run.exit_code == 0, run.output

    with Gradebook(tmp_path / "grades.sqlite") as book:
        rows = {r.learner: r for r in book.rows()}
    right, wrong = rows["right"], rows["wrong"]
    assert (right.score, right.max_score, right.ungraded_points) == (GRADED, GRADED, UNGRADED_POINTS)
    assert right.outcome == "full"
    assert "6 points ungraded" in right.reason
    assert (wrong.max_score, wrong.ungraded_points, wrong.outcome) == (GRADED, UNGRADED_POINTS, "partial")
    assert [c["status"] for c in right.checks].count(UNGRADED) == 2

    with open(out, newline="") as f:
        table = {r["learner"]: r for r in csv.DictReader(f)}
    right_csv = table["right"]
    assert (right_csv["max_score"], right_csv["ungraded_points"], right_csv["failed_checks"]) == ("20", "6", "")
    assert "speed" not in table["wrong"]["failed_checks"] and table["wrong"]["failed_checks"]

    exported = {r["learner"]: r for r in json.loads(js.read_text())["rows"]}
    totals = {(k, r["max_score"], r["ungraded_points"]) for k, r in exported.items()}
    assert totals == {("right", 20, 6), ("wrong", 20, 6)}

    pytest.importorskip("matplotlib")
    pytest.importorskip("jinja2")
    from grader.instructor.report import page_data

    page = page_data(json.loads(js.read_text()), list(exported.values()))
    assert page["cards"][0]["max"] == "20" and page["cards"][0]["ungraded"] == "6 points ungraded"
    assert not any("speed" in name for name, *_ in page["exercises"][0]["checks"])  # not run: no failure rate
    assert {row[3].split("/")[1] for row in page["slowest"]} == {"20"}


OLD_GRADES = """
CREATE TABLE grades (
    learner TEXT NOT NULL, exercise TEXT NOT NULL, attempt INTEGER NOT NULL, seed INTEGER NOT NULL,
    score REAL NOT NULL, max_score REAL NOT NULL, outcome TEXT NOT NULL, reason TEXT NOT NULL,
    checks TEXT NOT NULL, seconds REAL NOT NULL, source TEXT NOT NULL, origin TEXT NOT NULL,
    code_sha256 TEXT NOT NULL, code TEXT NOT NULL, graded_at TEXT NOT NULL,
    PRIMARY KEY (learner, exercise, attempt)
);
"""


def test_an_older_gradebook_is_migrated_keeping_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript(OLD_GRADES)
    gpu = [{"name": "fast", "max_score": 6.0, "score": 0.0, "status": "skipped"},
           {"name": "right", "max_score": 24.0, "score": 24.0, "status": "passed"}]
    plain = [{"name": "right", "max_score": 20.0, "score": 10.0, "status": "failed"}]
    for learner, exercise, score, max_score, checks in (("a", "ex15", 24.0, 30.0, gpu),
                                                         ("b", "ex01", 10.0, 20.0, plain)):
        db.execute("INSERT INTO grades VALUES (?, ?, 1, 7, ?, ?, 'full', '', ?, 1.0, 's', 'o', '0', 'code', 'then')",
                   (learner, exercise, score, max_score, json.dumps(checks)))
    db.commit()
    db.close()

    with Gradebook(path) as book:
        rows = {r.learner: r for r in book.rows()}
    assert (rows["a"].score, rows["a"].max_score, rows["a"].ungraded_points) == (24, 24, 6)
    assert [c["status"] for c in rows["a"].checks] == [UNGRADED, "passed"]
    assert (rows["b"].score, rows["b"].max_score, rows["b"].ungraded_points, rows["b"].code) == (10, 20, 0, "code")
    with Gradebook(path) as book:  # once only
        assert {r.learner: r.max_score for r in book.rows()} == {"a": 24, "b": 20}
