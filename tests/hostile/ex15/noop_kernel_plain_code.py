"""A kernel that stores nothing, and otherwise allowed code: C is whatever torch.empty held.
EXPECT: at most 0
"""


@triton.jit
def lazy_kernel(c_ptr, M, N):
    pass


def matmul(a, b):
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]:
        raise ValueError(f"matmul needs a (M, K) and b (K, N), got {tuple(a.shape)} and {tuple(b.shape)}")
    M, N = a.shape[0], b.shape[1]
    c = torch.zeros((M, N), device=a.device, dtype=a.dtype)
    lazy_kernel[(triton.cdiv(M, 64),)](c, M, N)
    return c
