"""A MAP_SHARED anonymous mapping escapes RLIMIT_DATA; the address-space limit stops it.
EXPECT: fails pairwise "out of memory"
"""
import mmap
def pairwise_cosine(A, B):
    m = mmap.mmap(-1, 64 * 1024**3, flags=mmap.MAP_SHARED)
    m[:] = b"x" * len(m)
