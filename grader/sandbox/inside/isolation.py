"""Isolation layers applied in the worker, after fork and before the learner's import.

Changes when a layer is added or one's rules change.

Runs inside the untrusted process, but before any learner code exists there, so what
it reports about itself is still the grader's own word. Each layer is detected at run
time; a layer that cannot be applied is named with the reason, never skipped silently.

Order matters: process group and limits first; the network namespace and Landlock
while we may still create them; then privileges dropped; seccomp last.

Only the standard library (ctypes) and, for seccomp, the optional ``pyseccomp``.
"""

from __future__ import annotations

import ctypes
import errno
import os
import resource
import sys
from typing import Any

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long

PR_SET_NO_NEW_PRIVS = 38
PR_CAPBSET_DROP = 24
PR_SET_PDEATHSIG = 1
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
CLONE_THREAD = 0x00010000

# Landlock (linux/landlock.h)
_SYS_LANDLOCK_CREATE_RULESET = 444
_SYS_LANDLOCK_ADD_RULE = 445
_SYS_LANDLOCK_RESTRICT_SELF = 446
_LANDLOCK_CREATE_RULESET_VERSION = 1
_LANDLOCK_RULE_PATH_BENEATH = 1
_FS = {
    "EXECUTE": 1 << 0, "WRITE_FILE": 1 << 1, "READ_FILE": 1 << 2, "READ_DIR": 1 << 3,
    "REMOVE_DIR": 1 << 4, "REMOVE_FILE": 1 << 5, "MAKE_CHAR": 1 << 6, "MAKE_DIR": 1 << 7,
    "MAKE_REG": 1 << 8, "MAKE_SOCK": 1 << 9, "MAKE_FIFO": 1 << 10, "MAKE_BLOCK": 1 << 11,
    "MAKE_SYM": 1 << 12, "REFER": 1 << 13, "TRUNCATE": 1 << 14, "IOCTL_DEV": 1 << 15,
}
_FS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 4: (1 << 15) - 1, 5: (1 << 16) - 1}
_NET_BIND_TCP, _NET_CONNECT_TCP = 1, 2
_SCOPE_ABSTRACT_UNIX, _SCOPE_SIGNAL = 1, 2
READ = _FS["READ_FILE"] | _FS["READ_DIR"]
READ_WRITE_FILE = _FS["READ_FILE"] | _FS["WRITE_FILE"]


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def landlock_abi() -> int:
    v = _libc.syscall(_SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_LANDLOCK_CREATE_RULESET_VERSION))
    return int(v) if v > 0 else 0


def read_only_paths() -> list[str]:
    """What a numpy/torch worker must read: the interpreter, its libraries, system libraries."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, "/usr", "/lib", "/lib64", "/etc", "/bin",
             "/proc/cpuinfo", "/proc/meminfo", "/proc/stat", "/sys/devices/system/cpu", "/sys/fs/cgroup"}
    paths.update(p for p in sys.path if p and os.path.isdir(p))
    return sorted(p for p in paths if os.path.exists(p))


def apply_landlock(scratch: str, executables: list[str] | tuple[str, ...] = (), writable: list[str] | tuple[str, ...] = ()) -> str:
    """Read-only access to the interpreter and system libraries, full access to the scratch
    folder, nothing else: the course (references, hidden checks) is out of reach. From ABI 4
    no TCP bind/connect; from ABI 6 no signals or abstract sockets beyond this process.

    ``executables``: files (or folders) that may be executed, for a GPU kernel compiler
    (ptxas, the C compiler of Triton's launcher); nothing else can be. ``writable``: folders
    beside the scratch one with full access (Triton's cache for this grading)."""
    abi = landlock_abi()
    if abi <= 0:
        raise OSError("Landlock is not supported by this kernel")
    fs = _FS_BY_ABI.get(abi, (1 << 16) - 1)
    attr = _RulesetAttr(handled_access_fs=fs, handled_access_net=(_NET_BIND_TCP | _NET_CONNECT_TCP) if abi >= 4 else 0,
                        scoped=(_SCOPE_ABSTRACT_UNIX | _SCOPE_SIGNAL) if abi >= 6 else 0)
    size = ctypes.sizeof(_RulesetAttr) if abi >= 6 else (16 if abi >= 4 else 8)
    fd = _libc.syscall(_SYS_LANDLOCK_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if fd < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
    try:
        rules: list[tuple[str, int]] = [(p, READ) for p in read_only_paths()]
        rules += [(f"/proc/{os.getpid()}", READ), ("/dev/null", READ_WRITE_FILE), ("/dev/zero", _FS["READ_FILE"]),
                  ("/dev/urandom", _FS["READ_FILE"]), ("/dev/random", _FS["READ_FILE"]), (scratch, fs)]
        rules += [(p, fs) for p in writable]
        rules += [(p, READ | _FS["EXECUTE"]) for p in executables]
        rules += [(f"/dev/{d}", READ_WRITE_FILE | (_FS["IOCTL_DEV"] if abi >= 5 else 0))
                  for d in os.listdir("/dev") if d.startswith("nvidia")]
        for path, access in rules:
            try:
                pfd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                is_dir = os.path.isdir(path)
                allowed = access & fs if is_dir else access & fs & (READ_WRITE_FILE | _FS["EXECUTE"] | _FS["TRUNCATE"] | _FS["IOCTL_DEV"])
                rule = _PathBeneath(allowed_access=allowed, parent_fd=pfd)
                if _libc.syscall(_SYS_LANDLOCK_ADD_RULE, ctypes.c_int(fd), ctypes.c_int(_LANDLOCK_RULE_PATH_BENEATH), ctypes.byref(rule), ctypes.c_uint32(0)) < 0:
                    raise OSError(ctypes.get_errno(), f"landlock_add_rule failed for {path}")
            finally:
                os.close(pfd)
        if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS failed")
        if _libc.syscall(_SYS_LANDLOCK_RESTRICT_SELF, ctypes.c_int(fd), ctypes.c_uint32(0)) < 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    finally:
        os.close(fd)
    return f"on (ABI {abi}{', no TCP' if abi >= 4 else ''}{', signals scoped' if abi >= 6 else ''})"


def enter_network_namespace() -> str:
    """A private network namespace with only a loopback that is down: no network at all."""
    if os.geteuid() == 0:
        if _libc.unshare(CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNET) failed")
        return "on"
    uid, gid = os.geteuid(), os.getegid()
    if _libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "unprivileged user namespaces are not allowed here")
    with open("/proc/self/setgroups", "w") as fh:
        fh.write("deny")
    with open("/proc/self/uid_map", "w") as fh:
        fh.write(f"{uid} {uid} 1")
    with open("/proc/self/gid_map", "w") as fh:
        fh.write(f"{gid} {gid} 1")
    return "on (user namespace)"


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_privileges() -> str:
    """As root: switch to an unprivileged user if it can still read the Python install;
    otherwise stay uid 0 but drop every capability, so rlimits bind, no files of other
    users can be read, and no privileged operation remains."""
    if os.geteuid() != 0:
        return "not needed (not root)"
    for cap in range(64):
        _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    target = 65534  # nobody
    if readable_by_others(sys.prefix) and readable_by_others(os.path.dirname(os.__file__)):
        os.setgroups([])
        os.setresgid(target, target, target)
        os.setresuid(target, target, target)
        return "on (uid nobody)"
    header = _CapHeader(version=0x20080522, pid=0)
    data = (_CapData * 2)()
    if _libc.capset(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")
    return "on (uid 0 without capabilities: Python's install is not readable by other users)"


def readable_by_others(path: str) -> bool:
    path = os.path.realpath(path)
    parts = path.split(os.sep)
    for i in range(1, len(parts) + 1):
        p = os.sep.join(parts[:i]) or os.sep
        try:
            mode = os.stat(p).st_mode
        except OSError:
            return False
        if not mode & 0o001:
            return False
    return True


def apply_seccomp(compiler: bool = False) -> str:
    """No sockets, no new processes (threads are fine), no exec, no ptrace, no signals to
    other processes, no namespace or mount games. Needs pyseccomp and libseccomp.

    ``compiler``: a GPU kernel exercise on a CUDA machine, whose Triton runs ptxas and a C
    compiler: new processes and exec are allowed, and Landlock decides which files may be
    executed (only the compiler's). Every other rule stays, and children inherit them all."""
    try:
        import pyseccomp as seccomp
    except Exception as exc:  # missing package or missing libseccomp.so
        raise OSError(f"pyseccomp unavailable ({type(exc).__name__})") from None
    deny = seccomp.ERRNO(errno.EPERM)
    f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    processes = () if compiler else ("fork", "vfork", "execve", "execveat")
    for name in (*processes, "socket", "socketpair", "ptrace", "process_vm_readv",
                 "process_vm_writev", "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "bpf",
                 "perf_event_open", "keyctl", "add_key", "request_key", "userfaultfd", "kexec_load", "init_module",
                 "finit_module", "delete_module", "reboot", "swapon", "swapoff", "setsid", "setpgid", "personality",
                 "pidfd_open", "pidfd_send_signal", "pidfd_getfd", "io_uring_setup", "setrlimit", "prlimit64"):
        try:
            f.add_rule(deny, name)
        except Exception:
            pass  # not a syscall on this architecture
    # clone: threads only. clone3 reports ENOSYS so glibc falls back to clone, where flags are visible.
    if not compiler:
        f.add_rule(deny, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, CLONE_THREAD, 0))
    f.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    me = os.getpid()
    f.add_rule(deny, "kill", seccomp.Arg(0, seccomp.NE, me))
    f.add_rule(deny, "tgkill", seccomp.Arg(0, seccomp.NE, me))
    f.add_rule(deny, "rt_sigqueueinfo", seccomp.Arg(0, seccomp.NE, me))
    f.load()
    return "on (processes may run the GPU compiler)" if compiler else "on"


LAYERS = ("network namespace", "landlock", "privileges", "seccomp")


def apply_all(scratch: str, spec: dict[str, Any]) -> dict[str, str]:
    """Apply every layer; return {layer: 'on ...' or 'off: reason'}."""
    report: dict[str, str] = {}
    compiler = spec.get("compiler") or {}
    steps = (
        ("network namespace", enter_network_namespace),
        ("landlock", lambda: apply_landlock(scratch, compiler.get("executables", ()), compiler.get("writable", ()))),
        ("privileges", drop_privileges),
        ("seccomp", lambda: apply_seccomp(bool(compiler))),
    )
    disabled = set(spec.get("disable_layers", ()))
    for name, step in steps:
        if name in disabled:
            report[name] = "off: disabled by the grader's configuration"
            continue
        try:
            report[name] = step()
        except Exception as exc:
            report[name] = f"off: {exc}"
    return report


def apply_rlimits(spec: dict[str, Any]) -> None:
    mb = 1024 * 1024

    def limit(which: int, soft: int, hard: int | None = None) -> None:
        hard = soft if hard is None else hard
        try:
            resource.setrlimit(which, (soft, hard))
        except (ValueError, OSError):
            pass  # above the inherited hard limit: the inherited one stays

    limit(resource.RLIMIT_CORE, 0)
    # DATA counts what the zygote already holds (numpy, torch): the learner gets memory_mb on top.
    limit(resource.RLIMIT_DATA, _vm_data_bytes() + int(spec["memory_mb"]) * mb)
    limit(resource.RLIMIT_AS, int(spec["address_space_mb"]) * mb)
    limit(resource.RLIMIT_FSIZE, int(spec["file_size_mb"]) * mb)
    limit(resource.RLIMIT_NOFILE, int(spec["open_files"]))
    cpu = max(1, int(spec["cpu_seconds"] + 0.999))
    limit(resource.RLIMIT_CPU, cpu + 1, cpu + 2)  # the grader stops it at cpu_seconds; this is the backstop
    # No RLIMIT_NPROC: it counts every thread of the user (and never binds root); seccomp
    # forbids new processes instead.


def _vm_data_bytes() -> int:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmData:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0
