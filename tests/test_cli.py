"""The `grade` command through click's CliRunner, on a temporary one-exercise course."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.checking.results import CheckResult, ExerciseResult
from grader.cli import all_commands, main

from .conftest import ROOT, one_exercise_course


@pytest.fixture
def course_dir(tmp_path: Path) -> Path:
    return one_exercise_course(tmp_path, "Mini course")


def grade(course_dir: Path, *args: str):
    return CliRunner().invoke(main, ["--course", str(course_dir), *args], catch_exceptions=False)


def test_stub_scores_zero_and_exits_one_with_actionable_messages(course_dir):
    result = grade(course_dir, "ex01", "--seed", "4")
    assert result.exit_code == 1
    out = result.output
    assert "ex01 · Cosine similarity" in out and "0/20" in out
    assert "called pairwise_cosine(A, B)" in out and "NotImplementedError" in out
    assert "grade ex01 --seed 4" in out and "grade hint ex01" in out


def test_reference_scores_full_marks_and_exits_zero(course_dir):
    ref = course_dir / "solutions/ex01_cosine_similarity/cosine.py"
    shutil.copy(ref, course_dir / "exercises/ex01_cosine_similarity/cosine.py")
    for name in ("ex01", "1", "cosine"):
        result = grade(course_dir, name)
        assert result.exit_code == 0, result.output
        assert "20/20" in result.output


def test_json_uses_gradescope_names(course_dir):
    result = grade(course_dir, "ex01", "--json", "--seed", "9")
    data = json.loads(result.output)
    assert data["score"] == 0 and data["max_score"] == 20 and data["seed"] == 9
    assert data["ungraded_points"] == 0 and data["full_marks"] is False  # every check ran here
    test = data["tests"][0]
    assert {"name", "score", "max_score", "status", "output"} <= set(test)
    assert test["status"] == "failed" and "NotImplementedError" in test["output"]
    assert "detail" not in test


def test_gradescope_results_file(course_dir, tmp_path):
    out = tmp_path / "results.json"
    grade(course_dir, "ex01", "--gradescope", str(out))
    data = json.loads(out.read_text())
    assert data["score"] == 0 and len(data["tests"]) == 11
    assert all(t["visibility"] == "visible" and t["max_score"] > 0 for t in data["tests"])
    assert sum(t["max_score"] for t in data["tests"]) == data["extra_data"]["max_score"] == 20  # what Gradescope totals


def test_same_seed_replays_the_same_messages(course_dir, tmp_path):
    wrong = tmp_path / "wrong.py"
    wrong.write_text((ROOT / "solutions/ex01_cosine_similarity/cosine.py").read_text().replace("return _unit_rows(A) @ _unit_rows(B).T", "return A @ B.T"))
    a = json.loads(grade(course_dir, "ex01", "--json", "--seed", "21", "--file", str(wrong)).output)
    b = json.loads(grade(course_dir, "ex01", "--json", "--seed", "21", "--file", str(wrong)).output)
    assert [t["output"] for t in a["tests"]] == [t["output"] for t in b["tests"]]
    assert any("raw dot product" in t["output"] for t in a["tests"])


def test_unknown_exercise_is_a_usage_error(course_dir):
    result = grade(course_dir, "ex99")
    assert result.exit_code == 2 and "no exercise called 'ex99'" in result.output


def test_broken_course_file_names_file_line_field(course_dir):
    (course_dir / "course.yaml").write_text("title: Mini\nexercises:\n  - ex01_cosine_similarity\ncolour: red\n")
    result = grade(course_dir, "ex01")
    assert result.exit_code == 3
    assert "course.yaml:4" in result.output and "unknown field 'colour'" in result.output


def test_no_course_found(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GRADE_COURSE", raising=False)
    result = CliRunner().invoke(main, ["ex01"])
    assert result.exit_code == 2 and "no course.yaml found" in result.output


def test_verify_passes_for_ex01(course_dir):
    result = grade(course_dir, "verify", "ex01")
    assert result.exit_code == 0, result.output
    assert "1 exercise verified" in result.output


def test_verify_catches_a_check_that_cannot_fail(course_dir):
    """A stub that already returns right answers for one function: verify must say the stub scores."""
    stub = course_dir / "exercises/ex01_cosine_similarity/cosine.py"
    stub.write_text(stub.read_text().replace(
        '    """\n    raise NotImplementedError\n\n\ndef pairwise_cosine',
        '    """\n    import numpy as np\n    na, nb = np.linalg.norm(a), np.linalg.norm(b)\n    return 0.0 if na == 0 or nb == 0 else float(a @ b / (na * nb))\n\n\ndef pairwise_cosine',
        1,
    ))
    result = grade(course_dir, "verify", "ex01")
    assert result.exit_code == 1 and "the stub earns 0" in result.output


def test_every_command_has_help():
    """A meta-test: every registered command explains itself."""
    runner = CliRunner()
    top = runner.invoke(main, ["--help"]).output
    assert "Grade the exercises of a course" in top and "grade init DIR" in top
    assert "linear" not in (main.help or "").lower()  # the engine knows no subject: a course's words come from course.yaml
    for name, command in all_commands().items():
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0, name
        assert command.help and len(command.help.strip()) > 20, f"{name} has no real help text"


def test_long_gradings_report_progress_check_by_check(course_dir):
    """What `grade exNN` shows on a terminal during a long grading (the Triton exercise)."""
    from grader.course import load_course
    from grader.grading.runner import grade as grade_exercise

    seen: list[tuple[int, int, str]] = []
    ex = load_course(course_dir).resolve("ex01")
    result = grade_exercise(ex, seed=3, progress=lambda i, n, name: seen.append((i, n, name)))
    assert [i for i, _, _ in seen] == list(range(1, len(result.checks) + 1))
    assert {n for _, n, _ in seen} == {len(result.checks)}
    assert [name for _, _, name in seen] == [c.name for c in result.checks]


def test_isolation_layers_are_reported_and_a_missing_one_is_named(course_dir):
    data = json.loads(grade(course_dir, "ex01", "--json").output)
    layers = data["isolation"]
    assert set(layers) == {"network namespace", "landlock", "privileges", "seccomp"}
    assert all(v.startswith("on") or v.startswith("off: ") or v.startswith("not needed") for v in layers.values()), layers

    from grader.checking.results import ExerciseResult
    from grader.grading.card import score_card

    result = ExerciseResult("ex01", "Cosine similarity", 1, 20.0, isolation={"landlock": "on (ABI 7)", "seccomp": "off: pyseccomp unavailable"})
    assert "isolation is weaker on this machine (seccomp off: pyseccomp unavailable)" in click_unstyle(score_card(result))


def click_unstyle(text: str) -> str:
    import click

    return click.unstyle(text)


def test_the_shared_table_pads_columns_and_styles_only_the_last_cell():
    from grader.cli._output import table

    plain = [click_unstyle(line) for line in table(("id", "score"), [("ex01", "20/20"), ("ex10", "5/8")])]
    assert plain == ["  id    score", "  ex01  20/20", "  ex10  5/8"]
    styled = table(("id", "status"), [("ex01", "solved"), ("ex02", "new")], ["green", ""])
    assert click_unstyle(styled[1]) == "  ex01  solved" and styled[1] != click_unstyle(styled[1])
    assert styled[2] == "  ex02  new"  # an unstyled last cell carries no escape codes and no padding


def test_verify_seeds_are_fixed_unless_fresh_ones_are_asked_for():
    from grader.instructor.verify import choose_seeds

    assert choose_seeds(3) == (1, 2, 3)
    fresh = choose_seeds(4, fresh=True)
    assert len(fresh) == 4 and all(1 <= s < 2**31 - 1 for s in fresh)


# --- the card: one diagnosis, then the facts (issue 15) -------------------------------

MISTAKE, FEEDBACK = "sums the wrong axis", "each row must sum to one: normalise along the last axis."


def _named_result() -> ExerciseResult:
    """Three checks fail with the same known mistake, one fails with none, one passes."""
    from grader.checking.plugin import LOOKS_LIKE

    said = "\n" + LOOKS_LIKE.format(name=MISTAKE, feedback=FEEDBACK)
    result = ExerciseResult(exercise="ex99", title="T", seed=7, max_score=10.0)
    result.checks = [
        CheckResult(name="passes", test_id="t0", score=2.0, max_score=2.0, status="passed"),
        *(CheckResult(name=f"named {i}", test_id=f"t{i}", score=0.0, max_score=2.0, status="failed",
                      output=f"called f(x{i})\nreturned {i}\nexpected 1{said}", misconception=MISTAKE,
                      misconceptions=[MISTAKE]) for i in (1, 2, 3)),
        CheckResult(name="unnamed", test_id="t4", score=0.0, max_score=2.0, status="failed",
                    output="called g(y)\n" + "\n".join(f"line {k}" for k in range(20))),
    ]
    return result


def test_the_card_opens_with_the_diagnosis_and_says_each_mistake_once() -> None:
    from grader.grading.card import CUT, score_card

    card = click_unstyle(score_card(_named_result()))
    body = [line for line in card.splitlines()[1:] if line.strip()]
    assert body[0].startswith("Diagnosis:") and MISTAKE in body[0] and "6 points on 3 checks (f)" in body[0]
    assert card.count(FEEDBACK) == 1 and "This looks like" not in card  # said once, in the diagnosis
    assert card.count("called f(") == 1 and "called f(x1)" in card  # one worked example: the first check's
    assert card.index("Diagnosis:") < card.index("✗ named 1") < card.index("called f(x1)")
    assert all(f"✗ named {i}" in card for i in (1, 2, 3)) and "✓ 1 check passes (2 points)" in card
    assert "No known mistake explains 1 check (2 points)" in card
    assert "line 3" in card and "line 19" not in card and CUT.format(exercise="ex99") in card  # cut, and said so
    assert "seed 7" in card and "grade ex99 --seed 7" in card


def test_verbose_card_shows_every_check_and_output_in_full() -> None:
    from grader.grading.card import score_card

    result = _named_result()
    card = click_unstyle(score_card(result, verbose=True))
    for c in result.checks:
        assert f" {c.name} " in card
        assert all(line in card for line in c.output.splitlines())
    assert card.count(FEEDBACK) == 3 and "line 19" in card


def test_grade_v_prints_the_full_card(course_dir):
    short = grade(course_dir, "ex01", "--seed", "4").output
    full = grade(course_dir, "ex01", "--seed", "4", "-v").output
    assert len(full.splitlines()) > len(short.splitlines())
    assert short.count("NotImplementedError") < full.count("NotImplementedError")
    assert "called pairwise_cosine(A, B)" in short and "called pairwise_cosine(A, B)" in full


def test_ex09_wrong_softmax_axis_card_fits_in_40_lines() -> None:
    from grader.checking.misconceptions import load_misconceptions, load_module
    from grader.checking.proxy import LocalBackend
    from grader.course import load_course
    from grader.grading.card import score_card
    from grader.grading.runner import grade as grade_in_process

    pytest.importorskip("torch")
    ex = load_course(ROOT).resolve("ex09")
    variant = next(v for v in load_misconceptions(ex.misconceptions_path) if v.name == "softmax over the queries")
    backend = LocalBackend(variant.namespace(load_module(ex.reference_path, "reference")), label="variant")
    result = grade_in_process(ex, seed=1, backend=backend)
    card = click_unstyle(score_card(result))
    failing = [c for c in result.checks if not c.passed]
    assert len(failing) > 10 and len(card.splitlines()) <= 40, card
    assert card.count(variant.name) == 2  # in the diagnosis and over its worked example, nowhere else
    assert len(click_unstyle(score_card(result, verbose=True)).splitlines()) > 100
