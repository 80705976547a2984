"""Tries to kill its whole process group and every process it can see.
EXPECT: fails pairwise "PermissionError"
"""
import os, signal
def pairwise_cosine(A, B):
    os.killpg(0, signal.SIGKILL)
