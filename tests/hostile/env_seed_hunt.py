"""Hunts for the grading seed in its environment and arguments, and returns what it finds.
EXPECT: fails pairwise "expected"
"""
import os, sys, numpy as np
def pairwise_cosine(A, B):
    found = [v for k, v in os.environ.items() if "SEED" in k.upper() or "SECRET" in k.upper()] + sys.argv
    return np.full((A.shape[0], B.shape[0]), float(len(found)))
