"""Runs a shell command that would outlive the check.
EXPECT: fails pairwise "PermissionError"
"""
import subprocess
def pairwise_cosine(A, B):
    subprocess.Popen(["sleep", "600"], start_new_session=True)
    return A @ B.T
