"""The ``submission`` proxy: how checks call the learner's code.

Changes when how a check calls the learner's code changes.

``submission.pairwise_cosine(A, B)`` encodes the arguments, sends them to a backend
(the learner's worker process, or an in-process namespace for trusted variants), and
returns the decoded result. Every call is recorded so that a failing check can say
what was called, with what, and what came back, and so that misconceptions can be
replayed on the same inputs.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from grader.checking import messages
from grader.sandbox import messages as process_messages
from grader.sandbox.codec import DecodeError, Unsupported, decode, encode
from grader.sandbox.failures import (
    BadResult,
    ForbiddenCall,
    LearnerRaised,
    MissingFunction,
    NotImplementedYet,
    SubmissionFailure,
    WorkerStopped,
)
from grader.sandbox.inside.worker import watch_gradients, with_gradients
from grader.sandbox.kernel_scan import REFUSED, Refusal

MAX_REFUSALS_SHOWN = 8  # a file refused line after line: the first few say what to change


class Backend(Protocol):
    label: str

    def call(
        self, name: str, header: bytes, blobs: list[bytes], *, return_args: bool = False, backward: list[int] | None = None
    ) -> tuple[bytes, list[bytes], float]: ...

    def close(self) -> None: ...


@dataclass
class CallRecord:
    name: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    payload: tuple[bytes, list[bytes]]
    result: Any = None
    failure: SubmissionFailure | None = None
    seconds: float = 0.0
    params: list[str] = field(default_factory=list)
    args_after: tuple[list[Any], dict[str, Any]] | None = None  # from inputs_after: the inputs as the call left them

    def replay_args(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """Fresh copies of the arguments exactly as they were sent."""
        args, kwargs = decode(*self.payload)
        return tuple(args), kwargs


def parameter_names(source: str) -> dict[str, list[str]]:
    """Positional parameter names of each top-level function, read with ``ast`` (never run)."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    return {
        node.name: [a.arg for a in (*node.args.posonlyargs, *node.args.args)]
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
    }


def find_unsupported(value: Any) -> Unsupported | None:
    if isinstance(value, Unsupported):
        return value
    if isinstance(value, (list, tuple)):
        for v in value:
            found = find_unsupported(v)
            if found:
                return found
    if isinstance(value, dict):
        for v in value.values():
            found = find_unsupported(v)
            if found:
                return found
    return None


class LocalBackend:
    """Runs trusted code (references, misconception variants) in this process.

    Arguments and results go through the same codec as the worker's, so a variant is
    seen by the checks exactly as learner code returning the same values would be.
    """

    def __init__(self, namespace: Any, label: str = "reference") -> None:
        self.namespace, self.label = namespace, label

    def call(
        self, name: str, header: bytes, blobs: list[bytes], *, return_args: bool = False, backward: list[int] | None = None
    ) -> tuple[bytes, list[bytes], float]:
        fn = getattr(self.namespace, name, None)
        if not callable(fn):
            raise MissingFunction(process_messages.MISSING_FUNCTION.format(file=self.label, name=name))
        if backward is None:
            args, kwargs = decode(header, blobs)
        else:  # exactly as the worker does it: its helpers import nothing from the grader
            args, kwargs, upstream = decode(header, blobs)
            args = watch_gradients(list(args), backward)
        start = time.perf_counter()
        try:
            result = fn(*args, **kwargs)
            if backward is not None:
                result = with_gradients(result, args, backward, upstream)
        except Exception as exc:
            mro = [c.__name__ for c in type(exc).__mro__]
            raise LearnerRaised(type(exc).__name__, mro, str(exc), f"{type(exc).__name__}: {exc}") from None
        seconds = time.perf_counter() - start
        if return_args:
            result = (result, (list(args), kwargs))
        rheader, rblobs = encode(result)
        return rheader, rblobs, seconds

    def close(self) -> None:
        pass

    def reset(self) -> None:
        pass

    # Trusted code in this process: nothing to stop or settle around a timing.
    def freeze(self) -> None:
        pass

    def thaw(self) -> None:
        pass

    def settle(self) -> None:
        pass


class WorkerBackend:
    """The learner's module in a worker process (see :mod:`grader.sandbox`)."""

    def __init__(self, worker: Any, label: str) -> None:
        self.worker, self.label = worker, label

    def start(self) -> None:
        self.worker.start()

    def reset(self) -> None:
        """Before the next check: nothing one check leaves running may reach another.

        A worker that is a lone thread with no children (seen in /proc by the grader) carries
        on; any other is replaced, the new one forked at once so that its start overlaps the
        grader's own work between checks."""
        if self.worker.idle_and_alone():
            return
        self.worker.recycle()
        if self.worker.import_failure is None:
            self.worker.start()

    def prepare(self) -> None:
        self.worker.ensure_ready()

    def settle(self) -> None:
        """Before a timing: a worker with a thread or child left from its last call is killed and
        replaced (seen in /proc by the grader), so nothing of the learner's runs beside the clock."""
        self.worker.ensure_ready()
        if self.worker.idle_and_alone():
            return
        self.worker.recycle()
        self.worker.start()
        self.worker.ensure_ready()
        if not self.worker.idle_and_alone():
            raise WorkerStopped(process_messages.NOT_ALONE_AFTER_IMPORT.format(file=self.label))

    def freeze(self) -> None:
        self.worker.freeze()

    def thaw(self) -> None:
        self.worker.thaw()

    def call(
        self, name: str, header: bytes, blobs: list[bytes], *, return_args: bool = False, backward: list[int] | None = None
    ) -> tuple[bytes, list[bytes], float]:
        reply = self.worker.call(name, header, blobs, return_args=return_args, backward=backward)
        # Whatever a call leaves running (a thread, a process) must not run beside anyone's clock,
        # this grading's or another grading's in the same batch: it ends now, as between checks.
        self.reset()
        return reply

    def close(self) -> None:
        self.worker.close()


@dataclass(repr=False)
class Submission:
    """The proxy checks receive as the ``submission`` fixture."""

    backend: Backend
    entry_points: tuple[str, ...]
    # function -> the forbidden names it uses, and what a kernel exercise's allow-list refuses in it
    forbidden: dict[str, list[str | Refusal]] = field(default_factory=dict)
    params: dict[str, list[str]] = field(default_factory=dict)  # function -> parameter names, for messages
    calls: list[CallRecord] = field(default_factory=list)

    def __repr__(self) -> str:  # short: pytest may print fixtures in tracebacks
        return f"<submission {self.backend.label}>"

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_") or name not in self.entry_points:
            raise AttributeError(
                f"'{name}' is not an entry point of this exercise (exercise.yaml lists: "
                f"{', '.join(self.entry_points)})"
            )
        return lambda *args, **kwargs: self._call(name, args, kwargs)[0]

    @contextlib.contextmanager
    def frozen(self) -> Iterator[None]:
        """While the block runs, none of this submission's processes can run (see Worker.freeze)."""
        freeze = getattr(self.backend, "freeze", None)
        if freeze is not None:
            freeze()
        try:
            yield
        finally:
            thaw = getattr(self.backend, "thaw", None)
            if thaw is not None:
                thaw()

    def settle(self) -> None:
        """Kill whatever the last call left running, before anything is timed."""
        settle = getattr(self.backend, "settle", None)
        if settle is not None:
            settle()

    def timed(self, name: str, *args: Any, **kwargs: Any) -> tuple[Any, float]:
        """Call ``name`` and return (value, seconds), timed by the grader around the call."""
        if name not in self.entry_points:
            getattr(self, name)  # raises the explanatory AttributeError
        return self._call(name, args, kwargs)

    def inputs_after(self, name: str, *args: Any, **kwargs: Any) -> tuple[Any, tuple[Any, ...], dict[str, Any]]:
        """Call ``name``; return (value, args, kwargs) with the arguments as the call left them.

        For checks that the learner's function leaves its inputs alone. (The learner's
        process reports the arguments; a forged report can only hide its own mutation.)
        """
        if name not in self.entry_points:
            getattr(self, name)
        pair, _ = self._call(name, args, kwargs, return_args=True)
        if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[1], tuple) and len(pair[1]) == 2):
            raise BadResult(messages.BAD_RESULT.format(call=f"{name}()", detail="a malformed reply"))
        value, (after_args, after_kwargs) = pair
        self.calls[-1].result = value
        self.calls[-1].args_after = (list(after_args), dict(after_kwargs))
        return value, tuple(after_args), dict(after_kwargs)

    def gradients(self, name: str, *args: Any, wrt: tuple[int, ...], upstream: Any, **kwargs: Any) -> tuple[Any, tuple[Any, ...]]:
        """Call ``name``, then send ``upstream`` back through its output: (value, the gradient that
        reaches each argument at position ``wrt``, None where none does). The check compares
        those gradients with the reference's: an output cut from its inputs has none to give."""
        if name not in self.entry_points:
            getattr(self, name)
        pair, _ = self._call(name, args, kwargs, backward=(tuple(wrt), upstream))
        if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[1], tuple) and len(pair[1]) == len(wrt)):
            raise BadResult(messages.BAD_RESULT.format(call=f"{name}()", detail="a malformed reply"))
        self.calls[-1].result = pair[0]
        return pair[0], pair[1]

    def _call(
        self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any], *, return_args: bool = False,
        backward: tuple[tuple[int, ...], Any] | None = None,
    ) -> tuple[Any, float]:
        header, blobs = encode((list(args), kwargs))
        # Keep copies as they were sent: checks may reuse and change their arrays later.
        sent_args, sent_kwargs = decode(header, blobs)
        record = CallRecord(name, tuple(sent_args), sent_kwargs, (header, blobs), params=self.params.get(name, []))
        self.calls.append(record)
        unsupported = find_unsupported((sent_args, sent_kwargs))
        if unsupported:
            raise TypeError(f"a check passed {unsupported.description} to {name}; checks must pass plain data")
        uses = self.forbidden.get(name)
        if uses:
            refused = [u for u in uses if isinstance(u, Refusal)]
            if refused:  # the allow-list's verdict names each line; the plain names say less
                lines = "\n".join(f"  {r}" for r in refused[:MAX_REFUSALS_SHOWN])
                if len(refused) > MAX_REFUSALS_SHOWN:
                    lines += f"\n  ... and {len(refused) - MAX_REFUSALS_SHOWN} more"
                record.failure = ForbiddenCall(REFUSED.format(name=name, lines=lines))
            else:
                shown = ", ".join("the @ operator" if u == "@" else str(u) for u in uses)
                record.failure = ForbiddenCall(messages.FORBIDDEN.format(name=name, forbidden=shown))
            raise record.failure
        prepare = getattr(self.backend, "prepare", None)
        try:
            if prepare is not None:
                prepare()  # start-up and import are not the learner's time
        except SubmissionFailure as exc:
            record.failure = exc
            raise
        start = time.perf_counter()
        try:
            if backward is None:
                rheader, rblobs, _ = self.backend.call(name, header, blobs, return_args=return_args)
            else:  # the record keeps the plain call (for replays); the worker also gets the upstream gradient
                wrt, upstream = backward
                bheader, bblobs = encode((list(args), kwargs, upstream))
                rheader, rblobs, _ = self.backend.call(name, bheader, bblobs, return_args=return_args, backward=list(wrt))
        except LearnerRaised as exc:
            record.failure = self._explain(name, exc)
            raise record.failure from None
        except SubmissionFailure as exc:
            record.failure = exc
            raise
        record.seconds = time.perf_counter() - start
        try:
            value = decode(rheader, rblobs)
        except DecodeError as exc:
            record.failure = BadResult(messages.BAD_RESULT.format(call=f"{name}()", detail=exc))
            raise record.failure from None
        unsupported = find_unsupported(value)
        if unsupported:
            record.failure = BadResult(messages.UNSUPPORTED.format(call=f"{name}()", description=unsupported.description))
            raise record.failure
        record.result = value
        return value, record.seconds

    def _explain(self, name: str, exc: LearnerRaised) -> SubmissionFailure:
        if exc.type_name == "NotImplementedError":
            failure: SubmissionFailure = NotImplementedYet(
                messages.NOT_IMPLEMENTED.format(name=name, file=self.backend.label), output=exc.output
            )
        elif exc.type_name == "ForbiddenCallError":
            failure = ForbiddenCall(messages.FORBIDDEN_RUNTIME.format(call=f"{name}()", detail=exc.message), output=exc.output)
        else:
            exc.reason = messages.RAISED.format(type=exc.type_name, call=f"{name}()", traceback=exc.traceback.rstrip())
            return exc
        return failure

    def record_for(self, value: Any) -> CallRecord | None:
        """The call whose result is (or contains) ``value``, newest first."""
        for record in reversed(self.calls):
            r = record.result
            if r is value or (isinstance(r, (tuple, list)) and any(v is value for v in r)):
                return record
        return None
