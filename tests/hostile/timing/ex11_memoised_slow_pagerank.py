"""A PageRank five times slower than it should be, which remembers its answers by input: a
retry on the same graph would come back at once.
EXPECT: ex11 a_million_links_take_at_most_3x "took"
"""
import hashlib

import numpy as np

_seen = {}


def _slow(src, dst, n, damping, tol, max_iter):
    src = np.asarray(src, dtype=np.intp)
    dst = np.asarray(dst, dtype=np.intp)
    out_degree = np.bincount(src, minlength=n)
    dangling = out_degree == 0
    ranks = np.full(n, 1.0 / n)
    iterations = 0
    while iterations < max_iter:
        iterations += 1
        for _ in range(5):  # the same update five times over: 5x the work
            flow = np.bincount(dst, weights=ranks[src] / out_degree[src], minlength=n)
        new = damping * (flow + ranks[dangling].sum() / n) + (1.0 - damping) / n
        change = np.abs(new - ranks).sum()
        ranks = new
        if change < tol:
            break
    return ranks, iterations


def pagerank(src, dst, n, damping=0.85, tol=1e-10, max_iter=1000):
    key = hashlib.sha1(np.ascontiguousarray(src).tobytes() + np.ascontiguousarray(dst).tobytes()).hexdigest()
    key += repr((n, damping, tol, max_iter))
    if key not in _seen:
        _seen[key] = _slow(src, dst, n, damping, tol, max_iter)
    return _seen[key]
