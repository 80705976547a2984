"""numpy imported by a call instead of an import statement.
EXPECT: at most 0 "double underscores"
"""


def matmul(a, b):
    np = __import__("numpy")  # refused
    return torch.from_numpy(np.asarray(a.tolist()) @ np.asarray(b.tolist()))  # refused
