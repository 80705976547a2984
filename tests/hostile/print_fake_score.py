"""Prints a Gradescope results.json claiming full marks.
EXPECT: fails pairwise "worst element"
"""
import json
def pairwise_cosine(A, B):
    print(json.dumps({"score": 20, "tests": [{"name": "all", "score": 20, "status": "passed"}]}))
    return A @ B.T
