"""An honest kernel that takes its strides from the shapes: right for contiguous inputs only.
EXPECT: fails transposed_inputs slices_of_larger; passes float32_products partial_last_step partial_tiles inputs_at_an_offset float16_inputs_give float16_products_over a_single_row mismatched tall_and_wide
"""


def matmul(a, b):
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]:
        raise ValueError(f"matmul needs a (M, K) and b (K, N), got {tuple(a.shape)} and {tuple(b.shape)}")
    M, K = a.shape
    N = b.shape[1]
    c = torch.empty((M, N), device=a.device, dtype=a.dtype)

    def grid(meta):
        return (triton.cdiv(M, meta["BLOCK_M"]) * triton.cdiv(N, meta["BLOCK_N"]),)

    matmul_kernel[grid](a, b, c, M, N, K, K, 1, N, 1, N, 1)  # the mistake: (K, 1) and (N, 1) whatever the layout
    return c
