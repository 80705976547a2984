"""The issue's cheat: C from numpy, and a Triton kernel launched that does nothing.
EXPECT: at most 0
"""


@triton.jit
def noop_kernel(c_ptr):
    pass


def matmul(a, b):
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]:
        raise ValueError("A @ B needs a (M, K) and b (K, N)")
    c = torch.empty((a.shape[0], b.shape[1]), device=a.device, dtype=a.dtype)
    noop_kernel[(1,)](c)
    return torch.from_numpy(a.numpy().dot(b.numpy())).to(a.dtype)  # refused
