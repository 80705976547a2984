"""cuBLAS instead of the kernel.
EXPECT: at most 0 "torch.matmul"
"""


def matmul(a, b):
    return torch.matmul(a, b)  # refused
