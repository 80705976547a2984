"""A helper called under another name, so its parameters look like plain values.
EXPECT: at most 0 ".numpy of a tensor"
"""


def _as_array(x):
    return x.numpy()  # refused


def matmul(a, b):
    convert = _as_array
    return torch.from_numpy(convert(a).dot(convert(b)))  # refused
