"""`grade batch` end to end on a synthetic class of 34 learners (see instructor_support.py)."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.course import load_course
from grader.instructor.batch import derive_seed, discover, locate
from grader.instructor.similarity import REFERENCE, normalise, similar_pairs

from .instructor_support import (
    CLASS,
    COPIED,
    CORRECT,
    COS,
    EX,
    LOOPS,
    PAIR,
    ROOT,
    SECRET,
    _module,
    make_class,
    make_course,
)

GRADE = [sys.executable, "-c", "from grader.cli import run; run()"]


def grade_cli(*args: str, cwd: Path, timeout: float = 600, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k not in ("GRADE_COURSE", "GRADE_SECRET")}
    full_env.update(env or {})
    return subprocess.run([*GRADE, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=full_env)


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("class")
    course = make_course(base / "course")
    expected = make_class(base / "submissions")
    started = time.perf_counter()
    run = grade_cli("batch", str(base / "submissions"), "--out", str(base / "grades.csv"), "--json", str(base / "grades.json"), "--jobs", "2", cwd=course)
    seconds = time.perf_counter() - started
    assert run.returncode in (0, 1), run.stderr + run.stdout
    rows = json.loads((base / "grades.json").read_text())["rows"]
    return {"base": base, "course": course, "expected": expected, "run": run, "rows": {r["learner"]: r for r in rows}, "seconds": seconds}


pytestmark = pytest.mark.slow


def test_the_class_is_big_enough_and_every_submission_gets_a_row(graded_class):
    expected, rows = graded_class["expected"], graded_class["rows"]
    assert len(expected) >= 30
    handed_in = {learner for learner, outcome in expected.items() if outcome != "absent"}
    assert set(rows) == handed_in
    assert graded_class["run"].returncode == 1  # two submissions could not be graded (unreadable)
    assert "nothing handed in" in graded_class["run"].stdout


def test_outcomes_match_what_each_submission_deserves(graded_class):
    rows = graded_class["rows"]
    wrong = {
        learner: (rows[learner]["outcome"], outcome, rows[learner]["reason"][:200])
        for learner, outcome in graded_class["expected"].items()
        if learner in rows and rows[learner]["outcome"] != outcome
    }
    assert not wrong, wrong
    for row in rows.values():
        if row["outcome"] == "full":
            assert row["score"] == row["max_score"] == 20
        assert row["checks"] or row["outcome"] == "error"
        assert row["reason"]


def test_reasons_say_what_went_wrong(graded_class):
    rows = graded_class["rows"]
    assert "wall clock" in rows["hang_sleep"]["reason"]
    assert "top k" in rows["hang_loop"]["reason"]
    assert "printed more than" in rows["hostile_flood"]["reason"]
    assert "exited" in rows["crash_sys_exit"]["reason"] or "SystemExit" in rows["crash_sys_exit"]["reason"]
    assert "RuntimeError" in rows["crash_raises"]["reason"]
    assert "SyntaxError" in rows["crash_syntax"]["reason"]
    assert "not a readable notebook" in rows["bad_notebook"]["reason"]
    assert "not a readable zip" in rows["bad_zip"]["reason"]
    assert "no function top_k_similar" in rows["partial_missing_fn"]["reason"]
    # The misconceptions are recognised and named in the per-check results.
    named = {r["learner"]: {c.get("misconception") for c in r["checks"]} for r in rows.values()}
    for learner, name in {
        "misc_raw_dot": "raw dot product",
        "misc_one_side": "normalised one side only",
        "misc_nan_zero": "division by a zero norm",
        "misc_least_first": "least similar first",
        "misc_unstable_ties": "ties in arbitrary order",
    }.items():
        assert name in named[learner], (learner, rows[learner]["reason"])


def test_exports_are_complete_and_consistent(graded_class):
    base, rows = graded_class["base"], graded_class["rows"]
    with open(base / "grades.csv", newline="") as f:
        table = list(csv.DictReader(f))
    assert {r["learner"] for r in table} == set(rows)
    for r in table:
        assert float(r["score"]) == rows[r["learner"]]["score"]
        assert r["replay"] == f"grade ex01 --file {rows[r['learner']]['source']} --seed {r['seed']}"
    with sqlite3.connect(base / "grades.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM grades").fetchone()[0] == len(rows)
    assert not list(base.glob(".grades.*")), "a temporary export file was left behind"


def test_seeds_come_from_the_course_secret(graded_class):
    rows = graded_class["rows"]
    for learner, row in rows.items():
        assert row["seed"] == derive_seed(SECRET, learner, "ex01", 1)
    assert len({r["seed"] for r in rows.values()}) == len(rows)
    assert derive_seed(SECRET, "a", "ex01", 1) != derive_seed(SECRET, "a", "ex01", 2)
    assert derive_seed(SECRET, "a", "ex01", 1) != derive_seed("another secret", "a", "ex01", 1)


@pytest.mark.parametrize("learner", ["correct_01", "lone_notebook", "misc_raw_dot", "misc_one_side", "partial_topk", "crash_raises", "hostile_always_equal"])
def test_gradebook_matches_a_single_grade_run_with_the_same_seed(graded_class, learner):
    row = graded_class["rows"][learner]
    single = grade_cli("ex01", "--file", row["source"], "--seed", str(row["seed"]), "--json", cwd=graded_class["course"])
    result = json.loads(single.stdout)
    assert result["score"] == row["score"]
    assert [(t["id"], t["status"], t["score"], t.get("misconception")) for t in result["tests"]] == [
        (c["id"], c["status"], c["score"], c.get("misconception")) for c in row["checks"]
    ]


def test_near_identical_code_is_flagged_for_review(graded_class):
    rows = graded_class["rows"]
    assert "copier_a" in rows["copier_b"]["similar_to"]
    assert "correct_03" not in rows["correct_02"]["similar_to"]  # loops and einsum are different work
    assert "near-identical code" in graded_class["run"].stdout


def test_a_rerun_grades_nothing_twice(graded_class):
    base = graded_class["base"]
    again = grade_cli("batch", str(base / "submissions"), "--out", str(base / "grades.csv"), "--jobs", "2", cwd=graded_class["course"])
    assert again.returncode in (0, 1), again.stderr
    assert again.stdout.startswith(f"0 graded now, {len(graded_class['rows'])} already in")


# --- resuming, parallel safety -----------------------------------------------------------

SMALL = {k: CLASS[k] for k in ("correct_01", "correct_02", "misc_raw_dot", "hang_sleep", "partial_topk", "correct_03")}
# For the resume tests: slow submissions graded last (tasks go in learner order), so that an
# interruption after the quick ones always finds work still queued, however fast grading is.
# Four: the pool holds up to three (one running, two queued) that can no longer be cancelled.
SLOW = (_module(COS, PAIR, "def top_k_similar(query, E, k):\n    import time\n    time.sleep(1)\n    return [0] * k"), "folder", "partial")
RESUMABLE = {
    **{k: CLASS[k] for k in ("correct_01", "correct_02", "misc_raw_dot")},
    **{f"zz_slow_{i}": SLOW for i in range(1, 5)},
}


def _wait_for_rows(db: Path, n: int, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if db.exists():
            try:
                with sqlite3.connect(db) as c:
                    if c.execute("SELECT COUNT(*) FROM grades").fetchone()[0] >= n:
                        return
            except sqlite3.OperationalError:
                pass
        time.sleep(0.2)
    raise AssertionError(f"no {n} rows in {db} after {timeout} s")


def _graded_at(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as c:
        return dict(c.execute("SELECT learner, graded_at || seed FROM grades"))


@pytest.mark.parametrize("how", ["ctrl-c", "crash"])
def test_an_interrupted_batch_resumes_with_only_what_is_missing(tmp_path, how):
    course = make_course(tmp_path / "course")
    make_class(tmp_path / "subs", RESUMABLE)
    db = tmp_path / "grades.sqlite"
    env = {k: v for k, v in os.environ.items() if k not in ("GRADE_COURSE", "GRADE_SECRET")}
    proc = subprocess.Popen(
        [*GRADE, "batch", str(tmp_path / "subs"), "--out", str(tmp_path / "grades.csv"), "--jobs", "1"],
        cwd=course, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True,
    )
    _wait_for_rows(db, 2)
    if how == "ctrl-c":
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends to the whole foreground group
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 130, out + err
        assert "Run the same command again" in err
    else:
        os.killpg(proc.pid, signal.SIGKILL)  # the machine goes down mid-batch
        proc.communicate(timeout=60)
    first = _graded_at(db)
    assert 2 <= len(first) < len(RESUMABLE)
    assert not (tmp_path / "grades.csv").exists(), "an interrupted batch must not write a partial export"
    rerun = grade_cli("batch", str(tmp_path / "subs"), "--out", str(tmp_path / "grades.csv"), "--jobs", "2", cwd=course)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert rerun.stdout.startswith(f"{len(RESUMABLE) - len(first)} graded now, {len(first)} already in")
    after = _graded_at(db)
    assert len(after) == len(RESUMABLE)
    assert all(after[k] == v for k, v in first.items()), "a submission was graded twice"
    with open(tmp_path / "grades.csv", newline="") as f:
        assert len(list(csv.DictReader(f))) == len(RESUMABLE)


KILLS_GRADER = (
    "import os, signal\nimport numpy as np\n\n\n"
    "def cosine_similarity(a, b):\n    os.kill(os.getppid(), signal.SIGKILL)\n    return 0.0\n\n\n"
    "def pairwise_cosine(A, B):\n    return A @ B.T\n\n\n"
    "def top_k_similar(query, E, k):\n    return np.arange(k)\n"
)


def test_code_that_kills_its_grading_process_costs_its_own_row_only(tmp_path):
    course = make_course(tmp_path / "course")
    learners = {"killer": (KILLS_GRADER, "folder", "zero"), **{k: CLASS[k] for k in ("correct_01", "correct_02", "misc_raw_dot")}}
    make_class(tmp_path / "subs", learners)
    run = grade_cli("batch", str(tmp_path / "subs"), "--json", str(tmp_path / "g.json"), "--jobs", "2", cwd=course)
    assert run.returncode == 0, run.stdout + run.stderr
    rows = {r["learner"]: r for r in json.loads((tmp_path / "g.json").read_text())["rows"]}
    assert set(rows) == set(learners)
    assert rows["killer"]["score"] < 20
    assert rows["correct_01"]["outcome"] == rows["correct_02"]["outcome"] == "full"


def test_a_missing_secret_is_explained(tmp_path):
    course = make_course(tmp_path / "course")
    text = (course / "course.yaml").read_text().replace(f"secret: {SECRET}\n", "")
    (course / "course.yaml").write_text(text)
    make_class(tmp_path / "subs", {"correct_01": CLASS["correct_01"]})
    run = grade_cli("batch", str(tmp_path / "subs"), cwd=course)
    assert run.returncode == 2
    assert "secret:" in run.stderr and "GRADE_SECRET" in run.stderr
    ok = grade_cli("batch", str(tmp_path / "subs"), "--json", str(tmp_path / "g.json"), cwd=course, env={"GRADE_SECRET": "from-env"})
    assert ok.returncode == 0, ok.stderr


# --- units: finding files, normalising code ----------------------------------------------------


def test_files_are_found_by_name_path_or_notebook(tmp_path):
    course = load_course(make_course(tmp_path / "course"))
    ex = course.resolve("ex01")
    subs = tmp_path / "subs"
    make_class(subs, {k: CLASS[k] for k in ("correct_01", "correct_04", "correct_05", "lone_file", "nothing_relevant")})
    learners = {lr.id: lr.path for lr in discover(subs)}
    assert locate(ex, learners["correct_04"], sole_exercise=True).main.parts[-2] == EX
    assert locate(ex, learners["correct_05"], sole_exercise=True).main.suffix == ".ipynb"
    assert locate(ex, learners["lone_file"], sole_exercise=True).main.name == "lone_file.py"
    assert locate(ex, learners["nothing_relevant"], sole_exercise=True) is None


def test_similar_pairs_agree_with_comparing_every_pair_by_hand():
    import difflib

    from grader.instructor.similarity import MIN_TOKENS, PREFILTER, _shingles

    # Many identical submissions (one comparison stands for a group) beside distinct ones.
    codes = {name: code for name, (code, how, _) in CLASS.items() if code and how != "broken_notebook"}
    codes |= {f"dup_{i:02d}": CORRECT for i in range(12)} | {f"loop_{i:02d}": LOOPS for i in range(5)}
    reference = (ROOT / "solutions" / EX / "cosine.py").read_text()
    threshold = 0.8
    tokens = {k: normalise(v) for k, v in {**codes, REFERENCE: reference}.items()}
    names = sorted(k for k, t in tokens.items() if len(t) >= MIN_TOKENS)
    by_hand = set()
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            sa, sb = _shingles(tokens[a]), _shingles(tokens[b])
            if len(sa & sb) / len(sa | sb) < PREFILTER:
                continue  # the documented candidate filter
            ratio = difflib.SequenceMatcher(None, tokens[a], tokens[b], autojunk=False).ratio()
            if ratio >= threshold:
                by_hand.add((b, a) if a == REFERENCE else (a, b))
    found = similar_pairs(codes, threshold=threshold, reference=reference)
    assert {(a, b) for a, b, _ in found} == by_hand
    assert len(by_hand) > 12 * 11 // 2  # the duplicates and more
    assert all(r == 1.0 for a, b, r in found if a.startswith("dup_") and b.startswith("dup_"))


def test_normalisation_ignores_names_comments_and_docstrings():
    assert normalise(CORRECT) == normalise(COPIED)
    assert normalise(CORRECT) != normalise(LOOPS)
    pairs = similar_pairs({"a": CORRECT, "b": COPIED, "c": LOOPS})
    assert [(a, b) for a, b, _ in pairs] == [("a", "b")]
