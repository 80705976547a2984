"""Threads started at import, spinning whenever randomized_svd is not running: killing the
worker after a call does not help, since every fresh import starts them again.
EXPECT: ex06 randomized_is_several_times_faster "leaves a thread or a process running"
"""
import threading

import numpy as np

_idle = threading.Event()  # set while randomized_svd is not running
_idle.set()


def _spin():
    while True:
        _idle.wait()
        for _ in range(10_000):
            pass


for _ in range(8):
    threading.Thread(target=_spin, daemon=True).start()


def randomized_svd(X, k, oversample=10, n_iter=2, seed=0):
    _idle.clear()
    try:
        U, S, Vt = np.linalg.svd(X, full_matrices=False)
        return U[:, :k], S[:k], Vt[:k]
    finally:
        _idle.set()
