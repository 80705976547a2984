"""The hostile-submission suite (issue 7): each file in tests/hostile attacks the grader.

Each must score 0 on the checks it attacks with a clear reason, leave every file outside
its scratch folder untouched, leave no process running, and leave the next submission's
grading unaffected. A file's docstring says what it expects:

    EXPECT: fails pairwise "reason"   the pairwise check scores 0 and says reason; others pass
    EXPECT: fails cosine "reason"     the same for cosine_similarity's check
    EXPECT: fails all "reason"        every check scores 0 (an attack at import)
    EXPECT: passes                    the attack is contained and the answers are right
"""

from __future__ import annotations

import ast
import hashlib
import os
import re
import time
from pathlib import Path

import pytest

from grader.course import Limits

from .helpers import REFERENCE, ROOT, by_name, grade_source

HOSTILE = sorted((Path(__file__).parent / "hostile").glob("*.py"))
LIMITS = Limits(cpu_seconds=1, wall_seconds=4, memory_mb=256, address_space_mb=8192, file_size_mb=8, output_kb=256, open_files=64)
CHECKS = {
    "pairwise": "test_pairwise_matches_every_pair_of_rows",
    "cosine": "test_cosine_of_two_vectors_matches_the_definition",
    "parallel": "test_parallel_vectors_give_one_and_opposite_give_minus_one",
}
ONLY = ["cosine_of_two_vectors", "pairwise_matches_every_pair", "parallel_vectors"]


def tree_digest(*roots: Path) -> str:
    h = hashlib.sha256()
    for root in roots:
        for p in sorted(root.rglob("*")) if root.is_dir() else [root]:
            if p.is_file() and "__pycache__" not in p.parts:
                h.update(str(p).encode())
                h.update(p.read_bytes())
    return h.hexdigest()


def site_pth_files() -> set[str]:
    import site

    return {str(p) for d in site.getsitepackages() for p in Path(d).glob("*.pth")}


def leftover_workers() -> list[str]:
    """Live (non-zombie) processes whose parent is one of this process's zygotes."""
    from grader.sandbox import trusted as sandbox

    zygotes = {z.proc.pid for z in sandbox._ZYGOTES.values()}
    for _ in range(50):
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                fields = Path(f"/proc/{entry}/stat").read_bytes().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) in zygotes and fields[0] != b"Z":
                found.append(entry)
        if not found:
            return []
        time.sleep(0.1)  # a kill in flight: give the zygote a moment to reap
    return found


def test_the_suite_is_big_enough():
    assert len(HOSTILE) >= 30


@pytest.mark.parametrize("path", HOSTILE, ids=[p.stem for p in HOSTILE])
def test_hostile_submission_is_contained(path, tmp_path):
    doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    match = re.search(r'EXPECT: (fails (\w+) "([^"]*)"|passes)', doc)
    assert match, f"{path.name} has no EXPECT line"
    sentinel = tmp_path / "sentinel.txt"
    sentinel.write_text("intact")
    body = path.read_text().replace("{ROOT}", str(ROOT)).replace("{SENTINEL}", str(sentinel))
    guarded = (ROOT / "exercises/ex01_cosine_similarity", ROOT / "solutions/ex01_cosine_similarity", ROOT / "grader/checking/expect.py")
    before = tree_digest(*guarded)
    pth_before = site_pth_files()

    result = grade_source(tmp_path, REFERENCE + "\n\n" + body, limits=LIMITS, only=ONLY)
    checks = by_name(result)

    if match.group(1) == "passes":
        assert all(c.passed for c in result.checks), [c.output for c in result.checks if not c.passed]
    else:
        target, reason = match.group(2), match.group(3)
        attacked = list(CHECKS.values()) if target == "all" else [CHECKS[target]]
        for name in attacked:
            c = checks[name]
            assert c.score == 0 and c.status != "passed", (name, c.output)
        text = checks[attacked[0]].output
        assert reason.lower() in text.lower(), f"expected {reason!r} in:\n{text}"
        if target != "all":
            spared = [n for n in CHECKS.values() if n not in attacked and n != CHECKS["parallel"] or target == "cosine" and n == CHECKS["pairwise"]]
            for name in spared:
                assert checks[name].passed, (name, checks[name].output)

    assert sentinel.read_text() == "intact"
    assert tree_digest(*guarded) == before
    assert site_pth_files() == pth_before
    assert not leftover_workers()
    # The next submission is graded as if nothing happened.
    after = grade_source(tmp_path, REFERENCE, limits=LIMITS, only=ONLY)
    assert all(c.passed for c in after.checks), [c.output for c in after.checks if not c.passed]
