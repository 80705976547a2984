"""Least squares by the normal equations that returns zeros.
EXPECT: ex13 lstsq_normal
"""
import numpy as np


def lstsq_normal(A, b):
    return np.zeros(A.shape[1])
