"""Known-wrong variants of a reference, each with the feedback it earns.

In ``solutions/exNN_slug/misconceptions.py``::

    from grader.misconceptions import Misconception, sibling_reference

    ref = sibling_reference(__file__)
    raw_dot = Misconception("raw dot product", "You returned a·b without dividing by the norms ...")

    @raw_dot
    def pairwise_cosine(A, B):
        return A @ B.T

A variant overrides some entry points; the others fall back to the reference. When a
learner fails a check, the same inputs are run through each variant (in the trusted
process: this is instructor code) and a variant whose outputs match the learner's is
named in the feedback. ``grade verify`` makes every variant lose marks, so they double
as mutation tests of the checks.
"""

from __future__ import annotations

import copy
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import numpy as np

from .codec import decode, encode
from .errors import CourseError
from .expect import as_numpy

_MODULES: dict[Path, ModuleType] = {}


class Misconception:
    def __init__(self, name: str, feedback: str) -> None:
        self.name = name
        self.feedback = feedback
        self.functions: dict[str, Callable[..., Any]] = {}

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        self.functions[fn.__name__] = fn
        return fn

    def namespace(self, reference: Any) -> SimpleNamespace:
        ns = SimpleNamespace(**{k: v for k, v in vars(reference).items() if not k.startswith("__")})
        for k, v in self.functions.items():
            setattr(ns, k, v)
        return ns

    def __repr__(self) -> str:
        return f"Misconception({self.name!r})"


def load_module(path: Path, label: str) -> ModuleType:
    """Import a trusted file (reference, misconceptions) under a private, unique name."""
    path = path.resolve()
    if path in _MODULES:
        return _MODULES[path]
    name = f"_grade_{label}_{abs(hash(path)):x}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise CourseError(path, "cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise CourseError(path, f"raised {type(exc).__name__} on import: {exc}") from exc
    _MODULES[path] = module
    return module


def sibling_reference(misconceptions_file: str, name: str | None = None) -> ModuleType:
    """The reference module beside a misconceptions file (its first learner file by default)."""
    here = Path(misconceptions_file).resolve().parent
    if name is None:
        candidates = sorted(p for p in here.glob("*.py") if p.name != "misconceptions.py")
        if len(candidates) != 1:
            raise CourseError(here, "name the reference file: sibling_reference(__file__, 'module.py')")
        path = candidates[0]
    else:
        path = here / name
    return load_module(path, "reference")


def load_misconceptions(path: Path) -> list[Misconception]:
    if not path.is_file():
        return []
    module = load_module(path, "misconceptions")
    return [v for v in vars(module).values() if isinstance(v, Misconception)]


def roughly_equal(a: Any, b: Any) -> bool:
    """Loose equality of two results: same structure, values close; NaN equals NaN here."""
    if isinstance(a, (tuple, list)) or isinstance(b, (tuple, list)):
        return (
            isinstance(a, (tuple, list))
            and isinstance(b, (tuple, list))
            and len(a) == len(b)
            and all(roughly_equal(x, y) for x, y in zip(a, b))
        )
    if isinstance(a, dict) or isinstance(b, dict):
        return isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys() and all(roughly_equal(a[k], b[k]) for k in a)
    numeric = (int, float, complex, np.generic, np.ndarray)
    if (isinstance(a, numeric) or hasattr(a, "detach")) and (isinstance(b, numeric) or hasattr(b, "detach")):
        x, y = as_numpy(a), as_numpy(b)
        if x.shape != y.shape:
            return False
        if isinstance(a, (np.ndarray, np.generic)) or hasattr(a, "detach"):
            if str(getattr(a, "dtype", "")) != str(getattr(b, "dtype", "")):
                return False  # a dtype mistake is its own misconception
        if x.dtype.kind not in "biufc" or y.dtype.kind not in "biufc":
            return False
        single = x.dtype.itemsize <= 4 or y.dtype.itemsize <= 4
        rtol, atol = (1e-3, 1e-4) if single else (1e-6, 1e-8)
        return bool(np.allclose(x.astype(np.complex128), y.astype(np.complex128), rtol=rtol, atol=atol, equal_nan=True))
    return type(a) is type(b) and a == b


def _run(ns: Any, call: Any) -> tuple[Any, Any]:
    """Run one recorded call through a namespace: (result, the arguments as it left them)."""
    args, kwargs = call.replay_args()
    args, kwargs = copy.deepcopy(list(args)), copy.deepcopy(kwargs)
    out = getattr(ns, call.name)(*args, **kwargs)
    return decode(*encode(out)), decode(*encode((args, kwargs)))


def matching(calls: list[Any], variants: list[Misconception], reference: Any) -> list[Misconception]:
    """The variants that reproduce every learner output in ``calls`` (and the inputs as the
    learner's calls left them, where a check looked), and that differ from the reference
    somewhere on these calls: a variant indistinguishable here explains nothing."""
    if not calls or any(c.failure is not None for c in calls):
        return []
    found = []
    for variant in variants:
        if not any(c.name in variant.functions for c in calls):
            continue
        ns = variant.namespace(reference)
        differs = False
        for c in calls:
            try:
                out, after = _run(ns, c)
                ref_out, ref_after = _run(reference, c) if not differs else (None, None)
            except Exception:
                break
            if not roughly_equal(c.result, out):
                break
            if c.args_after is not None and not roughly_equal(list(c.args_after), list(after)):
                break
            if not differs:
                differs = not roughly_equal(out, ref_out) or (c.args_after is not None and not roughly_equal(list(after), list(ref_after)))
        else:
            if differs:
                found.append(variant)
    return found
