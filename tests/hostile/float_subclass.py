"""Returns a float subclass whose comparisons always succeed.
EXPECT: fails cosine "returned a"
"""
class Always(float):
    def __eq__(self, other):
        return True
    def __sub__(self, other):
        return 0.0
    __rsub__ = __sub__
def cosine_similarity(a, b):
    return Always(0.0)
