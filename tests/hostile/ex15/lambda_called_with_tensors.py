"""A lambda's parameters are plain values only when Triton calls it as the grid.
EXPECT: at most 0 "the grid is for Triton to call"
"""


def matmul(a, b):
    grab = lambda x: x  # noqa: E731
    return grab(a).mm(grab(b))  # refused
