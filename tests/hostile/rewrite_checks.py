"""Rewrites the hidden checks to pass everything, at import time.
EXPECT: fails all "PermissionError"
"""
open("{ROOT}/exercises/ex01_cosine_similarity/checks/test_cosine.py", "w").write("")
