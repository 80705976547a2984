"""Starts threads that spin, then returns: the CPU of every thread counts.
EXPECT: fails pairwise "CPU time"
"""
import threading
def spin():
    while True:
        pass
def pairwise_cosine(A, B):
    for _ in range(4):
        threading.Thread(target=spin, daemon=True).start()
    spin()
