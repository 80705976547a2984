"""The untrusted side: imports the learner's module and runs calls sent by the grader.

Run as a script (``python -I grader/worker.py ...``) in a process of its own. Everything
in this process may be tampered with by learner code once it is imported; the grader
therefore treats every byte it sends back as a claim to check, never as a verdict.
Limits are applied here before the learner's module is imported.
"""

from __future__ import annotations

import os
import resource
import sys
import time
import traceback
from typing import Any

_HERE = os.path.dirname(os.path.abspath(__file__))


def _apply_limits(spec: dict[str, Any]) -> None:
    mb = 1024 * 1024

    def limit(which: int, soft: int, hard: int | None = None) -> None:
        hard = soft if hard is None else hard
        try:
            resource.setrlimit(which, (soft, hard))
        except (ValueError, OSError):
            pass  # a limit above the inherited hard one: keep the inherited one

    limit(resource.RLIMIT_CORE, 0)
    limit(resource.RLIMIT_DATA, int(spec["memory_mb"]) * mb)
    limit(resource.RLIMIT_AS, int(spec["address_space_mb"]) * mb)
    limit(resource.RLIMIT_FSIZE, int(spec["file_size_mb"]) * mb)
    limit(resource.RLIMIT_NOFILE, int(spec["open_files"]))
    # A backstop for the whole worker's life; the grader measures each call itself.
    cpu = int(spec["cpu_total_seconds"])
    limit(resource.RLIMIT_CPU, cpu, cpu + 1)


def _learner_traceback(exc: BaseException, scratch: str) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(scratch)]
    lines = []
    for f in frames[-6:]:
        name = os.path.relpath(f.filename, scratch)
        lines.append(f'  File "{name}", line {f.lineno}, in {f.name}\n')
        if f.line:
            lines.append(f"    {f.line}\n")
    lines.extend(traceback.format_exception_only(type(exc), exc))
    return "".join(lines)[-4000:]


def _describe(exc: BaseException, scratch: str) -> dict[str, Any]:
    return {
        "type": type(exc).__name__,
        "mro": [c.__name__ for c in type(exc).__mro__],
        "message": str(exc)[:2000],
        "traceback": _learner_traceback(exc, scratch),
    }


def _forbid(names: list[str]) -> None:
    """Replace each forbidden callable by one that raises, before the learner imports it."""
    import importlib

    for dotted in names:
        parts = dotted.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            try:
                owner: Any = importlib.import_module(".".join(parts[:cut]))
            except ImportError:
                continue
            try:
                for attr in parts[cut:-1]:
                    owner = getattr(owner, attr)
                getattr(owner, parts[-1])
            except AttributeError:
                break

            def refuse(*args: Any, _name: str = dotted, **kwargs: Any) -> Any:
                raise ForbiddenCallError(f"{_name} is not allowed in this exercise: write it yourself")

            try:
                setattr(owner, parts[-1], refuse)
            except (AttributeError, TypeError):
                pass  # a C type's method cannot be replaced; the static check covers it
            break


class ForbiddenCallError(RuntimeError):
    pass


def main() -> None:
    req_fd, resp_fd = int(sys.argv[1]), int(sys.argv[2])
    module_name, scratch = sys.argv[3], sys.argv[4]
    sys.path[:] = [p for p in sys.path if p != _HERE]
    sys.path.append(_HERE)
    import json

    import codec  # noqa: E402  (grader/codec.py, found through _HERE)
    import wire

    sys.path.remove(_HERE)
    sys.path.insert(0, scratch)
    spec = json.loads(os.environ.pop("GRADE_WORKER_SPEC", "{}"))
    sys.modules["wire"], sys.modules["codec"] = wire, codec
    for name in spec.get("preload", []):
        __import__(name)
    _apply_limits(spec)
    _forbid(spec.get("forbidden", []))

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

    module = None
    while True:
        try:
            envelope, header, blobs = wire.unpack(read_exact, 1 << 40)
        except EOFError:
            return
        op = envelope.get("op")
        if op == "import":
            try:
                module = __import__(module_name)
            except BaseException as exc:  # SystemExit and KeyboardInterrupt too: report, don't die
                send({"ok": False, "error": _describe(exc, scratch)})
                continue
            send({"ok": True, "functions": sorted(n for n in dir(module) if callable(getattr(module, n, None)))})
        elif op == "call":
            name = envelope["name"]
            fn = getattr(module, name, None)
            if not callable(fn):
                send({"ok": False, "missing": True})
                continue
            args, kwargs = codec.decode(header, blobs)
            start = time.perf_counter()
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:
                send({"ok": False, "error": _describe(exc, scratch)})
                continue
            elapsed = time.perf_counter() - start
            if envelope.get("return_args"):
                result = (result, (list(args), kwargs))
            send({"ok": True, "seconds": elapsed}, result)


if __name__ == "__main__":
    main()
