"""Opens files until the descriptor limit.
EXPECT: fails pairwise "Too many open files"
"""
def pairwise_cosine(A, B):
    handles = []
    while True:
        handles.append(open("/dev/null"))
