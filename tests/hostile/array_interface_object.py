"""Returns an object that looks like an array and claims equality with everything.
EXPECT: fails pairwise "returned a"
"""
class Liar:
    shape = (6, 5)
    dtype = "float64"
    def __array__(self, dtype=None, copy=None):
        import numpy as np
        return np.zeros(self.shape)
    def __eq__(self, other):
        return True
def pairwise_cosine(A, B):
    return Liar()
