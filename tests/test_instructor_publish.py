"""`grade publish`: the learner bundle leaks nothing and works offline; Gradescope; nbgrader."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader.checking.misconceptions import load_misconceptions
from grader.course import load_course
from grader.instructor.publish.bundle import find_leaks, reference_fingerprints
from grader.instructor.publish.plan import keep_only, plan_exercise

from .instructor_support import CLASS, EX, ROOT, SECRET, make_course, notebook

GRADE = [sys.executable, "-c", "from grader.cli import run; run()"]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GRADE_COURSE", "GRADE_SECRET", "PYTHONPATH")}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("publish")
    course = make_course(base / "course")
    run = subprocess.run([*GRADE, "publish", str(base / "out"), "-v"], cwd=course, capture_output=True, text=True, env=clean_env(), timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    return {"base": base, "course": course, "out": base / "out", "run": run}


def _hidden_check_names(course_root: Path) -> list[str]:
    plan = plan_exercise(load_course(course_root).resolve("ex01"))
    return [c.function for c in plan.checks if not c.public]


def test_the_learner_bundle_has_no_reference_and_no_hidden_check(published):
    bundle = published["out"] / "learner"
    assert not (bundle / "solutions").exists()
    assert not list(bundle.rglob("misconceptions.py"))[1:]  # only grader/checking/misconceptions.py (the library)
    text = "\n".join(p.read_text(errors="replace") for p in bundle.rglob("*") if p.is_file() and "grader" not in p.relative_to(bundle).parts[:1])
    hidden = _hidden_check_names(published["course"])
    assert hidden, "ex01 has checks that need the reference"
    for name in hidden:
        assert not re.search(rf"\b{name}\b", text), f"hidden check {name} leaked"
    for line in reference_fingerprints(load_course(published["course"]).resolve("ex01")):
        assert line not in text, f"reference line leaked: {line}"
    for variant in load_misconceptions(ROOT / "solutions" / EX / "misconceptions.py"):
        assert variant.feedback not in text
    all_text = "\n".join(p.read_text(errors="replace") for p in bundle.rglob("*.py"))
    assert SECRET not in all_text and SECRET not in (bundle / "course.yaml").read_text()
    assert "secret" not in (bundle / "course.yaml").read_text()
    plan = plan_exercise(load_course(published["course"]).resolve("ex01"))
    assert find_leaks(bundle, [plan]) == []


def test_the_bundle_loads_and_says_how_many_points_the_instructor_grades(published):
    bundle = published["out"] / "learner"
    ex = load_course(bundle).resolve("ex01")
    assert ex.points == 20 and ex.hidden_points == 15
    assert (bundle / "pyproject.toml").is_file() and (bundle / "grader" / "grading" / "runner.py").is_file()
    assert "15" in published["run"].stdout and "compares with the reference" in published["run"].stdout


def test_grade_works_inside_the_bundle_offline_with_its_own_grader(published, tmp_path):
    bundle = tmp_path / "bundle"
    shutil.copytree(published["out"] / "learner", bundle)
    shutil.copy(ROOT / "solutions" / EX / "cosine.py", bundle / "exercises" / EX / "cosine.py")
    env = clean_env(PYTHONPATH=str(bundle))
    probe = subprocess.run([sys.executable, "-c", "import grader; print(grader.__file__)"], cwd=bundle, env=env, capture_output=True, text=True)
    assert probe.stdout.strip().startswith(str(bundle)), probe.stdout
    run = subprocess.run([*GRADE, "ex01"], cwd=bundle, env=env, capture_output=True, text=True, timeout=120)
    card = run.stdout
    assert run.returncode == 1, card + run.stderr  # not full marks: 15 points are not known yet
    assert "5/20" in card
    assert "15 of the 20 points are graded by your instructor's hidden checks" in card
    assert "The other 15 points are graded by your instructor's hidden checks" in card
    assert "Full marks" not in card
    # A wrong answer fails a public check as usual, with the replay seed.
    (bundle / "exercises" / EX / "cosine.py").write_text(CLASS["misc_raw_dot"][0])
    wrong = subprocess.run([*GRADE, "ex01"], cwd=bundle, env=env, capture_output=True, text=True, timeout=120)
    assert "✗" in wrong.stdout and "replay exactly" in wrong.stdout


def test_a_check_marked_hidden_stays_with_the_instructor(tmp_path):
    course = make_course(tmp_path / "course")
    checks = course / "exercises" / EX / "checks" / "test_cosine.py"
    text = checks.read_text().replace("from grader.checking import expect, points", "from grader.checking import expect, points, visibility")
    text = text.replace("@points(2)\ndef test_cosine_with_a_zero_vector_is_zero", "@points(2)\n@visibility(\"hidden\")\ndef test_cosine_with_a_zero_vector_is_zero")
    checks.write_text(text)
    run = subprocess.run([*GRADE, "publish", str(tmp_path / "out"), "--only", "learner"], cwd=course, capture_output=True, text=True, env=clean_env())
    assert run.returncode == 0, run.stderr
    shipped = (tmp_path / "out" / "learner" / "exercises" / EX / "checks" / "test_cosine.py").read_text()
    assert "test_cosine_with_a_zero_vector_is_zero" not in shipped
    assert "test_cosine_ignores_the_lengths_of_the_vectors" in shipped
    assert load_course(tmp_path / "out" / "learner").resolve("ex01").hidden_points == 17
    assert "visibility 'hidden'" in run.stdout


def test_publish_refuses_to_overwrite_without_force(published):
    again = subprocess.run([*GRADE, "publish", str(published["out"])], cwd=published["course"], capture_output=True, text=True, env=clean_env())
    assert again.returncode == 2 and "--force" in again.stderr


def test_keep_only_drops_hidden_checks_and_the_helpers_only_they_used():
    source = (
        "import numpy as np\n\nfrom grader.checking import points\n\n\n"
        "def shared(rng):\n    return rng.random(3)\n\n\n"
        "def secret_inputs(rng):\n    return np.eye(3)\n\n\n"
        "def also_secret():\n    return secret_inputs(None)\n\n\n"
        "@points(1)\ndef test_public(submission, rng):\n    submission.f(shared(rng))\n\n\n"
        "@points(1)\ndef test_hidden(submission, reference, rng):\n    submission.f(also_secret())\n"
    )
    kept = keep_only(source, ["test_public"])
    assert "test_public" in kept and "def shared" in kept
    assert "test_hidden" not in kept and "secret_inputs" not in kept and "also_secret" not in kept
    compile(kept, "kept", "exec")


# --- Gradescope ---------------------------------------------------------------------------------


def _autograder(published, tmp_path: Path, files: dict[str, str]) -> dict:
    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(published["out"] / "gradescope" / f"{EX}.zip") as zf:
        zf.extractall(root / "source")
    for name in ("run_autograder", "setup.sh"):
        (root / "source" / name).chmod(0o755)
    (root / "submission").mkdir()
    for name, text in files.items():
        (root / "submission" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "submission" / name).write_text(text)
    env = clean_env(GRADE_AUTOGRADER_ROOT=str(root), GRADE_PYTHON=sys.executable)
    run = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    return json.loads((root / "results" / "results.json").read_text())


def test_the_gradescope_zip_has_what_gradescope_runs(published):
    with zipfile.ZipFile(published["out"] / "gradescope" / f"{EX}.zip") as zf:
        names = set(zf.namelist())
        setup = zf.read("setup.sh").decode()
        assert zf.getinfo("run_autograder").external_attr >> 16 & 0o111
    assert {"setup.sh", "run_autograder", "course.yaml", f"solutions/{EX}/cosine.py", "grader/grading/runner.py", "pyproject.toml"} <= names
    assert "pip install -q -e '.[notebooks]'" in setup
    assert SECRET not in zipfile.ZipFile(published["out"] / "gradescope" / f"{EX}.zip").read("course.yaml").decode()


def test_run_autograder_grades_a_correct_submission(published, tmp_path):
    results = _autograder(published, tmp_path, {"deep/folder/cosine.py": CLASS["correct_01"][0]})
    assert results["score"] == 20
    assert len(results["tests"]) == 11
    assert {t["visibility"] for t in results["tests"]} == {"visible"}
    assert re.search(r"seed \d+", results["output"])


def test_run_autograder_grades_a_wrong_notebook_with_feedback(published, tmp_path):
    results = _autograder(published, tmp_path, {"ex01.ipynb": notebook(CLASS["misc_nan_zero"][0])})
    assert 0 < results["score"] < 20
    failed = [t for t in results["tests"] if t["status"] == "failed"]
    assert any("division by a zero norm" in t["output"] for t in failed)


def test_run_autograder_explains_a_missing_file(published, tmp_path):
    results = _autograder(published, tmp_path, {"answer.txt": "forgot the code"})
    assert results["score"] == 0
    assert "could not find cosine.py" in results["output"]


# --- nbgrader -----------------------------------------------------------------------------------


def _notebook(published) -> dict:
    return json.loads((published["out"] / "nbgrader" / "source" / EX / f"{EX}.ipynb").read_text())


def _run_cells(nb: dict, solution: str | None = None) -> dict[str, str]:
    """Execute the notebook's code cells as a kernel would; grade_id -> 'ok' or the error."""
    namespace: dict = {"__name__": "__main__"}
    out = {}
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        meta = cell["metadata"]["nbgrader"]
        source = "".join(cell["source"])
        if meta.get("solution") and solution is not None:
            source = solution
        try:
            exec(compile(source, meta["grade_id"], "exec"), namespace)
            out[meta["grade_id"]] = "ok"
        except Exception as exc:  # what nbgrader would score 0
            out[meta["grade_id"]] = f"{type(exc).__name__}: {exc}"
    return out


def test_the_nbgrader_notebook_is_marked_up_for_nbgrader(published):
    nb = _notebook(published)
    cells = nb["cells"]
    solution = [c for c in cells if c["metadata"]["nbgrader"].get("solution")]
    graded = [c for c in cells if c["metadata"]["nbgrader"].get("grade")]
    assert len(solution) == 1 and "### BEGIN SOLUTION" in "".join(solution[0]["source"])
    assert sum(c["metadata"]["nbgrader"]["points"] for c in graded) == 20
    hidden = [c for c in graded if "### BEGIN HIDDEN TESTS" in "".join(c["source"])]
    assert len(hidden) == 8 and all("REFERENCE" in "".join(c["source"]) for c in hidden)
    assert len({c["metadata"]["nbgrader"]["grade_id"] for c in cells}) == len(cells)
    try:
        import nbformat
    except ImportError:
        return
    nbformat.validate(nbformat.reads(json.dumps(nb), as_version=4))


def test_the_notebook_checks_pass_the_solution_and_fail_the_stub(published):
    nb = _notebook(published)
    results = _run_cells(nb)
    assert set(results.values()) == {"ok"}, results
    stub = (ROOT / "exercises" / EX / "cosine.py").read_text()
    failed = _run_cells(nb, solution=stub)
    assert failed["solution"] == "ok"
    assert all(v.startswith("AssertionError") for k, v in failed.items() if k != "solution"), failed
    wrong = _run_cells(nb, solution=CLASS["misc_least_first"][0])
    assert sum(v != "ok" for v in wrong.values()) == 3  # the three top_k checks


@pytest.mark.slow
def test_nbgrader_generate_assignment_accepts_the_notebooks(published, tmp_path):
    pytest.importorskip("nbgrader", reason="nbgrader is not installed (pip install nbgrader): its own generate_assignment cannot run")
    course = tmp_path / "nbcourse"
    shutil.copytree(published["out"] / "nbgrader" / "source", course / "source")
    (course / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.course_id = 'grade-test'\n")
    run = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", EX, "--force"], cwd=course, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    release = json.loads((course / "release" / EX / f"{EX}.ipynb").read_text())
    text = json.dumps(release)
    assert "### BEGIN SOLUTION" not in text and "### BEGIN HIDDEN TESTS" not in text
    assert "raise NotImplementedError()" in text
    for name in _hidden_check_names(published["course"]):
        assert name not in text
    for line in reference_fingerprints(load_course(published["course"]).resolve("ex01")):
        assert line not in text
    # The released notebook still runs: public checks fail on the untouched stub, nothing crashes on import.
    results = _run_cells(release)
    assert results["solution"] == "ok"
    assert any(v.startswith("AssertionError") for v in results.values())


@pytest.mark.slow
def test_nbgrader_autograde_scores_the_notebook_checks_with_nothing_on_stderr(published, tmp_path):
    """nbgrader's own autograde, in real kernels: the solution earns every point, a known mistake
    loses exactly the checks that catch it, and no cell writes to stderr (which nbgrader scores 0)."""
    pytest.importorskip("nbgrader", reason="nbgrader is not installed (pip install nbgrader): its own autograde cannot run")
    from nbgrader.api import Gradebook

    course = tmp_path / "nbcourse"
    shutil.copytree(published["out"] / "nbgrader" / "source", course / "source")
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.root = '.'\nc.CourseDirectory.course_id = 'grade-test'\n"
        "c.Exchange.root = '.exchange'\nc.ExecutePreprocessor.timeout = 120\n"
    )

    def nbgrader(*args: str) -> None:
        run = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stdout + run.stderr

    nbgrader("db", "assignment", "add", EX)
    for student in ("right", "wrong"):
        nbgrader("db", "student", "add", student)
    nbgrader("generate_assignment", EX, "--force")
    source = _notebook(published)
    for student, code in (("right", None), ("wrong", CLASS["misc_least_first"][0])):
        nb = json.loads(json.dumps(source))
        if code is not None:
            cell = next(c for c in nb["cells"] if c["metadata"]["nbgrader"].get("solution"))
            cell["source"] = code.splitlines(keepends=True)
        folder = course / "submitted" / student / EX
        folder.mkdir(parents=True)
        (folder / f"{EX}.ipynb").write_text(json.dumps(nb))
    nbgrader("autograde", EX, "--force")
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        scores = {s: gb.find_submission(EX, s).score for s in ("right", "wrong")}
    assert scores == {"right": 20, "wrong": 16}  # the three top_k checks: 2 + 1 + 1 points
    for student in ("right", "wrong"):
        graded = json.loads((course / "autograded" / student / EX / f"{EX}.ipynb").read_text())
        streams = [o for c in graded["cells"] for o in c.get("outputs", []) if o.get("name") == "stderr"]
        assert streams == [], streams


# --- an exercise whose learners would have no check to run ------------------------------------------


def _all_hidden_course(root: Path) -> Path:
    """A course of one scaffolded exercise (grade init, grade new) whose every check is hidden."""
    from click.testing import CliRunner

    from grader.cli import main

    runner = CliRunner(env={"GRADE_COURSE": None, "GRADE_SECRET": None})
    assert runner.invoke(main, ["init", str(root), "--title", "Hidden only"]).exit_code == 0
    assert runner.invoke(main, ["--course", str(root), "new", "ex01", "--title", "Scale"]).exit_code == 0
    checks = root / "exercises" / "ex01_scale" / "checks" / "test_scale.py"
    checks.write_text(checks.read_text().replace("@points(", "@visibility(\"hidden\")\n@points("))
    return root


def _publish(course: Path, *args: str):
    from click.testing import CliRunner

    from grader.cli import main

    return CliRunner(env={"GRADE_COURSE": None, "GRADE_SECRET": None}).invoke(main, ["--course", str(course), "publish", *args])


def test_publish_refuses_an_exercise_with_no_public_check(tmp_path):
    course = _all_hidden_course(tmp_path / "course")
    refused = _publish(course, str(tmp_path / "out"))
    assert refused.exit_code == 2
    assert "refusing to publish: the learners of ex01 would have no check to run" in refused.output
    assert "ex01: all 10 points graded by the instructor (visibility 'hidden')" in refused.output
    assert "--allow-no-public" in refused.output
    assert not (tmp_path / "out").exists()  # refused before anything was written


def test_allow_no_public_publishes_and_says_what_learners_will_see(tmp_path):
    course = _all_hidden_course(tmp_path / "course")
    run = _publish(course, str(tmp_path / "out"), "--allow-no-public", "--only", "learner")
    assert run.exit_code == 0, run.output
    assert "ex01: 0 points in public checks, 10 points in hidden checks graded by the instructor" in run.output
    assert "ex01: its learners have no check to run" in run.output
    bundle = tmp_path / "out" / "learner"
    card = subprocess.run([*GRADE, "ex01"], cwd=bundle, capture_output=True, text=True, timeout=120,
                          env=clean_env(PYTHONPATH=str(bundle)))
    assert card.returncode == 1, card.stdout + card.stderr
    assert "Every check you can run passes" not in card.stdout
    assert "No check of this exercise runs in your copy of the course: all 10 points are graded" in card.stdout


def test_publish_prints_singular_points_and_exercises(tmp_path):
    course = _all_hidden_course(tmp_path / "course")
    checks = course / "exercises" / "ex01_scale" / "checks" / "test_scale.py"
    # Only the 1-point check stays hidden: 9 points public, 1 hidden.
    checks.write_text(checks.read_text().replace("@visibility(\"hidden\")\n@points(", "@points(").replace(
        "def test_matches_the_reference(submission, reference, rng):\n    x = vectors(rng, 7)\n    expect(submission.scale(x)).to_match(reference.scale(x))",
        "def test_matches_the_reference(submission, rng):\n    x = vectors(rng, 7)\n    expect(submission.scale(x)).to_have_shape(x.shape)",
    ).replace(
        "def test_float32_stays_float32(submission, reference, rng):\n    x = vectors(rng, 6, np.float32)\n    expect(submission.scale(x)).to_match(reference.scale(x))",
        "def test_float32_stays_float32(submission, rng):\n    x = vectors(rng, 6, np.float32)\n    expect(submission.scale(x)).to_have_shape(x.shape)",
    ))
    run = _publish(course, str(tmp_path / "out"), "--only", "learner")
    assert run.exit_code == 0, run.output
    assert "published 1 exercise into" in run.output
    assert "ex01: 9 points in public checks, 1 point in hidden checks graded by the instructor" in run.output
