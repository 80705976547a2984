"""Notebooks: learner code out of ``.ipynb`` files, and checks run inside a notebook kernel.

Two sides, both without Jupyter installed in the grader:

- :func:`code_from_notebook` reads a learner's notebook as JSON and joins its code cells into
  a module (``grade batch`` and the Gradescope autograder accept notebooks this way). IPython
  magics and shell escapes (``%timeit``, ``!pip``) are commented out, since plain Python
  cannot run them and they must not stop the module importing.
- :func:`run_check` is what the test cells of the nbgrader notebooks written by
  ``grade publish`` call: it runs one of the course's checks against the functions defined in
  the notebook. nbgrader scores a test cell 0 when it writes anything to stderr, so warnings
  and stray stderr output are captured here and never reach the cell: only a failed check
  costs points. The learner's code runs in the kernel (nbgrader's model), but arguments and
  results still cross through the grader's codec, so checks see the same values as in
  ``grade exNN``.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import itertools
import json
import os
import types
import warnings
import zlib
from pathlib import Path
from typing import Any

from grader.errors import UsageError

BAD_NOTEBOOK = "{path} is not a readable notebook ({error}); save it again from Jupyter, or hand in a .py file."
CHECK_FAILED = "{name} failed (seed {seed}):\n{message}"
MAGIC_PREFIXES = ("%", "!")
SEED_ENV = "GRADE_SEED"


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


# --- the kernel side of the nbgrader notebooks ---------------------------------------------


def _module_from_source(name: str, source: str) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__dict__["__file__"] = f"<{name}>"
    exec(compile(source, f"<{name}>", "exec"), module.__dict__)
    return module


def _parametrizations(fn: Any) -> list[dict[str, Any]]:
    """Every combination of ``pytest.mark.parametrize`` arguments on ``fn`` (one empty one if none)."""
    axes: list[list[dict[str, Any]]] = []
    for mark in getattr(fn, "pytestmark", []):
        if getattr(mark, "name", "") != "parametrize":
            continue
        names, values = mark.args[0], mark.args[1]
        names = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
        axis = []
        for value in values:
            value = getattr(value, "values", value)  # pytest.param(...)
            if len(names) == 1 and not (isinstance(value, tuple) and len(value) == 1):
                value = (value,)
            axis.append(dict(zip(names, value)))
        axes.append(axis)
    return [dict(itertools.chain.from_iterable(d.items() for d in combo)) for combo in itertools.product(*axes)] or [{}]


def run_check(
    check: str,
    name: str,
    namespace: dict[str, Any],
    *,
    entry_points: tuple[str, ...] | list[str],
    reference: str | None = None,
    seed: int = 1,
) -> None:
    """Run check ``name`` (defined in the source ``check``) on the functions in ``namespace``.

    Raises ``AssertionError`` with the learner's message when the check fails, which is
    what makes nbgrader score the cell 0. ``GRADE_SEED`` in the environment replaces
    ``seed``, so an instructor can replay or vary the inputs.
    """
    import numpy as np

    from grader.checking.expect import CheckFailure
    from grader.checking.proxy import LocalBackend, Submission
    from grader.sandbox.failures import SubmissionFailure

    seed = int(os.environ.get(SEED_ENV, seed))
    learner = types.SimpleNamespace(**{k: namespace[k] for k in entry_points if k in namespace})
    check_module = _module_from_source("check", check)
    reference_module = _module_from_source("reference", reference) if reference is not None else None
    fn = getattr(check_module, name)
    wanted = inspect.signature(fn).parameters
    stderr = io.StringIO()
    try:
        with warnings.catch_warnings(), contextlib.redirect_stderr(stderr):
            warnings.simplefilter("ignore")
            for params in _parametrizations(fn):
                submission = Submission(LocalBackend(learner, label="your notebook"), tuple(entry_points))
                label = name + (f"[{'-'.join(map(str, params.values()))}]" if params else "")
                fixtures: dict[str, Any] = {
                    "submission": submission,
                    "seed": seed,
                    "rng": np.random.default_rng([seed, zlib.crc32(label.encode())]),
                    "exercise_dir": Path.cwd(),
                    "reference": reference_module,
                }
                if reference_module is not None:
                    fixtures["reference_process"] = Submission(LocalBackend(reference_module), tuple(entry_points))
                kwargs = {k: params[k] if k in params else fixtures[k] for k in wanted}
                fn(**kwargs)
    except (CheckFailure, SubmissionFailure) as exc:
        message = exc.reason if isinstance(exc, SubmissionFailure) else str(exc)
        raise AssertionError(CHECK_FAILED.format(name=name.removeprefix("test_").replace("_", " "), seed=seed, message=message)) from None
