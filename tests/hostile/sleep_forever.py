"""Sleeps instead of computing: only the grader's wall clock can stop it.
EXPECT: fails pairwise "wall clock"
"""
import time
def pairwise_cosine(A, B):
    time.sleep(10_000)
