"""How fast the reference solutions are, against the library each exercise teaches.

Targets (issue 8), each a ratio measured in this one run:
  randomized_svd   >= 10x faster than numpy.linalg.svd on 4000 x 3000, k = 20
  pagerank         at least as fast as networkx.pagerank on a graph of a million edges
  attention        within 2x of torch's scaled_dot_product_attention on the CPU (the output;
                   returning the (n, m) weights as well is shown on the next row)
  triton GEMM      >= 90% of torch.matmul at 4096^3 fp16 on a CUDA GPU (skipped without one)

Run: python bench/reference_speed.py [--quick]
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
from _common import load, median_time, median_times, table


def svd_rows(quick: bool) -> list[tuple[str, float, str]]:
    svd = load("solutions/ex06_truncated_svd/svd.py")
    rng = np.random.default_rng(0)
    m, n, k = (1000, 800, 20) if quick else (4000, 3000, 20)
    X = rng.standard_normal((m, 200)) @ rng.standard_normal((200, n)) + 0.01 * rng.standard_normal((m, n))
    full = median_time(lambda: np.linalg.svd(X, full_matrices=False), repeat=3 if not quick else 3, warmup=0)
    rand = median_time(lambda: svd.randomized_svd(X, k), repeat=5)
    U, S, Vt = svd.randomized_svd(X, k)
    s_all = np.linalg.svd(X, compute_uv=False)
    optimal = np.sqrt(np.sum(s_all[k:] ** 2))
    err = np.linalg.norm(X - (U * S) @ Vt)
    return [
        (f"numpy.linalg.svd {m}x{n}", full, "baseline"),
        (f"reference randomized_svd k={k}", rand, f"{full / rand:.1f}x faster (target >= 10x); error {err / optimal:.3f}x optimal"),
    ]


def pagerank_rows(quick: bool) -> list[tuple[str, float, str]]:
    import networkx as nx

    pr = load("solutions/ex11_pagerank/pagerank.py")
    rng = np.random.default_rng(1)
    n, m = (10_000, 100_000) if quick else (100_000, 1_000_000)
    src = rng.integers(0, n, m)
    dst = (src + rng.geometric(0.001, m)) % n  # asymmetric, local-ish links
    G = nx.MultiDiGraph()
    G.add_nodes_from(range(n))
    G.add_edges_from(zip(src.tolist(), dst.tolist()))
    ours = median_time(lambda: pr.pagerank(src, dst, n, tol=1e-10), repeat=3)
    found: dict[int, float] = {}
    # networkx stops when the L1 change is below n * tol: the same rule as ours with tol / n.
    theirs = median_time(lambda: found.update(nx.pagerank(G, alpha=0.85, tol=1e-10 / n, max_iter=1000)), repeat=1, warmup=0)
    ranks, _ = pr.pagerank(src, dst, n, tol=1e-10)
    ref = found
    diff = np.max(np.abs(ranks - np.array([ref[i] for i in range(n)])))
    return [
        (f"networkx.pagerank {m:,} edges", theirs, "baseline"),
        ("reference pagerank", ours, f"{theirs / ours:.1f}x faster (target >= 1x); max |diff| {diff:.1e}"),
    ]


def attention_rows(quick: bool) -> list[tuple[str, float, str]]:
    import torch

    att = load("solutions/ex09_attention/attention.py")
    torch.manual_seed(0)
    b, h, n, d = (2, 4, 128, 64) if quick else (4, 8, 512, 64)
    Q, K, V = (torch.randn(b, h, n, d) for _ in range(3))
    from torch.nn.attention import SDPBackend, sdpa_kernel

    sdpa = torch.nn.functional.scaled_dot_product_attention
    rows = []
    for causal in (False, True):
        # Interleaved rounds, so that a burst of load elsewhere hits every candidate alike.
        timings = median_times(
            {
                "fused": lambda c=causal: sdpa(Q, K, V, is_causal=c),
                "math": lambda c=causal: _math_sdpa(sdpa_kernel, SDPBackend, sdpa, Q, K, V, c),
                "output": lambda c=causal: att._attention_output(Q, K, V, causal=c),
                "weights": lambda c=causal: att.scaled_dot_product_attention(Q, K, V, causal=c),
            },
            rounds=15 if quick else 25,
        )
        fused, math_path = timings["fused"], timings["math"]
        tag = "causal" if causal else "full"
        rows += [
            (f"torch sdpa {tag} {b}x{h}x{n}x{d} (fused)", fused, "baseline"),
            (f"torch sdpa {tag} (math backend)", math_path, f"{math_path / fused:.2f}x fused"),
            (
                f"reference attention {tag}",
                timings["output"],
                f"{timings['output'] / fused:.2f}x fused (target <= 2x), {timings['output'] / math_path:.2f}x math",
            ),
            (
                "  ... and returning the weights",
                timings["weights"],
                f"{timings['weights'] / fused:.2f}x fused, {timings['weights'] / math_path:.2f}x math",
            ),
        ]
    return rows


def _math_sdpa(sdpa_kernel: Any, backend: Any, sdpa: Any, Q: Any, K: Any, V: Any, causal: bool) -> Any:
    with sdpa_kernel(backend.MATH):
        return sdpa(Q, K, V, is_causal=causal)


def gemm_rows() -> list[tuple[str, float, str]]:
    import torch

    if not torch.cuda.is_available():
        return [("triton GEMM 4096^3 fp16", float("nan"), "skipped: no CUDA GPU on this machine")]
    import triton.testing

    gemm = load("solutions/ex15_triton_gemm/gemm.py")
    a = torch.randn(4096, 4096, device="cuda", dtype=torch.float16)
    b = torch.randn(4096, 4096, device="cuda", dtype=torch.float16)
    ours = triton.testing.do_bench(lambda: gemm.matmul(a, b)) / 1000
    theirs = triton.testing.do_bench(lambda: torch.matmul(a, b)) / 1000
    flops = 2 * 4096**3
    return [
        ("torch.matmul 4096^3 fp16", theirs, f"{flops / theirs / 1e12:.0f} TFLOP/s"),
        ("reference triton GEMM", ours, f"{flops / ours / 1e12:.0f} TFLOP/s, {theirs / ours:.0%} of cuBLAS (target >= 90%)"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = parser.parse_args()
    table(svd_rows(args.quick), "randomized SVD")
    table(pagerank_rows(args.quick), "PageRank")
    table(attention_rows(args.quick), "attention")
    table(gemm_rows(), "Triton GEMM")


if __name__ == "__main__":
    main()
