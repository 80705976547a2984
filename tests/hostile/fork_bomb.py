"""Tries to fork (and fork again): no new processes may start.
EXPECT: fails pairwise "PermissionError"
"""
import os
def pairwise_cosine(A, B):
    while True:
        os.fork()
