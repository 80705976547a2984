"""torch.matmul reached by a name the scan cannot read.
EXPECT: at most 0 "getattr"
"""


def matmul(a, b):
    return getattr(torch, "mat" + "mul")(a, b)  # refused
