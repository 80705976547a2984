"""The grading plugin, run by pytester on small check files (as pytest tests its own plugins)."""

from __future__ import annotations

import numpy as np
import pytest

from grader.checking.plugin import GradingPlugin
from grader.checking.proxy import LocalBackend, Submission


class Learner:
    """A learner module stand-in (trusted here: the plugin, not the worker, is under test)."""

    @staticmethod
    def double(x):
        return 2 * x

    @staticmethod
    def broken(x):
        raise ZeroDivisionError("oops")


class Reference:
    double = staticmethod(lambda x: 2 * x)
    broken = staticmethod(lambda x: x)


def run(pytester: pytest.Pytester, source: str, *, seed: int = 11) -> GradingPlugin:
    pytester.makepyfile(test_checks=source)
    plugin = GradingPlugin(
        submission=Submission(LocalBackend(Learner, "learner.py"), ("double", "broken")),
        seed=seed,
        reference=lambda: Reference,
        misconceptions=lambda: [],
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider", plugins=[plugin])
    return plugin


CHECKS = """
import numpy as np
import pytest
from grader.checking import expect, points, visibility

@points(2)
def test_doubles_arrays(submission, reference, rng):
    x = rng.standard_normal(4)
    expect(submission.double(x)).to_match(reference.double(x))

@points(3)
@visibility("hidden")
def test_broken_function_fails_with_the_reason(submission):
    submission.broken(np.ones(2))

@points(1)
def test_a_plain_assert_still_fails(submission):
    assert submission.double(1) == 3

@pytest.fixture
def exploding():
    raise RuntimeError("fixture blew up")

@points(4)
def test_setup_error_is_an_error_not_a_pass(submission, exploding):
    pass

@points(1)
def test_teardown_error_costs_the_points(submission, request):
    request.addfinalizer(lambda: 1 / 0)
"""


def test_points_visibility_and_outcomes_are_collected(pytester):
    plugin = run(pytester, CHECKS)
    res = {r.test_id: r for r in plugin.results.values()}
    assert res["test_doubles_arrays"].passed and res["test_doubles_arrays"].score == 2
    broken = res["test_broken_function_fails_with_the_reason"]
    assert broken.status == "failed" and broken.score == 0 and broken.max_score == 3 and broken.visibility == "hidden"
    assert "ZeroDivisionError" in broken.output and "called broken(" in broken.output
    assert res["test_a_plain_assert_still_fails"].score == 0
    setup = res["test_setup_error_is_an_error_not_a_pass"]
    assert setup.status == "error" and setup.score == 0 and "fixture blew up" in setup.output
    teardown = res["test_teardown_error_costs_the_points"]
    assert teardown.status == "error" and teardown.score == 0


def test_instructor_detail_points_into_the_check_or_gives_the_whole_traceback(pytester):
    plugin = run(pytester, CHECKS)
    res = {r.test_id: r for r in plugin.results.values()}
    # The learner's mistake: where in the check file, without pytest's or the grader's frames.
    broken = res["test_broken_function_fails_with_the_reason"].detail
    assert "test_checks.py:" in broken and "in test_broken_function_fails_with_the_reason" in broken
    assert "/_pytest/" not in broken and "/pluggy/" not in broken and "/grader/" not in broken
    # The check itself broke (its fixture raised): the whole traceback, the instructor's to fix.
    setup = res["test_setup_error_is_an_error_not_a_pass"].detail
    assert setup.startswith("Traceback") and "in exploding" in setup and "RuntimeError: fixture blew up" in setup


def test_a_check_file_that_does_not_load_keeps_its_traceback(pytester):
    plugin = run(pytester, "import numpy as np\nimport no_such_module_for_checks\n\ndef test_x(submission):\n    pass\n")
    assert not plugin.results
    (error,) = plugin.collection_errors
    assert "Traceback" in error and "test_checks.py:2" in error and "no_such_module_for_checks" in error


def test_check_names_read_as_behaviour(pytester):
    plugin = run(pytester, CHECKS)
    names = [r.name for r in plugin.results.values()]
    assert "doubles arrays" in names and "broken function fails with the reason" in names


def test_rng_is_seeded_per_run_and_per_check(pytester):
    source = """
from grader.checking import points
SEEN = []
@points(1)
def test_one(rng):
    SEEN.append(rng.integers(0, 2**31))
    print("VALUE", SEEN[-1])
    raise AssertionError(str(SEEN[-1]))
@points(1)
def test_two(rng):
    raise AssertionError(str(rng.integers(0, 2**31)))
"""
    first = [r.output for r in run(pytester, source, seed=5).results.values()]
    again = [r.output for r in run(pytester, source, seed=5).results.values()]
    other = [r.output for r in run(pytester, source, seed=6).results.values()]
    assert first == again and first != other and first[0] != first[1]


def test_rng_is_check_rng_of_the_seed_and_the_checks_pytest_name(pytester):
    from grader.checking.plugin import check_rng

    source = """
import pytest
@pytest.mark.parametrize("shape", [(2,), (3,)])
def test_p(rng, shape):
    raise AssertionError(str(rng.integers(0, 2**31, size=shape).tolist()))
"""
    outputs = {r.test_id: r.output for r in run(pytester, source, seed=8).results.values()}
    assert set(outputs) == {"test_p[shape0]", "test_p[shape1]"}
    for test_id, output in outputs.items():
        size = 2 if test_id.endswith("0]") else 3
        assert str(check_rng(8, test_id).integers(0, 2**31, size=size).tolist()) in output

def test_a_hook_wrapper_in_a_conftest_cannot_turn_failures_into_passes(tmp_path):
    """A conftest.py dropped beside the checks is never loaded by the grader."""

    from grader.course import load_course
    from grader.grading.runner import grade

    from .conftest import one_exercise_course

    one_exercise_course(tmp_path, "t")
    (tmp_path / "exercises/ex01_cosine_similarity/checks/conftest.py").write_text(
        "import pytest\n"
        "@pytest.hookimpl(wrapper=True)\n"
        "def pytest_runtest_makereport(item, call):\n"
        "    rep = yield\n"
        "    rep.outcome = 'passed'\n"
        "    return rep\n"
    )
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = -p no:grader_anything\n")
    ex = load_course(tmp_path).resolve("ex01")
    assert grade(ex, seed=3).score == 0


def test_misconception_is_named_when_outputs_match(pytester):
    from grader.checking.misconceptions import Misconception

    halve = Misconception("halved", "you halved instead of doubling")
    halve(lambda x: x / 2).__name__  # noqa: B018
    halve.functions = {"double": lambda x: x / 2}

    class Halver:
        double = staticmethod(lambda x: x / 2)
        broken = staticmethod(lambda x: x)

    pytester.makepyfile(test_checks="""
from grader.checking import expect, points
@points(1)
def test_doubles(submission, reference, rng):
    x = rng.standard_normal(3)
    expect(submission.double(x)).to_match(reference.double(x))
""")
    plugin = GradingPlugin(
        submission=Submission(LocalBackend(Halver, "learner.py"), ("double", "broken")),
        seed=1,
        reference=lambda: Reference,
        misconceptions=lambda: [halve],
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider", plugins=[plugin])
    (result,) = plugin.results.values()
    assert result.misconception == "halved" and "you halved instead of doubling" in result.output
    assert np.isfinite(result.max_score)


STAGED = """
import numpy as np
from grader.checking import advice, expect, points, stage

@points(2)
def test_keeps_float32(submission):
    x = np.ones(3, dtype=np.float32)
    out = submission.double(x)
    with stage("its values"):
        expect(out).to_match(3 * x)
    expect(out).to_satisfy(out.dtype == np.float32, "expected float32")

@points(1)
def test_doubles_with_advice_only_where_the_evidence_is(submission):
    x = np.arange(3.0)
    out = submission.double(x)
    tripled = advice("CAUSE-TRIPLED: you multiplied by three", when=lambda got: np.allclose(got, 3 * x))
    doubled = advice("CAUSE-DOUBLED: you multiplied by two", when=lambda got: np.allclose(got, 2 * x))
    broken = advice("CAUSE-BROKEN: never shown", when=lambda got: 1 / 0)
    expect(out, advice=[tripled, doubled, broken]).to_match(x + 1)
"""


def test_a_check_failing_before_its_subject_says_where_and_advice_needs_its_evidence(pytester):
    plugin = run(pytester, STAGED)
    staged = next(r for r in plugin.results.values() if "float32" in r.name)
    assert staged.status == "failed" and staged.failed_at == "its values"
    assert "failed on its values first" in staged.title
    advised = next(r for r in plugin.results.values() if "advice" in r.name)
    assert advised.failed_at == "" and advised.title == advised.name
    assert "CAUSE-DOUBLED" in advised.output
    assert "CAUSE-TRIPLED" not in advised.output and "CAUSE-BROKEN" not in advised.output


def test_two_copies_of_a_course_graded_in_one_process_each_run_their_own_checks(tmp_path):
    """pytest's importlib mode names a check module by its path under the exercise folder, the same
    in every copy of a course: the second grading must not get the first copy's module."""
    from grader.course import load_course
    from grader.grading.runner import grade

    from .conftest import one_exercise_course

    first, second = (one_exercise_course(tmp_path / name) for name in ("first", "second"))
    checks = second / "exercises/ex01_cosine_similarity/checks/test_cosine.py"
    checks.write_text(checks.read_text() + "\n\n@points(0)\ndef test_only_in_the_second_copy(submission):\n    pass\n")
    names = []
    for root in (first, second, first):
        ex = load_course(root).resolve("ex01")
        names.append({c.test_id for c in grade(ex, seed=3, source=ex.solution_directory).checks})
    assert "test_only_in_the_second_copy" not in names[0] | names[2]
    assert "test_only_in_the_second_copy" in names[1]
