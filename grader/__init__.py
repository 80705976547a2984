"""grade: auto-graded exercises for linear algebra in machine learning.

Kept tiny on purpose: the worker process imports ``grader.worker`` and must not pay
for anything the trusted side needs.
"""

import os as _os

__version__ = "0.1.0"

# One BLAS/OpenMP thread in the grader's own process (set before numpy is imported): the
# learner's worker runs single-threaded beside it, and on a small machine a thread pool in
# the grader only fights it for the cores.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    _os.environ.setdefault(_name, "1")
