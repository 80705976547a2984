"""A known mistake is named only when it agrees with the submission on every check that ran."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.checking.misconceptions import Misconception, load_misconceptions, load_module
from grader.checking.plugin import ONE_OF, GradingPlugin
from grader.checking.proxy import LocalBackend, Submission
from grader.checking.results import ExerciseResult
from grader.course.model import Exercise, load_course
from grader.grading.runner import grade

ROOT = Path(__file__).resolve().parents[1]
SEED = 1


def _exercises() -> dict[str, Exercise]:
    return {ex.id: ex for ex in load_course(ROOT).exercises}


EXERCISES = _exercises()


def _grade_variant(ex: Exercise, variant: Misconception, **kwargs: object) -> ExerciseResult:
    reference = load_module(ex.reference_path, "reference")
    return grade(ex, seed=SEED, backend=LocalBackend(variant.namespace(reference), label=variant.name), **kwargs)


def _named(result: ExerciseResult) -> set[str]:
    return {name for c in result.checks for name in [*c.misconceptions, *([c.misconception] if c.misconception else [])]}


# -- the case: ex15 -----------------------------------------------------------------------


def test_a_kernel_right_on_every_contiguous_check_is_never_told_no_k_mask():
    ex = EXERCISES["ex15"]
    variants = {v.name: v for v in load_misconceptions(ex.misconceptions_path)}
    result = _grade_variant(ex, variants["strides taken from the shapes"])
    named = _named(result)
    assert "strides taken from the shapes" in named
    assert "no mask on the K loop" not in named
    passed = {c.name for c in result.checks if c.passed}
    for name in named:  # no name that fails a check the submission passes
        other = _grade_variant(ex, variants[name])
        assert passed <= {c.name for c in other.checks if c.passed}, name
    transposed = next(c for c in result.checks if c.name.startswith("transposed inputs"))
    assert not transposed.passed and transposed.misconception == "strides taken from the shapes"
    assert "no mask on the K loop" in transposed.detail  # said to the instructor, not to the learner
    assert "no mask on the K loop" not in transposed.output


# -- the plugin on small checks ---------------------------------------------------------------------


class Learner:
    @staticmethod
    def double(x):
        return 2 * abs(x)


class Reference:
    double = staticmethod(lambda x: 2 * x)


CHECKS = """
from grader.checking import expect, points

@points(1)
def test_positive(submission, reference):
    expect(submission.double(3.0)).to_match(reference.double(3.0))

@points(1)
def test_negative(submission, reference):
    expect(submission.double(-1.0)).to_match(reference.double(-1.0))
"""


def _run(pytester: pytest.Pytester, variants: list[Misconception], prefer: str | None = None) -> GradingPlugin:
    pytester.makepyfile(test_checks=CHECKS)
    plugin = GradingPlugin(
        submission=Submission(LocalBackend(Learner, "learner.py"), ("double",)),
        seed=SEED,
        reference=lambda: Reference,
        misconceptions=lambda: variants,
        prefer_misconception=prefer,
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider", plugins=[plugin])
    return plugin


def _variant(name: str, fn) -> Misconception:
    v = Misconception(name, f"feedback of {name}")
    fn.__name__ = "double"
    v(fn)
    return v


def test_a_variant_that_disagrees_on_a_passing_check_is_not_named(pytester):
    two = _variant("always two", lambda x: 2.0)  # matches double(-1) = 2, but not double(3) = 6, which passed
    absolute = _variant("absolute value", lambda x: 2 * abs(x))
    res = {r.test_id: r for r in _run(pytester, [two, absolute]).results.values()}
    negative = res["test_negative"]
    assert negative.misconception == "absolute value" and negative.misconceptions == ["absolute value"]
    assert "always two" not in negative.output and "always two" in negative.detail


def test_variants_no_input_tells_apart_are_named_as_one_of(pytester):
    a = _variant("absolute value", lambda x: 2 * abs(x))
    b = _variant("squared root of squares", lambda x: 2 * (x * x) ** 0.5)
    negative = {r.test_id: r for r in _run(pytester, [a, b]).results.values()}["test_negative"]
    assert negative.misconceptions == ["absolute value", "squared root of squares"]
    assert negative.misconception is None  # no single name the data singles out
    assert ONE_OF.format(names="absolute value, squared root of squares") in negative.output
    assert "feedback of absolute value" in negative.output and "feedback of squared root of squares" in negative.output


def test_a_probe_that_tells_lookalikes_apart_names_the_one_the_learner_made(pytester):
    from grader.checking.misconceptions import Variants

    a = _variant("absolute value", lambda x: 2 * abs(x))
    b = _variant("sign dropped after doubling", lambda x: abs(2 * x) if x > -10 else 2 * x)
    variants = Variants([a, b])
    variants.probes = lambda rng: [("double", (-50.0,), {})]  # only here do they differ
    negative = {r.test_id: r for r in _run(pytester, variants).results.values()}["test_negative"]
    assert negative.misconceptions == ["absolute value"] and negative.misconception == "absolute value"
    assert "sign dropped after doubling" not in negative.output
    assert "sign dropped after doubling" in negative.detail  # ruled out, said to the instructor


def test_lookalikes_left_after_the_probes_say_what_would_tell_them_apart(pytester):
    from grader.checking.misconceptions import Variants

    a = _variant("absolute value", lambda x: 2 * abs(x))
    a.tell_apart = "TELL-A"
    b = _variant("squared root of squares", lambda x: 2 * (x * x) ** 0.5)
    variants = Variants([a, b])
    variants.probes = lambda rng: [("double", (-7.0,), {})]  # they agree here too
    negative = {r.test_id: r for r in _run(pytester, variants).results.values()}["test_negative"]
    assert negative.misconceptions == ["absolute value", "squared root of squares"]
    assert "What would tell them apart:" in negative.output and "- absolute value: TELL-A" in negative.output


def test_a_preferred_variant_stays_named_within_one_of(pytester):
    a = _variant("absolute value", lambda x: 2 * abs(x))
    b = _variant("squared root of squares", lambda x: 2 * (x * x) ** 0.5)
    negative = {r.test_id: r for r in _run(pytester, [a, b], prefer=b.name).results.values()}["test_negative"]
    assert negative.misconception == b.name and negative.misconceptions == [b.name, a.name]


def test_no_replay_when_every_check_passes(pytester):
    def never(x):
        raise AssertionError("replayed although nothing failed")

    class Right:
        double = staticmethod(lambda x: 2 * x)

    pytester.makepyfile(test_checks=CHECKS)
    plugin = GradingPlugin(
        submission=Submission(LocalBackend(Right, "learner.py"), ("double",)),
        seed=SEED,
        reference=lambda: Reference,
        misconceptions=lambda: [_variant("never", never)],
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider", plugins=[plugin])
    assert all(r.passed and not r.detail for r in plugin.results.values())


# -- every exercise: each variant names itself, and nothing the checks rule out -----------------------


@pytest.mark.slow
@pytest.mark.parametrize("exercise", sorted(EXERCISES))
def test_each_variant_is_named_and_only_with_variants_it_agrees_with(exercise):
    ex = EXERCISES[exercise]
    variants = {v.name: v for v in load_misconceptions(ex.misconceptions_path)}
    graded: dict[str, ExerciseResult] = {}

    def result_of(name: str) -> ExerciseResult:
        if name not in graded:
            graded[name] = _grade_variant(ex, variants[name])
        return graded[name]

    problems = []
    for name in variants:
        result = result_of(name)
        if name not in _named(result):
            problems.append(f"'{name}' is not named on its own submission")
        statuses = {c.name: c.status for c in result.checks}
        for other in sorted(_named(result) - {name}):
            theirs = {c.name: c.status for c in result_of(other).checks}
            differ = sorted(c for c in statuses if statuses[c] != theirs.get(c))
            if differ:
                problems.append(f"'{name}' is told '{other}', which differs on {', '.join(differ)}")
    assert not problems, "\n".join(problems)
