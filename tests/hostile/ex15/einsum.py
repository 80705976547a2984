"""Einstein summation.
EXPECT: at most 0 "torch.einsum"
"""


def matmul(a, b):
    return torch.einsum("mk,kn->mn", a, b)  # refused
