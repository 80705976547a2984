"""Learner-facing texts about a call's result: what was raised, returned, or not allowed.

Said by the ``submission`` proxy and the comparisons; texts about the learner's process
(limits, exits) live in :mod:`grader.sandbox.messages`."""

RAISED = "your code raised {type} during {call}:\n{traceback}"
NOT_IMPLEMENTED = (
    "{name} still raises NotImplementedError: this is the part for you to write "
    "(see the docstring in {file})."
)
BAD_RESULT = "{call} returned something the grader cannot read: {detail}."
UNSUPPORTED = (
    "{call} returned a {description}; return plain numbers, numpy arrays, torch tensors, "
    "or tuples and lists of them."
)
FORBIDDEN = (
    "{name} uses {forbidden}, which this exercise does not allow: the point is to "
    "write it yourself. Checks that call {name} earn no points until it is gone."
)
FORBIDDEN_RUNTIME = "{call} called {detail}, which this exercise does not allow: the point is to write it yourself."
NAN_HINT = (
    "NaN or inf usually comes from 0/0, exp of a large number, or log of 0: "
    "look for a division by something that can be zero and for overflow."
)
