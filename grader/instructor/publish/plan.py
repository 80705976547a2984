"""Which of an exercise's checks ship to learners, and what each is worth: the plan every product follows.

Changes when the rule for splitting checks into public and instructor-only ones changes, or
how check files are read (``ast``) and cut (:func:`keep_only`). The learner bundle, the
Gradescope autograder and the nbgrader notebooks are all written from an :class:`ExercisePlan`.

Which checks are public is decided per check, with no extra configuration: a check ships to
learners when its visibility is ``visible`` (the default) and it does not use the reference
(the ``reference`` or ``reference_process`` fixture), since no reference code ships. Every
other check stays with the instructor. Check files are split with ``ast``: the hidden check
functions are cut out, then helpers that only they used. Points come from pytest's own
collection (with the grading plugin), so parametrised checks count as the grader counts them.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.course import EXERCISE_FILE, Exercise
from grader.course.wording import count
from grader.errors import CourseError

INSTRUCTOR_FIXTURES = ("reference", "reference_process")

WHY_VISIBILITY = "visibility '{level}'"
WHY_REFERENCE = "compares with the reference"
WHY_CLASS = "test classes are kept whole with the instructor"
CHECKS_BROKEN = "the checks of {id} could not be collected, so nothing was published:\n{error}"
POINTS_MISMATCH = "{id}: the checks carry {found} but exercise.yaml says {points}; run grade verify {id}"


@dataclass
class CheckSpec:
    """One check function, as ``grade publish`` sees it."""

    file: str  # relative to the exercise folder
    function: str  # the test function (or class) name
    visibility: str
    why_hidden: str = ""  # empty when the check ships to learners
    points: float = 0.0
    names: list[str] = field(default_factory=list)  # the checks' names in results (one per parameter)

    @property
    def public(self) -> bool:
        return not self.why_hidden


def _call_name(node: ast.expr) -> str:
    func = node.func if isinstance(node, ast.Call) else node
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _visibility_in(node: ast.expr | None) -> str | None:
    """``visibility("hidden")`` / ``pytest.mark.visibility("hidden")``, also inside a list."""
    if node is None:
        return None
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and _call_name(sub) == "visibility" and sub.args:
            arg = sub.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                return arg.value
    return None


def _test_nodes(tree: ast.Module) -> list[ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef]:
    out: list[Any] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            out.append(node)
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            out.append(node)
    return out


def analyse_check_file(path: Path, relative: str, default_visibility: str) -> tuple[str, list[CheckSpec]]:
    """The source of one check file and a spec per check function in it."""
    source = path.read_text(encoding="utf-8")
    try:
        tree = ast.parse(source, filename=str(path))
    except SyntaxError as exc:
        raise CourseError(path, f"does not parse: {exc.msg}", line=exc.lineno) from None
    module_level = default_visibility
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets):
            module_level = _visibility_in(node.value) or module_level
    specs = []
    for node in _test_nodes(tree):
        level = next((v for d in node.decorator_list if (v := _visibility_in(d))), None) or module_level
        why = ""
        if isinstance(node, ast.ClassDef):
            why = WHY_CLASS
        elif level != "visible":
            why = WHY_VISIBILITY.format(level=level)
        else:
            params = {a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)}
            names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            strings = {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
            if (params | names | strings) & set(INSTRUCTOR_FIXTURES):
                why = WHY_REFERENCE
        specs.append(CheckSpec(file=relative, function=node.name, visibility=level, why_hidden=why))
    return source, specs


def keep_only(source: str, keep: Iterable[str]) -> str:
    """``source`` with every test function not in ``keep`` removed, then the helpers no one uses.

    Works on line ranges of top-level statements (decorators included), so what stays is
    the author's text, comments and all.
    """
    keep = set(keep)
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    top = list(tree.body)

    def span(node: ast.stmt) -> range:
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        return range(first - 1, node.end_lineno or node.lineno)

    tests = {n.name for n in _test_nodes(tree)}
    removed = {id(n) for n in top if getattr(n, "name", None) in tests and n.name not in keep}  # type: ignore[attr-defined]
    # Helpers (functions, classes) that only removed checks used go too: repeat until stable.
    while True:
        alive = [n for n in top if id(n) not in removed]
        dead = {
            id(n)
            for n in alive
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and n.name not in tests
            and not _used_elsewhere(n, alive)
        }
        if not dead:
            break
        removed |= dead
    drop: set[int] = set()
    for n in top:
        if id(n) in removed:
            drop.update(span(n))
    text = "".join(line for i, line in enumerate(lines) if i not in drop)
    return re.sub(r"\n{4,}", "\n\n\n", text).rstrip() + "\n"


def _names_in(node: ast.AST) -> set[str]:
    used: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            used.add(sub.id)
        elif isinstance(sub, ast.arg):
            used.add(sub.arg)
    return used


def _used_elsewhere(node: ast.stmt, alive: list[ast.stmt]) -> bool:
    name = node.name  # type: ignore[attr-defined]
    return any(name in _names_in(other) for other in alive if other is not node)


def collect_points(ex: Exercise) -> dict[tuple[str, str], tuple[float, list[str]]]:
    """(check file, function) -> (points, names in results), from pytest's own collection.

    Asking pytest (with the grading plugin) rather than reading ``@points`` ourselves
    counts parametrised checks as the grader does.
    """
    from grader.checking.plugin import GradingPlugin
    from grader.grading.runner import run_pytest

    plugin = GradingPlugin(submission=None, seed=1, reference=lambda: None, misconceptions=list, default_visibility=ex.visibility)  # type: ignore[arg-type]
    if not any(p.is_file() for p in ex.check_paths):
        return {}
    code = run_pytest(ex, plugin, ["--collect-only"])
    if plugin.collection_errors or code not in (0, 5):
        error = plugin.collection_errors[0].strip()[-800:] if plugin.collection_errors else f"pytest exited with status {code}"
        raise CourseError(ex.directory / EXERCISE_FILE, CHECKS_BROKEN.format(id=ex.id, error=error))
    out: dict[tuple[str, str], tuple[float, list[str]]] = {}
    for nodeid, result in plugin.results.items():
        parts = nodeid.split("::")
        key = (parts[0], parts[1].split("[")[0])
        points, names = out.get(key, (0.0, []))
        out[key] = (points + result.max_score, [*names, result.name])
    return out


@dataclass
class ExercisePlan:
    """What ``grade publish`` does with one exercise's checks."""

    exercise: Exercise
    checks: list[CheckSpec]
    public_sources: dict[str, str]  # check file -> its public part (only files with a public check)
    sources: dict[str, str]  # check file -> full source

    @property
    def public_points(self) -> float:
        return sum(c.points for c in self.checks if c.public)

    @property
    def hidden_points(self) -> float:
        return sum(c.points for c in self.checks if not c.public)


def plan_exercise(ex: Exercise) -> ExercisePlan:
    """Read ``ex``'s check files: every check with its points and visibility, and the public part of each file."""
    points = collect_points(ex)
    checks: list[CheckSpec] = []
    public_sources: dict[str, str] = {}
    sources: dict[str, str] = {}
    for relative, path in zip(ex.files.checks, ex.check_paths):
        source, specs = analyse_check_file(path, relative, ex.visibility)
        sources[relative] = source
        rel_key = Path(relative).as_posix()
        for spec in specs:
            spec.points, spec.names = points.get((rel_key, spec.function), (0.0, []))
        checks.extend(specs)
        keep = [s.function for s in specs if s.public]
        if keep:
            public_sources[relative] = keep_only(source, keep)
    total = sum(c.points for c in checks)
    if abs(total - ex.points) > 1e-9:
        mismatch = POINTS_MISMATCH.format(id=ex.id, found=count(total, "point"), points=ex.points)
        raise CourseError(ex.directory / EXERCISE_FILE, mismatch, field="points")
    return ExercisePlan(ex, checks, public_sources, sources)
