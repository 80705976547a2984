"""Reads the hidden checks to learn what is tested.
EXPECT: fails pairwise "PermissionError"
"""
def pairwise_cosine(A, B):
    text = open("{ROOT}/exercises/ex01_cosine_similarity/checks/test_cosine.py").read()
    return A @ B.T if "pairwise" in text else None
