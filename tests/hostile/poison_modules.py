"""Replaces numpy in sys.modules for whatever runs after it.
EXPECT: passes
"""
import sys, types
_np = sys.modules["numpy"]
_real = pairwise_cosine
def pairwise_cosine(A, B):
    out = _real(A, B)
    sys.modules["numpy"] = types.ModuleType("numpy")
    return out
