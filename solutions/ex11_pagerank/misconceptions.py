"""Known-wrong variants of ex11, each with the feedback it earns."""

import numpy as np

from grader.checking.misconceptions import Misconception, sibling_reference

ref = sibling_reference(__file__)


def _iterate(src, dst, n, damping, tol, max_iter, *, start=None, change=None, dangling_rule="spread",
             jump=None, last_counted=True, extra_update=False, old_ranks=False):
    """The reference's loop with one thing changed, for the variants below."""
    src = np.asarray(src, dtype=np.intp)
    dst = np.asarray(dst, dtype=np.intp)
    out_degree = np.bincount(src, minlength=n)
    dangling = out_degree == 0
    share = 1.0 / out_degree[src]
    ranks = np.full(n, 1.0 / n) if start is None else start(n)
    jump = (1.0 - damping) / n if jump is None else jump(damping, n)
    iterations = 0
    while iterations < max_iter + (1 if extra_update else 0):
        iterations += 1
        flow = np.bincount(dst, weights=ranks[src] * share, minlength=n)
        lost = ranks[dangling].sum() / n
        if dangling_rule == "spread":
            new = damping * (flow + lost) + jump
        elif dangling_rule == "dropped":
            new = damping * flow + jump
        elif dangling_rule == "undamped":
            new = damping * flow + lost + jump
        else:  # "renormalised": drop the dangling rank, then rescale the whole vector to sum to 1
            new = damping * flow + jump
            new = new / new.sum()
        delta = np.abs(new - ranks).sum() if change is None else change(new - ranks)
        if old_ranks and delta < tol:
            break  # stops before keeping the update that met tol
        ranks = new
        if delta < tol:
            break
    return ranks, (iterations if last_counted else iterations - 1)


# --- which way rank flows, and what counts as a link ----------------------------------------------

transposed = Misconception(
    "links followed backwards",
    "rank flowed from dst to src: you built the transposed graph. Edge e links src[e] -> dst[e], so "
    "each edge carries r[src] / outdeg(src), out-degrees count src (np.bincount(src, minlength=n)), "
    "and the shares are added up at dst (np.bincount(dst, weights=..., minlength=n)).",
)


@transposed
def pagerank(src, dst, n, damping=0.85, tol=1e-10, max_iter=1000):
    return ref.pagerank(dst, src, n, damping, tol, max_iter)


duplicates_collapsed = Misconception(
    "repeated links counted once",
    "a link listed several times was counted once. Repeated (src, dst) pairs are more likely to be "
    "followed: keep them in the out-degree and in the shares. Don't deduplicate the edges, and add "
    "shares with np.bincount or np.add.at, because r_new[dst] += ... adds only once per repeated index.",
)


@duplicates_collapsed
def pagerank(src, dst, n, damping=0.85, tol=1e-10, max_iter=1000):  # noqa: F811
    key = np.unique(np.asarray(src, dtype=np.int64) * n + np.asarray(dst, dtype=np.int64))  # each (src, dst) pair once
    return ref.pagerank(key // n, key % n, n, damping, tol, max_iter)


self_links_dropped = Misconception(
    "links from a page to itself dropped",
    "the links from a page to itself were removed. The README allows them: a self-link is a link like any "
    "other, it counts in its page's out-degree and sends that page a share of its own rank. Keep every edge "
    "as given.",
)


@self_links_dropped
def pagerank(src, dst, n, damping=0.85, tol=1e-10, max_iter=1000):  # noqa: F811
    src, dst = np.asarray(src), np.asarray(dst)
    keep = src != dst
    return ref.pagerank(src[keep], dst[keep], n, damping, tol, max_iter)


no_minlength = Misconception(
    "np.bincount without minlength",
    "np.bincount(x) returns max(x) + 1 counts, so when the last pages have no out-links (or no in-links) "
    "the out-degrees (or the flow) come back shorter than n and no longer line up with the ranks. Pass "
    "minlength=n to both bincounts.",
)


@no_minlength
def pagerank(src, dst, n, damping=0.85, tol=1e-10, max_iter=1000):  # noqa: F811
    src = np.asarray(src, dtype=np.intp)
    dst = np.asarray(dst, dtype=np.intp)
    out_degree = np.bincount(src)
    dangling = out_degree == 0
    share = 1.0 / out_degree[src]
    ranks = np.full(n, 1.0 / n)
    iterations = 0
    while iterations < max_iter:
        iterations += 1
        flow = np.bincount(dst, weights=ranks[src] * share)
        new = damping * (flow + ranks[dangling].sum() / n) + (1.0 - damping) / n
        change = np.abs(new - ranks).sum()
        ranks = new
        if change < tol:
            break
    return ranks, iterations


edges_sorted_in_place = Misconception(
    "edges sorted in place",
    "pagerank reordered the caller's src and dst (src[:] = src[order]): the ranks are right, but the "
    "caller's edge list came back changed. Sort, convert or filter copies (src[order] makes a new array), "
    "never the arrays you were given.",
)


@edges_sorted_in_place
def pagerank(src, dst, n, damping=0.85, tol=1e-10, max_iter=1000):  # noqa: F811
    order = np.argsort(dst, kind="stable")
    src[:] = src[order]
    dst[:] = dst[order]
    return ref.pagerank(src, dst, n, damping, tol, max_iter)


# --- the update -----------------------------------------------------------------------------------

dangling_dropped = Misconception(
    "dangling rank dropped",
    "the rank of pages without out-links disappeared, so the ranks sum to less than 1. A surfer on a "
    "dangling page jumps to a page chosen uniformly: add d · (total rank of dangling pages) / n to "
    "every page in each update.",
)


@dangling_dropped
def pagerank(src, dst, n, damping=0.85, tol=1e-10, max_iter=1000):  # noqa: F811
    return _iterate(src, dst, n, damping, tol, max_iter, dangling_rule="dropped")


dangling_renormalised = Misconception(
    "dangling rank dropped, then the ranks rescaled to sum to 1",
    "the rank of the dangling pages was dropped and the vector divided by its sum afterwards. That sums to 1, "
    "but it hands the lost rank out in proportion to each page's rank, where the surfer on a dangling page "
    "jumps to every page with the same probability: add d · (total rank of dangling pages) / n to every page.",
)


@dangling_renormalised
def pagerank(src, dst, n, damping=0.85, tol=1e-10, max_iter=1000):  # noqa: F811
    return _iterate(src, dst, n, damping, tol, max_iter, dangling_rule="renormalised")


dangling_undamped = Misconception(
    "dangling rank spread without the factor d",
    "the dangling pages' rank was spread over all pages in full, outside the factor d, so the ranks sum to "
    "more than 1. A surfer on a dangling page follows its (imagined) links to every page with probability d, "
    "like any other link: new = d · (link shares + dangling mass / n) + (1 − d) / n.",
)


@dangling_undamped
def pagerank(src, dst, n, damping=0.85, tol=1e-10, max_iter=1000):  # noqa: F811
    return _iterate(src, dst, n, damping, tol, max_iter, dangling_rule="undamped")


damping_swapped = Misconception(
    "d and 1 − d swapped",
    "the surfer followed links with probability 1 − d and jumped with probability d. With d = 0.85 "
    "the surfer follows a link 85% of the time: new = d · (link shares + dangling share) + (1 − d) / n.",
)


@damping_swapped
def pagerank(src, dst, n, damping=0.85, tol=1e-10, max_iter=1000):  # noqa: F811
    return ref.pagerank(src, dst, n, 1.0 - damping, tol, max_iter)


jump_not_divided = Misconception(
    "jump term (1 − d) not divided by n",
    "each page received 1 − d from the random jump instead of (1 − d) / n: the formula of the 1998 paper, "
    "whose ranks sum to n. Here the ranks are probabilities that sum to 1, and the jump spreads its 1 − d "
    "evenly over the n pages: new = d · (...) + (1 − d) / n.",
)


@jump_not_divided
def pagerank(src, dst, n, damping=0.85, tol=1e-10, max_iter=1000):  # noqa: F811
    return _iterate(src, dst, n, damping, tol, max_iter, jump=lambda d, n: 1.0 - d)


ones_start = Misconception(
    "started from all ones",
    "the iteration started from np.ones(n), which sums to n, not 1. Start from the uniform "
    "distribution np.full(n, 1 / n): the answer after a fixed number of updates, and the number of "
    "updates needed, depend on the start.",
)


@ones_start
def pagerank(src, dst, n, damping=0.85, tol=1e-10, max_iter=1000):  # noqa: F811
    return _iterate(src, dst, n, damping, tol, max_iter, start=np.ones)


# --- the stopping rule ----------------------------------------------------------------------------

max_change = Misconception(
    "stopped on the largest change",
    "the loop stopped when the largest single change fell below tol, which happens several updates "
    "before the total change does. Measure the L1 change np.abs(new - r).sum().",
)


@max_change
def pagerank(src, dst, n, damping=0.85, tol=1e-10, max_iter=1000):  # noqa: F811
    return _iterate(src, dst, n, damping, tol, max_iter, change=lambda d: np.abs(d).max())


euclidean_change = Misconception(
    "stopped on the Euclidean length of the change",
    "the loop measured the change with np.linalg.norm(new - r), the Euclidean (L2) length, which is smaller "
    "than the L1 change, so it stopped too early. Measure the L1 change np.abs(new - r).sum().",
)


@euclidean_change
def pagerank(src, dst, n, damping=0.85, tol=1e-10, max_iter=1000):  # noqa: F811
    return _iterate(src, dst, n, damping, tol, max_iter, change=np.linalg.norm)


off_by_one = Misconception(
    "the last update not counted",
    "iterations came back one short: the update whose change fell below tol is an update too. "
    "Count each update as you make it (iterations += 1 right after computing new) and return that count.",
)


@off_by_one
def pagerank(src, dst, n, damping=0.85, tol=1e-10, max_iter=1000):  # noqa: F811
    return _iterate(src, dst, n, damping, tol, max_iter, last_counted=False)


one_update_too_many = Misconception(
    "max_iter + 1 updates",
    "the loop made one update more than max_iter allows (while iterations <= max_iter, or range(max_iter + 1)). "
    "max_iter is the largest number of updates: loop while iterations < max_iter, counting from 0.",
)


@one_update_too_many
def pagerank(src, dst, n, damping=0.85, tol=1e-10, max_iter=1000):  # noqa: F811
    return _iterate(src, dst, n, damping, tol, max_iter, extra_update=True)


previous_ranks = Misconception(
    "returned the ranks from before the last update",
    "the loop broke out as soon as the change was below tol, before keeping the new ranks, so it returned the "
    "ranks of the update before. The update that met tol is the answer: set r = new first, then stop.",
)


@previous_ranks
def pagerank(src, dst, n, damping=0.85, tol=1e-10, max_iter=1000):  # noqa: F811
    return _iterate(src, dst, n, damping, tol, max_iter, old_ranks=True)
