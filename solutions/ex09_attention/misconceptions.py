"""Known-wrong variants of ex09, each with the feedback it earns."""

import math

import torch

from grader.checking.misconceptions import Misconception, sibling_reference

ref = sibling_reference(__file__)


# --- building blocks the variants share ---------------------------------------------------------


def _unstable_softmax(x, dim=-1):
    e = torch.exp(x)
    return e / e.sum(dim=dim, keepdim=True)


def _causal_keep(n, m, kind):
    ones = torch.ones(n, m, dtype=torch.bool)
    return {"right": ones.tril(), "strict": ones.tril(-1), "transposed": ones.triu()}[kind]


def _attention(Q, K, V, mask=None, causal=False, *, scale=None, dim=-1, softmax=ref.softmax, causal_kind="right",
               invert_mask=False, empty_rows_nan=False, after_softmax=False, filler=None):
    """The reference's attention with one knob turned."""
    scale = math.sqrt(Q.shape[-1]) if scale is None else scale
    scores = Q @ K.transpose(-2, -1) / scale
    allowed = None if mask is None else (~mask if invert_mask else mask)
    if causal:
        keep = _causal_keep(*scores.shape[-2:], causal_kind)
        allowed = keep if allowed is None else allowed & keep
    if allowed is None:
        weights = softmax(scores, dim=dim)
    elif after_softmax:  # the hidden weights zeroed after the softmax: the rows no longer sum to 1
        weights = torch.where(allowed, softmax(scores, dim=dim), 0.0)
    elif filler is not None:  # a finite stand-in for -inf, and nothing done about rows with no visible key
        weights = softmax(torch.where(allowed, scores, filler), dim=dim)
    else:
        scores = torch.where(allowed, scores, float("-inf"))
        has_key = allowed.any(dim=-1, keepdim=True)
        if empty_rows_nan:  # the usual code: a row of -inf goes straight into the softmax and comes out NaN
            has_key = torch.ones_like(has_key)
        scores = torch.where(has_key, scores, 0.0)
        weights = torch.where(has_key, softmax(scores, dim=dim), 0.0)
    return weights @ V, weights


def _mha(X, W_q, W_k, W_v, W_o, n_heads, causal=False, *, split="blocks", use_w_o=True, attention=_attention,
         scale_by_model=False):
    """The reference's multi-head attention with one knob turned."""
    *lead, n, d_model = X.shape
    d_head = d_model // n_heads

    def to_heads(T):
        if split == "interleaved":  # head h takes columns h, h + n_heads, h + 2 n_heads, ...
            return T.unflatten(-1, (d_head, n_heads)).permute(*range(len(lead)), -1, -3, -2)
        if split == "no_transpose":  # reshaped straight to (n_heads, n, d_head): tokens get mixed up
            return T.reshape(*lead, n_heads, n, d_head)
        return T.unflatten(-1, (n_heads, d_head)).transpose(-3, -2)

    def from_heads(H):
        if split == "interleaved":
            return H.permute(*range(len(lead)), -2, -1, -3).flatten(-2)
        if split == "no_transpose":
            return H.reshape(*lead, n, d_model)
        return H.transpose(-3, -2).flatten(-2)

    kwargs = {"scale": math.sqrt(d_model)} if scale_by_model else {}
    heads, _ = attention(to_heads(X @ W_q), to_heads(X @ W_k), to_heads(X @ W_v), causal=causal, **kwargs)
    concat = from_heads(heads)
    return concat @ W_o if use_w_o else concat


# --- in place: outputs right, inputs changed (listed first: when a check fails only because an input was
# changed, every variant with right outputs matches, and the first one listed is the one named) ---------

in_place_softmax = Misconception(
    "softmax subtracts the maximum in place",
    "x -= x.amax(...) (or x.sub_(...)) writes into the caller's tensor: the logits they passed in are gone after "
    "the call. Write shifted = x - x.amax(dim, keepdim=True): the out-of-place form makes a new tensor.",
)


@in_place_softmax
def softmax(x, dim=-1):
    x -= x.amax(dim=dim, keepdim=True)
    e = torch.exp(x)
    return e / e.sum(dim=dim, keepdim=True)


in_place_scaling = Misconception(
    "Q scaled in place",
    "Q /= math.sqrt(d_k) (or Q.div_(...)) divides the caller's tensor itself: their queries come back changed. "
    "Scale the scores instead, into a new tensor: scores = Q @ K.transpose(-2, -1) / math.sqrt(d_k).",
)


@in_place_scaling
def scaled_dot_product_attention(Q, K, V, mask=None, causal=False):
    Q /= math.sqrt(Q.shape[-1])
    return _attention(Q, K, V, mask, causal, scale=1.0)


# --- softmax ------------------------------------------------------------------------------------

unstable = Misconception(
    "softmax without subtracting the maximum",
    "exp(x) overflows to inf once x passes about 709 in float64 (88 in float32), and inf/inf is NaN; "
    "very negative logits underflow to 0 and give 0/0. softmax(x) equals softmax(x - c) for any constant c, so "
    "subtract each row's maximum (x.amax(dim, keepdim=True)) before exp: the largest term becomes exp(0) = 1.",
)


@unstable
def softmax(x, dim=-1):
    return _unstable_softmax(x, dim)


@unstable
def scaled_dot_product_attention(Q, K, V, mask=None, causal=False):
    return _attention(Q, K, V, mask, causal, softmax=_unstable_softmax)


@unstable
def multi_head_attention(X, W_q, W_k, W_v, W_o, n_heads, causal=False):
    return _mha(X, W_q, W_k, W_v, W_o, n_heads, causal,
                attention=lambda *a, **k: _attention(*a, softmax=_unstable_softmax, **k))


ignores_dim = Misconception(
    "softmax ignores its dim argument",
    "the softmax always normalised over the last axis, whatever dim was asked for. Use dim in both reductions: "
    "x.amax(dim=dim, keepdim=True) and e.sum(dim=dim, keepdim=True); keepdim=True keeps the shapes broadcastable.",
)


@ignores_dim
def softmax(x, dim=-1):
    return ref.softmax(x, dim=-1)


# --- scaled dot-product attention ----------------------------------------------------------------

no_scale = Misconception(
    "scores not divided by √d_k",
    "the scores were Q Kᵀ without the 1/√d_k factor. The dot product of two random d_k-dimensional vectors has a "
    "spread of about √d_k, so without the factor the softmax saturates towards one-hot as heads get wider and "
    "gradients vanish. Divide by math.sqrt(Q.shape[-1]).",
)


@no_scale
def scaled_dot_product_attention(Q, K, V, mask=None, causal=False):
    return _attention(Q, K, V, mask, causal, scale=1.0)


@no_scale
def multi_head_attention(X, W_q, W_k, W_v, W_o, n_heads, causal=False):
    return _mha(X, W_q, W_k, W_v, W_o, n_heads, causal, attention=lambda *a, **k: _attention(*a, scale=1.0, **k))


scaled_by_d_k = Misconception(
    "scores divided by d_k instead of √d_k",
    "the scores were divided by d_k itself. The dot product of two random d_k-dimensional vectors has a spread of "
    "about √d_k, and dividing by √d_k brings it back to about 1; dividing by d_k flattens the softmax towards "
    "uniform as heads get wider. Divide by math.sqrt(Q.shape[-1]).",
)


@scaled_by_d_k
def scaled_dot_product_attention(Q, K, V, mask=None, causal=False):
    return _attention(Q, K, V, mask, causal, scale=Q.shape[-1])


@scaled_by_d_k
def multi_head_attention(X, W_q, W_k, W_v, W_o, n_heads, causal=False):
    return _mha(X, W_q, W_k, W_v, W_o, n_heads, causal,
                attention=lambda Q, K, V, **k: _attention(Q, K, V, scale=Q.shape[-1], **k))


over_queries = Misconception(
    "softmax over the queries",
    "the weights were normalised down each column (over the queries, dim=-2) instead of along each row. "
    "Every query needs its own probability distribution over the keys: softmax(scores, dim=-1) on the (n, m) scores.",
)


@over_queries
def scaled_dot_product_attention(Q, K, V, mask=None, causal=False):
    return _attention(Q, K, V, mask, causal, dim=-2)


@over_queries
def multi_head_attention(X, W_q, W_k, W_v, W_o, n_heads, causal=False):
    return _mha(X, W_q, W_k, W_v, W_o, n_heads, causal, attention=lambda *a, **k: _attention(*a, dim=-2, **k))


causal_hides_diagonal = Misconception(
    "causal mask off by one (hides j >= i)",
    "the causal mask also hid each query's own position, so query 0 sees nothing at all. A token may attend to "
    "itself and to earlier tokens: hide only j > i, the part strictly above the diagonal "
    "(visible = torch.ones(n, m, dtype=torch.bool).tril(), which includes the diagonal).",
)


@causal_hides_diagonal
def scaled_dot_product_attention(Q, K, V, mask=None, causal=False):
    return _attention(Q, K, V, mask, causal, causal_kind="strict", empty_rows_nan=causal)


@causal_hides_diagonal
def multi_head_attention(X, W_q, W_k, W_v, W_o, n_heads, causal=False):
    return _mha(X, W_q, W_k, W_v, W_o, n_heads, causal,
                attention=lambda *a, **k: _attention(*a, causal_kind="strict", empty_rows_nan=causal, **k))


causal_transposed = Misconception(
    "causal mask transposed (hides the past)",
    "the causal mask kept the keys j >= i, the future, and hid the past. Rows are queries and columns are keys: "
    "query i may see keys 0..i, the lower triangle, torch.ones(n, m, dtype=torch.bool).tril() (not triu).",
)


@causal_transposed
def scaled_dot_product_attention(Q, K, V, mask=None, causal=False):
    return _attention(Q, K, V, mask, causal, causal_kind="transposed")


@causal_transposed
def multi_head_attention(X, W_q, W_k, W_v, W_o, n_heads, causal=False):
    return _mha(X, W_q, W_k, W_v, W_o, n_heads, causal,
                attention=lambda *a, **k: _attention(*a, causal_kind="transposed", **k))


mask_inverted = Misconception(
    "mask meaning inverted",
    "the keys where mask is True were hidden and the others attended. Here True means 'may attend' (as in "
    "torch.nn.functional.scaled_dot_product_attention): keep the scores where mask is True and set the others to -inf.",
)


@mask_inverted
def scaled_dot_product_attention(Q, K, V, mask=None, causal=False):
    return _attention(Q, K, V, mask, causal, invert_mask=True)


empty_rows_nan = Misconception(
    "a query with no visible key gives NaN",
    "when every key of a query is masked, its scores are all -inf and the softmax computes exp(-inf - (-inf)) = "
    "NaN. Decide what such a query gets before the softmax: find the rows with no visible key "
    "(visible.any(dim=-1, keepdim=True)), give them any finite scores, and set their weights to 0 afterwards "
    "with torch.where, so their output is 0.",
)


@empty_rows_nan
def scaled_dot_product_attention(Q, K, V, mask=None, causal=False):
    return _attention(Q, K, V, mask, causal, empty_rows_nan=True)


masked_after_softmax = Misconception(
    "hidden weights zeroed after the softmax",
    "the softmax ran over every key and the hidden keys' weights were set to 0 afterwards, so the visible keys "
    "keep only part of the weight and the rows no longer sum to 1. Hide keys before the softmax: set their "
    "scores to -inf, and the visible keys share all of the weight.",
)


@masked_after_softmax
def scaled_dot_product_attention(Q, K, V, mask=None, causal=False):
    return _attention(Q, K, V, mask, causal, after_softmax=True)


@masked_after_softmax
def multi_head_attention(X, W_q, W_k, W_v, W_o, n_heads, causal=False):
    return _mha(X, W_q, W_k, W_v, W_o, n_heads, causal, attention=lambda *a, **k: _attention(*a, after_softmax=True, **k))


finite_filler = Misconception(
    "hidden scores set to -1e9, rows with no visible key left alone",
    "the hidden scores were set to a large finite number (-1e9) instead of -inf. That hides keys as well, but a "
    "query that may see no key at all gets all its scores equal, and the softmax spreads its weight evenly over "
    "keys it may not see. The README asks for zero weights and a zero output there: find those rows with "
    "visible.any(dim=-1, keepdim=True) and zero their weights with torch.where.",
)


@finite_filler
def scaled_dot_product_attention(Q, K, V, mask=None, causal=False):
    return _attention(Q, K, V, mask, causal, filler=-1e9)


# --- multi-head attention ------------------------------------------------------------------------

interleaved = Misconception(
    "heads interleaved instead of contiguous column blocks",
    "head h took columns h, h + n_heads, h + 2·n_heads, ... (a reshape to (n, d_head, n_heads)). The convention "
    "here (and in torch.nn.MultiheadAttention) is contiguous blocks: head h owns columns h*d_head:(h+1)*d_head, "
    "which is what Q.unflatten(-1, (n_heads, d_head)) gives.",
)


@interleaved
def multi_head_attention(X, W_q, W_k, W_v, W_o, n_heads, causal=False):
    return _mha(X, W_q, W_k, W_v, W_o, n_heads, causal, split="interleaved")


heads_without_transpose = Misconception(
    "reshaped to (n_heads, n, d_head) without a transpose",
    "Q.reshape(..., n_heads, n, d_head) reinterprets the memory of the (n, d_model) projection, so each 'head' "
    "holds pieces of different tokens. Split the feature axis first, (..., n, n_heads, d_head), then swap the two "
    "middle axes with .transpose(-3, -2); undo both in the same way after attention.",
)


@heads_without_transpose
def multi_head_attention(X, W_q, W_k, W_v, W_o, n_heads, causal=False):
    return _mha(X, W_q, W_k, W_v, W_o, n_heads, causal, split="no_transpose")


no_w_o = Misconception(
    "output projection W_o forgotten",
    "the concatenated heads came back as they were, without the final projection. Multi-head attention ends with "
    "concat @ W_o, which mixes the heads' outputs back into the model's d_model features.",
)


@no_w_o
def multi_head_attention(X, W_q, W_k, W_v, W_o, n_heads, causal=False):
    return _mha(X, W_q, W_k, W_v, W_o, n_heads, causal, use_w_o=False)


scaled_by_d_model = Misconception(
    "multi-head scores divided by √d_model",
    "each head's scores were divided by √d_model. Inside a head the dot products run over d_head = d_model / n_heads "
    "coordinates, so the factor is 1/√d_head: call your attention on the per-head tensors and let it use their last "
    "dimension.",
)


@scaled_by_d_model
def multi_head_attention(X, W_q, W_k, W_v, W_o, n_heads, causal=False):
    return _mha(X, W_q, W_k, W_v, W_o, n_heads, causal, scale_by_model=True)


causal_not_passed_on = Misconception(
    "causal not passed on to the heads",
    "multi_head_attention ignored causal=True: the heads attended to later tokens too. Pass causal on to the "
    "attention of every head (the same mask applies to each head).",
)


@causal_not_passed_on
def multi_head_attention(X, W_q, W_k, W_v, W_o, n_heads, causal=False):
    return _mha(X, W_q, W_k, W_v, W_o, n_heads, False)
