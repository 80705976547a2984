"""Stops itself with SIGSTOP, so it neither answers nor uses CPU.
EXPECT: fails pairwise "wall clock"
"""
import os, signal
def pairwise_cosine(A, B):
    os.kill(os.getpid(), signal.SIGSTOP)
