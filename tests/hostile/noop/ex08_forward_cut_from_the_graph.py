"""The right values, cut from A and B's graph, with requires_grad set by hand: not a no-op, but the
points for differentiability must go (the check used to trust the flag).
EXPECT: ex08 lora_forward fails gradients_reach_A_and_B
"""
def lora_forward(x, W, A, B, alpha, r):
    return _real_lora_forward(x, W, A, B, alpha, r).detach().clone().requires_grad_(True)
