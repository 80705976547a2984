"""Writes forged answer frames straight to every pipe it can find.
EXPECT: fails pairwise "malformed"
"""
import os, struct
def pairwise_cosine(A, B):
    junk = struct.pack(">Q", 2) + b"{}" + b"\xff" * 64
    for fd in range(3, 12):
        try:
            os.write(fd, junk)
        except OSError:
            pass
    return A @ B.T
