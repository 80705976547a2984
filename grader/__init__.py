"""grade: auto-graded exercises for linear algebra in machine learning.

Kept tiny on purpose: the worker process imports ``grader.worker`` and must not pay
for anything the trusted side needs.
"""

__version__ = "0.1.0"
