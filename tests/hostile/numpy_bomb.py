"""Asks numpy for an array of 800 GB.
EXPECT: fails pairwise "out of memory"
"""
import numpy as np
def pairwise_cosine(A, B):
    return np.ones((10**6, 10**5)) @ np.ones((10**5, 1))
