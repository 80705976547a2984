"""A fork server for workers: imports numpy (and torch, triton) once, forks per check.

Changes when how workers are forked and reaped changes.

Run as a script by the grader (``python -I -u -B grader/sandbox/inside/zygote.py FD``) with one end of a
Unix socket pair. It runs no learner code itself. Each request carries three file
descriptors (the worker's request pipe, answer pipe and output pipe) and a spec; the
zygote forks, the child applies limits and isolation and becomes the worker
(:func:`worker.run_child`), and the zygote answers with the child's pid. It reaps its
children and reports each exit status, because only a parent can learn why a child died.
"""

from __future__ import annotations

import importlib.util
import json
import os
import select
import shutil
import signal
import socket
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
_SHARED = os.path.dirname(_HERE)  # grader/sandbox: wire and codec, used by both sides
PR_SET_CHILD_SUBREAPER = 36


def _load(name: str, folder: str) -> object:
    # Private names, so a learner module called codec.py or worker.py is still theirs.
    spec = importlib.util.spec_from_file_location(f"_grade_{name}", os.path.join(folder, f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def main() -> None:
    sock = socket.socket(fileno=int(sys.argv[1]))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p) != _HERE]
    modules = {name: _load(name, _SHARED) for name in ("wire", "codec")}
    modules.update({name: _load(name, _HERE) for name in ("isolation", "worker")})
    for name in sys.argv[2].split(",") if len(sys.argv) > 2 and sys.argv[2] else []:
        try:
            __import__(name)
        except Exception:
            pass  # the learner's import will say what is missing
    if "torch" in sys.modules:
        _warm_torch(sys.modules["torch"])
    try:
        import pyseccomp  # noqa: F401  (loads libseccomp now: the worker cannot look it up later)
    except Exception:
        pass
    base_path = list(sys.path)
    try:
        import ctypes

        ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)  # orphans come back to us
    except Exception:
        pass
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *a: None)
    live: set[int] = set()
    scratch_of: dict[int, str] = {}
    buffer = b""
    sweep_due = False

    def send(msg: dict) -> None:
        sock.sendall(json.dumps(msg).encode() + b"\n")

    def reap() -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid in live:
                live.discard(pid)
                # The grader removes it too; this covers a grader that died without doing so.
                shutil.rmtree(scratch_of.pop(pid, ""), ignore_errors=True)
                send({"exit": pid, "status": status})

    while True:
        # Orphan sweeps wait for a quiet moment: a spawn request never waits behind one.
        ready, _, _ = select.select([sock, wake_r], [], [], 0.02 if sweep_due else None)
        if not ready and sweep_due:
            _sweep(live)
            sweep_due = False
            continue
        if wake_r in ready:
            os.read(wake_r, 4096)
            reap()
        if sock not in ready:
            continue
        data, fds, _, _ = socket.recv_fds(sock, 1 << 20, 8)
        if not data:  # the grader is gone: so are we, and everything we made
            for pid in live:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except OSError:
                    pass
            for path in (*scratch_of.values(), os.getcwd()):
                shutil.rmtree(path, ignore_errors=True)
            return
        buffer += data
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            request = json.loads(line)
            if request.get("op") == "kill":
                _kill_group(int(request["pid"]))
                sweep_due = True
                continue
            req_r, resp_w, out_w = fds[:3]
            fds = fds[3:]
            spec = request["spec"]
            spec["sys_path"] = base_path
            pid = os.fork()
            if pid == 0:
                sock.close()
                os.close(wake_r)
                os.close(wake_w)
                # Only its own three pipes: descriptors of other workers spawned in the same
                # batch of requests (the reference's, say) must not reach learner code.
                _close_all_but((req_r, resp_w, out_w))
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                os.setpgid(0, 0)
                modules["worker"].run_child(req_r, resp_w, out_w, spec, modules)  # type: ignore[attr-defined]
                os._exit(modules["wire"].BROKEN_STATUS)  # type: ignore[attr-defined]
            try:
                os.setpgid(pid, pid)  # both sides set it: no race with an early kill
            except OSError:
                pass
            live.add(pid)
            scratch_of[pid] = spec["scratch"]
            for fd in (req_r, resp_w, out_w):
                os.close(fd)
            send({"pid": pid})


def _close_all_but(keep: tuple[int, ...]) -> None:
    for entry in os.listdir("/proc/self/fd"):
        fd = int(entry)
        if fd > 2 and fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


def _warm_torch(torch: object) -> None:
    """Run once what torch initialises lazily (first kernels of each dtype, linalg), so that
    no forked worker pays for it again. Not torch.broadcast_shapes: it imports sympy (0.8 s),
    which would sit on every first grade's critical path; a worker that needs it pays once."""
    try:
        t = torch  # type: ignore[assignment]
        for dtype in (t.float32, t.float64):  # type: ignore[attr-defined]
            x = t.ones(4, 4, dtype=dtype)  # type: ignore[attr-defined]
            ((x @ x).exp().sum(-1) / 2).amax()
            t.linalg.svd(x)  # type: ignore[attr-defined]
    except Exception:
        pass


def _kill_group(pid: int) -> None:
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
        except OSError:
            pass


def _sweep(live: set[int]) -> None:
    """SIGKILL every child of ours that is not a live worker: orphans (a setsid daemon)
    re-parented to us, since we are their subreaper."""
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in live:
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                ppid = int(fh.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == me:
            try:
                os.kill(int(entry), signal.SIGKILL)
            except OSError:
                pass


if __name__ == "__main__":
    main()
