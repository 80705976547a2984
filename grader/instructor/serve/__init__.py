"""``grade serve``: the course's grading service over HTTP, for learners' ``grade exNN`` from afar.

The modules, each for one thing:

- ``app``: the Starlette application (the contract of :mod:`grader.grading.protocol`) and its start;
- ``roster``: who may submit: one random token per learner, stored only as a hash;
- ``queue``: durable intake (spool folder + SQLite row before the 202) and the dispatcher that
  grades through batch's executors into the gradebook, each accepted submission exactly once;
- ``limits``: what a request may not do: size, archive shape, rate;
- ``views``: what a submission looks like to a learner (the visibility tiers) or an instructor;
- ``pages``: the HTML pages (the instructor's live gradebook, a learner's own attempts);
- ``state``: where all of it is kept.

State lives in one folder (default ``<course>/.grade-serve/``, which ignores itself in git):
``roster.sqlite``, ``queue.sqlite``, ``spool/<submission id>/`` and ``gradebook.sqlite``.
"""

from __future__ import annotations
