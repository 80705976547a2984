"""Known-wrong variants of ex10, each with the feedback it earns."""

import math

import torch

from grader.checking.misconceptions import Misconception, sibling_reference

ref = sibling_reference(__file__)


# --- building blocks the variants share ---------------------------------------------------------


def _frequencies(d, base=10000.0, *, two=2.0, dtype=torch.float64):
    i = torch.arange(d // 2, dtype=dtype)
    return base ** (-two * i / d)


def _rope(x, positions=None, base=10000.0, *, pairing="adjacent", sign=1.0, start=0, two=2.0, dtype=torch.float64,
          in_place=False, ignore_positions=False):
    """The reference's RoPE with one knob turned."""
    n, d = x.shape[-2], x.shape[-1]
    pos = torch.arange(start, start + n) if positions is None or ignore_positions else torch.as_tensor(positions)
    angles = pos.to(dtype)[:, None] * _frequencies(d, base, two=two, dtype=dtype)
    cos, sin = torch.cos(angles).to(x.dtype), sign * torch.sin(angles).to(x.dtype)
    if pairing == "half":  # pairs (x[i], x[i + d/2]), the GPT-NeoX / Hugging Face layout
        first, second = x[..., : d // 2], x[..., d // 2:]
        return torch.cat((first * cos - second * sin, first * sin + second * cos), dim=-1)
    even, odd = x[..., 0::2].clone(), x[..., 1::2].clone()
    if in_place:
        x[..., 0::2] = even * cos - odd * sin
        x[..., 1::2] = even * sin + odd * cos
        return x
    return torch.stack((even * cos - odd * sin, even * sin + odd * cos), dim=-1).flatten(-2)


def _scores(q, k, q_pos=None, k_pos=None, base=10000.0, *, rope=_rope, rotate_k=True, scale=True, by_d=False):
    rq = rope(q, q_pos, base)
    rk = rope(k, k_pos, base) if rotate_k else k
    s = rq @ rk.transpose(-2, -1)
    if by_d:
        return s / q.shape[-1]
    return s / math.sqrt(q.shape[-1]) if scale else s


def _mha(X, W_q, W_k, W_v, W_o, n_heads, positions=None, causal=False, base=10000.0, *, rope=_rope, rotate_k=True,
         rotate_v=False, before_split=False, scale=True, by_d=False):
    """The reference's RoPE attention with one knob turned."""
    n, d_model = X.shape[-2], X.shape[-1]
    d_head = d_model // n_heads

    def split(T):
        return T.unflatten(-1, (n_heads, d_head)).transpose(-3, -2)

    Q, K, V = X @ W_q, X @ W_k, X @ W_v
    if before_split:  # one rotation over all d_model features, with d_model's frequencies
        Q, K = rope(Q, positions, base), rope(K, positions, base)
        q, k, v = split(Q), split(K), split(V)
        scores = q @ k.transpose(-2, -1) / math.sqrt(d_head)
    else:
        q, k, v = split(Q), split(K), split(V)
        if rotate_v:
            v = rope(v, positions, base)
        scores = _scores(q, k, positions, positions, base, rope=rope, rotate_k=rotate_k, scale=scale, by_d=by_d)
    if causal:
        scores = scores.masked_fill(torch.ones(n, n, dtype=torch.bool).triu(1), float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return (weights @ v).transpose(-3, -2).flatten(-2) @ W_o


def _everywhere(misconception, **rope_knobs):
    """Register a RoPE variant for apply_rope, rope_scores and rope_multi_head_attention."""

    def rope(x, positions=None, base=10000.0):
        return _rope(x, positions, base, **rope_knobs)

    def apply_rope(x, positions=None, base=10000.0):
        return rope(x, positions, base)

    def rope_scores(q, k, q_pos=None, k_pos=None, base=10000.0):
        return _scores(q, k, q_pos, k_pos, base, rope=rope)

    def rope_multi_head_attention(X, W_q, W_k, W_v, W_o, n_heads, positions=None, causal=False, base=10000.0):
        return _mha(X, W_q, W_k, W_v, W_o, n_heads, positions, causal, base, rope=rope)

    for fn in (apply_rope, rope_scores, rope_multi_head_attention):
        misconception(fn)


# --- in place: outputs right, input changed (listed first: when a check fails only because x was changed,
# every variant with right outputs on that call matches, and the first one listed is the one named) -------------

in_place = Misconception(
    "rotated x in place",
    "apply_rope wrote the rotated pairs back into x (x[..., 0::2] = ..., x[..., 1::2] = ...), so the caller's "
    "tensor changed. Slices of x are views of it: build the result in a new tensor, e.g. "
    "torch.stack((even * cos - odd * sin, even * sin + odd * cos), dim=-1).flatten(-2).",
)


@in_place
def apply_rope(x, positions=None, base=10000.0):
    return _rope(x, positions, base, in_place=True)


# --- apply_rope -----------------------------------------------------------------------------------

half_split = Misconception(
    "pairs split in halves instead of adjacent pairs",
    "you paired x[i] with x[i + d/2] (the 'rotate_half' layout of GPT-NeoX and Hugging Face Llama). That is a valid "
    "RoPE too, but not the one asked for here: this exercise, like the RoFormer paper, rotates ADJACENT pairs "
    "(x[0], x[1]), (x[2], x[3]), ...; take even = x[..., 0::2] and odd = x[..., 1::2], and interleave the results "
    "back with torch.stack(..., dim=-1).flatten(-2).",
)
_everywhere(half_split, pairing="half")


exponent_i_over_d = Misconception(
    "frequencies base^(-i/d) instead of base^(-2i/d)",
    "the exponent was -i/d, so the frequencies fall only half as fast (in log scale) and the slowest pair turns far "
    "quicker than intended. With i counting PAIRS (i = 0 .. d/2 - 1) the exponent is -2i/d: θ_i = base^(-2i/d), "
    "which runs from 1 down to nearly 1/base.",
)


@exponent_i_over_d
def rope_frequencies(d, base=10000.0):
    return _frequencies(d, base, two=1.0)


_everywhere(exponent_i_over_d, two=1.0)


exponent_stepped_twice = Misconception(
    "frequencies base^(-4i/d): the pair index doubled twice",
    "the exponent stepped by 4/d per pair, so the frequencies fall twice as fast as they should and the slow pairs "
    "barely turn. torch.arange(0, d, 2) already counts 0, 2, 4, ... (that is 2i): divide it by d, base ** "
    "(-torch.arange(0, d, 2) / d), or use i = torch.arange(d // 2) in base ** (-2 * i / d), not both.",
)


@exponent_stepped_twice
def rope_frequencies(d, base=10000.0):
    return _frequencies(d, base, two=4.0)


_everywhere(exponent_stepped_twice, two=4.0)


negative_angle = Misconception(
    "rotated by minus the angle",
    "each pair was turned clockwise, by -p·θ_i (the sin terms have the wrong signs). The rotation is "
    "y[2i] = x[2i] cos - x[2i+1] sin and y[2i+1] = x[2i] sin + x[2i+1] cos: (1, 0) at angle a goes to (cos a, sin a).",
)
_everywhere(negative_angle, sign=-1.0)


positions_from_one = Misconception(
    "default positions start at 1",
    "with positions=None the tokens were numbered 1, 2, ..., n. Positions count from 0 (torch.arange(n)), so the "
    "first token is not rotated at all.",
)
_everywhere(positions_from_one, start=1)


positions_ignored = Misconception(
    "positions argument ignored",
    "apply_rope rotated the tokens by their row index (torch.arange(n)) even when positions were given. A token's "
    "position is the one passed in positions (any integers, in any order); use torch.arange(n) only when "
    "positions is None.",
)
_everywhere(positions_ignored, ignore_positions=True)


angles_in_float32 = Misconception(
    "angles computed in float32",
    "the frequencies and angles were computed in float32 (torch.arange's default), which keeps about 7 significant "
    "digits: at position 200 the angle is off by about 1e-5 rad, and so are float64 results. Build them in float64 "
    "(torch.arange(d // 2, dtype=torch.float64)) and cast only cos and sin to x.dtype.",
)


@angles_in_float32
def rope_frequencies(d, base=10000.0):
    return _frequencies(d, base, dtype=torch.float32)


_everywhere(angles_in_float32, dtype=torch.float32)


# --- rope_scores ----------------------------------------------------------------------------------

k_not_rotated = Misconception(
    "only the queries rotated",
    "the queries were rotated but the keys were not. The relative-position property comes from rotating BOTH: "
    "R(a)q · R(b)k = q · R(b - a)k, which depends only on b - a. Apply RoPE to k with k_pos as well.",
)


@k_not_rotated
def rope_scores(q, k, q_pos=None, k_pos=None, base=10000.0):
    return _scores(q, k, q_pos, k_pos, base, rotate_k=False)


@k_not_rotated
def rope_multi_head_attention(X, W_q, W_k, W_v, W_o, n_heads, positions=None, causal=False, base=10000.0):
    return _mha(X, W_q, W_k, W_v, W_o, n_heads, positions, causal, base, rotate_k=False)


no_scale = Misconception(
    "scores not divided by √d",
    "the scores were RoPE(q)·RoPE(k) without the 1/√d factor. Rotations keep lengths, so the scores still grow "
    "like √d with the head size; divide by math.sqrt(q.shape[-1]) as in ordinary attention.",
)


@no_scale
def rope_scores(q, k, q_pos=None, k_pos=None, base=10000.0):
    return _scores(q, k, q_pos, k_pos, base, scale=False)


@no_scale
def rope_multi_head_attention(X, W_q, W_k, W_v, W_o, n_heads, positions=None, causal=False, base=10000.0):
    return _mha(X, W_q, W_k, W_v, W_o, n_heads, positions, causal, base, scale=False)


scaled_by_d = Misconception(
    "scores divided by d instead of √d",
    "the scores were divided by d itself. Rotations keep lengths, so the scores still have a spread of about √d, "
    "and dividing by √d brings it back to about 1; dividing by d flattens the softmax as heads get wider. Divide "
    "by math.sqrt(q.shape[-1]).",
)


@scaled_by_d
def rope_scores(q, k, q_pos=None, k_pos=None, base=10000.0):
    return _scores(q, k, q_pos, k_pos, base, by_d=True)


@scaled_by_d
def rope_multi_head_attention(X, W_q, W_k, W_v, W_o, n_heads, positions=None, causal=False, base=10000.0):
    return _mha(X, W_q, W_k, W_v, W_o, n_heads, positions, causal, base, by_d=True)


# --- multi-head attention -------------------------------------------------------------------------

values_rotated = Misconception(
    "values rotated too",
    "the values were rotated as well. RoPE is about where tokens are relative to each other, which only the "
    "scores q·k need; rotating v mixes each value's features by its absolute position and breaks the "
    "shift invariance of the output. Rotate q and k only.",
)


@values_rotated
def rope_multi_head_attention(X, W_q, W_k, W_v, W_o, n_heads, positions=None, causal=False, base=10000.0):
    return _mha(X, W_q, W_k, W_v, W_o, n_heads, positions, causal, base, rotate_v=True)


rope_before_split = Misconception(
    "RoPE applied to the whole d_model vector before splitting the heads",
    "the queries and keys were rotated as d_model-dimensional vectors, with d_model's frequencies, and then cut "
    "into heads, so head h gets the frequencies of pairs h·d_head/2 onwards. Each head is its own attention: split "
    "first, then apply RoPE to each head's (..., n, d_head) queries and keys, with d = d_head.",
)


@rope_before_split
def rope_multi_head_attention(X, W_q, W_k, W_v, W_o, n_heads, positions=None, causal=False, base=10000.0):
    return _mha(X, W_q, W_k, W_v, W_o, n_heads, positions, causal, base, before_split=True)
