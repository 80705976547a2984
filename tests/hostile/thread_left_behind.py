"""Computes the right answer but leaves a thread writing files behind: it must not reach the next check.
EXPECT: passes
"""
import threading, time, itertools
def _litter():
    for i in itertools.count():
        with open(f"litter_{i % 50}.txt", "w") as fh:
            fh.write("x" * 1000)
        time.sleep(0.001)
_started = False
_real = pairwise_cosine
def pairwise_cosine(A, B):
    global _started
    if not _started:
        threading.Thread(target=_litter, daemon=True).start()
        _started = True
    return _real(A, B)
