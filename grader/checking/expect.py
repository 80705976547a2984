"""Comparisons for checks, whose failures explain themselves to a learner.

Changes when a new kind of comparison or its wording is needed.

``expect(actual).to_match(expected)`` checks type, shape, dtype, finiteness and values
(tolerance by dtype, as torch.testing sets them), and on failure says what was called,
what came back, what was expected, and where the worst element is. NaN never passes.
Helpers for sign and basis freedom cover singular vectors, eigenvectors and PCA axes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.checking import messages

# (rtol, atol) by dtype, after torch.testing.assert_close's defaults.
TOLERANCES: dict[str, tuple[float, float]] = {
    "float16": (1e-3, 1e-5),
    "bfloat16": (1.6e-2, 1e-5),
    "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7),
    "complex64": (1.3e-6, 1e-5),
    "complex128": (1e-7, 1e-7),
}
SMALL = 16  # arrays with at most this many elements are shown in full

_active: list[Any] = []  # the Submission proxy of the running check, set by the plugin


class CheckFailure(AssertionError):
    """A check's verdict, with a message written for the learner.

    ``stage`` names what the check was verifying when it failed, when that is not what the check
    is named for (the values inside a speed check, say): the card's title then says so.
    """

    stage: str | None = None


@dataclass(frozen=True)
class Advice:
    """A cause and its remedy, shown only when ``when`` holds for the learner's value.

    ``when`` is a predicate evaluated on the value that failed (or a bool the check computed):
    the evidence that this cause, and not another, is behind the failure. Without it the
    learner sees the facts alone (called, returned, expected, worst element), never a cause
    the data do not show. A predicate that raises counts as no evidence.
    """

    text: str
    when: Callable[[Any], bool] | bool = False

    def applies(self, actual: Any) -> bool:
        if not callable(self.when):
            return bool(self.when)
        try:
            return bool(self.when(actual))
        except Exception:
            return False


def advice(text: str, *, when: Callable[[Any], bool] | bool) -> Advice:
    """``text`` to add to a failure when ``when`` (the evidence for its cause) holds; see :class:`Advice`."""
    return Advice(text, when)


def _advised(message: str, actual: Any, given: Advice | Sequence[Advice] | None) -> str:
    items = [given] if isinstance(given, Advice) else list(given or ())
    shown = [a.text for a in items if a.applies(actual)]
    return "\n".join([message, *shown])


def close(got: Any, want: Any, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """Whether ``got`` equals ``want`` within tolerance, compared in float64: evidence
    for :func:`advice`, never a verdict. False, never an error, for anything that is not an
    array, tensor or number of ``want``'s shape."""
    try:
        a, b = as_numpy(got).astype(np.float64), as_numpy(want).astype(np.float64)
        return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))
    except Exception:
        return False


@contextmanager
def stage(what: str) -> Iterator[None]:
    """``with stage("the values"):`` around what a check must verify before reaching its subject.

    A failure inside is reported as having failed on ``what``, so a speed check that fails on
    its values, or a dtype check that fails on the numbers, does not read as slow or as the
    wrong dtype. The innermost stage wins.
    """
    try:
        yield
    except CheckFailure as exc:
        if exc.stage is None:
            exc.stage = what
        raise


def fail(message: str, actual: Any = None, *, advice: Advice | Sequence[Advice] | None = None) -> None:
    """Fail the check with ``message``, prefixed by the call that produced ``actual``; ``advice``
    is added only where its evidence holds."""
    raise CheckFailure(_with_call(actual, _advised(message, actual, advice)))


# --- describing values --------------------------------------------------------------

def _is_tensor(x: Any) -> bool:
    return type(x).__module__.startswith("torch") and hasattr(x, "detach")


def _dtype_name(x: Any) -> str:
    if _is_tensor(x):
        return str(x.dtype).removeprefix("torch.")
    return str(np.asarray(x).dtype)


def as_numpy(x: Any) -> np.ndarray:
    """A float64/int/bool numpy view of an array or tensor, for measuring."""
    if _is_tensor(x):
        t = x.detach().cpu()
        if str(t.dtype) == "torch.bfloat16":
            t = t.float()
        return t.numpy()
    return np.asarray(x)


def describe(x: Any, limit: int = SMALL) -> str:
    """A short, learner-readable description of a value."""
    if isinstance(x, np.ndarray) or _is_tensor(x):
        kind = "tensor" if _is_tensor(x) else "array"
        arr = as_numpy(x)
        head = f"{_dtype_name(x)} {kind} of shape {tuple(arr.shape)}"
        if arr.size == 0:
            return head + " (empty)"
        if arr.size <= limit:
            body = np.array2string(arr, precision=4, separator=", ", suppress_small=False, max_line_width=88)
            return f"{head}: {body}".replace("\n", "\n    ")
        if arr.dtype.kind in "fc":
            finite = np.isfinite(arr)
            if not finite.all():
                return f"{head}, with {int((~finite).sum())} NaN/inf values"
            return f"{head}, values from {arr.min():.4g} to {arr.max():.4g}"
        return f"{head}, values from {arr.min()} to {arr.max()}"
    if isinstance(x, tuple):
        return "tuple of " + str(len(x)) + ": (" + ", ".join(describe(v, 4) for v in x) + ")"
    if isinstance(x, list):
        if len(x) > 8:
            return f"list of {len(x)} items"
        return "[" + ", ".join(describe(v, 4) for v in x) + "]"
    if isinstance(x, float):
        return repr(x)
    if isinstance(x, np.generic):
        return f"numpy.{type(x).__name__}({x.item()!r})"
    text = repr(x)
    return text if len(text) < 200 else text[:200] + "..."


def type_word(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return "a numpy array"
    if _is_tensor(x):
        return "a torch tensor"
    if isinstance(x, bool):
        return "a bool"
    if isinstance(x, (int, np.integer)):
        return "an int"
    if isinstance(x, (float, np.floating)):
        return "a float"
    if isinstance(x, tuple):
        return f"a tuple of {len(x)}"
    if isinstance(x, list):
        return f"a list of {len(x)}"
    if x is None:
        return "None"
    return f"a {type(x).__name__}"


def describe_call(record: Any) -> str:
    """'called f(a, b) with' plus one line per argument."""
    params = list(getattr(record, "params", []))
    names = [params[i] if i < len(params) else f"arg{i + 1}" for i in range(len(record.args))]
    sig = ", ".join([*(describe(a, 4) if _scalar_like(a) else n for a, n in zip(record.args, names)),
                     *(f"{k}={describe(v, 4)}" for k, v in record.kwargs.items() if _scalar_like(v))])
    kw_arrays = [k for k, v in record.kwargs.items() if not _scalar_like(v)]
    if kw_arrays:
        sig += ", " + ", ".join(f"{k}={k}" for k in kw_arrays)
    lines = [f"called {record.name}({sig})"]
    for a, n in zip(record.args, names):
        if not _scalar_like(a):
            lines.append(f"  {n} = {describe(a)}")
    for k in kw_arrays:
        lines.append(f"  {k} = {describe(record.kwargs[k])}")
    return "\n".join(lines)


def _scalar_like(x: Any) -> bool:
    return x is None or isinstance(x, (bool, int, float, str, np.generic))


def _with_call(actual: Any, message: str) -> str:
    record = None
    for sub in _active:
        record = sub.record_for(actual) if actual is not None else (sub.calls[-1] if sub.calls else None)
    if record is None:
        return message
    return describe_call(record) + "\n" + message


# --- the expectation object ---------------------------------------------------------

class expect:  # noqa: N801  (reads as prose in checks: expect(x).to_match(y))
    """``expect(actual, what="U")`` then one of the ``to_*`` methods."""

    def __init__(self, actual: Any, what: str | None = None, *, advice: Advice | Sequence[Advice] | None = None) -> None:
        self.actual = actual
        self.what = what
        self.advice = advice  # causes added to any failure of this expectation, where their evidence holds
        self._intro: str | None = None  # replaces "returned ..." (after sign flipping, say)

    # -- helpers ---------------------------------------------------------------
    def _fail(self, message: str) -> None:
        prefix = f"{self.what}: " if self.what else ""
        raise CheckFailure(_with_call(self.actual, _advised(prefix + message, self.actual, self.advice)))

    def _returned(self) -> str:
        return self._intro if self._intro is not None else f"returned {describe(self.actual)}"

    # -- whole-value comparisons ----------------------------------------------
    def to_match(self, expected: Any, *, rtol: float | None = None, atol: float | None = None, check_dtype: bool = True) -> None:
        """Same type, shape, dtype and values within tolerance; tuples element by element."""
        _match(self, self.actual, expected, rtol, atol, check_dtype, path="")

    def to_equal(self, expected: Any) -> None:
        """Exactly equal: for ints, bools, index arrays (any integer dtype)."""
        a, e = self.actual, expected
        if isinstance(e, np.ndarray) or _is_tensor(e):
            self._require_array_like(e)
            arr, exp = as_numpy(a), as_numpy(e)
            if arr.shape != exp.shape:
                self._fail(f"{self._returned()}\nexpected shape {exp.shape}, got {arr.shape}")
            if exp.dtype.kind in "iu" and arr.dtype.kind not in "iu":
                self._fail(f"{self._returned()}\nexpected integers (an integer dtype), got dtype {arr.dtype}")
            if exp.dtype.kind == "b" and arr.dtype.kind != "b":
                self._fail(f"{self._returned()}\nexpected booleans (dtype bool), got dtype {arr.dtype}")
            bad = np.argwhere(arr != exp)
            if len(bad):
                idx = tuple(int(i) for i in bad[0])
                self._fail(
                    f"{self._returned()}\nexpected {describe(e)}\n"
                    f"first difference at index {list(idx)}: returned {arr[idx].item()!r}, expected {exp[idx].item()!r}"
                )
            return
        if isinstance(e, bool):
            if not isinstance(a, (bool, np.bool_)) or bool(a) != e:
                self._fail(f"{self._returned()}; expected {e!r}")
            return
        if isinstance(e, (int, np.integer)):
            if isinstance(a, (bool, np.bool_)) or not isinstance(a, (int, np.integer)):
                self._fail(f"{self._returned()}; expected the int {int(e)}" + _int_hint(a))
            if int(a) != int(e):
                self._fail(f"{self._returned()}; expected {int(e)}")
            return
        if a != e:
            self._fail(f"{self._returned()}; expected {describe(e)}")

    def _require_array_like(self, expected: Any) -> None:
        if _is_tensor(expected) and not _is_tensor(self.actual):
            self._fail(f"{self._returned()}\nexpected a torch tensor, got {type_word(self.actual)}")
        if isinstance(expected, np.ndarray) and not isinstance(self.actual, np.ndarray):
            self._fail(f"{self._returned()}\nexpected a numpy array, got {type_word(self.actual)}" + _array_hint(self.actual))

    # -- single properties ---------------------------------------------------
    def to_have_shape(self, shape: Sequence[int]) -> None:
        arr_shape = tuple(getattr(self.actual, "shape", ()))
        if not (isinstance(self.actual, np.ndarray) or _is_tensor(self.actual)):
            self._fail(f"{self._returned()}\nexpected an array of shape {tuple(shape)}, got {type_word(self.actual)}")
        if arr_shape != tuple(shape):
            self._fail(f"{self._returned()}\nexpected shape {tuple(shape)}, got {arr_shape}")

    def to_be_finite(self) -> None:
        arr = as_numpy(self.actual)
        if arr.dtype.kind in "fc" and not np.isfinite(arr).all():
            idx = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
            self._fail(f"{self._returned()}\nit holds {arr[idx]} at index {list(idx)}; every value must be finite")

    def to_be_close_to(self, expected: float, *, rtol: float = 1e-7, atol: float = 1e-9) -> None:
        """A real number within tolerance (ints and numpy scalars accepted)."""
        _match(self, self.actual, float(expected), rtol, atol, False, path="")

    def to_have_orthonormal_columns(self, *, tol: float | None = None) -> None:
        arr = as_numpy(self.actual).astype(np.float64)
        if arr.ndim != 2:
            self._fail(f"{self._returned()}\nexpected a 2-D array")
        gram = arr.T @ arr
        _orthonormal(self, gram, tol, "columns", "QᵀQ", arr)

    def to_have_orthonormal_rows(self, *, tol: float | None = None) -> None:
        arr = as_numpy(self.actual).astype(np.float64)
        if arr.ndim != 2:
            self._fail(f"{self._returned()}\nexpected a 2-D array")
        gram = arr @ arr.T
        _orthonormal(self, gram, tol, "rows", "QQᵀ", arr)

    def to_be_sorted(self, *, descending: bool = True) -> None:
        arr = as_numpy(self.actual)
        diffs = np.diff(arr)
        bad = np.nonzero(diffs > 0 if descending else diffs < 0)[0]
        if len(bad):
            i = int(bad[0])
            order = "largest first" if descending else "smallest first"
            self._fail(f"{self._returned()}\nexpected {order}, but element {i} is {arr[i]:.6g} and element {i + 1} is {arr[i + 1]:.6g}")

    def to_match_up_to_sign(self, expected: Any, *, axis: int = 1, rtol: float | None = None, atol: float | None = None) -> None:
        """Vectors along ``axis`` (columns: axis=1, rows: axis=0) may each be flipped in sign."""
        self._require_array_like(expected)
        a, e = as_numpy(self.actual), as_numpy(expected)
        if a.shape != e.shape:
            self._fail(f"{self._returned()}\nexpected shape {e.shape}, got {a.shape}")
        self.to_be_finite()
        moved_a, moved_e = np.moveaxis(a, axis, 0), np.moveaxis(e, axis, 0)
        signs = np.sign(np.sum(moved_a * moved_e, axis=tuple(range(1, moved_a.ndim))))
        signs[signs == 0] = 1
        aligned = np.moveaxis(moved_a * signs.reshape((-1,) + (1,) * (moved_a.ndim - 1)), 0, axis)
        word = "column" if axis == 1 else "row"
        flipped = type(self)(aligned)
        flipped._intro = f"after flipping each {word} of it to the sign of the reference's"
        try:
            _match(flipped, aligned, e, rtol, atol, False, path="")
        except CheckFailure as exc:
            self._fail(f"{self._returned()}\n{exc}")

    def to_span_same_subspace(self, expected: Any, *, axis: int = 1, tol: float | None = None) -> None:
        """The vectors along ``axis`` span the same subspace as ``expected``'s (projectors agree)."""
        a = as_numpy(self.actual).astype(np.float64)
        e = as_numpy(expected).astype(np.float64)
        if a.shape != e.shape:
            self._fail(f"{self._returned()}\nexpected shape {e.shape}, got {a.shape}")
        if axis == 0:
            a, e = a.T, e.T
        qa, _ = np.linalg.qr(a)
        qe, _ = np.linalg.qr(e)
        gap = np.linalg.norm(qa @ qa.T - qe @ qe.T, 2)
        limit = tol if tol is not None else 1e-6
        if not gap <= limit:
            self._fail(
                f"{self._returned()}\nthe subspace it spans differs from the expected one: "
                f"‖P - P_ref‖₂ = {gap:.3g} (tolerance {limit:.1g}); the vectors point in the wrong directions"
            )

    def to_satisfy(self, ok: bool, message: str) -> None:
        """A property the check computed itself; ``message`` explains it when false."""
        if not ok:
            self._fail(f"{self._returned()}\n{message}")


def _int_hint(a: Any) -> str:
    if isinstance(a, (float, np.floating)):
        return " (use int(...) to return an integer)"
    if isinstance(a, np.ndarray):
        return " (return a single number, not an array)"
    return ""


def _array_hint(a: Any) -> str:
    if isinstance(a, list):
        return " (wrap it with np.asarray or build it with numpy operations)"
    if isinstance(a, (float, np.floating)):
        return " (a single number came back where an array was expected)"
    return ""


def tolerance_for(dtype_name: str) -> tuple[float, float]:
    return TOLERANCES.get(dtype_name, TOLERANCES["float64"])


def _orthonormal(ex: expect, gram: np.ndarray, tol: float | None, word: str, formula: str, arr: np.ndarray) -> None:
    n = gram.shape[0]
    eps = np.finfo(np.float32 if _dtype_name(ex.actual) in ("float32", "float16", "bfloat16") else np.float64).eps
    limit = tol if tol is not None else max(100 * max(arr.shape) * eps, 1e-10)
    dev = np.abs(gram - np.eye(n))
    i, j = np.unravel_index(int(np.argmax(dev)), dev.shape)
    if not np.isfinite(gram).all() or dev[i, j] > limit:
        what = "has length" if i == j else "has inner product"
        ex._fail(
            f"{ex._returned()}\nits {word} are not orthonormal: {formula} should be the identity, but "
            f"entry [{i}, {j}] is {gram[i, j]:.6g} ({word[:-1]} {i} {what} {'with ' + word[:-1] + ' ' + str(j) + ' ' if i != j else ''}"
            f"{gram[i, j]:.3g}; tolerance {limit:.1g})"
        )


def _match(ex: expect, a: Any, e: Any, rtol: float | None, atol: float | None, check_dtype: bool, path: str) -> None:
    where = f" in element {path}" if path else ""
    if isinstance(e, (tuple, list)):
        kind = "tuple" if isinstance(e, tuple) else "list"
        if not isinstance(a, (tuple, list)):
            ex._fail(f"{ex._returned()}\nexpected a {kind} of {len(e)}{where}, got {type_word(a)}")
        if len(a) != len(e):
            ex._fail(f"{ex._returned()}\nexpected a {kind} of {len(e)} values{where}, got {len(a)}")
        for i, (ai, ei) in enumerate(zip(a, e)):
            _match(ex, ai, ei, rtol, atol, check_dtype, f"{path}[{i}]")
        return
    if isinstance(e, np.ndarray) or _is_tensor(e):
        if _is_tensor(e) and not _is_tensor(a):
            ex._fail(f"{ex._returned()}\nexpected a torch tensor{where}, got {type_word(a)}")
        if isinstance(e, np.ndarray) and not isinstance(a, np.ndarray):
            ex._fail(f"{ex._returned()}\nexpected a numpy array{where}, got {type_word(a)}" + _array_hint(a))
        arr, exp = as_numpy(a), as_numpy(e)
        if arr.shape != exp.shape:
            ex._fail(f"{ex._returned()}\nexpected shape {exp.shape}{where}, got {arr.shape}")
        if check_dtype and _dtype_name(a) != _dtype_name(e):
            ex._fail(
                f"{ex._returned()}\nexpected dtype {_dtype_name(e)}{where}, got {_dtype_name(a)}: "
                "keep the dtype of the inputs (float32 in, float32 out)"
            )
        _values(ex, arr, exp, rtol, atol, _dtype_name(e), where, shown=describe(e))
        return
    if isinstance(e, (bool, np.bool_)) or isinstance(e, (int, np.integer)):
        sub = expect(a, ex.what)
        sub.actual = ex.actual
        if isinstance(a, (bool, np.bool_)) != isinstance(e, (bool, np.bool_)) or not isinstance(a, (int, np.integer, bool, np.bool_)):
            ex._fail(f"{ex._returned()}\nexpected {describe(e)}{where}, got {type_word(a)}" + _int_hint(a))
        if int(a) != int(e):
            ex._fail(f"{ex._returned()}\nexpected {int(e)}{where}, got {int(a)}")
        return
    if isinstance(e, (float, np.floating)):
        if isinstance(a, (bool, np.bool_)) or not isinstance(a, (int, float, np.integer, np.floating)):
            ex._fail(f"{ex._returned()}\nexpected a float{where}, got {type_word(a)}" + _array_hint(a) if not isinstance(a, np.ndarray) else
                     f"{ex._returned()}\nexpected a single float{where}, got an array (use float(...) to return a number)")
        dtype = "float64" if isinstance(e, float) else str(np.asarray(e).dtype)
        _values(ex, np.asarray(float(a)), np.asarray(float(e)), rtol, atol, dtype, where, shown=describe(e))
        return
    if e is None:
        if a is not None:
            ex._fail(f"{ex._returned()}\nexpected None{where}")
        return
    if a != e:
        ex._fail(f"{ex._returned()}\nexpected {describe(e)}{where}")


def _values(
    ex: expect, arr: np.ndarray, exp: np.ndarray, rtol: float | None, atol: float | None, dtype: str, where: str, shown: str | None = None
) -> None:
    shown = shown or describe(exp)
    r0, a0 = tolerance_for(dtype)
    rtol = r0 if rtol is None else rtol
    atol = a0 if atol is None else atol
    if exp.dtype.kind in "fc" and not np.isfinite(exp).all():
        raise ValueError("the expected value holds NaN or inf: a check must compare against finite values")
    if arr.dtype.kind not in "biufc":
        ex._fail(f"{ex._returned()}\nexpected numbers{where}, got dtype {arr.dtype}")
    a64 = arr.astype(np.complex128 if arr.dtype.kind == "c" or exp.dtype.kind == "c" else np.float64)
    e64 = exp.astype(a64.dtype)
    if not np.isfinite(a64).all():
        bad = np.argwhere(~np.isfinite(a64))
        idx = tuple(int(i) for i in bad[0]) if a64.ndim else ()
        at = f" at index {list(idx)}" if idx else ""
        ex._fail(
            f"{ex._returned()}\nexpected {shown}{where}\n"
            f"your result holds {a64[idx]}{at} ({len(bad)} value{'s' if len(bad) != 1 else ''} not finite). "
            + messages.NAN_HINT
        )
    err = np.abs(a64 - e64)
    allowed = atol + rtol * np.abs(e64)
    if np.all(err <= allowed):
        return
    ratio = err / allowed
    idx = tuple(int(i) for i in np.unravel_index(int(np.argmax(ratio)), ratio.shape)) if ratio.ndim else ()
    n_bad = int(np.sum(err > allowed))
    at = f"at index {list(idx)}: " if idx else ""
    ex._fail(
        f"{ex._returned()}\nexpected {shown}{where}\n"
        f"worst element {at}returned {_num(a64[idx])}, expected {_num(e64[idx])} "
        f"(difference {_num(err[idx])}, tolerance {atol:.1g} + {rtol:.1g}·|expected| = {_num(allowed[idx])})"
        + (f"; {n_bad} of {err.size} elements are off" if err.size > 1 else "")
    )


def _num(x: Any) -> str:
    x = complex(x) if isinstance(x, complex) or np.iscomplexobj(x) else float(x)
    if isinstance(x, complex):
        return f"{x:.6g}"
    return f"{x:.8g}" if math.isfinite(x) else str(x)
