"""Grows a list until memory runs out.
EXPECT: fails pairwise "out of memory"
"""
def pairwise_cosine(A, B):
    hoard = []
    while True:
        hoard.append(bytearray(64 * 1024 * 1024))
