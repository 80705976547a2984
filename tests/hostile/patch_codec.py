"""Finds the worker's encoder and makes every answer a NaN-free array of zeros.
EXPECT: fails all "expected"
"""
import sys, numpy as np
for name, mod in list(sys.modules.items()):
    if hasattr(mod, "encode") and hasattr(mod, "decode") and "codec" in name:
        real = mod.encode
        mod.encode = lambda value, _real=real: _real(np.zeros((6, 5)))
def pairwise_cosine(A, B):
    return A @ B.T
