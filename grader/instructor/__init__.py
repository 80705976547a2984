"""What an instructor's commands do: verify, scaffold, publish, batch (and Dask), gradebook,
similarity, report.

Changes when an instructor's workflow changes. Grading itself goes through
:mod:`grader.grading`, as for a learner.
"""
