"""Deletes a file of the grader.
EXPECT: fails pairwise "PermissionError"
"""
import os
def pairwise_cosine(A, B):
    os.remove("{ROOT}/grader/checking/expect.py")
    return A @ B.T
