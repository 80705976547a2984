"""``grade publish``: from the instructor's tree (the single source of truth) to what others get.

Three products, each from the same files:

- **learner bundle** (``OUT/learner``): stubs, statements, data, ``course.yaml`` without the
  secret, the grader package and a ``pyproject.toml`` (so ``pip install -e .`` works), and the
  *public* checks only. No reference code and no hidden check ships in any form.
- **Gradescope autograders** (``OUT/gradescope/exNN_slug.zip``, one per exercise): the whole
  exercise with its reference, ``setup.sh`` and ``run_autograder``.
- **nbgrader source notebooks** (``OUT/nbgrader/source/exNN_slug/exNN_slug.ipynb``): the
  solution between ``### BEGIN SOLUTION`` markers and one graded test cell per check, the
  instructor-only ones between ``### BEGIN HIDDEN TESTS`` markers.

Which checks are public is decided per check, with no extra configuration: a check ships to
learners when its visibility is ``visible`` (the default) and it does not use the reference
(the ``reference`` or ``reference_process`` fixture), since no reference code ships. Every
other check stays with the instructor. Check files are split with ``ast``: the hidden check
functions are cut out, then helpers that only they used. ``grade publish`` records the points
of the instructor's checks in the bundle's ``exercise.yaml`` as ``hidden_points``, and
``grade exNN`` in the bundle says how many points are left for them.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from grader.course import COURSE_FILE, EXERCISE_FILE, Course, Exercise
from grader.errors import CourseError, UsageError

INSTRUCTOR_FIXTURES = ("reference", "reference_process")
LEARNER_DIR, GRADESCOPE_DIR, NBGRADER_DIR = "learner", "gradescope", "nbgrader"
PRODUCTS = (LEARNER_DIR, GRADESCOPE_DIR, NBGRADER_DIR)
COURSE_KEYS_FOR_LEARNERS = ("title", "exercises", "defaults")  # secret, solutions: instructor only
PACKAGE_FILES = ("pyproject.toml",)
TORCH_SPEC = "torch==2.13.0"
NB_FORMAT = {"nbformat": 4, "nbformat_minor": 5}
BUNDLE_EXERCISE_HEADER = "# Published by grade publish. hidden_points: the points graded only by the instructor's checks.\n"

WHY_VISIBILITY = "visibility '{level}'"
WHY_REFERENCE = "compares with the reference"
WHY_CLASS = "test classes are kept whole with the instructor"
OUT_NOT_EMPTY = "{out} exists and is not empty; pass --force to replace what grade publish wrote there"
CHECKS_BROKEN = "the checks of {id} could not be collected, so nothing was published:\n{error}"
LEAK_FOUND = (
    "refusing to publish: {where} in the learner bundle would contain {what}. If a public check computes "
    "the answer itself (a helper that repeats the reference), mark the checks that use it "
    "@visibility(\"hidden\") so they stay with the instructor."
)
POINTS_MISMATCH = "{id}: the checks carry {found:g} points but exercise.yaml says {points}; run grade verify {id}"


# --- which checks are public -----------------------------------------------------------


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
        raise CourseError(ex.directory / EXERCISE_FILE, POINTS_MISMATCH.format(id=ex.id, found=total, points=ex.points), field="points")
    return ExercisePlan(ex, checks, public_sources, sources)


# --- writing files ---------------------------------------------------------------------


def _yaml_dump(data: Any, header: str = "") -> str:
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110, default_flow_style=None)


def _copy_grader(dest: Path) -> None:
    package = Path(__file__).resolve().parents[2]  # grader/, from grader/instructor/publish/
    shutil.copytree(package, dest / "grader", ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))
    project = package.parent
    for name in PACKAGE_FILES:
        if (project / name).is_file():
            shutil.copy2(project / name, dest / name)


def _prepare_out(out: Path, force: bool) -> None:
    if out.exists() and any(out.iterdir()):
        if not force:
            raise UsageError(OUT_NOT_EMPTY.format(out=out))
        for product in PRODUCTS:
            target = out / product
            if target.is_dir():
                shutil.rmtree(target)
    out.mkdir(parents=True, exist_ok=True)


def _course_yaml(course: Course, exercises: list[Exercise], header: str) -> str:
    from grader.course.yamlio import load_yaml

    data, _ = load_yaml(course.root / COURSE_FILE)
    kept = {k: v for k, v in data.items() if k in COURSE_KEYS_FOR_LEARNERS}
    kept["exercises"] = [ex.folder for ex in exercises]
    return _yaml_dump(kept, header)


def _needs_torch(exercises: Iterable[Exercise]) -> bool:
    return any({"torch", "triton"} & set(ex.requires) for ex in exercises)


LEARNER_README = """# {title}

Your copy of the course. Install it once (Python 3.10 or newer):

```bash
{install}
```

Then open an exercise folder, read its `README.md`, write your code in the stub and run

```bash
grade ex01        # or: grade 1, grade cosine
```

`grade` runs the course's public checks on your code and prints what is right, what is wrong
and why. Some points are graded only by your instructor's hidden checks when you hand in:
the score card says how many, so a card where every check passes can still end below full
marks. `grade list` shows your progress, `grade hint ex01` a hint.

| exercise | title | points here | points graded by your instructor |
| --- | --- | --- | --- |
{rows}
"""


def write_learner_bundle(course: Course, plans: list[ExercisePlan], dest: Path) -> None:
    dest.mkdir(parents=True)
    exercises = [p.exercise for p in plans]
    (dest / COURSE_FILE).write_text(_course_yaml(course, exercises, "# Published by grade publish for learners.\n"), encoding="utf-8")
    _copy_grader(dest)
    for plan in plans:
        ex = plan.exercise
        target = dest / "exercises" / ex.folder
        target.mkdir(parents=True)
        for name in (*ex.files.learner, *ex.files.data, "README.md"):
            src = ex.directory / name
            if src.is_file():
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, target / name)
        for relative, text in plan.public_sources.items():
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            (target / relative).write_text(text, encoding="utf-8")
        from grader.course.yamlio import load_yaml

        data, _ = load_yaml(ex.directory / EXERCISE_FILE)
        data.setdefault("files", {})["checks"] = list(plan.public_sources)
        data["hidden_points"] = int(round(plan.hidden_points))
        data.pop("visibility", None) if data.get("visibility") == ex.visibility else None
        (target / EXERCISE_FILE).write_text(_yaml_dump(data, BUNDLE_EXERCISE_HEADER), encoding="utf-8")
    install = (f"pip install {TORCH_SPEC} && " if _needs_torch(exercises) else "") + "pip install -e ."
    rows = "\n".join(
        f"| {p.exercise.id} | {p.exercise.title} | {p.public_points:g} | {p.hidden_points:g} |" for p in plans
    )
    (dest / "README.md").write_text(LEARNER_README.format(title=course.title, install=install, rows=rows), encoding="utf-8")


def reference_fingerprints(ex: Exercise) -> list[str]:
    """Lines of the reference that nothing the author wrote for learners has: their presence is a leak.

    Lines that the stub, the statement or the hints already show (an import, a signature,
    ``rng = np.random.default_rng(seed)`` quoted in a hint) were handed out on purpose.
    """
    if not ex.reference_path.is_file():
        return []
    shown = [ex.directory / "README.md", ex.directory / EXERCISE_FILE, *ex.learner_paths]
    handed_out = "\n".join(p.read_text(encoding="utf-8") for p in shown if p.is_file())
    out = []
    for line in ex.reference_path.read_text(encoding="utf-8").splitlines():
        s = line.strip()
        if len(s) >= 24 and s not in handed_out and not s.startswith(("#", '"""', "def ", "from ", "import ")):
            out.append(s)
    return out


def find_leaks(bundle: Path, plans: list[ExercisePlan]) -> list[tuple[str, str]]:
    """(what, where) for every trace of reference code or an instructor-only check in ``bundle``.

    Each exercise's reference lines and hidden check names are looked for in its own folder
    and in the bundle's top-level files: a common idiom such as ``np.linalg.svd(A)`` in
    another exercise's public check is not a leak of this one.
    """
    found = []
    for path in sorted(bundle.rglob("*")):
        rel = path.relative_to(bundle).as_posix()
        if path.is_file() and (rel.startswith("solutions/") or (rel.startswith("exercises/") and path.name == "misconceptions.py")):
            found.append(("a solutions file", rel))
    top_level = [p for p in bundle.iterdir() if p.is_file()]
    for plan in plans:
        ex = plan.exercise
        needles: list[tuple[str, re.Pattern[str]]] = []
        for spec in plan.checks:
            if not spec.public:
                needles.append((f"the instructor-only check {ex.id}:{spec.function}", re.compile(rf"\b{re.escape(spec.function)}\b")))
        for line in reference_fingerprints(ex):
            needles.append((f"this line of {ex.id}'s reference: {line}", re.compile(re.escape(line))))
        folder = bundle / "exercises" / ex.folder
        for path in [*top_level, *sorted(p for p in folder.rglob("*") if p.is_file())]:
            try:
                text = path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue
            for what, pattern in needles:
                if pattern.search(text):
                    found.append((what, path.relative_to(bundle).as_posix()))
    return found


# --- Gradescope -------------------------------------------------------------------------

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image; this folder is
# /autograder/source. Everything goes into a virtual environment that run_autograder uses.
set -euo pipefail
cd "$(dirname "$0")"
VENV="${{GRADE_VENV:-/autograder/venv}}"
if ! python3 -m venv --help >/dev/null 2>&1; then
    apt-get update -q && apt-get install -y -q python3 python3-venv python3-pip
fi
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
{torch}"$VENV/bin/python" -m pip install -q -e .
"$VENV/bin/python" -c "import grader.course as c, pathlib; c.load_course(pathlib.Path('.'))"
"""

TORCH_LINE = """# The CPU build of torch: the default one pulls gigabytes of CUDA libraries.
"$VENV/bin/python" -m pip install -q {spec} --index-url "${{TORCH_INDEX_URL:-https://download.pytorch.org/whl/cpu}}"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this once per submission: find the learner's files in the submission,
# grade them with `grade ... --gradescope`, and leave results.json for Gradescope to read.
# Every path can be moved by an environment variable, so it can be tried on any machine.
set -uo pipefail
ROOT="${{GRADE_AUTOGRADER_ROOT:-/autograder}}"
SOURCE="${{GRADE_SOURCE_DIR:-$ROOT/source}}"
SUBMISSION="${{GRADE_SUBMISSION_DIR:-$ROOT/submission}}"
RESULTS="${{GRADE_RESULTS_DIR:-$ROOT/results}}"
PYTHON="${{GRADE_PYTHON:-$ROOT/venv/bin/python}}"
[ -x "$PYTHON" ] || PYTHON=python3
mkdir -p "$RESULTS"
cd "$SOURCE"
"$PYTHON" -m grader.instructor.autograder {exercise} --submission "$SUBMISSION" --results "$RESULTS/results.json"
exit 0
"""

GRADESCOPE_README = """# {id} · {title}: Gradescope autograder

Upload this zip as the autograder of a Gradescope programming assignment ("Ubuntu" base
image). Learners upload `{module}` (or a notebook whose code cells define it). Each
submission is graded with a fresh seed, shown in the results, so that you can replay it:
`grade {id} --file <their file> --seed N`.
"""


def _write_executable(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def _zip_folder(folder: Path, zip_path: Path) -> None:
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                info = zipfile.ZipInfo.from_file(path, path.relative_to(folder).as_posix())
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, path.read_bytes())


def write_gradescope(course: Course, plan: ExercisePlan, dest_dir: Path) -> Path:
    ex = plan.exercise
    dest_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / COURSE_FILE).write_text(_course_yaml(course, [ex], "# Gradescope autograder for one exercise.\n"), encoding="utf-8")
        _copy_grader(root)
        shutil.copytree(ex.directory, root / "exercises" / ex.folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        if ex.solution_directory.is_dir():
            shutil.copytree(ex.solution_directory, root / "solutions" / ex.folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        torch = TORCH_LINE.format(spec=TORCH_SPEC) if _needs_torch([ex]) else ""
        _write_executable(root / "setup.sh", SETUP_SH.format(torch=torch))
        _write_executable(root / "run_autograder", RUN_AUTOGRADER.format(exercise=ex.id))
        (root / "README.md").write_text(GRADESCOPE_README.format(id=ex.id, title=ex.title, module=ex.files.learner[0]), encoding="utf-8")
        zip_path = dest_dir / f"{ex.folder}.zip"
        _zip_folder(root, zip_path)
    return zip_path


# --- nbgrader ----------------------------------------------------------------------------

SOLUTION_BEGIN, SOLUTION_END = "### BEGIN SOLUTION", "### END SOLUTION"
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
HIDDEN_TITLE = "a check your instructor runs when grading"
NB_INTRO = (
    "Write your code in the next cell; keep the function names and signatures. The cells after it "
    "check your work (some checks run only when your instructor grades). Run all cells before you hand in."
)


def _string_literal(text: str) -> str:
    """A readable literal for embedding source in a cell: raw triple quotes when they fit."""
    if "'''" not in text and not text.endswith("\\"):
        return "r'''\n" + text.rstrip("\n") + "\n'''"
    return repr(text)


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if line.strip() else line for line in text.splitlines())


def _function_parts(source: str) -> dict[str, tuple[str, str]]:
    """name -> (header with docstring, body) for the top-level functions of ``source``."""
    tree = ast.parse(source)
    lines = source.splitlines()
    out = {}
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
        body = node.body
        doc = body[0] if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) and isinstance(body[0].value.value, str) else None
        rest = body[1:] if doc is not None else body
        head_end = (doc.end_lineno if doc is not None else body[0].lineno - 1) or node.lineno
        header = "\n".join(lines[first:head_end])
        body_text = "\n".join(lines[rest[0].lineno - 1 : node.end_lineno]) if rest else ""
        out[node.name] = (header, body_text)
    return out


def solution_cell_source(stub: str, reference: str, entry_points: Iterable[str]) -> str:
    """The stub, with each entry point's body replaced by the reference's between solution markers.

    Reference helpers the stub lacks go inside each function that uses them (as nested
    functions), so that nbgrader's release version, where each marked region becomes
    ``raise NotImplementedError()``, still imports cleanly.
    """
    ref_tree = ast.parse(reference)
    ref_parts = _function_parts(reference)
    stub_parts = _function_parts(stub)
    ref_lines = reference.splitlines()
    helpers: dict[str, str] = {}
    for node in ref_tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name not in stub_parts:
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
            helpers[node.name] = "\n".join(ref_lines[first : node.end_lineno])
    ref_imports = [
        "\n".join(ref_lines[n.lineno - 1 : n.end_lineno]) for n in ref_tree.body if isinstance(n, (ast.Import, ast.ImportFrom))
    ]
    stub_tree = ast.parse(stub)
    stub_lines = stub.splitlines()
    out: list[str] = []
    cursor = 0
    for node in stub_tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or node.name not in ref_parts or node.name not in set(entry_points):
            continue
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
        out.extend(stub_lines[cursor:first])
        header, _ = stub_parts[node.name]
        _, ref_body = ref_parts[node.name]
        indent = re.match(r"\s*", ref_body).group(0) if ref_body else "    "  # type: ignore[union-attr]
        needed = _helpers_needed(ref_body, helpers)
        inner = [_indent(helpers[h], indent) for h in needed]
        out.append(header)
        out.append(f"{indent}{SOLUTION_BEGIN}")
        out.extend(inner)
        out.append(ref_body)
        out.append(f"{indent}{SOLUTION_END}")
        cursor = node.end_lineno or node.lineno
    out.extend(stub_lines[cursor:])
    text = "\n".join(out)
    stub_imports = {ast.unparse(n) for n in stub_tree.body if isinstance(n, (ast.Import, ast.ImportFrom))}
    extra = [i for i in ref_imports if ast.unparse(ast.parse(i).body[0]) not in stub_imports and "__future__" not in i]
    if extra:  # imports the reference needs: inside a solution region, since they may hint at the method
        text = SOLUTION_BEGIN + "\n" + "\n".join(extra) + "\n" + SOLUTION_END + "\n" + text
    return text.rstrip() + "\n"


def _helpers_needed(body: str, helpers: dict[str, str]) -> list[str]:
    needed: list[str] = []
    frontier = [body]
    while frontier:
        text = frontier.pop()
        for name, src in helpers.items():
            if name not in needed and re.search(rf"\b{re.escape(name)}\b", text):
                needed.append(name)
                frontier.append(src)
    order = list(helpers)
    return sorted(needed, key=order.index)


def _cell(cell_type: str, source: str, cell_id: str, nbgrader: dict[str, Any]) -> dict[str, Any]:
    cell: dict[str, Any] = {
        "cell_type": cell_type,
        "id": cell_id,
        "metadata": {"nbgrader": {"schema_version": 3, **nbgrader}},
        "source": source.splitlines(keepends=True),
    }
    if cell_type == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def nbgrader_notebook(plan: ExercisePlan, seed: int) -> dict[str, Any]:
    """One nbgrader source notebook: statement, solution cell, one graded cell per check."""
    ex = plan.exercise
    stub = ex.learner_paths[0].read_text(encoding="utf-8")
    reference = ex.reference_path.read_text(encoding="utf-8") if ex.reference_path.is_file() else None
    statement = (ex.directory / "README.md").read_text(encoding="utf-8") if (ex.directory / "README.md").is_file() else f"# {ex.title}\n"
    cells = [
        _cell("markdown", statement.rstrip() + "\n\n" + NB_INTRO, "statement", {"grade": False, "solution": False, "locked": True, "grade_id": "statement"}),
    ]
    solution = solution_cell_source(stub, reference, ex.entry_points) if reference else stub
    cells.append(_cell("code", solution, "solution", {"grade": False, "solution": True, "locked": False, "grade_id": "solution"}))
    hidden_count = 0
    for spec in plan.checks:
        if spec.function.startswith("Test"):
            continue  # classes are not run in notebooks (their points stay out of the notebook total)
        check_source = keep_only(plan.sources[spec.file], [spec.function])
        title = f"# {ex.id} · {spec.function.removeprefix('test_').replace('_', ' ')}: {spec.points:g} points"
        body = [
            "from grader.instructor.notebooks import run_check",
            "",
            f"CHECK = {_string_literal(check_source)}",
        ]
        call = f"run_check(CHECK, {spec.function!r}, globals(), entry_points={list(ex.entry_points)!r}, seed={seed}"
        if spec.public:
            body = [title, *body, call + ")"]
            grade_id = re.sub(r"[^A-Za-z0-9_-]", "_", f"check_{spec.function}")
        else:
            # Nothing outside the hidden region names the check: the release shows only its points.
            hidden_count += 1
            body = [f"# {ex.id} · {HIDDEN_TITLE}: {spec.points:g} points", HIDDEN_BEGIN, title, *body,
                    f"REFERENCE = {_string_literal(reference or '')}", call + ", reference=REFERENCE)", HIDDEN_END]
            grade_id = f"hidden_check_{hidden_count}"
        cells.append(
            _cell("code", "\n".join(body) + "\n", grade_id, {"grade": True, "solution": False, "locked": True, "grade_id": grade_id, "points": spec.points})
        )
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        **NB_FORMAT,
    }


def write_nbgrader(plans: list[ExercisePlan], dest: Path, seed_for: Callable[[Exercise], int]) -> list[Path]:
    written = []
    for plan in plans:
        folder = dest / "source" / plan.exercise.folder
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{plan.exercise.folder}.ipynb"
        path.write_text(json.dumps(nbgrader_notebook(plan, seed_for(plan.exercise)), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written


# --- the whole publication ------------------------------------------------------------------


@dataclass
class Publication:
    out: Path
    plans: list[ExercisePlan]
    learner: Path | None = None
    gradescope: list[Path] = field(default_factory=list)
    notebooks: list[Path] = field(default_factory=list)


def publish(
    course: Course,
    out: Path,
    *,
    exercises: list[Exercise] | None = None,
    products: Iterable[str] = PRODUCTS,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Publication:
    """Write the products into ``out``; refuses to leave a bundle that leaks answers."""
    say = progress or (lambda _: None)
    products = set(products)
    exercises = list(exercises or course.exercises)
    _prepare_out(out, force)
    plans = []
    for ex in exercises:
        say(f"reading the checks of {ex.id}")
        plans.append(plan_exercise(ex))
    pub = Publication(out=out, plans=plans)
    if LEARNER_DIR in products:
        say("writing the learner bundle")
        with tempfile.TemporaryDirectory(dir=out) as tmp:
            staging = Path(tmp) / LEARNER_DIR
            write_learner_bundle(course, plans, staging)
            leaks = find_leaks(staging, plans)
            if leaks:
                what, where = leaks[0]
                raise UsageError(LEAK_FOUND.format(what=what, where=where))
            os.replace(staging, out / LEARNER_DIR)  # the bundle appears whole or not at all
        pub.learner = out / LEARNER_DIR
    if GRADESCOPE_DIR in products:
        for plan in plans:
            say(f"writing the Gradescope autograder of {plan.exercise.id}")
            pub.gradescope.append(write_gradescope(course, plan, out / GRADESCOPE_DIR))
    if NBGRADER_DIR in products:
        say("writing the nbgrader notebooks")
        from grader.instructor.batch import course_secret, derive_seed

        secret = course_secret(course, required=False)
        pub.notebooks = write_nbgrader(plans, out / NBGRADER_DIR, lambda ex: derive_seed(secret, "nbgrader", ex.id, 1))
    return pub
