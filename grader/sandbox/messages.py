"""Learner-facing texts about the learner's process: limits, exits, crashes, its import.

The trusted side of the sandbox says these; what a check says about values lives in
:mod:`grader.checking.messages`. Kept as constants so they read as one voice."""

CPU_LIMIT = (
    "your code ran past {limit:g} s of CPU time during {call} and was stopped. "
    "Look for a loop that never ends, or work that grows much faster than the input."
)
WALL_LIMIT = (
    "your code ran for more than {limit:g} s (wall clock) during {call} and was stopped. "
    "Look for an infinite loop, a sleep, or a wait for input that never comes."
)
EXITED = (
    "your process exited (status {status}) during {call}. "
    "Return a value instead of calling sys.exit() or os._exit()."
)
WORKER_BROKE = (
    "the grader's side of your process broke during {call}, after your code changed Python itself "
    "(builtins, sys.modules, signal handlers...). Leave those alone and return your answer."
)
KILLED = "your process was killed by {signal} during {call}."
KILLED_HARD = (
    "your process was killed (SIGKILL) during {call}. That happens when it uses far more memory "
    "than allowed ({limit} MB) or kills itself."
)
FILE_TOO_BIG = "your code wrote a file larger than {limit} MB during {call} and was stopped."
SEGFAULT = "your process crashed (segmentation fault) during {call}."
OUT_OF_MEMORY = (
    "your code ran out of memory during {call} (the limit is {limit} MB). "
    "Avoid building arrays far larger than the inputs."
)
OUTPUT_FLOOD = (
    "your code printed more than {limit} KB during {call} and was stopped. "
    "Remove the prints inside loops."
)
IMPORT_FAILED = "{file} could not be imported, so no check could call it:\n{traceback}"
IMPORT_EXITED = "{file} exited while being imported (status {status}): remove the sys.exit() or os._exit() at module level."
IMPORT_CRASHED = "{file} could not be imported: {reason}"
MISSING_FUNCTION = (
    "{file} has no function {name}: keep the name and signature from the stub."
)
PROTOCOL = (
    "{call} sent malformed data back to the grader ({detail}). "
    "Does your code write to file descriptors it did not open?"
)
WORKER_START = "the grader could not start a process for your code: {detail}"
NOT_ALONE_AFTER_IMPORT = (
    "{file} leaves a thread or a process running once imported, so its speed cannot be measured "
    "fairly: start no threads or processes at module level."
)
ISOLATION_MISSING = (
    "grading stopped before any submitted code ran: {layers} could not be applied on this machine.\n"
    "{details}\n"
    "Scores recorded for someone else (grade batch, the Gradescope autograder) need every layer. "
    "On a machine that truly cannot have them, pass --allow-weak-isolation to grade batch, or set "
    "allow_weak_isolation: true in course.yaml (the Gradescope autograder reads it); each weaker grading says so."
)
ISOLATION_LAYER = "  {layer}: {report}. To get it: {advice}"
ISOLATION_ADVICE = {
    "network namespace": "allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1 and "
    "user.max_user_namespaces > 0), or in a container allow unshare (Docker: a seccomp profile that permits it)",
    "landlock": "run Linux 5.13 or later with Landlock enabled (CONFIG_SECURITY_LANDLOCK=y and landlock in the "
    "kernel's lsm= list)",
    "privileges": "run the grader as root (it then drops every capability in the worker) or as an unprivileged user",
    "seccomp": "install libseccomp (apt-get install libseccomp2) and the pyseccomp package (pip install pyseccomp)",
}
ISOLATION_WEAK = (
    "isolation is weaker on this machine ({said}): fine for grading your own work; a grading that records "
    "scores for someone else refuses to run like this."
)
