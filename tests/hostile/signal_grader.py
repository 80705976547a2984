"""Stops its parent and the whole session with SIGSTOP.
EXPECT: fails pairwise "PermissionError"
"""
import os, signal
def pairwise_cosine(A, B):
    os.kill(os.getppid(), signal.SIGSTOP)
    os.kill(-1, signal.SIGSTOP)
    return A @ B.T
