"""A learner's mistakes cost only what they break (issue 16): a deleted stub locks out only its
exercise (and `grade reset` brings it back), a file that does not import is said once with the
learner's own path, and a function that hangs is not called again in the same grading."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from grader.cli import main
from grader.sandbox import trusted

from .conftest import ROOT
from .helpers import learner_environment

FOLDERS = ("ex01_cosine_similarity", "ex02_norms")
STUB = (ROOT / "exercises" / FOLDERS[0] / "cosine.py").read_text()
REFERENCE = (ROOT / "solutions" / FOLDERS[0] / "cosine.py").read_text()
PAIRWISE_CHECKS = ("pairwise matches every pair", "pairwise keeps float32", "pairwise gives zero", "pairwise works for single")


def make_course(root: Path, folders: tuple[str, ...] = FOLDERS) -> Path:
    for part in ("exercises", "solutions"):
        for folder in folders:
            shutil.copytree(ROOT / part / folder, root / part / folder, ignore=shutil.ignore_patterns("__pycache__"))
    listed = "".join(f"  - {folder}\n" for folder in folders)
    (root / "course.yaml").write_text(f"title: Resilient course\nexercises:\n{listed}")
    return root


@pytest.fixture
def course_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_course(tmp_path / "course")
    learner_environment(monkeypatch, tmp_path, root)
    monkeypatch.chdir(root)  # the learner's place: paths are shown as they know them from here
    return root


def grade(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def learner_file(root: Path) -> Path:
    return root / "exercises" / FOLDERS[0] / "cosine.py"


def card_lines(result: Result, check: str) -> list[str]:
    """The lines a check prints under its name on the card (up to the blank line that ends them)."""
    lines = result.output.splitlines()
    start = next(i for i, line in enumerate(lines) if check in line)
    body = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        body.append(line.strip())
    return body


# --- a deleted stub ----------------------------------------------------------------


def test_a_deleted_stub_locks_out_only_its_exercise_and_reset_restores_it(course_dir: Path) -> None:
    assert grade("list").exit_code == 0  # the first command snapshots every untouched stub
    learner_file(course_dir).unlink()

    listed = grade("list", "--json")
    assert listed.exit_code == 0, listed.output
    assert '"ex01"' in listed.output and '"ex02"' in listed.output
    overview = grade()
    assert overview.exit_code == 0 and "ex02" in overview.output, overview.output
    hint = grade("hint", "ex01")
    assert hint.exit_code == 0 and "Hint 1" in hint.output
    other = grade("ex02")
    assert other.exit_code == 1 and "ex02 ·" in other.output  # graded: a score card

    missing = grade("ex01")
    assert missing.exit_code == 2
    assert "exercises/ex01_cosine_similarity/cosine.py is missing" in missing.output
    assert "grade reset ex01" in missing.output and "the copy saved when you first opened" in missing.output

    reset = grade("reset", "ex01")
    assert reset.exit_code == 0, reset.output
    assert "Restored the stub of ex01" in reset.output and "the copy saved when you first opened" in reset.output
    assert learner_file(course_dir).read_text() == STUB
    assert grade("ex01").exit_code == 1  # graded again: the stub scores 0


def test_the_instructor_commands_still_insist_on_every_stub(course_dir: Path) -> None:
    learner_file(course_dir).unlink()
    for args in (("verify", "ex01"), ("publish", str(course_dir.parent / "dist"))):
        result = CliRunner().invoke(main, list(args))
        assert result.exit_code == 3, (args, result.output)
        assert "exercise.yaml:8: field 'files.learner': 'cosine.py' is listed but" in result.output


# --- a file that does not import ------------------------------------------------------


def test_a_syntax_error_is_shown_once_with_the_learners_path(course_dir: Path) -> None:
    lines = STUB.splitlines()
    line = len(lines) + 2
    learner_file(course_dir).write_text(STUB + "\ndef broken(:\n    pass\n")
    short = grade("ex01").output  # the default card: the checks' shared line is said once
    assert short.count("SyntaxError: invalid syntax") == 1 + 1 and short.count("def broken(:") == 1
    result = grade("ex01", "-v")  # every check's line
    assert result.exit_code == 1
    out = result.output
    where = f"exercises/ex01_cosine_similarity/cosine.py:{line}"
    assert f"! {where} could not be imported" in out, out
    assert f'File "exercises/ex01_cosine_similarity/cosine.py", line {line}' in out
    assert out.count("SyntaxError: invalid syntax") == 1 + 11  # once in full, then once in each check's line
    assert out.count("def broken(:") == 1
    assert "grade-worker" not in out and "/tmp/" not in out
    for check in ("cosine of two vectors", "pairwise matches every pair", "top k ranks by cosine"):
        said = card_lines(result, check)
        assert len(said) == 1 and said[0].startswith("not run: cosine.py could not be imported"), said
        assert "shown above the checks" in said[0]


# --- a function that hangs ----------------------------------------------------------


def test_a_function_that_hung_is_not_called_again(course_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    yaml = course_dir / "exercises" / FOLDERS[0] / "exercise.yaml"
    yaml.write_text(yaml.read_text() + "limits:\n  cpu_seconds: 2\n  wall_seconds: 3\n  memory_mb: 512\n")  # tests/helpers.FAST_LIMITS
    # top_k_similar is rewritten so that it does not use the hanging pairwise_cosine
    learner_file(course_dir).write_text(REFERENCE + (
        "\n\nimport threading\n\n\n"
        "def pairwise_cosine(A, B):\n    threading.Event().wait()\n\n\n"
        "def top_k_similar(query, E, k):\n"
        "    scores = np.array([cosine_similarity(query, e) for e in E])\n"
        "    return np.argsort(-scores, kind='stable')[:k]\n"
    ))
    calls: list[str] = []
    send = trusted.Worker._send

    def counted(self: trusted.Worker, envelope: dict, *args: object, **kwargs: object) -> None:
        if envelope.get("op") == "call":
            calls.append(envelope["name"])
        send(self, envelope, *args, **kwargs)

    monkeypatch.setattr(trusted.Worker, "_send", counted)
    result = grade("ex01", "-v")  # each check's own lines
    assert result.exit_code == 1
    assert calls.count("pairwise_cosine") == 1, calls  # 4 checks call it: only the first reached the worker
    assert calls.count("cosine_similarity") > 4 and calls.count("top_k_similar") == 3  # the others still are called
    first = " ".join(card_lines(result, PAIRWISE_CHECKS[0]))
    assert "wall clock" in first and "not called again" not in first
    for check in PAIRWISE_CHECKS[1:]:
        said = " ".join(card_lines(result, check))
        assert said.startswith("pairwise_cosine() was not called again"), said
        assert "wall clock" in said  # the same reason
    assert "✓ top k returns the most similar rows first" in result.output
    assert "✓ cosine of two vectors matches the definition" in result.output
