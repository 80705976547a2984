"""An apply_rope that returns x unchanged: every invariance holds for the identity.
EXPECT: ex10 apply_rope
"""
def apply_rope(x, positions=None, base=10000.0):
    return x
