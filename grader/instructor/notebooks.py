"""Learner code out of ``.ipynb`` files, read as JSON without Jupyter installed in the grader.

Changes when how a learner's notebook becomes a module changes. :func:`code_from_notebook`
joins a notebook's code cells into one module (``grade batch`` and the Gradescope autograder
accept notebooks this way). IPython magics and shell escapes (``%timeit``, ``!pip``) are
commented out, since plain Python cannot run them and they must not stop the module importing.
(The checks that the nbgrader notebooks' test cells run are :mod:`grader.checking.notebook`.)
"""

from __future__ import annotations

import json
from pathlib import Path

from grader.errors import UsageError

BAD_NOTEBOOK = "{path} is not a readable notebook ({error}); save it again from Jupyter, or hand in a .py file."
MAGIC_PREFIXES = ("%", "!")


def code_from_notebook(path: Path) -> str:
    """The code cells of ``path``, in order, as one Python module."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells = nb["cells"] if isinstance(nb, dict) else None
        if not isinstance(cells, list):
            raise ValueError("no list of cells")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(BAD_NOTEBOOK.format(path=path, error=exc)) from None
    chunks = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else str(source)
        lines = [("# " + line if line.lstrip().startswith(MAGIC_PREFIXES) else line) for line in text.splitlines()]
        chunks.append("\n".join(lines).rstrip())
    return "\n\n\n".join(c for c in chunks if c.strip()) + "\n"
