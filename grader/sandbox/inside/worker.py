"""The untrusted side: serves calls into the learner's module.

Changes when the worker's side of the protocol changes.

Forked from the zygote (:mod:`grader.sandbox.inside.zygote`) once per check. Before the learner's
module is imported, :func:`prepare` applies the limits and isolation layers and reports
them; that report is the last word this process says that the grader can believe.
After the import, everything here may be tampered with, so the grader treats every
byte it sends back as a claim to check, never as a verdict.
"""

from __future__ import annotations

import importlib
import os
import sys
import time
import traceback
from typing import Any


class ForbiddenCallError(RuntimeError):
    pass


def _learner_traceback(exc: BaseException, scratch: str) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(scratch)]
    lines = []
    for f in frames[-6:]:
        name = os.path.relpath(f.filename, scratch)
        lines.append(f'  File "{name}", line {f.lineno}, in {f.name}\n')
        if f.line:
            lines.append(f"    {f.line}\n")
    # A SyntaxError names its file itself: relative, as the frames above, never the scratch path.
    only = "".join(traceback.format_exception_only(type(exc), exc))
    lines.append(only.replace(scratch.rstrip(os.sep) + os.sep, ""))
    return "".join(lines)[-4000:]


def _describe(exc: BaseException, scratch: str) -> dict[str, Any]:
    return {
        "type": type(exc).__name__,
        "mro": [c.__name__ for c in type(exc).__mro__],
        "message": str(exc)[:2000],
        "traceback": _learner_traceback(exc, scratch),
    }


def _library_dirs() -> tuple[str, ...]:
    """Where the libraries that the grader itself runs in the worker live: Triton's interpreter
    computes tl.dot with numpy.matmul, so a call made there is the learner's kernel at work."""
    triton = sys.modules.get("triton")
    path = getattr(triton, "__file__", None)
    return (os.path.dirname(path) + os.sep,) if path else ()


def forbid(names: list[str]) -> None:
    """Replace each forbidden callable by one that raises, before the learner imports it.

    A call whose immediate caller is inside Triton (loaded by the zygote before any learner
    code) goes through: that is the interpreter running a kernel. Any other caller is refused.
    """
    allowed_callers = _library_dirs()
    for entry in names:
        dotted = entry.partition(" in ")[0].strip()  # a scoped entry is the static scan's business
        if dotted == "@":
            continue  # an operator: only the static scan can see it
        parts = dotted.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            try:
                owner: Any = importlib.import_module(".".join(parts[:cut]))
            except ImportError:
                continue
            try:
                for attr in parts[cut:-1]:
                    owner = getattr(owner, attr)
                original = getattr(owner, parts[-1])
            except AttributeError:
                break

            def refuse(*args: Any, _name: str = dotted, _original: Any = original, **kwargs: Any) -> Any:
                caller = sys._getframe(1).f_code.co_filename
                if allowed_callers and caller.startswith(allowed_callers):
                    return _original(*args, **kwargs)
                raise ForbiddenCallError(_name)

            try:
                setattr(owner, parts[-1], refuse)
            except (AttributeError, TypeError):
                pass  # a C type's method cannot be replaced; the static check covers it
            break


def serve(req_fd: int, resp_fd: int, module_name: str, scratch: str, codec: Any, wire: Any, hello: dict[str, Any]) -> None:
    """Answer import and call requests until the grader closes the pipe."""

    def read_exact(n: int) -> bytes:
        chunks, got = [], 0
        while got < n:
            chunk = os.read(req_fd, min(n - got, 1 << 20))
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def send(envelope: dict[str, Any], value: Any = None) -> None:
        header, blobs = codec.encode(value)
        data = wire.pack(envelope, header, blobs)
        view = memoryview(data)
        while view:
            n = os.write(resp_fd, view)
            view = view[n:]

    send(hello)  # before any learner code: the layers report
    if hello.get("refused"):
        return  # a required layer is missing: the learner's module is never imported
    module = None
    while True:
        try:
            envelope, header, blobs = wire.unpack(read_exact, 1 << 40)
        except EOFError:
            return
        op = envelope.get("op")
        if op == "import":
            try:
                module = importlib.import_module(module_name)
            except BaseException as exc:  # SystemExit and KeyboardInterrupt too: report, don't die
                send({"ok": False, "error": _describe(exc, scratch)})
                continue
            send({"ok": True})
        elif op == "call":
            name = envelope["name"]
            fn = getattr(module, name, None)
            if not callable(fn):
                send({"ok": False, "missing": True})
                continue
            backward = envelope.get("backward")
            if backward is None:
                args, kwargs = codec.decode(header, blobs)
            else:
                # The grader asks for the gradients that an upstream gradient sends back to these
                # arguments: the output must really be computed from them (the trusted side compares).
                args, kwargs, upstream = codec.decode(header, blobs)
                args = watch_gradients(list(args), backward)
            start = time.perf_counter()
            try:
                result = fn(*args, **kwargs)
                elapsed = time.perf_counter() - start
                if backward is not None:
                    result = with_gradients(result, args, backward, upstream)
            except BaseException as exc:
                send({"ok": False, "error": _describe(exc, scratch)})
                continue
            if envelope.get("return_args"):
                result = (result, (list(args), kwargs))
            send({"ok": True, "seconds": elapsed}, result)


def watch_gradients(args: list[Any], wrt: list[int]) -> list[Any]:
    """The arguments at ``wrt`` as fresh leaves that record gradients."""
    for i in wrt:
        args[i] = args[i].detach().requires_grad_(True)
    return args


def with_gradients(result: Any, args: list[Any], wrt: list[int], upstream: Any) -> Any:
    """(result, the gradient reaching each argument at ``wrt``, None where none reaches it)."""
    import torch

    grads = torch.autograd.grad(result, [args[i] for i in wrt], grad_outputs=upstream, allow_unused=True)
    return result, tuple(grads)


def run_child(req_fd: int, resp_fd: int, out_fd: int, spec: dict[str, Any], modules: dict[str, Any]) -> None:
    """In the freshly forked child: become the worker, then serve. Never returns."""
    status = 0
    try:
        os.dup2(out_fd, 1)
        os.dup2(out_fd, 2)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        scratch = spec["scratch"]
        os.chdir(scratch)
        os.environ.clear()
        os.environ.update(spec["env"])
        sys.path[:] = [scratch, *spec["sys_path"]]
        isolation = modules["isolation"]
        isolation.apply_rlimits(spec)
        layers = isolation.apply_all(scratch, spec)
        wire = modules["wire"]
        refused = [name for name in spec.get("required_layers", ()) if not layers.get(name, "off").startswith(wire.LAYER_HOLDS)]
        forbid(spec.get("forbidden", []))
        sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
        sys.stderr = os.fdopen(2, "w", buffering=1, closefd=False)
        serve(req_fd, resp_fd, spec["module"], scratch, modules["codec"], modules["wire"], {"ok": True, "layers": layers, "pid": os.getpid(), "refused": refused})
    except BaseException:
        status = modules["wire"].BROKEN_STATUS
        try:
            traceback.print_exc()
        except BaseException:
            pass
    finally:
        os._exit(status)
