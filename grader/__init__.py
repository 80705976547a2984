"""grade: auto-graded exercises with hidden checks and feedback that teaches.

Kept tiny on purpose: every command imports it first. The folders say what each part is
for (docs/ARCHITECTURE.md is the map): ``cli`` parses and prints; ``course`` reads the
course; ``checking`` is what check authors import; ``grading`` runs one grading;
``sandbox`` is the trust boundary (``sandbox/inside`` runs in the worker, loaded by path);
``learner`` and ``instructor`` hold what their commands do.
"""

import os as _os

__version__ = "0.1.0"

# One BLAS/OpenMP thread in the grader's own process (set before numpy is imported): the
# learner's worker runs single-threaded beside it, and on a small machine a thread pool in
# the grader only fights it for the cores.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    _os.environ.setdefault(_name, "1")
