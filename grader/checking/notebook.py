"""One check run inside a notebook kernel: what the test cells of the nbgrader notebooks call.

Changes when how a check runs in a notebook changes. ``grade publish`` writes one test cell
per check, each calling :func:`run_check` with the check's source (and, for instructor-only
checks, the reference's). The check runs exactly as in ``grade exNN``: pytest in this process
(:func:`grader.checking.plugin.run_in_process`) with a :class:`GradingPlugin`, so the fixtures,
the per-check ``rng`` and the messages are the grader's own, and a fixture added there reaches
notebooks too. What differs is the submission: the functions the notebook defined, reached
through a :class:`LocalBackend` (the learner's code runs in the kernel, nbgrader's model), their
arguments and results still crossing the grader's codec.

nbgrader scores a test cell 0 when it writes anything to stderr, so warnings and stray stderr
output are kept here and never reach the cell: only a failed check costs points.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import os
import secrets
import sys
import tempfile
import types
import warnings
from pathlib import Path
from typing import Any

from grader.checking.plugin import GradingPlugin, run_in_process
from grader.checking.proxy import LocalBackend, Submission, parameter_names

SEED_ENV = "GRADE_SEED"
CHECK_FAILED = "{name} failed (seed {seed}):\n{message}"
CHECK_SKIPPED = "{name} was not run (seed {seed}), so it earns nothing here:\n{message}"
CHECK_BROKEN = "the check {name} could not be run; tell your instructor:\n{error}"


def run_check(
    check: str,
    name: str,
    namespace: dict[str, Any],
    *,
    entry_points: tuple[str, ...] | list[str],
    reference: str | None = None,
    seed: int = 1,
) -> None:
    """Run check ``name`` (defined in the source ``check``), every parametrisation of it, on
    the functions in ``namespace``.

    Raises ``AssertionError`` with the learner's message when the check fails, which is
    what makes nbgrader score the cell 0. ``GRADE_SEED`` in the environment replaces
    ``seed``, so an instructor can replay or vary the inputs.
    """
    seed = int(os.environ.get(SEED_ENV, seed))
    entry = tuple(entry_points)
    functions = {k: namespace[k] for k in entry if k in namespace}
    reference_module = _module_from_source("reference", reference) if reference is not None else None
    params = parameter_names(reference) if reference is not None else _parameter_names(functions)
    plugin = GradingPlugin(
        submission=Submission(LocalBackend(types.SimpleNamespace(**functions), label="your notebook"), entry, {}, params),
        seed=seed,
        reference=lambda: reference_module,
        misconceptions=list,
        exercise_dir=Path.cwd(),
        reference_process=(lambda: Submission(LocalBackend(reference_module), entry, {}, params)) if reference_module is not None else None,
    )
    stderr = io.StringIO()
    # A fresh module name each call: pytest's importlib mode returns whatever sys.modules
    # already holds under the name, which would be the previous cell's check.
    module = f"grade_notebook_check_{secrets.token_hex(6)}"
    with tempfile.TemporaryDirectory(prefix="grade-check-") as tmp:
        path = Path(tmp) / f"{module}.py"
        path.write_text(check, encoding="utf-8")
        try:
            with warnings.catch_warnings(), contextlib.redirect_stderr(stderr):
                warnings.simplefilter("ignore")
                # confcutdir: else pytest's collection walks down from / and lists every folder above tmp
                code = run_in_process([f"{path}::{name}"], plugin, rootdir=tmp, extra=["--confcutdir", tmp])
        finally:
            sys.modules.pop(module, None)
    results = list(plugin.results.values())
    if plugin.collection_errors or not results:
        error = "\n".join(plugin.collection_errors) or stderr.getvalue() or f"pytest exited with status {code}"
        raise RuntimeError(CHECK_BROKEN.format(name=name, error=error.strip()))
    failed = [
        (CHECK_SKIPPED if r.status == "skipped" else CHECK_FAILED).format(name=r.name, seed=seed, message=r.output)
        for r in results
        if r.status != "passed"
    ]
    if failed:
        raise AssertionError("\n\n".join(failed))


def _module_from_source(name: str, source: str) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__dict__["__file__"] = f"<{name}>"
    exec(compile(source, f"<{name}>", "exec"), module.__dict__)
    return module


def _parameter_names(functions: dict[str, Any]) -> dict[str, list[str]]:
    """Positional parameter names of the notebook's functions, for the messages' call lines."""
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    out: dict[str, list[str]] = {}
    for fname, fn in functions.items():
        with contextlib.suppress(TypeError, ValueError):
            out[fname] = [p.name for p in inspect.signature(fn).parameters.values() if p.kind in positional]
    return out
