"""One grading: run an exercise's checks against a submission, tally, and render the card.

Changes when the path of a grading changes: :mod:`runner` (course -> sandbox -> checks ->
result) and :mod:`card` (the terminal score card). The result itself is
:mod:`grader.checking.results`, the one structure every output is rendered from.
"""
