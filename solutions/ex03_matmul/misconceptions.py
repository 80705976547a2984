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


no_inner_check = Misconception(
    "left the shape errors to broadcasting",
    "matmul never compared A's last size with B's second-to-last: it let broadcasting decide. Broadcasting "
    "stretches an inner size of 1 against any other size without a word (a wrong answer instead of an error), "
    "and where it does complain its message names the broadcast shapes, not A's and B's. Check "
    "A.shape[-1] == B.shape[-2] yourself (matmul_shape does it) and raise the ValueError the README asks for.",
)


@no_inner_check
def matmul(A, B):
    return (A[..., :, :, None] * B[..., None, :, :]).sum(axis=-2)


batch_from_the_left = Misconception(
    "lined the batch sizes up from the left",
    "zip(batch_a, batch_b) pairs the batch sizes from the LEFT and stops at the shorter one, so (p, 1, n, k) @ "
    "(q, k, m) compares p with q, and a batch against a plain matrix loses its batch. Broadcasting lines shapes "
    "up from the RIGHT: pad the shorter batch with 1s on the left first (or use np.broadcast_shapes).",
)


@batch_from_the_left
def matmul_shape(shape_a, shape_b):
    written = ref._written
    (n, k), (k2, m) = shape_a[-2:], shape_b[-2:]
    if k != k2:
        raise ValueError(f"mat1 and mat2 shapes cannot be multiplied ({written(shape_a)} and {written(shape_b)})")
    batch = []
    for x, y in zip(shape_a[:-2], shape_b[:-2]):
        if x != y and 1 not in (x, y):
            raise ValueError(f"batch sizes {x} and {y} differ (shapes {written(shape_a)} and {written(shape_b)})")
        batch.append(max(x, y))
    return (*batch, n, m)


one_add_fewer = Misconception(
    "counted K - 1 additions per output",
    "adding K products takes K - 1 additions, so M·N·(2K - 1) is the exact count for C = A B; but the convention "
    "behind every FLOP/s figure (and the README) counts a multiply-add as two operations, one multiply and one add "
    "per term: 2·M·N·K. (It is also the count when C is accumulated into, C += A B.)",
)


@one_add_fewer
def gemm_flops(M, N, K):
    return M * N * (2 * K - 1)


output_counted_twice = Misconception(
    "counted the output twice",
    "you counted C's bytes twice (read and written), (M·K + K·N + 2·M·N): the README's model moves each of A, B "
    "and C across the memory bus exactly once, (M·K + K·N + M·N) · bytes_per_element.",
)


@output_counted_twice
def arithmetic_intensity(M, N, K, bytes_per_element):
    return ref.gemm_flops(M, N, K) / ((M * K + K * N + 2 * M * N) * bytes_per_element)


last_bias_only = Misconception(
    "kept only the last layer's bias",
    "the collapsed bias is not the last layer's b_L: every earlier bias passes through the layers after it and "
    "adds up, W₂ b₁ + b₂ for two layers. Fold the layers in one at a time: b ← Wᵢ b + bᵢ.",
)


@last_bias_only
def collapse_linear_layers(weights, biases):
    W, _ = ref.collapse_linear_layers(weights, biases)
    return W, biases[-1]


weight_in_x_at_w_layout = Misconception(
    "returned the weight in the x @ W layout",
    "you composed the transposes, W₁ᵀ W₂ᵀ ⋯, which is the layer's weight in the x @ W layout, of shape "
    "(d_0, d_L). The README asks for nn.Linear's layout, x Wᵀ + b with W of shape (d_L, d_0): the transpose of "
    "yours, W_L ⋯ W₂ W₁.",
)


@weight_in_x_at_w_layout
def collapse_linear_layers(weights, biases):
    W, b = weights[0].T, biases[0]
    for Wi, bi in zip(weights[1:], biases[1:]):
        W = ref.matmul(W, Wi.T)
        b = ref.matmul(b[None, :], Wi.T)[0] + bi
    return W, b


upcast = Misconception(
    "float32 turned into float64",
    "float32 inputs came back as float64: the result was built in an array made with np.zeros(shape), whose "
    "dtype is float64 unless told otherwise. Pass dtype=np.result_type(A, B), or let the product of A and B "
    "make the result.",
)


@upcast
def matmul(A, B):
    out = np.zeros(ref.matmul_shape(A.shape, B.shape))
    out[...] = ref.matmul(A, B)
    return out


reshaped_the_input = Misconception(
    "reshaped the caller's array",
    "to multiply a batch by one matrix you set A.shape = (-1, k), stacking the rows: that reshapes the caller's "
    "own array, which comes back with a different shape. A.reshape(-1, k) returns a new view and leaves the "
    "caller's A alone.",
)


@reshaped_the_input
def matmul(A, B):
    shape = ref.matmul_shape(A.shape, B.shape)
    if B.ndim == 2 and A.ndim > 2:
        A.shape = (-1, A.shape[-1])
        return np.einsum("ik,kj->ij", A, B).reshape(shape)
    return ref.matmul(A, B)
