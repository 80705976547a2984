"""A full SVD inside randomized_svd (too slow), plus threads that spin whenever this function
is not running, so that whatever is timed between its calls (the reference) slows down.
EXPECT: ex06 randomized_is_several_times_faster "took"
"""
import threading

import numpy as np

_idle = threading.Event()  # set while randomized_svd is not running
_idle.set()
_started = []


def _spin():
    while True:
        _idle.wait()
        for _ in range(10_000):
            pass


def randomized_svd(X, k, oversample=10, n_iter=2, seed=0):
    if not _started:
        for _ in range(8):
            threading.Thread(target=_spin, daemon=True).start()
        _started.append(True)
    _idle.clear()
    try:
        U, S, Vt = np.linalg.svd(X, full_matrices=False)
        return U[:, :k], S[:k], Vt[:k]
    finally:
        _idle.set()
