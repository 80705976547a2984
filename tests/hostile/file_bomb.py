"""Writes a file without end in its scratch folder.
EXPECT: fails pairwise "File too large"
"""
def pairwise_cosine(A, B):
    with open("big.bin", "wb") as fh:
        while True:
            fh.write(b"x" * (1 << 20))
