"""Blocks reading standard input, which is /dev/null (EOF), then on a pipe it made.
EXPECT: fails pairwise "wall clock"
"""
import os, sys
def pairwise_cosine(A, B):
    sys.stdin.read()
    r, w = os.pipe()
    os.read(r, 1)
