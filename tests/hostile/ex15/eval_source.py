"""The product written as text and evaluated.
EXPECT: at most 0 "eval"
"""


def matmul(a, b):
    return eval("a.mm(b)")  # refused
