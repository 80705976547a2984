"""In the interpreter a pointer carries its numpy data: reach for it from inside a kernel.
EXPECT: at most 0 "is not an attribute of Triton's tensors"
"""


@triton.jit
def cheat_kernel(a_ptr, c_ptr):
    tl.store(c_ptr, a_ptr.handle.data)  # refused


def matmul(a, b):
    c = torch.empty((a.shape[0], b.shape[1]), device=a.device, dtype=a.dtype)
    cheat_kernel[(1,)](a, c)
    return c
