"""The trust boundary: learner code runs only in a worker process, never in the grader's.

The trusted side (:mod:`trusted`: start a worker, call it, enforce limits, decode its
replies) and what runs inside the worker (:mod:`inside`: the zygote, the worker's loop, the
isolation layers) meet only through :mod:`wire` (framing) and :mod:`codec` (safe data). The
trusted side also owns the static scan for forbidden calls (:mod:`forbidden`), what can go
wrong in a call (:mod:`failures`) and the texts that say so (:mod:`messages`).
"""

from grader.sandbox.trusted import Worker, check_isolation, has_cuda, prestart, shutdown_now, worker_for

__all__ = ["Worker", "check_isolation", "has_cuda", "prestart", "shutdown_now", "worker_for"]
