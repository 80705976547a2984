"""A GEMM from broadcasting and a sum: no matmul call anywhere.
EXPECT: at most 0 "indexing a tensor"
"""


def matmul(a, b):
    return (a[:, :, None] * b[None, :, :]).sum(dim=1)  # refused
