"""Checks for ex11: PageRank by power iteration over an edge list.

Each check isolates one part of the algorithm, so that one wrong line costs the points of its part:
one update from the uniform start, the direction of the links, repeated links, self-links, the
dangling rule, the random jump, the stopping rule, the cap on updates, the smallest webs, the
caller's arrays, and the speed. Where a part is not the subject, the inputs make it not matter:
a web whose links all go both ways is its own reverse, a web without dangling pages has no
dangling rule to apply, d = 0.5 is its own 1 − d, and the ranks are compared up to their sum
where only their shape is the subject (the sum has its own checks).
"""

import numpy as np

from grader.checking import advice, expect, fail, points, stage
from grader.checking import close as near
from grader.checking.speed import race

SPEED_LIMIT = 3.0  # times the reference's time, measured in the same run
HALF = 0.5  # a damping that equals its 1 − d: where the damping is not the subject


# --- webs -----------------------------------------------------------------------------------------


def shuffled(rng, src, dst):
    order = rng.permutation(len(src))
    return np.asarray(src, dtype=np.int64)[order], np.asarray(dst, dtype=np.int64)[order]


def two_way_web(rng, pages, chords=1.0):
    """Links that all go both ways between `pages`: a ring through them (so every page has links in and
    out) plus random chords; no self-links and no repeated links. Reversing every link gives the same
    web, and the degrees differ, so the ranks are not uniform."""
    pages = np.asarray(pages)
    k = len(pages)
    pairs = {(min(i, (i + 1) % k), max(i, (i + 1) % k)) for i in range(k)}
    while len(pairs) < k + int(chords * k):
        a, b = (int(x) for x in rng.choice(k, size=2, replace=False))
        pairs.add((min(a, b), max(a, b)))
    a, b = np.array(sorted(pairs)).T
    return shuffled(rng, pages[np.r_[a, b]], pages[np.r_[b, a]])


def one_way_web(rng, n, extra=(1, 4)):
    """Every page links to the next one (a ring: links in and out everywhere) and to a few other
    distinct pages: no self-links, no repeated links, no dangling pages, and links mostly one way."""
    src, dst = [], []
    for i in range(n):
        others = np.setdiff1d(np.arange(n), [i, (i + 1) % n])
        targets = rng.choice(others, size=int(rng.integers(*extra)), replace=False)
        src += [i] * (len(targets) + 1)
        dst += [(i + 1) % n, *targets.tolist()]
    return shuffled(rng, src, dst)


# --- comparing ------------------------------------------------------------------------------------


def result_pair(value):
    expect(value, "the result").to_satisfy(
        isinstance(value, tuple) and len(value) == 2,
        "pagerank returns a tuple (ranks, iterations): the array of ranks and the number of updates made",
    )
    return value


def shape_of(ranks):
    """The ranks divided by their sum (float64): what they say about which pages matter more."""
    r = np.asarray(ranks, dtype=np.float64)
    return r / r.sum()


def close(got, want, rtol=1e-6, atol=1e-12):
    """Evidence for advice: grader.checking.close at this exercise's tolerances."""
    return near(got, want, rtol, atol)


def expect_shape(ranks, want, what, evidence=()):
    """The ranks up to their sum match the reference's (whose sum is 1)."""
    expect(ranks, what).to_have_shape(want.shape)
    expect(shape_of(ranks), f"{what} divided by their sum", advice=list(evidence)).to_match(want)


# --- one update -----------------------------------------------------------------------------------


@points(3)
def test_one_update_from_the_uniform_vector(submission, reference, rng):
    n = int(rng.integers(20, 40))
    src, dst = one_way_web(rng, n)
    damping = float(rng.uniform(0.6, 0.9))
    ranks, _ = result_pair(submission.pagerank(src, dst, n, damping=damping, tol=0.0, max_iter=1))
    want = reference.pagerank(src, dst, n, damping, 0.0, 1)[0]
    jump = (1 - damping) / n  # no dangling pages here: one update is d · (link shares) + jump
    expect(ranks, "the ranks after one update (max_iter=1)").to_have_shape((n,))
    expect(ranks, "the ranks after one update (max_iter=1)", advice=[
        advice(
            "These are the ranks one update gives with every link reversed: rank flows along edge e from "
            "src[e] to dst[e].",
            when=lambda got: close(got, reference.pagerank(dst, src, n, damping, 0.0, 1)[0]),
        ),
        advice(
            f"These are the ranks one update gives with d and 1 − d swapped: links are followed with probability "
            f"d = {damping:.4g}, the jump has probability 1 − d.",
            when=lambda got: close(got, reference.pagerank(src, dst, n, 1 - damping, 0.0, 1)[0]),
        ),
        advice(
            "These are the ranks one update gives from np.ones(n); start from the uniform vector np.full(n, 1 / n), "
            "which sums to 1.",
            when=lambda got: close(got, n * (want - jump) + jump),
        ),
        advice(
            f"These are the ranks one update gives when every page receives 1 − d = {1 - damping:.4g} from the jump; "
            f"the jump's 1 − d is shared by the n = {n} pages: (1 − d) / n each.",
            when=lambda got: close(got, want - jump + (1 - damping)),
        ),
        advice(
            "These are the ranks after 2 updates: max_iter = 1 allows one.",
            when=lambda got: close(got, reference.pagerank(src, dst, n, damping, 0.0, 2)[0]),
        ),
    ]).to_match(want)


# --- links ----------------------------------------------------------------------------------------


@points(3)
def test_rank_flows_along_links_from_src_to_dst(submission, reference, rng):
    n = int(rng.integers(15, 25))
    src, dst = one_way_web(rng, n)
    hub = int(rng.integers(n))
    fans = np.setdiff1d(np.arange(n), np.r_[hub, src[dst == hub]])
    src, dst = shuffled(rng, np.r_[src, fans], np.r_[dst, np.full(len(fans), hub)])  # (almost) everyone links to hub
    ranks, _ = result_pair(submission.pagerank(src, dst, n, damping=HALF))
    want = reference.pagerank(src, dst, n, HALF)[0]
    expect(ranks, "ranks").to_have_shape((n,))
    top = int(np.argmax(np.asarray(ranks, dtype=np.float64)))
    expect(ranks, "ranks", advice=advice(
        "These are the ranks of the same web with every link reversed: edge e links src[e] -> dst[e], so rank "
        "flows from src to dst.",
        when=lambda got: close(shape_of(got), reference.pagerank(dst, src, n, HALF)[0]),
    )).to_satisfy(
        top == hub,
        f"every page links to page {hub}, so the surfer ends up there most often and it must rank first; "
        f"your ranks put page {top} first.",
    )
    expect_shape(ranks, want, "ranks")


@points(3)
def test_a_link_listed_twice_counts_twice(submission, reference, rng):
    n = int(rng.integers(15, 25))
    src, dst = two_way_web(rng, np.arange(n))
    # Repeat a third of the links once or twice more, both ways, so the web stays its own reverse.
    pick = rng.choice(len(src), size=len(src) // 3, replace=False)
    times = rng.integers(1, 3, size=len(pick))
    again_src, again_dst = np.repeat(src[pick], times), np.repeat(dst[pick], times)
    src, dst = shuffled(rng, np.r_[src, again_src, again_dst], np.r_[dst, again_dst, again_src])
    ranks, _ = result_pair(submission.pagerank(src, dst, n, damping=HALF))
    key = np.unique(src * n + dst)
    expect_shape(ranks, reference.pagerank(src, dst, n, HALF)[0], "ranks", [advice(
        "These are the ranks of the same web with each repeated link kept once. A link listed twice counts "
        "twice in its page's out-degree and carries its share twice.",
        when=lambda got: close(shape_of(got), reference.pagerank(key // n, key % n, n, HALF)[0]),
    )])


@points(2)
def test_a_page_may_link_to_itself(submission, reference, rng):
    n = int(rng.integers(15, 25))
    src, dst = two_way_web(rng, np.arange(n))
    loops = rng.choice(n, size=n // 3, replace=False)
    with_loops = shuffled(rng, np.r_[src, loops], np.r_[dst, loops])
    ranks, _ = result_pair(submission.pagerank(*with_loops, n, damping=HALF))
    expect_shape(ranks, reference.pagerank(*with_loops, n, HALF)[0], "ranks", [advice(
        f"These are the ranks of the same web without its links from a page to itself (pages "
        f"{sorted(loops.tolist())}): a self-link counts like any other link.",
        when=lambda got: close(shape_of(got), reference.pagerank(src, dst, n, HALF)[0]),
    )])


# --- dangling pages and the jump ------------------------------------------------------------------


@points(3)
def test_a_dangling_page_spreads_its_rank_over_every_page(submission, reference, rng):
    n = int(rng.integers(40, 60))
    dead = rng.choice(n - 1, size=n // 5, replace=False)  # never the last page: that is another check's subject
    src, dst = two_way_web(rng, np.setdiff1d(np.arange(n), dead))
    ranks, _ = result_pair(submission.pagerank(src, dst, n, damping=HALF))
    want = reference.pagerank(src, dst, n, HALF)[0]
    expect(ranks, "ranks").to_have_shape((n,))
    expect(ranks, "ranks").to_be_finite()
    total = float(np.sum(np.asarray(ranks, dtype=np.float64)))
    expect(ranks, "ranks", advice=advice(
        f"Up to their sum your ranks are right: the rank of the {len(dead)} pages without out-links was lost, "
        "not spread evenly over all n pages.",
        when=lambda got: total < 1 and close(shape_of(got), want),
    )).to_satisfy(
        abs(total - 1.0) <= 1e-9,
        f"the ranks sum to {total:.10g}, not 1. In this web {len(dead)} pages have no out-links "
        f"(pages {sorted(dead.tolist())[:8]}{'...' if len(dead) > 8 else ''}); a surfer there jumps to any of the "
        "n pages, so every update keeps the total at 1.",
    )
    expect(ranks, "ranks").to_match(want)


@points(2)
def test_a_page_nobody_links_to_gets_exactly_the_jump_share(submission, rng):
    n = int(rng.integers(20, 40))
    damping = float(rng.uniform(0.55, 0.75))
    unlinked = np.r_[rng.choice(n - 1, size=2, replace=False), n - 1]  # the last page among them
    linkable = np.setdiff1d(np.arange(n), unlinked)
    # Every page has 2-4 out-links to distinct other pages (no dangling pages); nobody links to the unlinked ones.
    src, dst = [], []
    for i in range(n):
        targets = rng.choice(np.setdiff1d(linkable, [i]), size=int(rng.integers(2, 5)), replace=False)
        src += [i] * len(targets)
        dst += targets.tolist()
    src, dst = shuffled(rng, src, dst)
    ranks, _ = result_pair(submission.pagerank(src, dst, n, damping=damping))
    expect(ranks, "ranks").to_have_shape((n,))
    want = (1 - damping) / n
    got = np.asarray(ranks, dtype=np.float64)[unlinked]
    expect(ranks, "ranks").to_satisfy(
        bool(np.allclose(got, want, rtol=1e-6, atol=0)),
        f"pages {sorted(unlinked.tolist())} have no in-links and this web has no dangling pages, so all they receive "
        f"is the random jump: (1 − d)/n = {want:.6g} with d = {damping:.4g}, n = {n}; yours got "
        f"{np.array2string(got, precision=6)}.",
    )


# --- stopping -------------------------------------------------------------------------------------


def updates_until(changes, tol):
    """The first update (counting from 1) whose change is below tol."""
    return next((i + 1 for i, c in enumerate(changes) if c < tol), None)


@points(3)
def test_iterations_count_the_updates_until_the_l1_change_is_below_tol(submission, reference, rng):
    n = int(rng.integers(40, 60))
    src, dst = two_way_web(rng, np.arange(n))
    tol = float(10 ** rng.uniform(-4.5, -3.5))
    ranks, iterations = result_pair(submission.pagerank(src, dst, n, tol=tol))
    want_ranks, want = reference.pagerank(src, dst, n, tol=tol)
    # The reference's updates one by one, to say which rule the learner's count follows.
    steps = [np.full(n, 1.0 / n)] + [reference.pagerank(src, dst, n, tol=0.0, max_iter=k)[0] for k in range(1, want + 1)]
    diffs = [b - a for a, b in zip(steps, steps[1:])]
    rules = {
        "the largest single change (L∞)": updates_until([np.abs(d).max() for d in diffs], tol),
        "the Euclidean length of the change (L2)": updates_until([np.linalg.norm(d) for d in diffs], tol),
    }
    expect(iterations, "iterations").to_satisfy(
        isinstance(iterations, (int, np.integer)) and not isinstance(iterations, bool),
        f"iterations is the number of updates made: return it as an int (got {type(iterations).__name__})",
    )
    expect(iterations, "iterations", advice=[
        advice("That is one short: the update whose change fell below tol counts too.", when=lambda got: got == want - 1),
        *(advice(f"That is where {rule} first falls below tol; the rule is the L1 change, np.abs(new - r).sum().",
                 when=lambda got, k=k: got == k and k != want) for rule, k in rules.items()),
    ]).to_satisfy(
        int(iterations) == want,
        f"stopped after {int(iterations)} updates; with tol = {tol:.3g} the L1 change Σ|new − r| first falls below "
        f"tol at update {want}.",
    )
    expect(ranks, "ranks", advice=advice(
        "These are the ranks of the update before the last: the update that met tol is the one to return.",
        when=lambda got: close(got, steps[-2]),
    )).to_match(want_ranks)


@points(2)
def test_max_iter_caps_the_updates(submission, reference, rng):
    n = int(rng.integers(20, 40))
    src, dst = two_way_web(rng, np.arange(n))
    ranks, iterations = result_pair(submission.pagerank(src, dst, n, tol=0.0, max_iter=3))
    expect(iterations, "iterations").to_satisfy(
        isinstance(iterations, (int, np.integer)) and not isinstance(iterations, bool) and int(iterations) == 3,
        f"with max_iter = 3 and tol = 0 (never met) the loop must stop after exactly 3 updates; it reported "
        f"{iterations!r}",
    )
    expect(ranks, "ranks").to_have_shape((n,))
    converged = reference.pagerank(src, dst, n)[0]
    gap = float(np.abs(shape_of(ranks) - converged).sum())
    expect(ranks, "ranks").to_satisfy(
        gap > 1e-6,
        "these are (up to their sum) the converged ranks, which 3 updates from the uniform start do not reach on "
        "this web: stop the updates themselves after max_iter, not only the count.",
    )


@points(1)
def test_a_single_page_and_a_web_without_links(submission):
    empty = np.zeros(0, dtype=np.int64)
    ranks, iterations = result_pair(submission.pagerank(empty, empty, 1))
    expect((ranks, iterations), "pagerank of one page and no links").to_match((np.array([1.0]), 1))
    ranks, iterations = result_pair(submission.pagerank(empty, empty, 5))
    expect((ranks, iterations), "pagerank of five pages and no links").to_match((np.full(5, 0.2), 1))


# --- the caller's arrays, and speed ---------------------------------------------------------------


@points(1)
def test_int32_page_ids_are_accepted_and_left_unchanged(submission, reference, rng):
    n = int(rng.integers(20, 40))
    src, dst = two_way_web(rng, np.arange(n))
    src, dst = src.astype(np.int32), dst.astype(np.int32)
    value, (src_after, dst_after, *_), _ = submission.inputs_after("pagerank", src, dst, n, HALF)
    ranks, _ = result_pair(value)
    with stage("its ranks"):
        expect_shape(ranks, reference.pagerank(src, dst, n, HALF)[0], "ranks")
    for name, before, after in (("src", src, src_after), ("dst", dst, dst_after)):
        same = isinstance(after, np.ndarray) and after.dtype == before.dtype and np.array_equal(after, before)
        expect(ranks, "ranks").to_satisfy(same, f"pagerank changed its input {name}: the caller's array must come back as it was")


@points(3)
def test_a_million_links_take_at_most_3x_the_reference_time(submission, reference_process, rng):
    n, m, updates = 200_000, 1_000_000, 30

    def graph() -> tuple:
        # A fresh random web every round (built directly: the helpers above are slow at this size), with 1%
        # dangling pages, the last page linked both ways, 100 self-links and 100 repeated links, so that every
        # rule of the README shows in the values. tol = 0 is never met: both sides make exactly `updates` updates,
        # and one page links only to itself, so its rank still moves by a factor d per update at the last one.
        linking = np.r_[rng.permutation(n - 1)[: n - n // 100 - 1], n - 1]
        src, dst = linking[rng.integers(0, len(linking), size=m)], rng.integers(0, n, size=m)
        src[0], dst[1] = n - 1, n - 1
        dst[2:102] = src[2:102]
        src[102:202], dst[102:202] = src[202:302], dst[202:302]
        dst[src == linking[0]] = linking[0]
        return src, dst, n, 0.85, 0.0, updates

    def judge(value, expected, args) -> None:
        ranks, _ = result_pair(value)
        expect(ranks, "ranks").to_match(expected[0], rtol=1e-6, atol=1e-14)

    timing = race(submission, reference_process, "pagerank", graph, limit=SPEED_LIMIT, rounds=3, judge=judge)
    if timing.passed:
        return
    best = timing.best
    fail(
        f"{updates} updates on {m:,} links between {n:,} pages took {best.seconds:.2f} s at best; the reference took "
        f"{best.reference_seconds:.2f} s on the same graph in the same run ({best.ratio:.1f}×; at most {SPEED_LIMIT:g}× "
        "earns the points). The README asks for numpy only: no Python loop over edges or pages, and no n × n matrix."
    )
