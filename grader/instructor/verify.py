"""``grade verify``: prove an exercise's checks before learners see them.

For each exercise: every reference earns full marks over several seeds, the untouched
stub earns zero, every misconception loses marks and is recognised by a failing check,
every no-op mutant of an entry point earns no more than that entry point left unwritten,
points add up to ``exercise.yaml``'s total, hints are there, and no file in the
exercise or solution folder is unaccounted for.
"""

from __future__ import annotations

import ast
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from grader.checking.misconceptions import load_misconceptions, load_module
from grader.checking.proxy import LocalBackend
from grader.checking.results import ExerciseResult
from grader.course import EXERCISE_FILE, Exercise
from grader.course.wording import count
from grader.errors import CourseError
from grader.grading.runner import grade
from grader.instructor.mutants import Mutant, mutants, unwritten

DEFAULT_SEEDS = (1, 2, 3)
MIN_HINTS = 2
MIN_MISCONCEPTIONS = 3
# One wrong part should cost the points of its part: a misconception costing more than this share
# of the exercise must say which parts it breaks (Misconception(..., breaks_every_part="why")).
MAX_COST = 0.6
IGNORED = {"__pycache__", ".pytest_cache", ".DS_Store"}
TOTAL = "{score:g}/{graded:g}"  # a grading's total: out of the points graded here
TOTAL_UNGRADED = TOTAL + ", {ungraded} ungraded here"  # and the points of checks not run here, in no total


@dataclass
class Finding:
    ok: bool
    what: str
    detail: str = ""


@dataclass
class VariantScore:
    """What one misconception earned, and what its cards named (the confusion matrix's row)."""

    name: str
    score: float  # the lowest over the seeds graded
    graded: float
    named: dict[str, int] = field(default_factory=dict)  # name -> failing checks that named it alone
    one_of: int = 0  # failing checks that said "one of" with this misconception among them

    @property
    def cost(self) -> float:
        return 1 - self.score / self.graded if self.graded else 0.0


@dataclass
class Report:
    exercise: Exercise
    findings: list[Finding] = field(default_factory=list)
    variants: list[VariantScore] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.findings)

    def add(self, ok: bool, what: str, detail: str = "") -> Finding:
        finding = Finding(ok, what, detail)
        self.findings.append(finding)
        return finding


def _defined_functions(path: Path) -> set[str]:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return set()
    return {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}


def _files(root: Path) -> set[str]:
    out = set()
    for p in root.rglob("*"):
        if p.is_file() and not (set(p.relative_to(root).parts) & IGNORED) and p.suffix != ".pyc":
            out.add(p.relative_to(root).as_posix())
    return out


def _total(result: ExerciseResult) -> str:
    if result.ungraded:
        ungraded = count(result.ungraded_points, "point")
        return TOTAL_UNGRADED.format(score=result.score, graded=result.graded_max, ungraded=ungraded)
    return TOTAL.format(score=result.score, graded=result.graded_max)


def _failures(result: ExerciseResult) -> str:
    lines = []
    for c in result.checks:
        if not c.passed:
            lines.append(f"{c.name} ({c.score:g}/{c.max_score:g}): {c.output}")
            if c.detail and c.status == "error":
                lines.append(c.detail)
    return "\n".join(lines)


def _unstable(runs: dict[int, ExerciseResult]) -> str:
    """The checks whose pass/fail differs between seeds, said per check ('' when stable)."""
    statuses: dict[str, dict[int, str]] = {}
    for seed, result in runs.items():
        for c in result.checks:
            statuses.setdefault(c.name, {})[seed] = c.status
    lines = []
    for name, by_seed in statuses.items():
        if len(set(by_seed.values())) > 1 or len(by_seed) < len(runs):
            said = ", ".join(f"seed {s}: {by_seed.get(s, 'absent')}" for s in runs)
            lines.append(f"{name}: {said} (inputs from rng must not make a check pass by luck)")
    return "\n".join(lines)


def static_checks(ex: Exercise, report: Report) -> None:
    report.add(len(ex.hints) >= MIN_HINTS, f"{count(len(ex.hints), 'hint')} (at least {MIN_HINTS})")
    report.add((ex.directory / "README.md").is_file(), "README.md states the problem")
    expected = {EXERCISE_FILE, "README.md", *ex.files.learner, *ex.files.checks, *ex.files.data}
    stray = sorted(_files(ex.directory) - expected)
    report.add(not stray, "no stray files in the exercise folder", f"not declared in exercise.yaml: {', '.join(stray)}")
    if not ex.solution_directory.is_dir():
        report.add(False, f"solution folder {ex.solution_directory} exists")
        return
    expected_solution = {*ex.files.learner, "misconceptions.py"}
    stray = sorted(_files(ex.solution_directory) - expected_solution)
    report.add(not stray, "no stray files in the solution folder", f"unexpected: {', '.join(stray)}")
    for label, path in (("stub", ex.learner_paths[0]), ("reference", ex.reference_path)):
        missing = sorted(set(ex.entry_points) - _defined_functions(path))
        report.add(not missing, f"the {label} defines every entry point", f"{path} lacks {', '.join(missing)}")


def choose_seeds(count: int, *, fresh: bool = False) -> tuple[int, ...]:
    """The seeds to grade the reference with: 1, 2, 3... or, ``fresh``, drawn at random."""
    if fresh:
        return tuple(random.SystemRandom().randrange(1, 2**31 - 1) for _ in range(count))
    return tuple(range(1, count + 1))


def verify_exercise(
    ex: Exercise,
    *,
    seeds: tuple[int, ...] = DEFAULT_SEEDS,
    progress: Callable[[Finding], None] | None = None,
) -> Report:
    report = Report(ex)
    emit = progress or (lambda f: None)

    def add(ok: bool, what: str, detail: str = "") -> None:
        emit(report.add(ok, what, detail))

    static_start = len(report.findings)
    static_checks(ex, report)
    for f in report.findings[static_start:]:
        emit(f)
    if not ex.reference_path.is_file():
        add(False, "the reference exists", str(ex.reference_path))
        return report

    # The reference, through the real worker, on several seeds.
    first: ExerciseResult | None = None
    reference_runs: dict[int, ExerciseResult] = {}
    for seed in seeds:
        result = grade(ex, seed=seed, source=ex.solution_directory)
        first = first or result
        reference_runs[seed] = result
        add(result.full_marks, f"reference earns full marks with seed {seed} ({_total(result)})", _failures(result))
    assert first is not None
    flips = _unstable(reference_runs)
    add(not flips, "the reference's per-check results are the same on every seed", flips)
    total = sum(c.max_score for c in first.checks)
    unpointed = [c.name for c in first.checks if c.max_score <= 0]
    add(not unpointed, "every check has @points", ", ".join(unpointed))
    add(total == ex.points, f"points add up ({total:g} in the checks, {ex.points} in exercise.yaml)")

    # The untouched stub earns nothing.
    stub = grade(ex, seed=seeds[0])
    passed = [c.name for c in stub.checks if c.passed]
    add(stub.score == 0, f"the stub earns 0 ({_total(stub)})", "passed: " + ", ".join(passed))

    # Every misconception loses marks, and the feedback meant for it reaches the learner.
    try:
        variants = load_misconceptions(ex.misconceptions_path)
        reference = load_module(ex.reference_path, "reference")
    except CourseError as exc:
        add(False, "misconceptions.py imports", str(exc))
        return report
    add(len(variants) >= MIN_MISCONCEPTIONS, f"{count(len(variants), 'misconception')} (at least {MIN_MISCONCEPTIONS})")
    for v in variants:
        unknown = sorted(set(v.functions) - set(ex.entry_points))
        if unknown or not v.functions or not v.feedback.strip():
            add(False, f"misconception '{v.name}' is well formed", f"functions: {sorted(v.functions)}; not entry points: {unknown}")
            continue
        losses = []
        recognised = False
        runs: dict[int, ExerciseResult] = {}
        for seed in seeds[:2]:
            backend = LocalBackend(v.namespace(reference), label=f"misconception '{v.name}'")
            result = grade(ex, seed=seed, backend=backend, prefer_misconception=v.name)
            runs[seed] = result
            losses.append(result.score < result.graded_max)
            recognised = recognised or any(c.misconception == v.name for c in result.checks if not c.passed)
        worst = min(runs.values(), key=lambda r: r.score)
        scored = VariantScore(v.name, worst.score, worst.graded_max)
        for result in runs.values():
            _confusions(result, scored)
        report.variants.append(scored)
        add(
            all(losses),
            f"misconception '{v.name}' loses marks on every seed (earns {scored.score:g}/{scored.graded:g})",
            "it earned full marks on a seed: add a check that catches it",
        )
        wrong = {name: n for name, n in scored.named.items() if name != v.name}
        add(
            not wrong,
            f"misconception '{v.name}': no card names another mistake",
            "named instead: " + ", ".join(f"'{name}' on {count(n, 'check')}" for name, n in wrong.items())
            + ". Make a check (or a probe) whose inputs tell them apart",
        )
        breaks = getattr(v, "breaks_every_part", "")
        add(
            scored.cost <= MAX_COST or bool(breaks),
            f"misconception '{v.name}' costs {scored.cost:.0%} of the points"
            + (f" (breaks every part: {breaks})" if breaks and scored.cost > MAX_COST else f" (at most {MAX_COST:.0%})"),
            "one wrong part should cost the points of its part: split the checks that compare the whole result into "
            "checks of each part, or say why it breaks every part with Misconception(..., breaks_every_part=...)",
        )
        # A check that catches a mistake only on some seeds grades learners by luck.
        flips = _unstable(runs)
        add(not flips, f"misconception '{v.name}' fails the same checks on every seed", flips)
        add(recognised, f"misconception '{v.name}' is recognised in the feedback", "no failing check's inputs reproduce it")
    no_ops(ex, reference, seeds[0], add)
    return report


def _confusions(result: ExerciseResult, scored: VariantScore) -> None:
    """Add what each failing check named to the variant's row of the confusion matrix."""
    for c in result.checks:
        if c.passed or not c.misconceptions:
            continue
        if len(c.misconceptions) == 1:
            scored.named[c.misconceptions[0]] = scored.named.get(c.misconceptions[0], 0) + 1
        elif scored.name in c.misconceptions:
            scored.one_of += 1
        else:
            for name in c.misconceptions:  # a "one of" without the true mistake: every name in it is wrong
                scored.named[name] = scored.named.get(name, 0) + 1


def no_ops(ex: Exercise, reference: object, seed: int, add: Callable[..., object]) -> None:
    """Each entry point's no-op mutants earn no more than that entry point left unwritten."""
    by_function: dict[str, list[Mutant]] = {}
    for m in mutants(reference, ex.entry_points):
        by_function.setdefault(m.function, []).append(m)
    for function, found in by_function.items():
        floor = grade(ex, seed=seed, backend=LocalBackend(unwritten(reference, function), label=f"{function} unwritten"))
        floor_passed = {c.name for c in floor.checks if c.passed}
        for m in found:
            result = grade(ex, seed=seed, backend=LocalBackend(m.namespace(reference), label=f"{function} {m.label}"))
            gained = [f"{c.name} (+{c.score:g})" for c in result.checks if c.passed and c.name not in floor_passed]
            add(
                result.score <= floor.score,
                f"no-op: {function} that {m.label} earns no more than {function} unwritten "
                f"({result.score:g} vs {floor.score:g})",
                "it passes " + ", ".join(gained) + ": make these checks compare values a no-op cannot produce",
            )

