"""Known-wrong variants of ex11, each with the feedback it earns."""

import numpy as np

from grader.checking.misconceptions import Misconception, sibling_reference

ref = sibling_reference(__file__)


def _iterate(src, dst, n, damping, tol, max_iter, *, start=None, change=None, spread_dangling=True):
    """The reference's loop with one thing changed, for the variants below."""
    src = np.asarray(src, dtype=np.intp)
    dst = np.asarray(dst, dtype=np.intp)
    out_degree = np.bincount(src, minlength=n)
    dangling = out_degree == 0
    share = 1.0 / out_degree[src]
    ranks = np.full(n, 1.0 / n) if start is None else start(n)
    iterations = 0
    while iterations < max_iter:
        iterations += 1
        flow = np.bincount(dst, weights=ranks[src] * share, minlength=n)
        lost = ranks[dangling].sum() / n if spread_dangling else 0.0
        new = damping * (flow + lost) + (1.0 - damping) / n
        delta = np.abs(new - ranks).sum() if change is None else change(new - ranks)
        ranks = new
        if delta < tol:
            break
    return ranks, iterations


transposed = Misconception(
    "links followed backwards",
    "rank flowed from dst to src: you built the transposed graph. Edge e links src[e] -> dst[e], so "
    "each edge carries r[src] / outdeg(src), out-degrees count src (np.bincount(src, minlength=n)), "
    "and the shares are added up at dst (np.bincount(dst, weights=..., minlength=n)).",
)


@transposed
def pagerank(src, dst, n, damping=0.85, tol=1e-10, max_iter=1000):
    return ref.pagerank(dst, src, n, damping, tol, max_iter)


dangling_dropped = Misconception(
    "dangling rank dropped",
    "the rank of pages without out-links disappeared, so the ranks sum to less than 1. A surfer on a "
    "dangling page jumps to a page chosen uniformly: add d · (total rank of dangling pages) / n to "
    "every page in each update.",
)


@dangling_dropped
def pagerank(src, dst, n, damping=0.85, tol=1e-10, max_iter=1000):  # noqa: F811
    return _iterate(src, dst, n, damping, tol, max_iter, spread_dangling=False)


duplicates_collapsed = Misconception(
    "repeated links counted once",
    "a link listed several times was counted once. Repeated (src, dst) pairs are more likely to be "
    "followed: keep them in the out-degree and in the shares. Don't deduplicate the edges, and add "
    "shares with np.bincount or np.add.at, because r_new[dst] += ... adds only once per repeated index.",
)


@duplicates_collapsed
def pagerank(src, dst, n, damping=0.85, tol=1e-10, max_iter=1000):  # noqa: F811
    key = np.sort(np.asarray(src, dtype=np.int64) * n + np.asarray(dst, dtype=np.int64))
    key = key[np.r_[True, key[1:] != key[:-1]]]  # each (src, dst) pair once
    return ref.pagerank(key // n, key % n, n, damping, tol, max_iter)


damping_swapped = Misconception(
    "d and 1 − d swapped",
    "the surfer followed links with probability 1 − d and jumped with probability d. With d = 0.85 "
    "the surfer follows a link 85% of the time: new = d · (link shares + dangling share) + (1 − d) / n.",
)


@damping_swapped
def pagerank(src, dst, n, damping=0.85, tol=1e-10, max_iter=1000):  # noqa: F811
    return ref.pagerank(src, dst, n, 1.0 - damping, tol, max_iter)


max_change = Misconception(
    "stopped on the largest change",
    "the loop stopped when the largest single change fell below tol, which happens several updates "
    "before the total change does. Measure the L1 change np.abs(new - r).sum().",
)


@max_change
def pagerank(src, dst, n, damping=0.85, tol=1e-10, max_iter=1000):  # noqa: F811
    return _iterate(src, dst, n, damping, tol, max_iter, change=lambda d: np.abs(d).max())


off_by_one = Misconception(
    "the last update not counted",
    "iterations came back one short: the update whose change fell below tol is an update too. "
    "Count each update as you make it (iterations += 1 right after computing new) and return that count.",
)


@off_by_one
def pagerank(src, dst, n, damping=0.85, tol=1e-10, max_iter=1000):  # noqa: F811
    ranks, iterations = ref.pagerank(src, dst, n, damping, tol, max_iter)
    return ranks, iterations - 1


ones_start = Misconception(
    "started from all ones",
    "the iteration started from np.ones(n), which sums to n, not 1. Start from the uniform "
    "distribution np.full(n, 1 / n): the answer after a fixed number of updates, and the number of "
    "updates needed, depend on the start.",
)


@ones_start
def pagerank(src, dst, n, damping=0.85, tol=1e-10, max_iter=1000):  # noqa: F811
    return _iterate(src, dst, n, damping, tol, max_iter, start=np.ones)
