"""The trusted side of the worker: start it, send calls, enforce limits, read results.

Changes when how the grader runs, limits or reads a worker changes. Workers are forked by
a zygote (:mod:`grader.sandbox.inside.zygote`) that has imported numpy, torch or
triton once and runs no learner code; each check gets a fresh worker, so nothing a
check leaves behind (threads, state, files) reaches the next. The learner's module runs
only in that worker. The grader measures wall time and CPU time itself (from /proc, not
from the child), reads the child's output with a cap, and decodes results with
:mod:`grader.sandbox.codec`'s strict decoder. Any breach kills the worker's process group and
every orphan it left; the next call starts a fresh worker.
"""

from __future__ import annotations

import atexit
import functools
import glob
import importlib.util
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.course import Exercise, Limits
from grader.errors import IsolationMissing
from grader.sandbox import messages, wire
from grader.sandbox.failures import (
    ImportFailed,
    LearnerRaised,
    MissingFunction,
    NotCalledAgain,
    SubmissionFailure,
    TimeLimit,
    WorkerStopped,
)

ZYGOTE_SCRIPT = Path(__file__).with_name("inside") / "zygote.py"
_CLK_TCK = os.sysconf("SC_CLK_TCK")
_POLL_SECONDS = 0.05
# Every layer the worker applies (grader/sandbox/inside/isolation.py, apply_all), in its order.
ISOLATION_LAYERS = ("network namespace", "landlock", "privileges", "seccomp")
OUTPUT_KEEP = 8 * 1024  # how much of the learner's printing we keep to show them
FREEZE_CONFIRM_SECONDS = 1.0
_STOPPED_STATES = frozenset("TtZX")  # stopped, traced, dead: none of these runs
# A file in the worker's traceback: named relative to its scratch folder ("cosine.py").
_TRACEBACK_FILE = re.compile(r'File "([^"\n]+)", line (\d+)')

# Said once, above the checks: where the import stopped, in the file as the learner knows it.
IMPORT_FAILED_AT = "{where} could not be imported, so no check could call it:\n{traceback}"
NOT_CALLED_AGAIN = (
    "{call} was not called again: a call of it earlier in this grading was stopped, and every "
    "later one would cost as long.\nThat call: {reason}"
)


@dataclass
class WorkerConfig:
    module_name: str  # the learner's module, imported by name from the scratch folder
    files: list[tuple[str, Path]]  # (name in the scratch folder, source) pairs, copied in
    limits: Limits
    preload: tuple[str, ...] = ("numpy",)
    forbidden: tuple[str, ...] = ()
    env: dict[str, str] | None = None
    disable_layers: tuple[str, ...] = ()  # for tests of the layers themselves
    required_layers: tuple[str, ...] = ()  # the worker refuses to import the learner's module without these
    gpu_compiler: bool = False  # may run Triton's GPU compiler (ptxas, a C compiler) and only that
    # name in the scratch folder -> the path the learner knows it by, for what the grader shows them
    shown_as: dict[str, str] = field(default_factory=dict)


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



class Zygote:
    """The grader's handle on one zygote process (see :mod:`grader.sandbox.inside.zygote`)."""

    def __init__(self, preload: tuple[str, ...], env: dict[str, str]) -> None:
        self.home = tempfile.mkdtemp(prefix="grade-zygote-")
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock = parent
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-u", "-B", str(ZYGOTE_SCRIPT), str(child.fileno()), ",".join(preload)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=self.home,
            env=scrubbed_env(self.home, env),
            pass_fds=(child.fileno(),),
            start_new_session=True,
        )
        child.close()
        self._buffer = b""
        self._tickets = 0
        self._answered = 0
        self._pids: dict[int, int] = {}
        self._exits: dict[int, int] = {}
        self._forget: set[int] = set()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def spawn(self, spec: dict[str, Any], fds: tuple[int, int, int]) -> int:
        """Ask for a worker; returns a ticket to redeem with :meth:`pid`."""
        message = json.dumps({"op": "spawn", "spec": spec}).encode() + b"\n"
        socket.send_fds(self.sock, [message], list(fds))
        self._tickets += 1
        return self._tickets

    def pid(self, ticket: int, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while ticket not in self._pids:
            self._read(deadline)
        return self._pids.pop(ticket)

    def exit_status(self, pid: int, timeout: float) -> int | None:
        deadline = time.monotonic() + timeout
        while pid not in self._exits:
            try:
                self._read(deadline)
            except TimeoutError:
                return None
        return self._exits.pop(pid)

    def kill(self, pid: int, *, forget: bool = True) -> None:
        """SIGKILL the worker's group now; the zygote then sweeps any orphan it left."""
        for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
            try:
                target()
            except (ProcessLookupError, PermissionError):
                pass
        if forget:
            self._forget.add(pid)
            self._exits.pop(pid, None)
        try:
            self.sock.sendall(json.dumps({"op": "kill", "pid": pid}).encode() + b"\n")
        except OSError:
            pass

    def _read(self, deadline: float) -> None:
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the zygote did not answer")
            ready, _, _ = select.select([self.sock], [], [], remaining)
            if not ready:
                continue
            chunk = self.sock.recv(65536)
            if not chunk:
                raise OSError("the zygote exited")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        msg = json.loads(line)
        if "pid" in msg:
            self._answered += 1
            self._pids[self._answered] = int(msg["pid"])
        elif "exit" in msg:
            pid = int(msg["exit"])
            if pid in self._forget:
                self._forget.discard(pid)
            else:
                self._exits[pid] = int(msg["status"])

    def close(self) -> None:
        try:
            self.sock.close()
        finally:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self.proc.wait()
            shutil.rmtree(self.home, ignore_errors=True)


_ZYGOTES: dict[tuple[Any, ...], Zygote] = {}


def zygote_for(preload: tuple[str, ...], env: dict[str, str] | None) -> Zygote:
    """One zygote per (preload, env) for the life of this process: warm for the next grading."""
    key = (preload, tuple(sorted((env or {}).items())))
    z = _ZYGOTES.get(key)
    if z is None or not z.alive():
        if z is not None:
            z.close()
        z = _ZYGOTES[key] = Zygote(preload, env or {})
    return z


def prestart(exercise: Exercise) -> None:
    """Start the exercise's zygote early so its imports overlap with the grader's own start-up."""
    zygote_for(_preload_for(exercise), _env_for(exercise))


def worker_for(
    exercise: Exercise,
    files: list[tuple[str, Path]],
    *,
    require_isolation: bool = False,
    disable_layers: tuple[str, ...] = (),
    gpu_compiler: bool | None = None,
    shown_as: dict[str, str] | None = None,
) -> Worker:
    """The worker for ``exercise`` over ``files`` (name in the scratch folder, source), built in
    one call: the module to import, limits, what the zygote preloads, forbidden names and
    environment all come from the exercise. With ``require_isolation`` (a grading whose score
    is recorded for someone else) the worker refuses to import the learner's module unless
    every isolation layer holds. A Triton exercise on a CUDA machine (or ``gpu_compiler``)
    may run Triton's GPU compiler, and nothing else. ``shown_as`` names the files as the learner
    knows them (an import failure points there). Not started: :meth:`Worker.start` queues it."""
    if gpu_compiler is None:
        gpu_compiler = "triton" in exercise.requires and has_cuda()
    return Worker(
        WorkerConfig(
            module_name=exercise.module_name,
            files=files,
            limits=exercise.limits,
            preload=_preload_for(exercise),
            forbidden=exercise.forbidden,
            env={} if gpu_compiler else _env_for(exercise),  # compiled for the GPU, not interpreted
            disable_layers=disable_layers,
            required_layers=ISOLATION_LAYERS if require_isolation else (),
            gpu_compiler=gpu_compiler,
            shown_as=dict(shown_as or {}),
        )
    )


def check_isolation(exercise: Exercise) -> None:
    """Raise IsolationMissing unless a worker for ``exercise`` gets every isolation layer.

    Asked of a worker that holds no learner file, before a batch stages or grades anything."""
    worker = worker_for(exercise, [], require_isolation=True)
    try:
        worker.connect()
    finally:
        worker.close()


@functools.lru_cache(maxsize=1)
def gpu_compiler_executables() -> tuple[str, ...]:
    """What Triton executes when it compiles for an NVIDIA GPU: its own ptxas (and tools) to make
    a cubin, ldconfig to find libcuda, and a C compiler (with its assembler, linker and the
    ELF interpreter they need) for its launcher. Landlock lets a compiler worker execute these
    files and folders, and nothing else."""
    found: list[str] = []
    spec = importlib.util.find_spec("triton")
    for location in (spec.submodule_search_locations or []) if spec else []:
        found.append(os.path.join(location, "backends", "nvidia", "bin"))
    for name in ("gcc", "cc", "clang", "as", "ld", "ld.bfd", "ld.gold", "ldconfig"):
        path = shutil.which(name, path="/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
        if path:
            found += [path, os.path.realpath(path)]
    found += ["/sbin/ldconfig", "/usr/sbin/ldconfig", "/sbin/ldconfig.real", "/usr/lib/gcc", "/usr/libexec/gcc"]
    found += glob.glob("/lib64/ld-linux*.so*") + glob.glob("/lib/ld-linux*.so*")
    found = [os.path.realpath(p) if os.path.isfile(p) else p for p in found]
    return tuple(sorted({p for p in found if os.path.exists(p)}))


def _preload_for(exercise: Exercise) -> tuple[str, ...]:
    """What the zygote imports once for this exercise's workers."""
    pre = ["numpy"]
    if "torch" in exercise.requires or "triton" in exercise.requires:
        pre.append("torch")
    if "triton" in exercise.requires:
        pre.append("triton")
    # Modules named in `forbidden` are imported by every worker to replace those names:
    # importing them once in the zygote saves that per check.
    for entry in exercise.forbidden:
        top = entry.partition(" in ")[0].strip().split(".")[0]
        if top not in pre and top.isidentifier():
            pre.append(top)
    return tuple(pre)


def _env_for(exercise: Exercise) -> dict[str, str]:
    """Extra environment for the exercise's workers: Triton's interpreter without a GPU."""
    if "triton" in exercise.requires and not has_cuda():
        return {"TRITON_INTERPRET": "1"}
    return {}


def has_cuda() -> bool:
    return os.path.exists("/dev/nvidiactl") or os.path.exists("/dev/nvidia0")


def shutdown_now() -> None:
    """Kill every zygote (its workers see their pipes close and exit) without waiting:
    for a process about to leave with os._exit."""
    for z in _ZYGOTES.values():
        try:
            os.killpg(z.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        shutil.rmtree(z.home, ignore_errors=True)
    _ZYGOTES.clear()


@atexit.register
def _close_zygotes() -> None:
    for z in _ZYGOTES.values():
        z.close()
    _ZYGOTES.clear()


class Worker:
    """The learner's module in a worker process, fresh for each check.

    ``call`` raises :class:`SubmissionFailure` subclasses; :meth:`recycle` ends the current
    worker (and everything it started) so that the next call gets a pristine one.
    """

    def __init__(self, config: WorkerConfig) -> None:
        self.config = config
        self.pid: int | None = None
        self.scratch: str | None = None
        self.import_failure: SubmissionFailure | None = None
        self.layers: dict[str, str] = {}
        self._ticket: int | None = None
        self._imported = False
        self._zygote: Zygote | None = None
        self.file_label = config.files[0][0] if config.files else config.module_name + ".py"
        # entry point -> why a call of it ran out of time in this grading (its later calls fail at once)
        self.timed_out: dict[str, str] = {}
        self.triton_cache: str | None = None

    @property
    def started(self) -> bool:
        return self._ticket is not None

    # -- life cycle -------------------------------------------------------------
    def start(self) -> None:
        """Ask the zygote for a worker and queue the import; does not wait for either."""
        self.scratch = tempfile.mkdtemp(prefix="grade-worker-")
        for name, src in self.config.files:
            dest = Path(self.scratch, name)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)
        env = dict(self.config.env or {})
        compiler: dict[str, list[str]] = {}
        if self.config.gpu_compiler:
            # One Triton cache per grading (kept across its checks, removed with it): nothing one
            # learner's compilation leaves can reach another's.
            if self.triton_cache is None:
                self.triton_cache = tempfile.mkdtemp(prefix="grade-triton-")
            env.update(TRITON_CACHE_DIR=self.triton_cache, TRITON_HOME=self.triton_cache)
            compiler = {"executables": list(gpu_compiler_executables()), "writable": [self.triton_cache]}
        if os.geteuid() == 0 and "privileges" not in self.config.disable_layers and becomes_nobody():
            _hand_over(self.scratch)
            if self.triton_cache is not None:
                _hand_over(self.triton_cache)
        limits = self.config.limits
        spec = {
            "scratch": self.scratch,
            "module": self.config.module_name,
            "env": scrubbed_env(self.scratch, env),
            "compiler": compiler,
            "memory_mb": limits.memory_mb,
            "address_space_mb": limits.address_space_mb,
            "file_size_mb": limits.file_size_mb,
            "open_files": limits.open_files,
            "cpu_seconds": limits.cpu_seconds,
            "forbidden": list(self.config.forbidden),
            "disable_layers": list(self.config.disable_layers),
            "required_layers": list(self.config.required_layers),
        }
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        out_r, out_w = os.pipe()
        self.req_w, self.resp_r = req_w, resp_r
        self.drain = _Output(out_r, limits.output_kb * 1024)
        try:
            self._zygote = zygote_for(self.config.preload, self.config.env)
            self._ticket = self._zygote.spawn(spec, (req_r, resp_w, out_w))
        except OSError as exc:
            self._ticket = None
            raise WorkerStopped(messages.WORKER_START.format(detail=exc)) from None
        finally:
            for fd in (req_r, resp_w, out_w):
                os.close(fd)
        self._imported = False
        self._hello = False
        self._send({"op": "import"})

    def kill(self) -> None:
        """SIGKILL the worker's whole process group (and orphans, through the zygote)."""
        if self.pid is not None and self._zygote is not None:
            self._zygote.kill(self.pid, forget=False)

    def idle_and_alone(self) -> bool:
        """Whether the worker is a lone thread with no children: nothing of the last check runs.

        Read from /proc by the grader, not reported by the worker. A worker that is not
        alone (a thread or process left behind) is recycled before the next check."""
        if self.pid is None or not self._imported:
            return False
        try:
            tasks = os.listdir(f"/proc/{self.pid}/task")
            if len(tasks) != 1:
                return False
            with open(f"/proc/{self.pid}/task/{tasks[0]}/children") as fh:
                return not fh.read().strip()
        except OSError:
            return False

    def freeze(self) -> bool:
        """Stop every task of the worker's process group (SIGSTOP) while another process is timed.

        Confirmed from /proc, not from the worker: True once no task of the group can run.
        A group that cannot be confirmed stopped within a second is killed instead (gone is
        as good as frozen), and False says so."""
        if self.pid is None:
            return True
        try:
            os.killpg(self.pid, signal.SIGSTOP)
        except (ProcessLookupError, PermissionError):
            return True
        deadline = time.monotonic() + FREEZE_CONFIRM_SECONDS
        while time.monotonic() < deadline:
            if all(state in _STOPPED_STATES for state in _group_task_states(self.pid)):
                return True
            time.sleep(0.001)
        self.recycle()
        return False

    def thaw(self) -> None:
        """Let a frozen worker run again."""
        if self.pid is not None:
            try:
                os.killpg(self.pid, signal.SIGCONT)
            except (ProcessLookupError, PermissionError):
                pass

    def recycle(self) -> None:
        """End this worker; the next call starts a fresh one (the import failure is kept)."""
        if not self.started:
            return
        if self.pid is None and self._zygote is not None and self._ticket is not None:
            try:
                self.pid = self._zygote.pid(self._ticket, 10)
            except (OSError, TimeoutError):
                pass
        if self.pid is not None and self._zygote is not None:
            self._zygote.kill(self.pid, forget=True)
        for fd in (self.req_w, self.resp_r):
            try:
                os.close(fd)
            except OSError:
                pass
        self.drain.close()
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None
        self.pid = None
        self._ticket = None

    def close(self) -> None:
        """End the worker for good: also remove what this grading's compilations cached."""
        self.recycle()
        if self.triton_cache is not None:
            shutil.rmtree(self.triton_cache, ignore_errors=True)
            self.triton_cache = None

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- calls ------------------------------------------------------------------
    def _connect(self) -> None:
        """Wait for the worker's pid and its report of the isolation layers."""
        assert self._zygote is not None and self._ticket is not None
        if self.pid is None:
            try:
                self.pid = self._zygote.pid(self._ticket, max(30.0, self.config.limits.wall_seconds))
            except (OSError, TimeoutError) as exc:
                self.recycle()
                raise WorkerStopped(messages.WORKER_START.format(detail=exc)) from None
        if not self._hello:
            envelope, _, _ = self._receive("the start of your process", max(30.0, self.config.limits.wall_seconds))
            layers = envelope.get("layers")
            self.layers = {str(k): str(v) for k, v in layers.items()} if isinstance(layers, dict) else {}
            self._hello = True
            # Sent before any learner code existed in the worker: still the grader's own word.
            refused = [str(x) for x in envelope.get("refused") or [] if str(x) in self.config.required_layers]
            if refused:
                self.recycle()
                raise IsolationMissing(_isolation_missing(refused, self.layers))

    def connect(self) -> None:
        """Start the worker if needed and wait for its report of the isolation layers (not for
        the learner's import); raises IsolationMissing when a required layer is missing."""
        if not self.started:
            self.start()
        self._connect()

    def ensure_ready(self) -> None:
        """Start the worker if needed and wait for its import; raises ImportFailed."""
        if self.import_failure is not None:
            raise self.import_failure
        if not self.started:
            self.start()
        if self._imported:
            return
        call = f"the import of {self.file_label}"
        shown = self.config.shown_as.get(self.file_label, self.file_label)
        try:
            self._connect()
            envelope, _, _ = self._receive(call, self.config.limits.wall_seconds)
        except WorkerStopped as stop:
            self.recycle()
            if stop.exit_status is not None:
                reason = messages.IMPORT_EXITED.format(file=shown, status=stop.exit_status)
            else:
                reason = messages.IMPORT_CRASHED.format(file=shown, reason=stop.reason)
            self.import_failure = ImportFailed(reason, output=stop.output)
            raise self.import_failure from None
        if not envelope.get("ok"):
            err = _error_fields(envelope.get("error"))
            output = self.drain.take()
            scratch = self.scratch
            self.recycle()
            if err["type"] == "SystemExit":
                reason = messages.IMPORT_EXITED.format(file=shown, status=err["message"] or 0)
            else:
                where, traceback = self._as_learner_knows(err["traceback"], scratch)
                reason = IMPORT_FAILED_AT.format(where=where, traceback=traceback)
            self.import_failure = ImportFailed(reason, output=output)
            raise self.import_failure
        self._imported = True

    def _as_learner_knows(self, traceback: str, scratch: str | None) -> tuple[str, str]:
        """The worker's traceback with each file named as the learner knows it (not the scratch
        copy), and where it stopped (``path:line``, the deepest frame; the main file if none)."""
        if scratch:
            traceback = traceback.replace(scratch.rstrip(os.sep) + os.sep, "")
        shown = self.config.shown_as
        where = shown.get(self.file_label, self.file_label)

        def relabel(match: re.Match[str]) -> str:
            nonlocal where
            name = shown.get(match.group(1), match.group(1))
            where = f"{name}:{match.group(2)}"
            return f'File "{name}", line {match.group(2)}'

        traceback = _TRACEBACK_FILE.sub(relabel, traceback)
        return where, traceback

    def call(
        self, name: str, header: bytes, blobs: list[bytes], *, return_args: bool = False, backward: list[int] | None = None
    ) -> tuple[bytes, list[bytes], float]:
        """Run ``name`` in the worker with encoded arguments; return the encoded result and seconds.

        With ``return_args`` the result is ``(value, (args, kwargs))``, the arguments as
        the call left them: how a check sees in-place changes to its inputs. With ``backward``
        (argument positions) the payload also holds an upstream gradient and the result is
        ``(value, gradients reaching those arguments)``.
        """
        call = f"{name}()"
        if name in self.timed_out:
            raise NotCalledAgain(NOT_CALLED_AGAIN.format(call=call, reason=self.timed_out[name]))
        self.ensure_ready()
        limits = self.config.limits
        start = time.perf_counter()
        envelope: dict[str, Any] = {"op": "call", "name": name, "return_args": return_args}
        if backward is not None:
            envelope["backward"] = list(backward)
        self._send(envelope, header, blobs)
        try:
            envelope, rheader, rblobs = self._receive(call, limits.wall_seconds, cpu_limit=limits.cpu_seconds)
        except WorkerStopped as stop:
            self.recycle()
            if isinstance(stop, TimeLimit):
                self.timed_out[name] = stop.reason
            raise
        elapsed = time.perf_counter() - start
        output = self.drain.take()
        if envelope.get("missing"):
            raise MissingFunction(messages.MISSING_FUNCTION.format(file=self.file_label, name=name), output=output)
        if not envelope.get("ok"):
            err = _error_fields(envelope.get("error"))
            if "MemoryError" in err["mro"] or err["message"].startswith("[Errno 12]"):
                self.recycle()
                raise WorkerStopped(messages.OUT_OF_MEMORY.format(call=call, limit=limits.memory_mb), output=output)
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
            pass  # the worker died; _receive will tell why

    def _cpu_seconds(self) -> float:
        try:
            with open(f"/proc/{self.pid}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / _CLK_TCK
        except (OSError, IndexError, ValueError):
            return 0.0

    def _receive(self, call: str, wall_limit: float, cpu_limit: float | None = None) -> tuple[dict[str, Any], bytes, list[bytes]]:
        deadline = time.monotonic() + wall_limit
        cpu_start = self._cpu_seconds() if cpu_limit is not None else 0.0
        # /proc is read once a poll interval, not on every read: a reply arrives in pieces,
        # and a limit of seconds needs no finer look (RLIMIT_CPU is the backstop).
        next_cpu_check = time.monotonic() + _POLL_SECONDS
        limits = self.config.limits
        buf = bytearray()

        def stop(reason: str, kind: type[WorkerStopped] = WorkerStopped) -> WorkerStopped:
            self.kill()
            return kind(reason, output=self.drain.take())

        def read_exact(n: int) -> bytes:
            nonlocal next_cpu_check
            while len(buf) < n:
                if self.drain.flooded:
                    raise stop(messages.OUTPUT_FLOOD.format(call=call, limit=limits.output_kb))
                now = time.monotonic()
                if now > deadline:
                    raise stop(messages.WALL_LIMIT.format(call=call, limit=wall_limit), TimeLimit)
                if cpu_limit is not None and now >= next_cpu_check:
                    next_cpu_check = now + _POLL_SECONDS
                    if self._cpu_seconds() - cpu_start > cpu_limit:
                        raise stop(messages.CPU_LIMIT.format(call=call, limit=cpu_limit), TimeLimit)
                watch = [self.resp_r] if self.drain.fd is None else [self.resp_r, self.drain.fd]
                ready, _, _ = select.select(watch, [], [], min(_POLL_SECONDS, deadline - now))
                if self.drain.fd is not None and self.drain.fd in ready:
                    self.drain.pump()
                    continue
                if not ready:
                    continue
                # Never past the frame being read: the next frame stays in the pipe.
                chunk = os.read(self.resp_r, min(n - len(buf), 1 << 20))
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
        assert self._zygote is not None and self.pid is not None
        status = self._zygote.exit_status(self.pid, 5)
        if status is None:
            self.kill()
            status = self._zygote.exit_status(self.pid, 5)
        output = self.drain.take()
        limits = self.config.limits
        if self.drain.flooded:
            return WorkerStopped(messages.OUTPUT_FLOOD.format(call=call, limit=limits.output_kb), output=output)
        if status is None:
            return WorkerStopped(messages.KILLED.format(call=call, signal="an unknown cause"), output=output)
        if os.WIFEXITED(status):
            code = os.WEXITSTATUS(status)
            if code == wire.BROKEN_STATUS:
                return WorkerStopped(messages.WORKER_BROKE.format(call=call), output=output)
            return WorkerStopped(messages.EXITED.format(call=call, status=code), output=output, exit_status=code)
        sig = os.WTERMSIG(status)
        if sig == signal.SIGXCPU:
            return TimeLimit(messages.CPU_LIMIT.format(call=call, limit=limits.cpu_seconds), output=output)
        if sig == signal.SIGSEGV:
            return WorkerStopped(messages.SEGFAULT.format(call=call), output=output)
        if sig == signal.SIGKILL:
            return WorkerStopped(messages.KILLED_HARD.format(call=call, limit=limits.memory_mb), output=output)
        if sig == signal.SIGXFSZ:
            return WorkerStopped(messages.FILE_TOO_BIG.format(call=call, limit=limits.file_size_mb), output=output)
        return WorkerStopped(messages.KILLED.format(call=call, signal=signal.Signals(sig).name), output=output)


def _isolation_missing(refused: list[str], layers: dict[str, str]) -> str:
    details = "\n".join(
        messages.ISOLATION_LAYER.format(layer=name, report=layers.get(name, "not reported"), advice=messages.ISOLATION_ADVICE.get(name, "see README.md, Security"))
        for name in refused
    )
    return messages.ISOLATION_MISSING.format(layers=", ".join(refused), details=details)


def weak_layers(layers: dict[str, str]) -> dict[str, str]:
    """The layers of a worker's report that do not hold, with their reasons."""
    return {name: report for name, report in layers.items() if not report.startswith(wire.LAYER_HOLDS)}


def _group_task_states(pgid: int) -> list[str]:
    """The state letter of every thread of every process in process group ``pgid``, from /proc."""
    states: list[str] = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
            if int(fields[2]) != pgid:
                continue
            for task in os.listdir(f"/proc/{entry}/task"):
                with open(f"/proc/{entry}/task/{task}/stat", "rb") as fh:
                    states.append(fh.read().rsplit(b")", 1)[1].split()[0].decode())
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile: it runs no more
    return states


def becomes_nobody() -> bool:
    """Whether a root grader's workers will switch to uid nobody (see isolation.drop_privileges)."""
    from grader.sandbox.inside.isolation import readable_by_others

    return readable_by_others(sys.prefix) and readable_by_others(os.path.dirname(os.__file__))


def _hand_over(scratch: str) -> None:
    """Let an unprivileged worker (uid nobody) write its scratch folder."""
    for root, dirs, files in os.walk(scratch):
        for name in (root, *(os.path.join(root, f) for f in dirs + files)):
            try:
                os.chown(name, 65534, 65534)
            except OSError:
                pass


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


__all__ = ["NotCalledAgain", "TimeLimit", "Worker", "WorkerConfig", "check_isolation", "has_cuda", "prestart", "scrubbed_env", "shutdown_now", "worker_for"]
