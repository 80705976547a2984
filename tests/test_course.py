"""The course model: loading, errors that name file/line/field, resolution, discovery."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.course import find_course_root, load_course
from grader.errors import CourseError, UsageError

from .conftest import one_exercise_course


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A one-exercise copy of the course to break in different ways."""
    return one_exercise_course(tmp_path)


def exercise_yaml(root: Path) -> Path:
    return root / "exercises/ex01_cosine_similarity/exercise.yaml"


def test_the_real_course_loads_in_order(course):
    assert course.exercises[0].id == "ex01"
    ids = [e.number for e in course.exercises]
    assert ids == sorted(ids)


def test_exercise_fields_are_typed(mini):
    ex = load_course(mini).exercises[0]
    assert ex.title == "Cosine similarity" and ex.difficulty == "easy"
    assert ex.entry_points == ("cosine_similarity", "pairwise_cosine", "top_k_similar")
    assert ex.module_name == "cosine" and ex.points == 20
    assert ex.limits.cpu_seconds == 10 and ex.limits.memory_mb == 1024
    assert ex.reference_path == mini / "solutions/ex01_cosine_similarity/cosine.py"


@pytest.mark.parametrize("name", ["ex01", "1", "01", "cosine", "cosine_similarity", "ex01_cosine_similarity", "EX01", "exercises/ex01_cosine_similarity/"])
def test_exercises_resolve_by_id_number_slug_alias_or_folder(mini, name):
    assert load_course(mini).resolve(name).id == "ex01"


def test_unknown_exercise_lists_the_known_ones(mini):
    with pytest.raises(UsageError, match=r"no exercise called 'pca'.*ex01 \(cosine_similarity\)"):
        load_course(mini).resolve("pca")


def test_unknown_key_names_file_line_and_field(mini):
    path = exercise_yaml(mini)
    path.write_text(path.read_text() + "pointz: 3\n")
    with pytest.raises(CourseError) as err:
        load_course(mini)
    text = str(err.value)
    line = len(path.read_text().splitlines())
    assert f"exercise.yaml:{line}" in text and "unknown field 'pointz'" in text and "known fields" in text


def test_wrong_type_names_the_field_and_what_is_expected(mini):
    path = exercise_yaml(mini)
    path.write_text(path.read_text().replace("points: 20", "points: twenty"))
    with pytest.raises(CourseError, match=r"field 'points': expected a whole number, got 'twenty'"):
        load_course(mini)


def test_missing_field_is_named(mini):
    path = exercise_yaml(mini)
    path.write_text("\n".join(line for line in path.read_text().splitlines() if not line.startswith("title:")))
    with pytest.raises(CourseError, match=r"missing required field 'title'"):
        load_course(mini)


def test_missing_stub_file_loads_but_the_instructor_check_names_it(mini):
    (mini / "exercises/ex01_cosine_similarity/cosine.py").unlink()
    course = load_course(mini)  # a learner who deleted their file keeps the rest of the course
    assert course.exercises[0].missing_learner_files() == ["cosine.py"]
    with pytest.raises(CourseError, match=r"exercise.yaml:8: field 'files.learner': 'cosine.py' is listed but .* does not exist"):
        course.require_learner_files()


def test_missing_check_file_is_an_error(mini):
    (mini / "exercises/ex01_cosine_similarity/checks/test_cosine.py").unlink()
    with pytest.raises(CourseError, match=r"field 'files.checks': 'checks/test_cosine.py' is listed but .* does not exist"):
        load_course(mini)


def test_limits_are_checked_and_merged(mini):
    path = exercise_yaml(mini)
    path.write_text(path.read_text() + "limits:\n  cpu_seconds: 3\n  memory_mb: -1\n")
    with pytest.raises(CourseError, match=r"limits.memory_mb.*must be positive"):
        load_course(mini)
    path.write_text(path.read_text().replace("memory_mb: -1", "memory_mb: 300"))
    ex = load_course(mini).exercises[0]
    assert ex.limits.cpu_seconds == 3 and ex.limits.memory_mb == 300 and ex.limits.wall_seconds == 20


def test_invalid_yaml_names_the_line(mini):
    (mini / "course.yaml").write_text("title: Mini\nexercises: [ex01\n")
    with pytest.raises(CourseError, match=r"course.yaml:\d+: not valid YAML"):
        load_course(mini)


def test_listed_exercise_without_folder(mini):
    (mini / "course.yaml").write_text("title: Mini\nexercises:\n  - ex01_cosine_similarity\n  - ex02_missing\n")
    with pytest.raises(CourseError, match=r"course.yaml:4: field 'exercises\[1\]': 'ex02_missing' is listed"):
        load_course(mini)


def test_id_must_match_the_folder(mini):
    path = exercise_yaml(mini)
    path.write_text(path.read_text().replace("id: ex01", "id: ex02"))
    with pytest.raises(CourseError, match=r"does not match the folder"):
        load_course(mini)


def test_course_is_found_upwards_like_git(mini, monkeypatch):
    deep = mini / "exercises/ex01_cosine_similarity/checks"
    assert find_course_root(deep) == mini.resolve()
    monkeypatch.delenv("GRADE_COURSE", raising=False)
    with pytest.raises(UsageError, match="no course.yaml found"):
        find_course_root(Path("/"))


# --- unknown keys named first, with the closest known one; an empty course loads -------------


def _cli(root: Path, *args: str):
    from click.testing import CliRunner

    from grader.cli import main

    return CliRunner().invoke(main, ["--course", str(root), *args], catch_exceptions=False)


def test_a_misspelt_required_key_is_named_not_reported_missing(mini):
    (mini / "course.yaml").write_text("# a course\ntitel: Mini\nexercises:\n  - ex01_cosine_similarity\n")
    result = _cli(mini, "list")
    assert result.exit_code == 3
    out = result.output
    assert f"{mini / 'course.yaml'}:2: field 'titel': unknown field 'titel'" in out
    assert "did you mean 'title'?" in out and "missing required field" not in out


def test_an_unknown_key_is_named_even_when_a_required_one_is_missing(mini):
    path = exercise_yaml(mini)
    lines = [line for line in path.read_text().splitlines() if not line.startswith("points:")]
    lines.insert(3, "pionts: 20")
    path.write_text("\n".join(lines) + "\n")
    result = _cli(mini, "ex01")
    assert result.exit_code == 3
    assert "exercise.yaml:4: field 'pionts': unknown field 'pionts'" in result.output
    assert "did you mean 'points'?" in result.output


def test_an_unknown_nested_key_is_named_with_its_dotted_field(mini):
    path = exercise_yaml(mini)
    path.write_text(path.read_text().replace("  learner:", "  lerner:"))
    with pytest.raises(CourseError) as err:
        load_course(mini)
    text = str(err.value)
    assert "field 'files.lerner': unknown field 'lerner'" in text and "did you mean 'learner'?" in text
    assert f"exercise.yaml:{err.value.line}" in text and err.value.line is not None


def test_an_unknown_key_unlike_any_known_one_lists_the_known_ones(mini):
    (mini / "course.yaml").write_text("colour: red\nexercises: []\n")
    with pytest.raises(CourseError) as err:
        load_course(mini)
    assert err.value.line == 1 and "did you mean" not in str(err.value)
    assert "known fields here: allow_weak_isolation, defaults, due, exercises, secret, server, solutions, title" in str(err.value)


@pytest.mark.parametrize("listing", ["exercises: []", "exercises:", "exercises:   # none yet"])
def test_a_course_with_no_exercises_loads(tmp_path, listing):
    (tmp_path / "course.yaml").write_text(f"title: Empty\n{listing}\n")
    course = load_course(tmp_path)
    assert course.title == "Empty" and course.exercises == ()
    with pytest.raises(UsageError, match="no exercises yet"):
        course.resolve("ex01")


def test_server_and_due_dates_are_read_by_exercise_id_in_utc_by_default(mini):
    import datetime as dt

    with open(mini / "course.yaml", "a") as f:
        f.write("server: https://grade.example.edu/\ndue:\n  ex01_cosine_similarity: 2026-12-20\n")
    course = load_course(mini)
    assert course.server == "https://grade.example.edu"
    assert course.due_date("ex01") == dt.datetime(2026, 12, 20, 23, 59, 59, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(
    ("extra", "field", "words"),
    [
        ("server: grade.example.edu\n", "server", "grading service's address"),
        ("due:\n  ex42: 2026-12-20\n", "due.ex42", "not an exercise of this course"),
        ("due:\n  ex01: next friday\n", "due.ex01", "expected a date and time"),
    ],
)
def test_a_bad_server_or_due_date_is_named_at_its_field(mini, extra, field, words):
    with open(mini / "course.yaml", "a") as f:
        f.write(extra)
    with pytest.raises(CourseError) as err:
        load_course(mini)
    assert f"field '{field}'" in str(err.value) and words in str(err.value)
