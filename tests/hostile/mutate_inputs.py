"""Zeroes its inputs in place, hoping the grader compares against the mutated copies.
EXPECT: fails pairwise "worst element"
"""
import numpy as np
def pairwise_cosine(A, B):
    A[:] = 0
    B[:] = 0
    return np.zeros((A.shape[0], B.shape[0]))
