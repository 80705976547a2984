"""Learner code out of ``.ipynb`` files: a notebook read with nbformat, turned into one module.

Changes when how a learner's notebook becomes a module changes. :func:`code_from_notebook`
is what ``grade batch``, ``grade batch --nbgrader`` and the Gradescope autograder use.

- **Reading.** nbformat reads the file (upgrading old versions) and validates it. A file that
  is not JSON, or that nbformat cannot read, is refused with an error naming the file and the
  line (or the field) that is wrong. A notebook that reads but fails validation is still
  graded when its code cells can be read: Jupyter opens such notebooks with a warning, and a
  learner must not lose marks for metadata. nbgrader's test cells (``grade: true`` and not a
  solution) are left out: they are the instructor's, not the learner's code.
- **Magics.** Each code cell goes through IPython's own input transformer
  (``TransformerManager().transform_cell``), the one Jupyter runs, so every form it knows (cell
  magics, line magics, ``!`` and ``x = !cmd`` shell escapes, ``obj?`` help, continuation lines)
  becomes Python that calls ``get_ipython()``. The worker that imports the learner's module runs
  no IPython, so those calls are then rewritten, with ``ast`` on the transformed cell:

  * code that Jupyter runs in the learner's namespace stays code: ``%time stmt`` becomes
    ``stmt``, and the body of a ``%%time``, ``%%capture`` or ``%%prun`` cell stays as Python
    (its own line magics rewritten the same way), since a learner's definitions inside it are
    real;
  * everything else does nothing at import: a magic or escape used as a statement becomes
    ``pass``, one used as a value becomes ``[]`` for ``!cmd`` output (Jupyter gives a list of
    lines) and ``None`` for a magic, and the body of any other cell magic (``%%bash``,
    ``%%timeit``, ``%%writefile``, ...) is kept as comments. Shell commands never run while grading,
    installs and plots have no place in the sandbox, and timing a stub would crash at import.

  Dropping the calls, rather than defining a stand-in ``get_ipython`` in the module, keeps
  the learner's module free of grader code and leaves no name in it that the learner did not
  write. Every cell keeps its line count (lines that IPython merged are padded back with
  blank lines), and each cell starts after a ``# %% cell N`` marker, so a traceback's line
  in the staged module points at the same line of the same cell. ``display`` (a Jupyter
  builtin that plain Python lacks) is bound to ``print`` when the code uses it undefined, and
  ``from __future__`` imports (legal at the top of any cell, as Jupyter compiles cells one by
  one) move to the module's first line.

nbformat and IPython are imported only here, when a notebook is read: ``grade exNN`` never
needs them. (The checks that the nbgrader notebooks' test cells run are
:mod:`grader.checking.notebook`.)
"""

from __future__ import annotations

import ast
import difflib
import json
import re
import warnings
from pathlib import Path
from typing import Any

from grader.errors import UsageError

BAD_NOTEBOOK = "{where}: not a readable notebook ({error}); save it again from Jupyter, or hand in a .py file."
NOT_JSON = "not JSON: {msg} at column {col}"
BAD_FIELD = "field '{field}': {msg}"
MISSING_LIBRARIES = (
    "reading notebooks needs nbformat and IPython ({error}): pip install 'grade[notebooks]' "
    "(or pip install nbformat ipython), then run the same command again"
)
# Cell magics whose body Jupyter runs as Python in the learner's namespace: the body is kept.
RUN_AS_PYTHON = frozenset({"time", "capture", "prun"})
# Line magics whose argument Jupyter runs as a statement in the learner's namespace.
LINE_RUN_AS_PYTHON = frozenset({"time", "prun"})
CELL_MARKER = "# %% cell {n}"
DROPPED = "pass  # {what}: not run when grading"
DISPLAY_SHIM = "display = print  # Jupyter's display(), which plain Python lacks"
FUTURE = re.compile(r"^from[ \t]+__future__[ \t]+import[ \t]+([\w \t,]+?)[ \t]*$", re.MULTILINE)
FUTURE_MOVED = "pass  # from __future__ import {names}: moved to the first line of the module"


class NotebookSupportMissing(UsageError):
    """nbformat or IPython is not installed: the machine's problem, never a learner's row."""


def _libraries() -> tuple[Any, Any]:
    """nbformat and IPython's TransformerManager, or NotebookSupportMissing saying how to install them."""
    try:
        import nbformat
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError as exc:
        raise NotebookSupportMissing(MISSING_LIBRARIES.format(error=exc)) from None
    return nbformat, TransformerManager


def _field(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(the notebook)"


def read_notebook(path: Path) -> Any:
    """``path`` as an nbformat v4 notebook; UsageError naming the file, line or field otherwise."""
    nbformat, _ = _libraries()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(BAD_NOTEBOOK.format(where=path, error=exc)) from None
    try:
        json.loads(text)
    except ValueError as exc:
        line, col = getattr(exc, "lineno", 1), getattr(exc, "colno", 1)
        raise UsageError(BAD_NOTEBOOK.format(where=f"{path}:{line}", error=NOT_JSON.format(msg=getattr(exc, "msg", exc), col=col))) from None
    invalid: dict[str, Any] = {}  # nbformat puts its validation error here instead of logging it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nbformat warns about cell ids it fills in itself
        try:
            nb = nbformat.reads(text, as_version=4, capture_validation_error=invalid)
        except Exception as exc:  # nbformat raises many kinds (jsonschema, NBFormatError, AttributeError, ...)
            where = getattr(exc, "absolute_path", None)
            error = BAD_FIELD.format(field=_field(where), msg=getattr(exc, "message", exc)) if where else str(exc).splitlines()[0]
            raise UsageError(BAD_NOTEBOOK.format(where=path, error=error)) from None
    if (exc := invalid.get("ValidationError")) is not None and not _code_cells_readable(nb):
        error = BAD_FIELD.format(field=_field(getattr(exc, "absolute_path", ())), msg=getattr(exc, "message", exc))
        raise UsageError(BAD_NOTEBOOK.format(where=path, error=error))
    if not _code_cells_readable(nb):
        raise UsageError(BAD_NOTEBOOK.format(where=path, error=BAD_FIELD.format(field="cells", msg="no list of cells with text sources")))
    return nb


def _code_cells_readable(nb: Any) -> bool:
    cells = nb.get("cells") if isinstance(nb, dict) else None
    return isinstance(cells, list) and all(
        isinstance(c, dict) and (c.get("cell_type") != "code" or isinstance(c.get("source"), str)) for c in cells
    )


def is_test_cell(cell: Any) -> bool:
    """An nbgrader test cell: graded, not a solution (the instructor's code, never the learner's)."""
    meta = (cell.get("metadata") or {}).get("nbgrader") or {}
    return bool(meta.get("grade")) and not meta.get("solution")


def code_from_notebook(path: Path) -> str:
    """The learner's code cells of ``path``, in order, as one importable Python module."""
    nb = read_notebook(path)
    _, manager_class = _libraries()
    manager = manager_class()
    chunks = []
    for n, cell in enumerate(nb.cells, start=1):
        if cell.get("cell_type") != "code" or is_test_cell(cell) or not cell.source.strip():
            continue
        chunks.append(CELL_MARKER.format(n=n) + "\n" + python_from_cell(cell.source, manager).rstrip())
    code = "\n\n\n".join(chunks) + "\n"
    head = []
    # Jupyter compiles each cell alone, so a later cell may start with a __future__ import;
    # one module needs them first: moved up, leaving a line in their place.
    futures = FUTURE.findall(code)
    if futures:
        code = FUTURE.sub(lambda m: FUTURE_MOVED.format(names=m.group(1).strip()), code)
        head.append(f"from __future__ import {', '.join(dict.fromkeys(n.strip() for f in futures for n in f.split(',')))}")
    if _uses_undefined(code, "display"):
        head.append(DISPLAY_SHIM)
    return "\n".join(head) + ("\n\n\n" if head else "") + code


def python_from_cell(source: str, manager: Any = None) -> str:
    """One cell as Python that imports without IPython, with as many lines as ``source``."""
    if manager is None:
        manager = _libraries()[1]()
    source = source.rstrip("\n")
    transformed = manager.transform_cell(source).rstrip("\n")
    try:
        tree = ast.parse(transformed)
    except SyntaxError:
        return _aligned(source, transformed)  # the learner's own syntax error: reported at import, at its line
    body = tree.body
    if len(body) == 1 and (magic := _ipython_call(body[0])) is not None and magic[0] == "run_cell_magic":
        return _cell_magic(source, magic[1], manager)
    return _aligned(source, _rewrite(transformed, tree))


def _cell_magic(source: str, args: list[ast.expr], manager: Any) -> str:
    """A ``%%name`` cell: its body kept as Python (RUN_AS_PYTHON) or as comments, line for line."""
    values = [a.value if isinstance(a, ast.Constant) else "" for a in args]
    name, line = str(values[0]) if values else "", str(values[1]) if len(values) > 1 else ""
    first, _, body = source.partition("\n")
    what = f"%%{name} {line}".rstrip()
    if name in RUN_AS_PYTHON:
        return f"pass  # {what}: its body runs as Python" + ("\n" + python_from_cell(body, manager) if body else "")
    return "\n".join([DROPPED.format(what=what), *(f"# {b}" for b in body.split("\n"))][: source.count("\n") + 1])


def _ipython_call(node: ast.AST) -> tuple[str, list[ast.expr]] | None:
    """(method, args) when ``node`` is ``get_ipython().method(...)`` or an expression statement of one."""
    if isinstance(node, ast.Expr):
        node = node.value
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Call)
        and isinstance(node.func.value.func, ast.Name)
        and node.func.value.func.id == "get_ipython"
    ):
        return node.func.attr, list(node.args)
    return None


def _rewrite(text: str, tree: ast.Module) -> str:
    """``text`` with every ``get_ipython()`` call replaced (see the module docstring)."""
    edits: list[tuple[int, int, int, str]] = []  # (line, start byte, end byte, replacement)
    statements = {id(s.value) for s in ast.walk(tree) if isinstance(s, ast.Expr)}
    for node in ast.walk(tree):
        call = _ipython_call(node) if isinstance(node, ast.Call) else None
        if call is None or node.lineno != node.end_lineno:
            continue
        method, args = call
        consts = [a.value if isinstance(a, ast.Constant) else None for a in args]
        magic, argument = (consts + [None, None])[:2]
        as_statement = id(node) in statements
        if method == "run_line_magic" and magic in LINE_RUN_AS_PYTHON and _is_python(argument, as_statement):
            new = argument if as_statement else f"({argument})"
        elif as_statement:
            new = "pass"
        else:
            new = "[]" if method == "getoutput" else "None"
        edits.append((node.lineno, node.col_offset, node.end_col_offset or node.col_offset, new))
    if not edits:
        return text
    lines = text.split("\n")
    encoded = [line.encode("utf-8") for line in lines]  # ast offsets count UTF-8 bytes
    for lineno, start, end, new in sorted(edits, key=lambda e: (e[0], -e[1])):
        raw = encoded[lineno - 1]
        encoded[lineno - 1] = raw[:start] + new.encode("utf-8") + raw[end:]
    return "\n".join(b.decode("utf-8") for b in encoded)


def _is_python(argument: object, as_statement: bool) -> bool:
    """Whether a line magic's argument is one line of Python (``%prun -s time f()`` is not: dropped)."""
    if not isinstance(argument, str) or "\n" in argument:
        return False
    try:
        ast.parse(argument, mode="exec" if as_statement else "eval")
    except SyntaxError:
        return False
    return True


def _aligned(source: str, code: str) -> str:
    """``code`` padded with blank lines where IPython merged lines, so it has ``source``'s line count."""
    old, new = source.split("\n"), code.split("\n")
    if len(new) >= len(old):
        return code
    out: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        out.extend(new[j1:j2])
        if tag in ("replace", "delete") and (i2 - i1) > (j2 - j1):
            out.extend([""] * ((i2 - i1) - (j2 - j1)))
    return "\n".join(out)


def _uses_undefined(code: str, name: str) -> bool:
    """Whether ``code`` reads ``name`` without ever binding it (assignment, def, import)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return False
    read = bound = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == name:
            read |= isinstance(node.ctx, ast.Load)
            bound |= not isinstance(node.ctx, ast.Load)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            bound = True
        elif isinstance(node, (ast.Import, ast.ImportFrom)) and any((a.asname or a.name).split(".")[0] == name for a in node.names):
            bound = True
    return read and not bound
