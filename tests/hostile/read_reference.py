"""Reads the instructor's reference solution and calls it.
EXPECT: fails pairwise "PermissionError"
"""
import importlib.util
def pairwise_cosine(A, B):
    spec = importlib.util.spec_from_file_location("ref", "{ROOT}/solutions/ex01_cosine_similarity/cosine.py")
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    return ref.pairwise_cosine(A, B)
