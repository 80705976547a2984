"""What a learner's commands do: the progress store, hints, watch, reset, drills.

Changes when a learner's workflow changes. Nothing here decides a score: it records
results that :mod:`grader.grading` produced.
"""
