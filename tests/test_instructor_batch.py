"""`grade batch` end to end on a synthetic class of 34 learners (see instructor_support.py), then
how files are matched to exercises (nothing misfiled, the rest listed as unmatched) and how
notebooks with magics become modules."""

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
from typing import Any

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.course import load_course
from grader.instructor.batch import derive_seed, discover, locate
from grader.instructor.matching import defined_names, map_files, names

from .instructor_support import (
    CLASS,
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
    notebook,
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
        assert row["ungraded_points"] == 0  # every check of ex01 runs here: all 20 points are graded
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
        assert float(r["max_score"]) == rows[r["learner"]]["max_score"] and r["ungraded_points"] == "0"
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


# The similarity report's own tests: tests/test_similarity.py.


# --- matching files to exercises: nothing misfiled ---------------------------------------------

EX09 = "ex09_attention"
ATTENTION = (ROOT / "solutions" / EX09 / "attention.py").read_text()


def _cli_batch(course: Path, *args: str) -> Any:
    env = {k: v for k, v in os.environ.items() if k not in ("GRADE_COURSE", "GRADE_SECRET")}
    return CliRunner().invoke(main, ["--course", str(course), "batch", *args], env=env, catch_exceptions=False)


@pytest.fixture(scope="module")
def two_exercises(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """ex01 and ex09; a learner handing in each, one handing in both, and files that match nothing."""
    base = tmp_path_factory.mktemp("matching")
    course = make_course(base / "course", (EX, EX09))
    subs = base / "subs"
    make_class(subs, {"alice": (CORRECT, "folder", "full")})  # alice/cosine.py: ex01 only
    (subs / "bob.ipynb").write_text(notebook(ATTENTION))  # a lone notebook holding ex09
    (subs / "carol" / "week3").mkdir(parents=True)
    (subs / "carol" / "week3" / "mine.py").write_text(ATTENTION)  # named for nothing: its code says ex09
    (subs / "carol" / "ex01.ipynb").write_text(notebook(LOOPS))
    (subs / "carol" / "helpers.py").write_text("def softmax(x):\n    return x\n")  # one of ex09's three
    (subs / "carol" / "test_mine.py").write_text("def test_x():\n    pass\n")  # a learner's own test: not an answer
    (subs / "dave.py").write_text("print('hello')\n")  # a lone file defining nothing
    (subs / "erin.zip").write_bytes(b"PK\x03\x04 not a zip")  # two exercises: it cannot be told which
    return {"base": base, "course": course, "subs": subs}


def _rows(path: Path) -> dict[tuple[str, str], dict]:
    return {(r["learner"], r["exercise"]): r for r in json.loads(path.read_text())["rows"]}


def test_a_run_over_all_exercises_grades_each_file_as_its_own_exercise(two_exercises):
    base = two_exercises["base"]
    run = _cli_batch(two_exercises["course"], str(two_exercises["subs"]), "--json", str(base / "all.json"), "--out", str(base / "all.csv"), "--jobs", "2")
    rows = _rows(base / "all.json")
    assert set(rows) == {("alice", "ex01"), ("bob", "ex09"), ("carol", "ex01"), ("carol", "ex09")}, run.output
    assert {k: r["outcome"] for k, r in rows.items()} == {k: "full" for k in rows}, {k: r["reason"] for k, r in rows.items()}
    assert rows[("bob", "ex09")]["origin"] == "bob.ipynb" and rows[("carol", "ex09")]["origin"] == "carol/week3/mine.py"
    assert run.exit_code == 1  # files were handed in that matched nothing
    assert "4 handed in · 4 graded · 3 unmatched · 4 not handed in" in run.output, run.output
    lines = run.output.splitlines()
    assert "  carol/helpers.py: it names no exercise and defines only softmax of ex09's 3 entry points (softmax, scaled_dot_product_attention, multi_head_attention)" in lines
    assert "  dave.py: it names no exercise and defines none of any exercise's entry points" in lines
    assert any(line.startswith("  erin.zip: erin.zip is not a readable zip file") for line in lines)
    assert "test_mine" not in run.output
    unmatched = json.loads((base / "all.json").read_text())["unmatched"]
    assert {(u["learner"], u["file"]) for u in unmatched} == {("carol", "carol/helpers.py"), ("dave", "dave.py"), ("erin", "erin.zip")}
    with open(base / "all.csv", newline="") as f:
        table = [r for r in csv.DictReader(f) if r["outcome"] == "unmatched"]
    assert {(r["learner"], r["reason"].split(":")[0]) for r in table} == {("carol", "carol/helpers.py"), ("dave", "dave.py"), ("erin", "erin.zip")}


def test_one_exercise_never_takes_another_exercises_file(two_exercises):
    base, course, subs = two_exercises["base"], two_exercises["course"], two_exercises["subs"]
    only09 = _cli_batch(course, str(subs), "-e", "ex09", "--json", str(base / "ex09.json"))
    assert set(_rows(base / "ex09.json")) == {("bob", "ex09"), ("carol", "ex09")}, only09.output  # no cosine.py as ex09
    assert "2 handed in · 2 graded · 3 unmatched · 2 not handed in" in only09.output, only09.output  # alice, dave
    only01 = _cli_batch(course, str(subs), "-e", "ex01", "--json", str(base / "ex01.json"))
    assert set(_rows(base / "ex01.json")) == {("alice", "ex01"), ("carol", "ex01")}, only01.output  # no attention notebook as ex01
    assert "2 handed in · 2 graded · 3 unmatched · 2 not handed in" in only01.output, only01.output  # bob, dave


def test_files_map_by_name_folder_and_entry_points(two_exercises):
    course = load_course(two_exercises["course"])
    subs = two_exercises["subs"]
    carol = map_files(subs / "carol", course.exercises)
    assert {k: (v.main.name, v.how) for k, v in carol.located.items()} == {
        "ex01": ("ex01.ipynb", "its name"),
        "ex09": ("mine.py", "it defines 3 of ex09's 3 entry points"),
    }
    lone = map_files(subs / "bob.ipynb", course.exercises)
    assert list(lone.located) == ["ex09"] and not lone.unmatched
    ex01 = course.resolve("ex01")
    assert names("ex01_cosine", ex01) and names("cosine", ex01) and names("hw-ex1", ex01) and names("my_cosine_similarity", ex01)
    assert not names("ex010", ex01) and not names("cosine_notes", ex01) and not names("ex10", ex01)
    assert defined_names("def f(:\n    pass\nclass C: pass\nx: int = 1\ny == 2\nfrom m import a, b as c\n") == {"f", "C", "x", "a", "c"}


def test_a_file_named_for_two_exercises_is_settled_by_its_code_or_unmatched(two_exercises, tmp_path):
    course = load_course(two_exercises["course"])
    (tmp_path / "ex01_and_ex09").mkdir()
    (tmp_path / "ex01_and_ex09" / "work.py").write_text(ATTENTION)
    (tmp_path / "ex01_and_ex09" / "notes.py").write_text("x = 1\n")
    mapping = map_files(tmp_path, course.exercises)
    assert mapping.located["ex09"].main.name == "work.py"
    assert mapping.unmatched == [(tmp_path / "ex01_and_ex09" / "notes.py", "its folder ex01_and_ex09 names ex01 and ex09, and its code does not say which")]


# --- notebooks: read with nbformat, magics through IPython's transformer -----------------------


MAGIC_CELLS = [
    "%%bash\necho never\nexit 1\n",
    "listing = !ls\n%load_ext autoreload\ncosine_similarity?\n",
    "%time checked = cosine_similarity(np.ones(2), np.ones(2))\nprint(len(listing))\n",
    "%%capture\nfrom math import isclose\n",
    "assert isclose(checked, 1.0)\n%timeit top_k_similar(np.ones(2), np.eye(2), 1)\n",
]


def _magic_notebook(code: str, cells: list[str] = MAGIC_CELLS) -> str:
    nb = json.loads(notebook(code))
    nb["cells"].extend({"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": c} for c in cells)
    return json.dumps(nb)


def test_cells_become_python_line_for_line():
    from grader.instructor.notebooks import python_from_cell

    for cell in [*MAGIC_CELLS, "x = 1 \\\n  + 2\n!echo \\\n  more\nz = 3", "def f():\n    !ls\n    x = %time g()\n", "%%writefile a.py\nprint(1)\n"]:
        out = python_from_cell(cell)
        assert out.count("\n") == cell.rstrip("\n").count("\n"), (cell, out)
        assert "get_ipython" not in out
        compile(out, "cell", "exec")
    assert python_from_cell("%time y = f(2)\nz = !ls") == "y = f(2)\nz = []"
    assert python_from_cell("%prun -s cumulative f()\nw = %timeit -o f()") == "pass\nw = None"  # options are not Python
    assert python_from_cell("def f():\n    x = %time g()\n    return x\n") == "def f():\n    x = (g())\n    return x"
    assert python_from_cell("%%time\na = 1\n%time b = 2").splitlines()[1:] == ["a = 1", "b = 2"]


def test_a_later_cell_may_start_with_a_future_import_and_use_display(tmp_path):
    from grader.instructor.notebooks import code_from_notebook

    path = tmp_path / "nb.ipynb"
    path.write_text(_magic_notebook("import numpy as np\n", ["from __future__ import annotations\n\n\ndef f(x: np.ndarray) -> None:\n    display(x)\n"]))
    code = code_from_notebook(path)
    assert code.startswith("from __future__ import annotations\ndisplay = print")
    namespace: dict = {}
    exec(compile(code, "nb", "exec"), namespace)  # Jupyter runs it: so does the module


def test_a_notebook_with_magics_earns_full_marks(tmp_path):
    course = make_course(tmp_path / "course")
    (tmp_path / "subs" / "maggie").mkdir(parents=True)
    (tmp_path / "subs" / "maggie" / "ex01.ipynb").write_text(_magic_notebook(CORRECT))
    (tmp_path / "subs" / "lone_magic.ipynb").write_text(_magic_notebook(LOOPS))
    run = _cli_batch(course, str(tmp_path / "subs"), "--json", str(tmp_path / "g.json"))
    assert run.exit_code == 0, run.output
    rows = _rows(tmp_path / "g.json")
    assert {k: r["score"] for k, r in rows.items()} == {("maggie", "ex01"): 20, ("lone_magic", "ex01"): 20}, {k: r["reason"] for k, r in rows.items()}
    staged = (Path(rows[("maggie", "ex01")]["source"]) / "cosine.py").read_text()
    assert "# %% cell 5\nlisting = []\npass\npass\n" in staged  # cells 1-3: notebook()'s own


def test_an_unreadable_notebook_names_the_learner_file_line_and_field(tmp_path):
    course = make_course(tmp_path / "course")
    subs = tmp_path / "subs"
    (subs / "jo").mkdir(parents=True)
    (subs / "jo" / "ex01.ipynb").write_text('{\n  "cells": [\n    {"cell_type": "code",,}\n  ]\n}')
    (subs / "kim").mkdir()
    bad_field = json.loads(notebook(CORRECT))
    bad_field["cells"][1]["source"] = 42
    (subs / "kim" / "ex01.ipynb").write_text(json.dumps(bad_field))
    run = _cli_batch(course, str(subs), "--json", str(tmp_path / "g.json"))
    assert run.exit_code == 1, run.output
    rows = _rows(tmp_path / "g.json")
    assert rows[("jo", "ex01")]["outcome"] == rows[("kim", "ex01")]["outcome"] == "error"
    assert f"{subs / 'jo' / 'ex01.ipynb'}:3: not a readable notebook (not JSON: Expecting property name enclosed in double quotes at column 26)" in rows[("jo", "ex01")]["reason"]
    assert "not a readable notebook (field 'cells[1].source'" in rows[("kim", "ex01")]["reason"]
    assert str(subs / "kim" / "ex01.ipynb") in rows[("kim", "ex01")]["reason"]
