"""Known-wrong variants of ex03, each with the feedback it earns."""

import numpy as np

from grader.checking.misconceptions import Misconception, sibling_reference

ref = sibling_reference(__file__)

flops_without_two = Misconception(
    "counted M·N·K FLOPs",
    "each of the M·N outputs is a dot product of length K: K multiplies AND K adds. A multiply-add is two "
    "floating-point operations, so a GEMM costs 2·M·N·K FLOPs (the convention behind every TFLOP/s figure).",
)


@flops_without_two
def gemm_flops(M, N, K):
    return M * N * K


@flops_without_two
def arithmetic_intensity(M, N, K, bytes_per_element):
    return M * N * K / ((M * K + K * N + M * N) * bytes_per_element)


output_not_counted = Misconception(
    "forgot the bytes of the output",
    "you counted the bytes of A and B but not of C: the M·N results have to be written back to memory too. "
    "Bytes moved = (M·K + K·N + M·N) · bytes_per_element.",
)


@output_not_counted
def arithmetic_intensity(M, N, K, bytes_per_element):
    return ref.gemm_flops(M, N, K) / ((M * K + K * N) * bytes_per_element)


elements_not_bytes = Misconception(
    "intensity per element instead of per byte",
    "you divided the FLOPs by the number of elements moved, not by the bytes: multiply the element count by "
    "bytes_per_element (2 for float16, 4 for float32). Halving the precision doubles the intensity.",
)


@elements_not_bytes
def arithmetic_intensity(M, N, K, bytes_per_element):
    return ref.gemm_flops(M, N, K) / (M * K + K * N + M * N)


batch_from_a = Misconception(
    "batch shape taken from one operand",
    "the batch dimensions of the result come from BOTH operands, broadcast together: (2, 1, n, k) @ (3, k, m) "
    "is (2, 3, n, m). Line the batch shapes up from the right, pad the shorter with 1s, and take the larger "
    "size where one of them is 1 (np.broadcast_shapes does exactly this).",
)


@batch_from_a
def matmul_shape(shape_a, shape_b):
    ref.matmul_shape(shape_a, shape_b)
    longer = shape_a if len(shape_a) >= len(shape_b) else shape_b
    return (*longer[:-2], shape_a[-2], shape_b[-1])


flattened_batch = Misconception(
    "batch dimensions flattened",
    "you reshaped the batch to one dimension, (p·q, n, k), and returned it that way: the result must keep the "
    "batch shape (p, q, n, m). Reshape back with out.reshape(*batch, n, m), or broadcast without reshaping.",
)


@flattened_batch
def matmul(A, B):
    out = ref.matmul(A, B)
    return out.reshape(-1, *out.shape[-2:]) if out.ndim > 3 else out


reversed_order = Misconception(
    "multiplied the layers in the wrong order",
    "the layers were combined as W₁ W₂ ⋯ W_L, but x goes through W₁ first, so it must end up on the RIGHT: "
    "(x W₁ᵀ) W₂ᵀ = x (W₂ W₁)ᵀ. The collapsed weight is W_L ⋯ W₂ W₁.",
)


@reversed_order
def collapse_linear_layers(weights, biases):
    W, b = weights[0], biases[0]
    for Wi, bi in zip(weights[1:], biases[1:]):
        W = ref.matmul(W, Wi)
        b = ref.matmul(Wi, b[:, None])[:, 0] + bi
    return W, b


biases_added = Misconception(
    "added the biases without passing them through later layers",
    "the bias of layer 1 goes through layer 2's weights like everything else: (x W₁ᵀ + b₁) W₂ᵀ + b₂ has bias "
    "W₂ b₁ + b₂, not b₁ + b₂. Fold the layers in one at a time: b ← Wᵢ b + bᵢ.",
)


@biases_added
def collapse_linear_layers(weights, biases):
    W, _ = ref.collapse_linear_layers(weights, biases)
    return W, np.sum(biases, axis=0)
