"""Spins forever inside the call.
EXPECT: fails pairwise "CPU time"
"""
def pairwise_cosine(A, B):
    while True:
        pass
