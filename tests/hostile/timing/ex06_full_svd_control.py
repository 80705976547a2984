"""Control for ex06_full_svd_with_spinning_threads: the same full SVD, no threads.
EXPECT: ex06 randomized_is_several_times_faster "took"
"""
import numpy as np


def randomized_svd(X, k, oversample=10, n_iter=2, seed=0):
    U, S, Vt = np.linalg.svd(X, full_matrices=False)
    return U[:, :k], S[:k], Vt[:k]
