"""Tensor methods that multiply, hidden in a helper.
EXPECT: at most 0 ".mm of a tensor"
"""


def _product(x, y):
    return x.mm(y)  # refused


def matmul(a, b):
    return _product(a, b)
