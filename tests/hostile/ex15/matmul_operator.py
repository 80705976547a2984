"""The @ operator, with the kernel launched for show.
EXPECT: at most 0 "the @ operator"
"""


def matmul(a, b):
    c = torch.empty((a.shape[0], b.shape[1]), device=a.device, dtype=a.dtype)
    matmul_kernel[(1,)](a, b, c, 1, 1, 1, 1, 1, 1, 1, 1, 1)
    return a @ b  # refused
