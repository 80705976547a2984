"""Recurses without end.
EXPECT: fails pairwise "RecursionError"
"""
def pairwise_cosine(A, B):
    return pairwise_cosine(A, B)
