"""A concentration ratio that is always 1, the value two points give.
EXPECT: ex02 concentration_ratio
"""
def concentration_ratio(X):
    return 1.0
