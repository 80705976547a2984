"""`grade init` and the instructor's path from an empty folder to a report; mistyped commands; plurals."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from grader.checking.results import CheckResult, ExerciseResult
from grader.cli import main
from grader.course import load_course
from grader.course.wording import count, plural
from grader.grading.card import score_card

from .conftest import one_exercise_course

SUBJECT_WORDS = ("linear", "algebra", "cosine", "machine learning")


def grade(*args: str, course: Path | None = None, env: dict[str, str] | None = None):
    """`grade ARGS` through click's CliRunner, never seeing this repository's course or secret."""
    full_env = {"GRADE_COURSE": None, "GRADE_SECRET": None, **(env or {})}
    prefix = ["--course", str(course)] if course is not None else []
    return CliRunner().invoke(main, [*prefix, *args], env=full_env, catch_exceptions=False)


@pytest.fixture
def empty_course(tmp_path: Path) -> Path:
    result = grade("init", str(tmp_path / "course"), "--title", "Signals and systems")
    assert result.exit_code == 0, result.output
    return tmp_path / "course"


# --- grade init ----------------------------------------------------------------------------------


def test_init_starts_a_course_that_every_file_of_which_is_there(empty_course):
    root = empty_course
    course = load_course(root)
    assert course.title == "Signals and systems" and course.exercises == ()
    assert sorted(p.name for p in (root / "exercises").iterdir()) == []
    assert sorted(p.name for p in (root / "solutions").iterdir()) == []
    ignored = (root / ".gitignore").read_text().splitlines()
    for pattern in (".grade/", "*.sqlite", "grades*.csv", "grades*.json", "*.files/", "reports/", "dist/"):
        assert pattern in ignored, pattern
    workflow = yaml.safe_load((root / ".github/workflows/verify.yml").read_text())
    steps = workflow["jobs"]["verify"]["steps"]
    assert any(step.get("run") == "grade verify" for step in steps)
    assert any("pip install" in step.get("run", "") for step in steps)
    readme = (root / "README.md").read_text()
    assert readme.startswith("# Signals and systems\n") and "No exercises yet." in readme
    for word in SUBJECT_WORDS:  # the engine knows no subject: every text comes from course.yaml
        assert word not in readme.lower() and word not in (root / "course.yaml").read_text().lower()


def test_init_says_what_it_wrote_and_what_to_do_next(tmp_path):
    result = grade("init", str(tmp_path / "my_new-course"))
    assert result.exit_code == 0, result.output
    assert 'created the course "My new course"' in result.output
    for name in ("course.yaml", "exercises/", "solutions/", "README.md", ".gitignore", ".github/workflows/verify.yml"):
        assert f"  {name}\n" in result.output
    assert "grade new ex01" in result.output and "grade verify" in result.output


def test_init_never_overwrites(empty_course, tmp_path):
    again = grade("init", str(empty_course))
    assert again.exit_code == 2 and "is a course already" in again.output
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "README.md").write_text("mine\n")
    refused = grade("init", str(taken))
    assert refused.exit_code == 2 and "would overwrite README.md" in refused.output
    assert (taken / "README.md").read_text() == "mine\n" and not (taken / "course.yaml").exists()
    inside = grade("init", str(empty_course / "exercises" / "sub"))
    assert inside.exit_code == 2 and "inside the course" in inside.output


def test_init_accepts_a_folder_holding_only_unrelated_files(tmp_path):
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "LICENSE").write_text("MIT\n")
    result = grade("init", str(tmp_path / "repo"), "--grader", "grade @ git+https://example.org/grade.git")
    assert result.exit_code == 0, result.output
    assert "grade @ git+https://example.org/grade.git" in (tmp_path / "repo/.github/workflows/verify.yml").read_text()
    assert (tmp_path / "repo" / "LICENSE").read_text() == "MIT\n"


def test_every_command_works_on_an_empty_course(empty_course, tmp_path):
    root = empty_course
    assert grade("list", "--json", course=root).exit_code == 0
    assert json.loads(grade("list", "--json", course=root).output)["exercises"] == []
    for args in (["list"], ["verify"], ["all"], ["review", "--list"]):
        result = grade(*args, course=root)
        assert result.exit_code == 0, (args, result.output)
    assert "no exercises to verify yet" in grade("verify", course=root).output
    assert "no exercises yet" in grade("all", course=root).output
    missing = grade("hint", "ex01", course=root)
    assert missing.exit_code == 2 and "no exercises yet" in missing.output
    published = grade("publish", str(tmp_path / "out"), course=root)
    assert published.exit_code == 0, published.output
    assert "published 0 exercises" in published.output
    assert load_course(tmp_path / "out" / "learner").exercises == ()
    (tmp_path / "subs" / "alice").mkdir(parents=True)
    batch = grade("batch", str(tmp_path / "subs"), "--json", str(tmp_path / "g.json"), course=root, env={"GRADE_SECRET": "s"})
    assert batch.exit_code == 0, batch.output
    assert "no exercises yet" in batch.output


def test_an_empty_course_says_it_has_no_exercises_yet_not_that_all_are_solved(empty_course):
    from grader.cli.listing import ALL_SOLVED, NO_EXERCISES

    for args in ([], ["list"]):  # `grade` alone is the list
        result = grade(*args, course=empty_course)
        assert result.exit_code == 0, (args, result.output)
        assert NO_EXERCISES in result.output and "grade new" in result.output, result.output
        assert ALL_SOLVED not in result.output and "0 of 0" not in result.output
    review = grade("review", course=empty_course)
    assert review.exit_code == 0 and "Nothing to review" in review.output


def test_drill_on_an_empty_course_says_so_and_its_help_names_no_subject(empty_course):
    for args in (["drill"], ["drill", "--interview", "30"], ["drill", "--topic", "anything"]):
        result = grade(*args, course=empty_course)
        assert result.exit_code == 2 and "no exercises yet" in result.output, (args, result.output)
        assert "Topics in this course: ." not in result.output
    assert grade("drill", "--history", course=empty_course).exit_code == 0
    helped = grade("drill", "--help", course=empty_course).output
    assert "--topic TOPIC" in helped
    for word in (*SUBJECT_WORDS, "attention"):
        assert word not in helped.lower(), word


def test_texts_for_an_empty_course_name_no_subject():
    from grader.cli import batch, grade_all, listing
    from grader.learner import drills

    for text in (listing.NO_EXERCISES, grade_all.NO_EXERCISES, batch.NO_EXERCISES, drills.NO_EXERCISES):
        assert "no exercises yet" in text.lower() and "grade new" in text
        assert not any(word in text.lower() for word in SUBJECT_WORDS), text


@pytest.mark.parametrize("listing", ["exercises: []", "exercises:", "exercises: []   # none yet", "exercises: [ex01_first]"])
def test_new_adds_an_exercise_to_a_flow_or_empty_list(tmp_path, listing):
    root = tmp_path / "c"
    root.mkdir()
    (root / "course.yaml").write_text(f"# top\ntitle: T\n{listing}\n# after\n")
    if "ex01_first" in listing:
        shutil.copytree(one_exercise_course(tmp_path / "src") / "exercises/ex01_cosine_similarity", root / "exercises/ex01_first")
        (root / "exercises/ex01_first/exercise.yaml").write_text(
            (root / "exercises/ex01_first/exercise.yaml").read_text().replace("aliases: [cosine]", "aliases: []")
        )
    result = grade("new", "ex02", "--title", "Second one", course=root)
    assert result.exit_code == 0, result.output
    text = (root / "course.yaml").read_text()
    assert text.startswith("# top\ntitle: T\nexercises:") and text.endswith("  - ex02_second_one\n# after\n")
    assert [ex.id for ex in load_course(root).exercises] == (["ex01", "ex02"] if "ex01_first" in listing else ["ex02"])
    if "none yet" in listing:
        assert "exercises:  # none yet\n" in text


def test_new_keeps_the_readme_table_in_step_with_course_yaml(empty_course):
    result = grade("new", "ex01", "--title", "Sampling", "--topic", "aliasing", course=empty_course)
    assert result.exit_code == 0, result.output
    assert "README.md's exercise table" in result.output
    readme = (empty_course / "README.md").read_text()
    assert "| ex01 | Sampling | aliasing | easy | 30 |" in readme and "No exercises yet." not in readme
    assert "grade ex01 " in readme  # the examples name the course's own first exercise


# --- mistyped commands ----------------------------------------------------------------------------


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    return one_exercise_course(tmp_path / "mini")


@pytest.mark.parametrize(("typed", "meant"), [("hnt", "hint"), ("lst", "list"), ("verfy", "verify"), ("publsh", "publish"), ("rest", "reset")])
def test_a_mistyped_command_gets_did_you_mean(mini, typed, meant):
    result = grade(typed, "ex01", course=mini)
    assert result.exit_code == 2
    assert f"unknown command '{typed}': did you mean 'grade {meant}'?" in result.output
    assert "unexpected extra argument" not in result.output


def test_a_mistyped_command_outside_any_course_gets_did_you_mean_too(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = grade("hnt", "ex01")
    assert result.exit_code == 2 and "did you mean 'grade hint'?" in result.output


def test_a_word_close_to_a_command_that_names_an_exercise_grades_it(mini):
    path = mini / "exercises/ex01_cosine_similarity/exercise.yaml"
    path.write_text(path.read_text().replace("aliases: [cosine]", "aliases: [cosine, lists]"))
    result = grade("lists", "--seed", "3", course=mini)
    assert result.exit_code == 1 and "ex01 · Cosine similarity" in result.output  # graded, not "did you mean"


def test_a_word_that_is_neither_names_both_possibilities(mini):
    result = grade("quux", course=mini)
    assert result.exit_code == 2
    assert "no exercise called 'quux'" in result.output and "ex01 (cosine_similarity)" in result.output
    assert "'quux' is not a command either: grade --help lists them" in result.output


def test_help_names_this_course_from_its_course_yaml(mini):
    (mini / "course.yaml").write_text((mini / "course.yaml").read_text().replace("title: Mini", "title: Thermodynamics"))
    result = grade("--help", course=mini)
    assert "This course: Thermodynamics (1 exercise)" in result.output


# --- plurals ----------------------------------------------------------------------------------------


def test_counts_are_singular_for_one_only():
    assert [count(n, "point") for n in (0, 1, 2, 1.5)] == ["0 points", "1 point", "2 points", "1.5 points"]
    assert plural(1, "is") == "is" and plural(3, "is") == "are" and count(2, "match", "matches") == "2 matches"


def _card(checks: list[tuple[float, float]], max_score: float) -> str:
    result = ExerciseResult(exercise="ex01", title="T", seed=1, max_score=max_score)
    result.checks = [CheckResult(name=f"c{i}", test_id=f"t{i}", score=s, max_score=m, status="passed") for i, (s, m) in enumerate(checks)]
    return score_card(result)


def test_the_card_says_1_point_not_1_points():
    card = _card([(9, 9)], 10)
    assert "The other 1 point is graded by your instructor's hidden checks" in card and "1 points" not in card
    assert "The other 15 points are graded" in _card([(5, 5)], 20)


def test_a_card_with_no_check_to_run_does_not_claim_that_every_check_passes():
    card = _card([], 10)
    assert "Every check you can run passes" not in card
    assert "No check of this exercise runs in your copy of the course: all 10 points are graded" in card


# --- the whole path ---------------------------------------------------------------------------------


def test_grade_ex01_never_imports_jinja2(mini):
    probe = (
        "import sys\nfrom grader.cli import main\n"
        f"try:\n    main(['--course', {str(mini)!r}, 'ex01', '--seed', '2'])\nexcept SystemExit:\n    pass\n"
        "print('jinja2' in sys.modules, 'grader.instructor.report' in sys.modules)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("GRADE_COURSE", "GRADE_SECRET")}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "False False", out.stdout + out.stderr


def test_grade_ex01_off_a_terminal_never_imports_rich(mini):
    """rich draws tables and progress; a grading whose output is not a terminal needs neither."""
    probe = (
        "import sys\nfrom grader.cli import main\n"
        f"try:\n    main(['--course', {str(mini)!r}, 'ex01', '--seed', '2'])\nexcept SystemExit:\n    pass\n"
        "print('rich' in sys.modules)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("GRADE_COURSE", "GRADE_SECRET")}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "False", out.stdout + out.stderr


@pytest.mark.slow
def test_from_an_empty_folder_to_a_verified_published_graded_reported_course(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib", reason="grade report needs matplotlib (pip install 'grade[instructor]')")
    root = tmp_path / "course"
    assert grade("init", str(root), "--title", "Numerical methods").exit_code == 0
    monkeypatch.chdir(root)  # as an instructor works: inside the course folder
    for ex_id, title in (("ex01", "Vector normalisation"), ("ex02", "Unit vectors")):
        made = grade("new", ex_id, "--title", title, "--topic", "norms")
        assert made.exit_code == 0, made.output
    verified = grade("verify")
    assert verified.exit_code == 0, verified.output
    assert "all 2 exercises verified" in verified.output

    published = grade("publish", str(tmp_path / "dist"))
    assert published.exit_code == 0, published.output
    assert "published 2 exercises" in published.output
    assert "ex01: 3 points in public checks, 7 points in hidden checks graded by the instructor" in published.output
    bundle = tmp_path / "dist" / "learner"
    assert [ex.hidden_points for ex in load_course(bundle).exercises] == [7, 7]
    assert "Numerical methods" in (bundle / "pyproject.toml").read_text()
    for word in SUBJECT_WORDS:
        assert word not in (bundle / "pyproject.toml").read_text().lower() and word not in (bundle / "README.md").read_text().lower()

    course = load_course(root)
    subs = tmp_path / "submissions"
    for learner, files in {
        "alice": [ex.reference_path for ex in course.exercises],  # both right
        "bob": [course.exercises[0].learner_paths[0]],  # the untouched stub of ex01 only
    }.items():
        (subs / learner).mkdir(parents=True)
        for path in files:
            shutil.copy(path, subs / learner / path.name)
    out = tmp_path / "gradebook"
    batch = grade("batch", str(subs), "--out", str(out / "grades.csv"), "--json", str(out / "grades.json"), env={"GRADE_SECRET": "e2e"})
    assert batch.exit_code == 0, batch.output
    with open(out / "grades.csv", newline="") as f:
        rows = {(r["learner"], r["exercise"]): float(r["score"]) for r in csv.DictReader(f)}
    assert rows[("alice", "ex01")] == 10 and rows[("alice", "ex02")] == 10 and rows[("bob", "ex01")] == 0

    reported = grade("report", str(out / "grades.json"))
    assert reported.exit_code == 0, reported.output
    page = out / "grades.report.html"
    assert f"wrote {page}" in reported.output and "outside any course folder" in reported.output
    assert page.is_file() and "Numerical methods" in page.read_text()
    assert not list(root.rglob("*.html")) and not list(root.rglob("*.sqlite"))  # nothing of the class inside the course
