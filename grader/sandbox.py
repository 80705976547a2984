"""The trusted side of the worker: start it, send calls, enforce limits, read results.

The learner's module runs only in the child process this class starts. The parent
measures wall time and CPU time itself (from /proc, not from the child), drains the
child's output with a cap, and decodes results with :mod:`grader.codec`'s strict
decoder. Any breach kills the child's whole process group; the next call starts a
fresh child.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import messages, wire
from .codec import DecodeError
from .course import Limits
from .failures import (
    ImportFailed,
    LearnerRaised,
    MissingFunction,
    SubmissionFailure,
    WorkerStopped,
)

WORKER_SCRIPT = Path(__file__).with_name("worker.py")
_CLK_TCK = os.sysconf("SC_CLK_TCK")
_POLL_SECONDS = 0.05
OUTPUT_KEEP = 8 * 1024  # how much of the learner's printing we keep to show them


@dataclass
class WorkerConfig:
    module_name: str  # the learner's module, imported by name from the scratch folder
    files: list[tuple[str, Path]]  # (name in the scratch folder, source) pairs, copied in
    limits: Limits
    preload: tuple[str, ...] = ("numpy",)
    forbidden: tuple[str, ...] = ()
    env: dict[str, str] | None = None


def scrubbed_env(scratch: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": scratch,
        "TMPDIR": scratch,
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        # One thread each: timings stay comparable and a class of workers shares cores.
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    env.update(extra or {})
    return env


class _Output:
    """The child's stdout+stderr, read by the grader between and during calls.

    Read in the same select loop as the answers (no thread), so that everything the
    learner printed before answering is in hand when the answer is: the pipe holds it
    already. Keeps the first bytes to show, counts all of them for the output limit.
    """

    def __init__(self, fd: int, cap: int) -> None:
        os.set_blocking(fd, False)
        self.fd: int | None = fd
        self.cap = cap
        self.kept = bytearray()
        self.total = 0

    @property
    def flooded(self) -> bool:
        return self.total > self.cap

    def pump(self) -> None:
        """Read whatever is available now, without blocking."""
        while self.fd is not None:
            try:
                chunk = os.read(self.fd, 65536)
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            if not chunk:
                os.close(self.fd)
                self.fd = None
                return
            self.total += len(chunk)
            if len(self.kept) < OUTPUT_KEEP:
                self.kept.extend(chunk[: OUTPUT_KEEP - len(self.kept)])
            if self.flooded:
                return

    def take(self) -> str:
        self.pump()
        text = self.kept.decode("utf-8", "replace")
        self.kept.clear()
        return text

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


class Worker:
    """One learner process. ``call`` raises :class:`SubmissionFailure` subclasses."""

    def __init__(self, config: WorkerConfig) -> None:
        self.config = config
        self.proc: subprocess.Popen[bytes] | None = None
        self.scratch: str | None = None
        self.import_failure: SubmissionFailure | None = None
        self._imported = False
        self.file_label = config.files[0][0] if config.files else config.module_name + ".py"

    # -- life cycle -------------------------------------------------------------
    def start(self) -> None:
        """Start the child and ask it to import the module; does not wait for the answer."""
        self.scratch = tempfile.mkdtemp(prefix="grade-worker-")
        for name, src in self.config.files:
            dest = Path(self.scratch, name)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)
        limits = self.config.limits
        spec = {
            "memory_mb": limits.memory_mb,
            "address_space_mb": limits.address_space_mb,
            "file_size_mb": limits.file_size_mb,
            "open_files": limits.open_files,
            "cpu_total_seconds": max(60, int(limits.cpu_seconds * 20)),
            "preload": list(self.config.preload),
            "forbidden": list(self.config.forbidden),
        }
        env = scrubbed_env(self.scratch, self.config.env)
        env["GRADE_WORKER_SPEC"] = json.dumps(spec)
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        out_r, out_w = os.pipe()
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-u", "-B", str(WORKER_SCRIPT), str(req_r), str(resp_w), self.config.module_name, self.scratch],
                stdin=subprocess.DEVNULL,
                stdout=out_w,
                stderr=out_w,
                cwd=self.scratch,
                env=env,
                pass_fds=(req_r, resp_w),
                start_new_session=True,
                close_fds=True,
            )
        except OSError as exc:
            for fd in (req_r, req_w, resp_r, resp_w, out_r, out_w):
                os.close(fd)
            raise WorkerStopped(messages.WORKER_START.format(detail=exc)) from None
        for fd in (req_r, resp_w, out_w):
            os.close(fd)
        self.req_w, self.resp_r = req_w, resp_r
        self.drain = _Output(out_r, limits.output_kb * 1024)
        self._send({"op": "import"})
        self._imported = False

    def kill(self) -> None:
        """SIGKILL the child's whole process group."""
        proc = self.proc
        if proc is None:
            return
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def close(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            proc.wait()
            for fd in (self.req_w, self.resp_r):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self.drain.close()
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- calls ------------------------------------------------------------------
    def ensure_ready(self) -> None:
        """Start the child if needed and wait for its import; raises ImportFailed."""
        if self.import_failure is not None:
            raise self.import_failure
        if self.proc is None:
            self.start()
        if self._imported:
            return
        call = f"the import of {self.file_label}"
        try:
            envelope, _, _ = self._receive(call, self.config.limits.wall_seconds)
        except WorkerStopped as stop:
            self.close()
            if stop.exit_status is not None:
                reason = messages.IMPORT_EXITED.format(file=self.file_label, status=stop.exit_status)
            else:
                reason = messages.IMPORT_CRASHED.format(file=self.file_label, reason=stop.reason)
            self.import_failure = ImportFailed(reason, output=stop.output)
            raise self.import_failure from None
        if not envelope.get("ok"):
            err = _error_fields(envelope.get("error"))
            output = self.drain.take()
            self.close()
            if err["type"] == "SystemExit":
                reason = messages.IMPORT_EXITED.format(file=self.file_label, status=err["message"] or 0)
            else:
                reason = messages.IMPORT_FAILED.format(file=self.file_label, traceback=err["traceback"])
            self.import_failure = ImportFailed(reason, output=output)
            raise self.import_failure
        self._imported = True

    def call(self, name: str, header: bytes, blobs: list[bytes], *, return_args: bool = False) -> tuple[bytes, list[bytes], float]:
        """Run ``name`` in the child with encoded arguments; return the encoded result and seconds.

        With ``return_args`` the result is ``(value, (args, kwargs))``, the arguments as
        the call left them: how a check sees in-place changes to its inputs.
        """
        self.ensure_ready()
        call = f"{name}()"
        limits = self.config.limits
        start = time.perf_counter()
        self._send({"op": "call", "name": name, "return_args": return_args}, header, blobs)
        try:
            envelope, rheader, rblobs = self._receive(call, limits.wall_seconds, cpu_limit=limits.cpu_seconds)
        except WorkerStopped:
            self.close()
            raise
        elapsed = time.perf_counter() - start
        output = self.drain.take()
        if envelope.get("missing"):
            raise MissingFunction(messages.MISSING_FUNCTION.format(file=self.file_label, name=name), output=output)
        if not envelope.get("ok"):
            err = _error_fields(envelope.get("error"))
            if "MemoryError" in err["mro"]:
                raise WorkerStopped(
                    messages.OUT_OF_MEMORY.format(call=call, limit=limits.memory_mb), output=output
                )
            raise LearnerRaised(err["type"], err["mro"], err["message"], err["traceback"], output=output)
        return rheader, rblobs, elapsed

    # -- plumbing ---------------------------------------------------------------
    def _send(self, envelope: dict[str, Any], header: bytes = b"null", blobs: list[bytes] | tuple[bytes, ...] = ()) -> None:
        data = wire.pack(envelope, header, blobs)
        try:
            view = memoryview(data)
            while view:
                n = os.write(self.req_w, view)
                view = view[n:]
        except (BrokenPipeError, OSError):
            pass  # the child died; _receive will tell why

    def _cpu_seconds(self) -> float:
        assert self.proc is not None
        try:
            with open(f"/proc/{self.proc.pid}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / _CLK_TCK
        except (OSError, IndexError, ValueError):
            return 0.0

    def _receive(self, call: str, wall_limit: float, cpu_limit: float | None = None) -> tuple[dict[str, Any], bytes, list[bytes]]:
        assert self.proc is not None
        deadline = time.monotonic() + wall_limit
        cpu_start = self._cpu_seconds() if cpu_limit is not None else 0.0
        limits = self.config.limits
        buf = bytearray()

        def stop(reason: str, exit_status: int | None = None) -> WorkerStopped:
            self.kill()
            assert self.proc is not None
            self.proc.wait()
            return WorkerStopped(reason, output=self.drain.take(), exit_status=exit_status)

        def read_exact(n: int) -> bytes:
            while len(buf) < n:
                if self.drain.flooded:
                    raise stop(messages.OUTPUT_FLOOD.format(call=call, limit=limits.output_kb))
                now = time.monotonic()
                if now > deadline:
                    raise stop(messages.WALL_LIMIT.format(call=call, limit=wall_limit))
                if cpu_limit is not None and self._cpu_seconds() - cpu_start > cpu_limit:
                    raise stop(messages.CPU_LIMIT.format(call=call, limit=cpu_limit))
                watch = [self.resp_r] if self.drain.fd is None else [self.resp_r, self.drain.fd]
                ready, _, _ = select.select(watch, [], [], min(_POLL_SECONDS, deadline - now))
                if self.drain.fd is not None and self.drain.fd in ready:
                    self.drain.pump()
                    continue
                if not ready:
                    continue
                chunk = os.read(self.resp_r, max(n - len(buf), 1 << 16))
                if not chunk:
                    raise self._died(call)
                buf.extend(chunk)
            out = bytes(buf[:n])
            del buf[:n]
            return out

        try:
            frame = wire.unpack(read_exact, limits.result_mb * 1024 * 1024)
        except wire.WireError as exc:
            raise stop(messages.PROTOCOL.format(call=call, detail=exc)) from None
        if buf:
            raise stop(messages.PROTOCOL.format(call=call, detail="extra bytes after the answer"))
        return frame

    def _died(self, call: str) -> WorkerStopped:
        assert self.proc is not None
        try:
            status = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            status = self.proc.wait()
        output = self.drain.take()
        limits = self.config.limits
        if self.drain.flooded:
            return WorkerStopped(messages.OUTPUT_FLOOD.format(call=call, limit=limits.output_kb), output=output)
        if status >= 0:
            return WorkerStopped(messages.EXITED.format(call=call, status=status), output=output, exit_status=status)
        sig = -status
        if sig == signal.SIGXCPU:
            return WorkerStopped(messages.CPU_LIMIT.format(call=call, limit=limits.cpu_seconds), output=output)
        if sig == signal.SIGSEGV:
            return WorkerStopped(messages.SEGFAULT.format(call=call), output=output)
        if sig == signal.SIGKILL:
            return WorkerStopped(messages.OUT_OF_MEMORY.format(call=call, limit=limits.memory_mb), output=output)
        return WorkerStopped(messages.KILLED.format(call=call, signal=signal.Signals(sig).name), output=output)


def _error_fields(err: Any) -> dict[str, Any]:
    """Read the child's description of an exception defensively: it is untrusted text."""
    if not isinstance(err, dict):
        err = {}

    def text(key: str, limit: int) -> str:
        v = err.get(key)
        return v[:limit] if isinstance(v, str) else ""

    mro = err.get("mro")
    mro = [m[:100] for m in mro[:20] if isinstance(m, str)] if isinstance(mro, list) else []
    return {
        "type": text("type", 100) or "an exception",
        "mro": mro,
        "message": text("message", 2000),
        "traceback": text("traceback", 4000),
    }


__all__ = ["Worker", "WorkerConfig", "DecodeError", "scrubbed_env"]
