"""The layout states the architecture: each rule here is one sentence of docs/ARCHITECTURE.md.

Read from the source with ``ast`` (nothing is imported), except the last check, which loads
the worker's side the way the zygote does, in a separate interpreter.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "grader"
INSIDE = PACKAGE / "sandbox" / "inside"
SHARED_WITH_WORKER = (PACKAGE / "sandbox" / "wire.py", PACKAGE / "sandbox" / "codec.py")

# Lower layers never import higher ones: a change to how learners work cannot break the
# sandbox, and the course model knows nothing of grading.
LAYERS = {
    "grader.errors": 0,
    "grader.course": 1,
    "grader.sandbox": 2,
    "grader.checking": 3,
    "grader.grading": 4,
    "grader.learner": 5,
    "grader.instructor": 5,
    "grader.cli": 6,
}
# What a command module may import besides the one module that holds its work.
CLI_MAY_USE = ("grader.cli", "grader.errors", "grader.course", "grader.grading.card", "grader.checking.results")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def grader_imports(path: Path) -> set[str]:
    """Every grader module ``path`` imports, at any depth (lazy imports inside functions too)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "grader")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target.split(".")[0] != "grader":
                continue
            # `from grader.sandbox import wire` names a module; `from grader.course import Course` does not
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if _is_module(sub) else target)
    return found


def _is_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def layer(dotted: str) -> int | None:
    for prefix, n in LAYERS.items():
        if dotted == prefix or dotted.startswith(prefix + "."):
            return n
    return None


def test_every_module_belongs_to_a_layer_and_says_what_it_is_for():
    for path in modules():
        name = module_name(path)
        if name in ("grader", "grader.__main__"):
            continue
        assert layer(name) is not None, f"{name} is in no folder of docs/ARCHITECTURE.md"
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        assert doc and len(doc.split()) >= 5, f"{name} has no docstring saying what it is for"


def test_imports_run_one_way_from_the_command_line_down_to_the_course():
    wrong = []
    for path in modules():
        here = layer(module_name(path))
        if here is None:
            continue
        for target in grader_imports(path):
            there = layer(target)
            if there is not None and there > here:
                wrong.append(f"{module_name(path)} imports {target}")
    assert not wrong, "\n".join(wrong)


def test_learner_and_instructor_work_do_not_import_each_other():
    wrong = [
        f"{module_name(path)} imports {target}"
        for path in modules()
        if module_name(path).startswith(("grader.learner", "grader.instructor"))
        for target in grader_imports(path)
        if target.split(".")[:2] != module_name(path).split(".")[:2] and target.startswith(("grader.learner", "grader.instructor"))
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("path", [*sorted(INSIDE.glob("*.py")), *SHARED_WITH_WORKER], ids=lambda p: p.name)
def test_the_worker_side_imports_nothing_from_the_grader(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0 and (node.module or "").split(".")[0] != "grader", f"{path.name}:{node.lineno}"
        elif isinstance(node, ast.Import):
            assert all(a.name.split(".")[0] != "grader" for a in node.names), f"{path.name}:{node.lineno}"


def test_the_zygote_loads_the_worker_side_without_the_grader_package():
    """As the zygote does it (by path, in an isolated interpreter): no grader module comes along."""
    probe = (
        "import importlib.util, json, sys\n"
        f"spec = importlib.util.spec_from_file_location('_probe_zygote', {str(INSIDE / 'zygote.py')!r})\n"
        "z = importlib.util.module_from_spec(spec); spec.loader.exec_module(z)\n"
        "for name in ('wire', 'codec'): z._load(name, z._SHARED)\n"
        "for name in ('isolation', 'worker'): z._load(name, z._HERE)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m == 'grader' or m.startswith('grader.'))))\n"
    )
    out = subprocess.run([sys.executable, "-I", "-c", probe], capture_output=True, text=True, timeout=60, cwd="/")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == []


def command_modules() -> list[Path]:
    return sorted(p for p in (PACKAGE / "cli").glob("*.py") if p.name != "__init__.py" and not p.name.startswith("_"))


@pytest.mark.parametrize("path", command_modules(), ids=lambda p: p.stem)
def test_a_command_module_parses_prints_and_calls_one_module_for_its_work(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    commands = [
        n for n in tree.body
        if isinstance(n, ast.FunctionDef)
        and any(isinstance(d, ast.Call) and getattr(d.func, "attr", "") == "command" for d in n.decorator_list)
    ]
    assert [c.name for c in commands] == ["command"], f"{path.name} must define one click command named command"
    work = {t for t in grader_imports(path) if not t.startswith(CLI_MAY_USE)}
    assert len(work) == 1, f"{path.name} takes its work from {sorted(work) or 'nowhere'}: it should call one module"
