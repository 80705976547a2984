"""Reads the grader's environment and memory maps through /proc (looking for the seed).
EXPECT: fails pairwise "PermissionError"
"""
import os
def pairwise_cosine(A, B):
    for pid in (os.getppid(), 1):
        open(f"/proc/{pid}/environ", "rb").read()
    return A @ B.T
