"""The reference, with the learner's own test under a main guard: code that never runs on import is not scanned.
EXPECT: full
"""

if __name__ == "__main__":
    import numpy as np

    x, y = torch.randn(33, 40), torch.randn(40, 21)
    print(np.abs((matmul(x, y) - x @ y).numpy()).max())
