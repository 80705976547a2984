"""Patches isinstance, type and the numpy comparison functions inside its own process, mid-call.
EXPECT: fails pairwise "changed Python itself"
"""
import builtins, numpy
def pairwise_cosine(A, B):
    builtins.isinstance = lambda *a, **k: True
    numpy.array_equal = numpy.allclose = lambda *a, **k: True
    return A @ B.T
