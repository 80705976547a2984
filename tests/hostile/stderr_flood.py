"""Floods standard error.
EXPECT: fails pairwise "printed more than"
"""
import sys
def pairwise_cosine(A, B):
    while True:
        sys.stderr.write("!" * 65536)
