"""No-op mutants: an entry point replaced by code that does nothing, which must earn nothing.

Changes when a new kind of do-nothing answer must be ruled out. ``grade verify`` derives them
by itself from the reference, entry point by entry point (the others stay the reference's):
zeros, ones or a constant of the reference output's shape and dtype, the first argument
returned unchanged or cast to the output's dtype, and a tensor output cut from its inputs'
graph. Each must earn no more than the same entry point left unwritten.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

CONSTANT = 0.5


@dataclass(frozen=True)
class Mutant:
    function: str
    label: str
    fn: Callable[..., Any]

    def namespace(self, reference: Any) -> SimpleNamespace:
        return _namespace(reference, self.function, self.fn)


def unwritten(reference: Any, function: str) -> SimpleNamespace:
    """The reference with ``function`` as the stub leaves it."""

    def stub(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(function)

    return _namespace(reference, function, stub)


def _namespace(reference: Any, function: str, fn: Callable[..., Any]) -> SimpleNamespace:
    ns = SimpleNamespace(**{k: v for k, v in vars(reference).items() if not k.startswith("__")})
    setattr(ns, function, fn)
    return ns


def mutants(reference: Any, functions: tuple[str, ...] | list[str]) -> list[Mutant]:
    """The no-op mutants of every function among ``functions`` (classes are left alone)."""
    found: list[Mutant] = []
    for name in functions:
        original = getattr(reference, name, None)
        if not inspect.isfunction(original):
            continue
        found += [
            Mutant(name, "returns zeros", _from_output(original, lambda out: _filled(out, 0))),
            Mutant(name, "returns ones", _from_output(original, lambda out: _filled(out, 1))),
            Mutant(name, f"returns the constant {CONSTANT:g}", _from_output(original, lambda out: _filled(out, CONSTANT))),
            Mutant(name, "returns its first argument", _first_argument),
            Mutant(name, "returns its first argument in the output's dtype", _first_argument_cast(original)),
            Mutant(name, "returns a tensor cut from its inputs' graph", _from_output(original, _detached)),
        ]
    return found


def _from_output(original: Callable[..., Any], change: Callable[[Any], Any]) -> Callable[..., Any]:
    def mutant(*args: Any, **kwargs: Any) -> Any:
        try:
            out = original(*args, **kwargs)
        except Exception:
            return None  # a no-op checks nothing: where the reference refuses its input, it answers anyway
        return change(out)

    return mutant


def _first_argument(*args: Any, **kwargs: Any) -> Any:
    if args:
        return args[0]
    return next(iter(kwargs.values()), None)


def _first_argument_cast(original: Callable[..., Any]) -> Callable[..., Any]:
    def mutant(*args: Any, **kwargs: Any) -> Any:
        first = _first_argument(*args, **kwargs)
        try:
            out = original(*args, **kwargs)
        except Exception:
            return first
        dtype = getattr(out, "dtype", None)
        if dtype is None or getattr(first, "dtype", dtype) == dtype:
            raise NotImplementedError("no cast to make: the same as returning the first argument")
        if hasattr(first, "astype"):
            return first.astype(dtype)
        return first.to(dtype)

    return mutant


def _filled(value: Any, fill: float) -> Any:
    """``value``'s structure, shapes and dtypes, with every number set to ``fill``."""
    if isinstance(value, tuple):
        return tuple(_filled(v, fill) for v in value)
    if isinstance(value, list):
        return [_filled(v, fill) for v in value]
    if isinstance(value, dict):
        return {k: _filled(v, fill) for k, v in value.items()}
    if isinstance(value, bool):
        return bool(fill)
    if isinstance(value, int):
        return int(fill)
    if isinstance(value, float | complex):
        return type(value)(fill)
    if isinstance(value, str) or value is None:
        return value if value is None else ""
    module = type(value).__module__.split(".")[0]
    if module == "torch":
        import torch

        out = torch.full_like(value.detach(), fill)
        return out.requires_grad_(True) if value.requires_grad and out.is_floating_point() else out
    if module == "numpy":
        import numpy as np

        return np.full_like(value, fill) if isinstance(value, np.ndarray) else value.dtype.type(fill)
    return value


def _detached(value: Any) -> Any:
    """A tensor output with the same values, cut from the graph that produced it (where no
    output carries a graph, there is nothing to cut: the mutant is the stub)."""
    cut, found = _cut(value)
    if not found:
        raise NotImplementedError("no output carries a graph")
    return cut


def _cut(value: Any) -> tuple[Any, bool]:
    if isinstance(value, tuple | list):
        parts = [_cut(v) for v in value]
        return type(value)(p for p, _ in parts), any(f for _, f in parts)
    if type(value).__module__.split(".")[0] == "torch" and getattr(value, "requires_grad", False):
        return value.detach().clone().requires_grad_(True), True
    return value, False
