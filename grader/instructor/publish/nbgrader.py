"""The nbgrader source notebooks (``OUT/nbgrader/source/exNN_slug/exNN_slug.ipynb``).

Changes when what nbgrader gets changes: the cells and their nbgrader metadata, how the
reference is folded into the stub between ``### BEGIN SOLUTION`` markers, and how each test
cell calls :func:`grader.checking.notebook.run_check` (one graded cell per check, the
instructor-only ones between ``### BEGIN HIDDEN TESTS`` markers, with the reference embedded
so that the check runs in the kernel). A test cell runs in the learner's kernel, where their
code could replace the check, so it says it is a self-check: trusted scores come from
``grade batch --nbgrader`` (:mod:`grader.instructor.nbgrader_gradebook`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from grader.course import Course, Exercise
from grader.course.wording import count
from grader.errors import UsageError
from grader.instructor.publish.plan import ExercisePlan, keep_only

NEEDS_NBFORMAT = "the nbgrader notebooks are written with nbformat: pip install 'grade[instructor]' (or nbformat)"
SOLUTION_BEGIN, SOLUTION_END = "### BEGIN SOLUTION", "### END SOLUTION"
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
HIDDEN_TITLE = "a check your instructor runs when grading"
CHECK_TITLE = "# {id} · {check}: {points}"  # a grade cell's first line
# Each test cell runs in the learner's kernel, beside their code: it can only be a self-check.
SELF_CHECK = (
    "# A self-check: it runs in your notebook, so it informs you but cannot vouch for you. The trusted score\n"
    "# comes from `grade batch --nbgrader`, which runs this check again outside your notebook, on inputs of its own."
)
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


def _cell(cell_type: str, source: str, cell_id: str, nbgrader: dict[str, Any]) -> Any:
    from nbformat import v4

    make = v4.new_code_cell if cell_type == "code" else v4.new_markdown_cell
    return make(source, id=cell_id, metadata={"nbgrader": {"schema_version": 3, **nbgrader}})


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
        points = count(spec.points, "point")
        title = CHECK_TITLE.format(id=ex.id, check=spec.function.removeprefix("test_").replace("_", " "), points=points)
        body = [
            "from grader.checking.notebook import run_check",
            "",
            f"CHECK = {_string_literal(check_source)}",
        ]
        call = f"run_check(CHECK, {spec.function!r}, globals(), entry_points={list(ex.entry_points)!r}, seed={seed}"
        if spec.public:
            body = [title, SELF_CHECK, *body, call + ")"]
            grade_id = re.sub(r"[^A-Za-z0-9_-]", "_", f"check_{spec.function}")
        else:
            # Nothing outside the hidden region names the check: the release shows only its points.
            hidden_count += 1
            body = [CHECK_TITLE.format(id=ex.id, check=HIDDEN_TITLE, points=points), HIDDEN_BEGIN, title, *body,
                    f"REFERENCE = {_string_literal(reference or '')}", call + ", reference=REFERENCE)", HIDDEN_END]
            grade_id = f"hidden_check_{hidden_count}"
        cells.append(
            _cell("code", "\n".join(body) + "\n", grade_id, {"grade": True, "solution": False, "locked": True, "grade_id": grade_id, "points": spec.points})
        )
    from nbformat import v4

    return v4.new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
    )


def write_nbgrader(plans: list[ExercisePlan], dest: Path, seed_for: Callable[[Exercise], int]) -> list[Path]:
    """One source notebook per plan under ``dest/source/``, each check seeded with ``seed_for(exercise)``.

    Built and written with nbformat (imported here: only publishing needs it)."""
    try:
        import nbformat
    except ImportError:
        raise UsageError(NEEDS_NBFORMAT) from None
    written = []
    for plan in plans:
        folder = dest / "source" / plan.exercise.folder
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{plan.exercise.folder}.ipynb"
        notebook = nbgrader_notebook(plan, seed_for(plan.exercise))
        nbformat.validate(notebook)  # what Jupyter and nbgrader will accept, checked before anyone opens it
        nbformat.write(notebook, str(path))
        written.append(path)
    return written


def notebook_seeds(course: Course) -> Callable[[Exercise], int]:
    """The seed each exercise's notebook passes to its checks: fixed per course secret, as in ``grade batch``."""
    from grader.instructor.batch import course_secret, derive_seed

    secret = course_secret(course, required=False)
    return lambda ex: derive_seed(secret, "nbgrader", ex.id, 1)
