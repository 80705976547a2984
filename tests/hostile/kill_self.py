"""Kills itself with SIGKILL in the middle of a call.
EXPECT: fails pairwise "killed"
"""
import os, signal
def pairwise_cosine(A, B):
    os.kill(os.getpid(), signal.SIGKILL)
