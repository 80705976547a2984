"""Overwrites the sentinel file outside its scratch folder.
EXPECT: fails pairwise "PermissionError"
"""
def pairwise_cosine(A, B):
    open("{SENTINEL}", "w").write("pwned")
    return A @ B.T
