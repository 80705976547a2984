"""numpy through importlib, at module level: every function of the file earns nothing.
EXPECT: at most 0 "import importlib"
"""
import importlib  # refused

_np = importlib.import_module("numpy")  # refused


def matmul(a, b):
    return torch.tensor(_np.dot(_np.array(a.tolist()), _np.array(b.tolist())), dtype=a.dtype)
