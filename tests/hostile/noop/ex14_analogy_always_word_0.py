"""An analogy that always answers word 0.
EXPECT: ex14 analogy
"""
def analogy(E, a, b, c):
    return 0
