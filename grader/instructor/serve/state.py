"""Where ``grade serve`` keeps its state: one folder, private to the instructor, ignored by git.

Changes when a file of the service's state moves. Default ``<course>/.grade-serve/``;
``--state DIR`` puts it elsewhere (``grade roster`` takes the same option, and must be given
the same folder). It holds the roster (token hashes), the queue, the spooled submissions and,
by default, the gradebook: learners' work and grades, so it is made readable by its owner
only, and it ignores itself in git whatever the course's own .gitignore says.
"""

from __future__ import annotations

import os
from pathlib import Path

STATE_DIR = ".grade-serve"
ROSTER_DB = "roster.sqlite"
QUEUE_DB = "queue.sqlite"
SPOOL = "spool"
GRADEBOOK = "gradebook.sqlite"
SELF_IGNORE = "# grade serve's state: tokens' hashes, learners' submissions and grades. Never committed.\n*\n"


def state_dir(course_root: Path, given: Path | None = None) -> Path:
    """The service's state folder (created, private, ignored by git)."""
    folder = (given or course_root / STATE_DIR).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        os.chmod(folder, 0o700)
    except OSError:
        pass  # a folder the instructor made, on a filesystem without modes: keep it as it is
    marker = folder / ".gitignore"
    if not marker.exists():
        marker.write_text(SELF_IGNORE, encoding="utf-8")
    return folder
