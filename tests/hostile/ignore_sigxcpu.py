"""Ignores SIGXCPU and every catchable signal, then spins.
EXPECT: fails pairwise "CPU time"
"""
import signal
for s in (signal.SIGXCPU, signal.SIGTERM, signal.SIGINT, signal.SIGALRM, signal.SIGHUP):
    signal.signal(s, signal.SIG_IGN)
def pairwise_cosine(A, B):
    while True:
        pass
