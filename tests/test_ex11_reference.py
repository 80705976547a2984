"""ex11's reference PageRank agrees with networkx.pagerank on networkx's bundled real graphs."""

from __future__ import annotations

import numpy as np
import pytest

from grader.checking.misconceptions import load_module

from .conftest import ROOT

nx = pytest.importorskip("networkx")
pytest.importorskip("scipy")  # networkx.pagerank runs on scipy.sparse

reference = load_module(ROOT / "solutions/ex11_pagerank/pagerank.py", "reference")


def edge_arrays(G):
    """(src, dst, n, nodes) for a directed graph, parallel edges kept (MultiDiGraph)."""
    nodes = list(G.nodes())
    index = {v: i for i, v in enumerate(nodes)}
    pairs = [(index[u], index[v]) for u, v in G.edges()]
    src = np.array([p[0] for p in pairs], dtype=np.int64)
    dst = np.array([p[1] for p in pairs], dtype=np.int64)
    return src, dst, len(nodes), nodes


def compare(G, damping=0.85):
    src, dst, n, nodes = edge_arrays(G)
    ranks, iterations = reference.pagerank(src, dst, n, damping=damping, tol=1e-13)
    expected = nx.pagerank(G, alpha=damping, tol=1e-15, max_iter=10_000, weight=None)
    want = np.array([expected[v] for v in nodes])
    assert 1 <= iterations < 1000
    assert ranks.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(ranks, want, rtol=1e-9, atol=1e-12)


def directed(G):
    """An undirected graph with each edge as two links (ignoring weights)."""
    D = nx.DiGraph()
    D.add_nodes_from(G.nodes())
    D.add_edges_from(G.edges())
    D.add_edges_from((v, u) for u, v in G.edges())
    return D


@pytest.mark.parametrize("damping", [0.85, 0.5])
def test_karate_club_as_a_directed_graph(damping):
    compare(directed(nx.karate_club_graph()), damping)


def test_les_miserables():
    compare(directed(nx.les_miserables_graph()))


def test_florentine_families():
    compare(directed(nx.florentine_families_graph()))


def test_karate_club_with_one_way_links_and_dangling_members():
    # Keep each edge in one direction only (from the lower to the higher member), which
    # leaves members with no out-links: an asymmetric graph with dangling pages.
    G = nx.karate_club_graph()
    D = nx.DiGraph()
    D.add_nodes_from(G.nodes())
    D.add_edges_from((min(u, v), max(u, v)) for u, v in G.edges())
    assert any(D.out_degree(v) == 0 for v in D)
    compare(D)


def test_random_directed_multigraph_with_dangling_pages_and_duplicate_links():
    rng = np.random.default_rng(2024)
    n, m = 60, 200
    src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
    keep = ~np.isin(src, [3, 17, 41])
    src, dst = src[keep], dst[keep]
    src, dst = np.concatenate([src, src[:20]]), np.concatenate([dst, dst[:20]])  # 20 duplicate links
    G = nx.MultiDiGraph()
    G.add_nodes_from(range(n))
    G.add_edges_from(zip(src.tolist(), dst.tolist()))
    compare(G)


def test_networkx_counts_duplicates_so_collapsing_them_differs():
    # The comparison above is meaningful: a graph without the duplicates ranks differently.
    rng = np.random.default_rng(7)
    n = 30
    src, dst = rng.integers(0, n, 90), rng.integers(0, n, 90)
    src, dst = np.concatenate([src, src[:15], src[:15]]), np.concatenate([dst, dst[:15], dst[:15]])
    with_dups = reference.pagerank(src, dst, n, tol=1e-13)[0]
    key = np.unique(src * n + dst)
    without = reference.pagerank(key // n, key % n, n, tol=1e-13)[0]
    assert np.abs(with_dups - without).max() > 1e-3
