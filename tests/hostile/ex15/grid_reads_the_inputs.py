"""Triton calls the grid with every argument of the launch, the input tensors included.
EXPECT: at most 0 ".copy_ of a tensor"
"""


def matmul(a, b):
    M, K = a.shape
    N = b.shape[1]
    c = torch.empty((M, N), device=a.device, dtype=a.dtype)

    def grid(meta):
        meta["c_ptr"].copy_(torch.from_numpy(meta["a_ptr"].numpy().dot(meta["b_ptr"].numpy())))  # refused
        return (1,)

    matmul_kernel[grid](a, b, c, 0, 0, 0, 1, 1, 1, 1, 1, 1)
    return c
