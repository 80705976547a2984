"""In Triton's interpreter a kernel's body is Python: numpy called from inside it.
EXPECT: at most 0 "cannot be called inside a kernel"
"""
import numpy as np  # refused


@triton.jit
def cheat_kernel(a_ptr, b_ptr, c_ptr):
    np.dot(a_ptr, b_ptr)  # refused


def matmul(a, b):
    c = torch.empty((a.shape[0], b.shape[1]), device=a.device, dtype=a.dtype)
    cheat_kernel[(1,)](a, b, c)
    return c
