"""Known-wrong variants of a reference, each with the feedback it earns.

Changes when how a known mistake is declared or recognised changes.

In ``solutions/exNN_slug/misconceptions.py``::

    from grader.checking.misconceptions import Misconception, sibling_reference

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
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import numpy as np

from grader.checking.expect import as_numpy
from grader.errors import CourseError
from grader.sandbox.codec import decode, encode
from grader.sandbox.failures import LearnerRaised

_MODULES: dict[Path, ModuleType] = {}


class Misconception:
    """A known mistake: its name, the feedback a learner who makes it needs, and the variant
    functions (decorated) that make it. ``breaks_every_part`` says why, when one such mistake
    rightly costs more than most of the exercise (``grade verify`` asks for it past 60%);
    ``tell_apart`` what input would show this mistake apart from its lookalikes, said when the
    checks cannot decide between them."""

    def __init__(self, name: str, feedback: str, *, breaks_every_part: str = "", tell_apart: str = "") -> None:
        self.name = name
        self.feedback = feedback
        self.breaks_every_part = breaks_every_part
        self.tell_apart = tell_apart
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


class Variants(list):  # list[Misconception], with the module's probes beside them
    """An exercise's misconceptions, and its ``probes(rng)`` when misconceptions.py defines one:
    calls ``[(function, args, kwargs), ...]`` made to tell lookalike mistakes apart, run only when
    the checks that ran leave more than one."""

    probes: Callable[[Any], list[tuple[str, tuple[Any, ...], dict[str, Any]]]] | None = None


def load_misconceptions(path: Path) -> Variants:
    found = Variants()
    if not path.is_file():
        return found
    module = load_module(path, "misconceptions")
    found.extend(v for v in vars(module).values() if isinstance(v, Misconception))
    probes = getattr(module, "probes", None)
    found.probes = probes if callable(probes) else None
    return found


def agrees_on(variant: Misconception, calls: list[Any], reference: Any) -> bool:
    """Whether ``variant`` reproduces the learner's ``calls`` (a probe's), judged as
    :class:`Consistency` judges a failing check on the functions the variant overrides; each call
    on its own, so one the learner did not finish (a crash, a limit) rules nothing out."""
    runs = [Ran("probe", [c], passed=False) for c in calls]
    return Consistency(runs, reference).ruled_out_by(variant, variant.functions) is None


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
            if bool(getattr(a, "requires_grad", False)) != bool(getattr(b, "requires_grad", False)):
                return False  # so is a result cut off from autograd
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


def _outcome(ns: Any, call: Any) -> tuple[str, Any, Any]:
    """('ok', result, args after) or ('raised', exception class names, None)."""
    try:
        out, after = _run(ns, call)
    except Exception as exc:
        return "raised", [c.__name__ for c in type(exc).__mro__], None
    return "ok", out, after


def _same(call: Any, outcome: tuple[str, Any, Any]) -> bool:
    """Whether an outcome reproduces what the learner's call did."""
    kind, value, after = outcome
    failure = call.failure
    if failure is not None:
        # A learner's exception is matched by a variant raising the same kind of exception.
        return kind == "raised" and isinstance(failure, LearnerRaised) and failure.type_name in value
    if kind != "ok" or not roughly_equal(call.result, value):
        return False
    return call.args_after is None or roughly_equal(list(call.args_after), list(after))


def _equal_outcomes(a: tuple[str, Any, Any], b: tuple[str, Any, Any]) -> bool:
    if a[0] != b[0]:
        return False
    if a[0] == "raised":
        return a[1][0] == b[1][0]
    return roughly_equal(a[1], b[1]) and roughly_equal(list(a[2]), list(b[2]))


def _size(call: Any) -> int:
    """How many numbers a call's arguments hold: the order to replay calls in, cheapest first."""
    total = 0
    for a in [*call.args, *call.kwargs.values()]:
        numel = getattr(a, "numel", None)
        total += int(numel()) if callable(numel) else int(getattr(a, "size", 0) or 0)
    return total


def matching(calls: list[Any], variants: list[Misconception], reference: Any) -> list[Misconception]:
    """The variants that reproduce everything the learner's calls did in a check (results,
    inputs as the calls left them where the check looked, and the kind of exception
    raised), and that differ from the reference somewhere on these calls: a variant
    indistinguishable here explains nothing."""
    if not calls or any(c.failure is not None and not isinstance(c.failure, LearnerRaised) for c in calls):
        return []
    reference_cache: list[tuple[str, Any, Any]] = []

    def reference_outcomes() -> list[tuple[str, Any, Any]]:
        # Only when some variant reproduces the learner: replays can be costly (a million edges).
        if not reference_cache:
            reference_cache.extend(_outcome(reference, c) for c in calls)
        return reference_cache

    found = []
    # Smallest calls first: a variant that does not match usually shows it on any of them, and
    # replays through an interpreter (a Triton kernel) cost in proportion to the inputs' size.
    calls = sorted(calls, key=_size)
    for variant in variants:
        if not any(c.name in variant.functions for c in calls):
            continue
        ns = variant.namespace(reference)
        outcomes = []
        for c in calls:
            outcome = _outcome(ns, c)
            if not _same(c, outcome):
                break
            outcomes.append(outcome)
        else:
            if not all(_equal_outcomes(o, r) for o, r in zip(outcomes, reference_outcomes())):
                found.append(variant)
    return found


def _requires_grad(value: Any) -> bool:
    if isinstance(value, (tuple, list)):
        return any(_requires_grad(v) for v in value)
    if isinstance(value, dict):
        return any(_requires_grad(v) for v in value.values())
    return bool(getattr(value, "requires_grad", False))


def _replayable(call: Any) -> bool:
    """Whether replaying ``call`` can reproduce what the learner's call did: it finished (or raised
    in the learner's code), and it was no gradients() call (a result needing grad from plain inputs)."""
    if call.failure is not None:
        return isinstance(call.failure, LearnerRaised)
    return not (_requires_grad(call.result) and not _requires_grad((call.args, call.kwargs)))


@dataclass
class Ran:
    """One check that ran: its pytest node id, the learner's calls in it (as recorded), and whether it passed."""

    name: str
    calls: list[Any]
    passed: bool


class Consistency:
    """Which variants agree with the learner on every check that ran, not only where they matched.

    A variant agrees on a failing check when it reproduces every call there (as :func:`matching`
    compares them); on a passing check, when it reproduces the learner's calls or gives the
    reference's outcomes on all of them (the check passes the reference, so it would pass the
    variant too). A variant is judged on the calls of the functions it is named for (those it
    overrides that the failing check called): a variant bundling one mistake in several functions
    says nothing, where the learner made it in one, about the others. A check with a call the learner never finished (a crash, a limit, a stub) holds
    no outcome to compare, and is left out; so is one with a gradients() call, whose result came
    from leaves a plain replay does not make. Replays are cached: the reference's per call, and a
    variant's verdict per variant; a call of a function the variant does not override is the
    reference's outcome, never replayed.
    """

    def __init__(self, runs: list[Ran], reference: Any) -> None:
        self._runs = [r for r in runs if all(_replayable(c) for c in r.calls)]
        self._reference = reference
        self._reference_outcomes: dict[tuple[int, int], tuple[str, Any, Any]] = {}
        self._verdicts: dict[tuple[int, frozenset[str]], str | None] = {}

    def _reference_outcome(self, run: int, i: int, call: Any) -> tuple[str, Any, Any]:
        key = (run, i)
        if key not in self._reference_outcomes:
            self._reference_outcomes[key] = _outcome(self._reference, call)
        return self._reference_outcomes[key]

    def ruled_out_by(self, variant: Misconception, functions: Collection[str], matched: Collection[str] = ()) -> str | None:
        """The first check that ran on which ``variant``'s ``functions`` disagree with the learner's, or
        None. ``matched``: the checks where it is already known to reproduce the learner (not replayed)."""
        key = (id(variant), frozenset(functions))
        if key in self._verdicts:
            return self._verdicts[key]
        verdict = None
        ns = variant.namespace(self._reference)
        for r, run in enumerate(self._runs):
            calls = sorted(((i, c) for i, c in enumerate(run.calls) if c.name in key[1]), key=lambda ic: _size(ic[1]))
            if run.name in matched or not calls:
                continue
            outcomes: list[tuple[str, Any, Any]] = []
            for _, c in calls:  # stops at the first call it does not reproduce
                outcomes.append(_outcome(ns, c))
                if not _same(c, outcomes[-1]):
                    break
            else:
                continue
            if run.passed and all(
                _equal_outcomes(outcomes[k] if k < len(outcomes) else _outcome(ns, c), self._reference_outcome(r, i, c))
                for k, (i, c) in enumerate(calls)
            ):
                continue
            verdict = run.name
            break
        self._verdicts[key] = verdict
        return verdict
