"""ex09's reference agrees with torch's own attention and softmax (the reference must be right before it grades)."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from grader.checking.misconceptions import load_module  # noqa: E402

from .conftest import ROOT  # noqa: E402

DTYPES = [torch.float32, torch.float64]
TOL = {torch.float32: {"rtol": 1e-5, "atol": 1e-6}, torch.float64: {"rtol": 1e-10, "atol": 1e-12}}


@pytest.fixture(scope="module")
def ref():
    return load_module(ROOT / "solutions" / "ex09_attention" / "attention.py", "reference")


def qkv(gen, q_lead, kv_lead, n, m, d_k, d_v, dtype):
    Q = torch.randn(*q_lead, n, d_k, generator=gen, dtype=torch.float64).to(dtype)
    K = torch.randn(*kv_lead, m, d_k, generator=gen, dtype=torch.float64).to(dtype)
    V = torch.randn(*kv_lead, m, d_v, generator=gen, dtype=torch.float64).to(dtype)
    return Q, K, V


def mask_for(gen, *shape):
    mask = torch.rand(*shape, generator=gen) < 0.5
    mask[..., 0] = True  # every query sees at least one key
    return mask


def torch_weights(Q, K, allowed=None):
    scores = Q @ K.transpose(-2, -1) / math.sqrt(Q.shape[-1])
    if allowed is not None:
        scores = scores.masked_fill(~allowed, float("-inf"))
    return torch.softmax(scores, dim=-1)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,dim", [((7,), -1), ((3, 5), -1), ((4, 5, 6), 1), ((4, 5, 6), 0)])
def test_softmax_matches_torch_softmax(ref, dtype, shape, dim):
    gen = torch.Generator().manual_seed(0)
    x = (3 * torch.randn(*shape, generator=gen, dtype=torch.float64)).to(dtype)
    got = ref.softmax(x, dim=dim)
    assert got.dtype == dtype
    torch.testing.assert_close(got, torch.softmax(x, dim=dim), **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_is_stable_and_leaves_its_input_alone(ref, dtype):
    x = torch.tensor([[1e4, 1e4 - 1.0, -1e4], [-1e4, -1e4 + 2.0, -1e4 + 0.5]], dtype=dtype)
    before = x.clone()
    got = ref.softmax(x)
    assert torch.isfinite(got).all()
    torch.testing.assert_close(got, torch.softmax(x, dim=-1), **TOL[dtype])
    assert torch.equal(x, before)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "q_lead,kv_lead",
    [((), ()), ((2,), (2,)), ((2, 3), (2, 3)), ((2, 3), (2, 1)), ((2, 3), (1,)), ((2, 3), ())],
    ids=["plain", "batch", "batch-heads", "kv-shared-by-heads", "kv-shared-by-all", "kv-unbatched"],
)
def test_attention_matches_torch_without_a_mask(ref, dtype, q_lead, kv_lead):
    gen = torch.Generator().manual_seed(1)
    Q, K, V = qkv(gen, q_lead, kv_lead, 5, 7, 8, 6, dtype)
    out, w = ref.scaled_dot_product_attention(Q, K, V)
    assert out.dtype == dtype and w.dtype == dtype
    torch.testing.assert_close(out, F.scaled_dot_product_attention(Q, K, V), **TOL[dtype])
    torch.testing.assert_close(w, torch_weights(Q, K), **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mask_lead", [(), (3,), (2, 3), (2, 1)], ids=["shared", "per-head", "per-batch-head", "per-batch"])
def test_attention_matches_torch_with_a_boolean_mask(ref, dtype, mask_lead):
    gen = torch.Generator().manual_seed(2)
    Q, K, V = qkv(gen, (2, 3), (2, 3), 5, 7, 8, 6, dtype)
    mask = mask_for(gen, *mask_lead, 5, 7)
    out, w = ref.scaled_dot_product_attention(Q, K, V, mask=mask)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(Q, K, V, attn_mask=mask), **TOL[dtype])
    torch.testing.assert_close(w, torch_weights(Q, K, mask), **TOL[dtype])
    assert (w[~mask.expand_as(w)] == 0).all()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n,m", [(6, 6), (4, 7), (1, 1)])
def test_causal_attention_matches_torch(ref, dtype, n, m):
    gen = torch.Generator().manual_seed(3)
    Q, K, V = qkv(gen, (2, 3), (2, 3), n, m, 8, 5, dtype)
    out, w = ref.scaled_dot_product_attention(Q, K, V, causal=True)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(Q, K, V, is_causal=True), **TOL[dtype])
    assert (w.triu(1) == 0).all()


@pytest.mark.parametrize("dtype", DTYPES)
def test_causal_with_a_mask_matches_torch_with_the_combined_mask(ref, dtype):
    gen = torch.Generator().manual_seed(4)
    Q, K, V = qkv(gen, (2,), (2,), 6, 6, 4, 3, dtype)
    mask = mask_for(gen, 6, 6)
    combined = mask & torch.ones(6, 6, dtype=torch.bool).tril()
    out, w = ref.scaled_dot_product_attention(Q, K, V, mask=mask, causal=True)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(Q, K, V, attn_mask=combined), **TOL[dtype])
    torch.testing.assert_close(w, torch_weights(Q, K, combined), **TOL[dtype])


def test_a_query_with_no_visible_key_gets_zeros_not_nan(ref):
    gen = torch.Generator().manual_seed(5)
    Q, K, V = qkv(gen, (), (), 4, 5, 8, 3, torch.float64)
    mask = mask_for(gen, 4, 5)
    mask[2] = False
    out, w = ref.scaled_dot_product_attention(Q, K, V, mask=mask)
    assert torch.isfinite(out).all() and torch.isfinite(w).all()
    assert (out[2] == 0).all() and (w[2] == 0).all()
    keep = torch.tensor([0, 1, 3])
    expected = F.scaled_dot_product_attention(Q[keep], K, V, attn_mask=mask[keep])
    torch.testing.assert_close(out[keep], expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("lead,causal", [((2,), False), ((2,), True), ((), False), ((2, 3), True)])
def test_multi_head_attention_matches_torch_multihead_attention(ref, dtype, lead, causal):
    gen = torch.Generator().manual_seed(6)
    d_model, n_heads, n = 12, 3, 5
    X = torch.randn(*lead, n, d_model, generator=gen, dtype=torch.float64).to(dtype)
    W = [(torch.randn(d_model, d_model, generator=gen, dtype=torch.float64) / math.sqrt(d_model)).to(dtype) for _ in range(4)]
    mha = torch.nn.MultiheadAttention(d_model, n_heads, bias=False, batch_first=True, dtype=dtype)
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.cat([W[0].T, W[1].T, W[2].T]))
        mha.out_proj.weight.copy_(W[3].T)
        flat = X.reshape(-1, n, d_model)
        hidden = torch.ones(n, n, dtype=torch.bool).triu(1) if causal else None  # torch: True = not allowed
        expected, _ = mha(flat, flat, flat, attn_mask=hidden, need_weights=False)
    got = ref.multi_head_attention(X, *W, n_heads, causal=causal)
    assert got.dtype == dtype
    torch.testing.assert_close(got, expected.reshape(X.shape), **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("tile_bytes", [1, 700, 1 << 22])  # one row a block, ragged blocks, one block
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("q_lead,kv_lead,n,m", [((2, 3), (2, 3), 13, 13), ((2, 1), (1, 3), 9, 11), ((), (), 12, 5)])
def test_attention_by_blocks_of_queries_matches_torch(ref, monkeypatch, dtype, tile_bytes, causal, q_lead, kv_lead, n, m):
    # What multi_head_attention runs: the output without the weights, a block of query rows at a time.
    monkeypatch.setattr(ref, "_TILE_BYTES", tile_bytes)
    gen = torch.Generator().manual_seed(7)
    Q, K, V = qkv(gen, q_lead, kv_lead, n, m, 8, 6, dtype)
    got = ref._attention_output(Q, K, V, causal=causal)
    assert got.dtype == dtype
    torch.testing.assert_close(got, F.scaled_dot_product_attention(Q, K, V, is_causal=causal), **TOL[dtype])
    torch.testing.assert_close(got, ref.scaled_dot_product_attention(Q, K, V, causal=causal)[0], **TOL[dtype])
