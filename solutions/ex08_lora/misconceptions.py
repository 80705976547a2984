"""Known-wrong variants of ex08, each with the feedback it earns."""

import torch

from grader.checking.misconceptions import Misconception, sibling_reference

ref = sibling_reference(__file__)

alpha_not_divided = Misconception(
    "scaled by alpha instead of alpha/r",
    "the low-rank path was multiplied by alpha, but LoRA scales it by alpha/r. Dividing by r is what lets you "
    "change the rank without retuning the learning rate: the update's size stays about the same as r grows.",
)


@alpha_not_divided
def lora_forward(x, W, A, B, alpha, r):
    return x @ W.T + alpha * ((x @ A.T) @ B.T)


@alpha_not_divided
def merge_lora(W, A, B, alpha, r):
    return W + alpha * (B @ A)


forward_update_not_transposed = Misconception(
    "update not transposed in the forward pass",
    "the low-rank path was x (B A). With W of shape (d_out, d_in) as in nn.Linear, the layer computes x Wᵀ, and "
    "the update enters the same way, transposed: x ΔWᵀ = (alpha/r)·(x Aᵀ) Bᵀ. On a square layer x (B A) has the "
    "right shape and the wrong values; on any other it cannot be computed.",
)


@forward_update_not_transposed
def lora_forward(x, W, A, B, alpha, r):
    return x @ W.T + (alpha / r) * (x @ (B @ A))


transposed_update = Misconception(
    "update transposed (Aᵀ Bᵀ instead of B A)",
    "your merged update is (B A)ᵀ = Aᵀ Bᵀ. With W of shape (d_out, d_in) as in nn.Linear, the update must have the "
    "same shape: B (d_out, r) times A (r, d_in) gives ΔW = B A. On a square layer the transposed update has the "
    "right shape and the wrong values.",
)


@transposed_update
def merge_lora(W, A, B, alpha, r):
    return W + (alpha / r) * (B @ A).T


merge_subtracts = Misconception(
    "merge subtracts the update",
    "merging adds the update to the frozen weight: W_merged = W + (alpha/r) B A, so that x W_mergedᵀ equals the "
    "LoRA layer's output. Subtracting it is what unmerging does.",
)


@merge_subtracts
def merge_lora(W, A, B, alpha, r):
    return W - (alpha / r) * (B @ A)


merge_in_place = Misconception(
    "merged into W in place",
    "W += ... (or W.add_) overwrote the frozen weight you were given. The base model's weight is shared: "
    "unmerging, swapping adapters, or merging again all need it intact. Return a new tensor.",
)


@merge_in_place
def merge_lora(W, A, B, alpha, r):
    W += (alpha / r) * (B @ A)
    return W


counts_W = Misconception(
    "W counted as trainable",
    "W is frozen in LoRA: only A (r·d_in entries) and B (d_out·r entries) are trained. That is the whole saving: "
    "r·(d_in + d_out) trainable numbers instead of d_out·d_in.",
)


@counts_W
def lora_parameter_count(d_out, d_in, r):
    return d_out * d_in + r * (d_in + d_out), d_out * d_in


forgot_singular_values = Misconception(
    "singular values left out of B A",
    "U[:, :r] @ Vh[:r] has the right directions but every singular value set to 1. The singular values carry "
    "the sizes: B = U[:, :r] * S[:r] (or split them as √S on each side) and A = Vh[:r].",
)


@forgot_singular_values
def best_rank_r_update(delta_W, r):
    U, S, Vh = torch.linalg.svd(delta_W, full_matrices=False)
    return U[:, :r].contiguous(), Vh[:r].contiguous()


first_columns = Misconception(
    "kept the first r columns",
    "keeping r columns (or rows) of ΔW gives a rank-r matrix, but not the best one: it throws away everything in "
    "the other columns. The best rank-r approximation keeps the r largest singular directions (Eckart–Young): "
    "truncate the SVD.",
)


@first_columns
def best_rank_r_update(delta_W, r):
    B = delta_W[:, :r].clone()
    A = torch.eye(r, delta_W.shape[1], dtype=delta_W.dtype)
    return B, A


smallest_singular_values = Misconception(
    "kept the smallest singular values",
    "your B A is built from the r smallest singular values. torch.linalg.svd returns them largest first, so the "
    "best ones are the first r (U[:, :r], S[:r], Vh[:r]); torch.linalg.eigh, on the other hand, sorts eigenvalues "
    "smallest first.",
)


@smallest_singular_values
def best_rank_r_update(delta_W, r):
    U, S, Vh = torch.linalg.svd(delta_W, full_matrices=False)
    return (U[:, -r:] * S[-r:]).contiguous(), Vh[-r:].contiguous()


W_not_transposed = Misconception(
    "frozen weight not transposed",
    "the frozen layer was computed as x W. In nn.Linear's convention W has shape (d_out, d_in) and the layer is "
    "x Wᵀ (x @ W.T): on a square layer x W has the right shape and the wrong values, on any other it fails.",
)


@W_not_transposed
def lora_forward(x, W, A, B, alpha, r):  # noqa: F811
    return x @ W + (alpha / r) * ((x @ A.T) @ B.T)


scale_inverted = Misconception(
    "scaled by r/alpha instead of alpha/r",
    "the update was scaled by r/alpha. LoRA's scale is alpha/r (peft's lora_alpha / r): alpha sets the update's "
    "size, and dividing by r keeps that size about the same when the rank changes.",
)


@scale_inverted
def lora_forward(x, W, A, B, alpha, r):  # noqa: F811
    return x @ W.T + (r / alpha) * ((x @ A.T) @ B.T)


@scale_inverted
def merge_lora(W, A, B, alpha, r):  # noqa: F811
    return W + (r / alpha) * (B @ A)


path_missing = Misconception(
    "low-rank path left out of the forward pass",
    "lora_forward returned x Wᵀ, the frozen layer alone. That is a freshly initialised LoRA's output (B = 0), "
    "but these layers have been trained: add the low-rank path, y = x Wᵀ + (alpha/r)·(x Aᵀ) Bᵀ.",
)


@path_missing
def lora_forward(x, W, A, B, alpha, r):  # noqa: F811
    return x @ W.T


counts_swapped = Misconception(
    "(frozen, trainable) returned in the wrong order",
    "the two counts came back as (frozen, trainable). The contract is (trainable, frozen): first the entries of "
    "A and B, r·(d_in + d_out), then those of W, d_out·d_in.",
)


@counts_swapped
def lora_parameter_count(d_out, d_in, r):  # noqa: F811
    return d_out * d_in, r * (d_in + d_out)


square_count = Misconception(
    "trainable count for a square layer",
    "the trainable count was 2·r·d, as if the layer were square. A has r·d_in entries and B has d_out·r: "
    "r·(d_in + d_out), which differs when d_in ≠ d_out.",
)


@square_count
def lora_parameter_count(d_out, d_in, r):  # noqa: F811
    return 2 * r * d_in, d_out * d_in


factors_swapped = Misconception(
    "factors returned as (A, B)",
    "best_rank_r_update returned (A, B). The contract, like the layer's names, is (B, A): B (d_out, r) first, "
    "then A (r, d_in), so that B @ A has ΔW's shape.",
)


@factors_swapped
def best_rank_r_update(delta_W, r):  # noqa: F811
    B, A = ref.best_rank_r_update(delta_W, r)
    return A, B


vh_as_v = Misconception(
    "Vh's columns taken as the right singular vectors",
    "A was built from the first r COLUMNS of Vh. torch.linalg.svd returns Vh = Vᵀ: the right singular vectors "
    "are its ROWS, so A = Vh[:r] (numpy's svd returns Vt the same way).",
)


@vh_as_v
def best_rank_r_update(delta_W, r):  # noqa: F811
    U, S, Vh = torch.linalg.svd(delta_W, full_matrices=False)
    return (U[:, :r] * S[:r]).contiguous(), Vh[:, :r].T.contiguous()
