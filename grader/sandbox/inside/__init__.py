"""What runs inside the worker: the zygote, the worker's loop, the isolation layers.

Changes when the worker's side of the protocol or an isolation layer changes. These files
are loaded by path in a separate process (``python -I grader/sandbox/inside/zygote.py``),
never as part of the ``grader`` package there, and import nothing from the trusted side:
only the standard library, numpy/torch/triton, and the shared :mod:`grader.sandbox.wire`
and :mod:`grader.sandbox.codec`, which the zygote loads by path too.
"""
