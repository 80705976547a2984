"""Phones home.
EXPECT: fails pairwise "PermissionError"
"""
import socket
def pairwise_cosine(A, B):
    socket.create_connection(("127.0.0.1", 22), timeout=1)
    return A @ B.T
