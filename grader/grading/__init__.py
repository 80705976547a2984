"""One grading: run an exercise's checks against a submission, tally, and render the card.

Changes when the path of a grading changes: :mod:`runner` (course -> sandbox -> checks),
:mod:`results` (the one data structure every output is rendered from), :mod:`card` (the
terminal score card).
"""
