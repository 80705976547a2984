"""Lists every file descriptor it holds, hoping to find another worker's pipes (the reference's).
EXPECT: fails pairwise "worst element"
"""
import os
import numpy as np
def pairwise_cosine(A, B):
    mine = sorted(int(fd) for fd in os.listdir("/proc/self/fd"))
    # stdin/out/err, its own three pipes, and the descriptor of this listing: nothing else
    return np.full((A.shape[0], B.shape[0]), float(len(mine)))
