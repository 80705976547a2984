"""Double-forks a setsid daemon, the classic way to escape a process group.
EXPECT: fails pairwise "PermissionError"
"""
import os, time
def pairwise_cosine(A, B):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(600)
        os._exit(0)
    return A @ B.T
