"""A small course and a synthetic class of submissions for the instructor-workflow tests.

The course is ex01 (cosine similarity) copied into a temporary folder with tight limits, so
that hanging submissions cost seconds. The class has 34 learners: correct solutions in
several styles (two of them copied from each other with renamed variables), partly right
ones, each misconception of ``solutions/ex01_cosine_similarity/misconceptions.py`` written
as learner code, crashing, hanging and hostile ones, as folders, archives and notebooks.
"""

from __future__ import annotations

import json
import shutil
import tarfile
import textwrap
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EX = "ex01_cosine_similarity"
SECRET = "instructor-tests-secret"

COURSE_YAML = """# A course of {n} exercise(s) for the instructor tests.
title: Instructor test course
secret: {secret}
exercises:
{listing}
defaults:
  limits: {{cpu_seconds: 2, wall_seconds: 3}}
"""


def make_course(root: Path, exercises: tuple[str, ...] = (EX,)) -> Path:
    """A course of ``exercises`` (folders of this repository's exercises/), by default ex01 alone."""
    root.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for ex in exercises:
        shutil.copytree(ROOT / "exercises" / ex, root / "exercises" / ex, ignore=ignore)
        shutil.copytree(ROOT / "solutions" / ex, root / "solutions" / ex, ignore=ignore)
    listing = "\n".join(f"  - {ex}" for ex in exercises)
    (root / "course.yaml").write_text(COURSE_YAML.format(n=len(exercises), secret=SECRET, listing=listing), encoding="utf-8")
    return root


def _module(cos: str, pair: str, topk: str, head: str = "import numpy as np\n") -> str:
    return head + "\n\n" + textwrap.dedent(cos).strip() + "\n\n\n" + textwrap.dedent(pair).strip() + "\n\n\n" + textwrap.dedent(topk).strip() + "\n"


COS = """
def cosine_similarity(a, b):
    na = float(np.linalg.norm(a))
    nb = float(np.linalg.norm(b))
    if na == 0.0 or nb == 0.0:
        return 0.0
    return float(np.dot(a, b) / (na * nb))
"""
PAIR = """
def pairwise_cosine(A, B):
    def unit(X):
        n = np.linalg.norm(X, axis=1, keepdims=True)
        return X / np.where(n == 0, 1, n)
    return unit(A) @ unit(B).T
"""
TOPK = """
def top_k_similar(query, E, k):
    scores = pairwise_cosine(query[None, :], E)[0]
    return np.argsort(-scores, kind="stable")[:k]
"""
CORRECT = _module(COS, PAIR, TOPK)

# A copy of CORRECT with every name changed, comments added and layout shuffled: a
# similarity flag must still link the two.
COPIED = '''import numpy as np


def cosine_similarity(u, v):
    # my own work, honest
    length_u = float(np.linalg.norm(u))
    length_v = float(np.linalg.norm(v))
    if length_u == 0.0 or length_v == 0.0:
        return 0.0
    return float(np.dot(u, v) / (length_u * length_v))


def pairwise_cosine(P, Q):
    """All the cosines."""
    def normalise_rows(M):
        size = np.linalg.norm(M, axis=1, keepdims=True)
        return M / np.where(size == 0, 1, size)
    return normalise_rows(P) @ normalise_rows(Q).T


def top_k_similar(q, emb, how_many):
    s = pairwise_cosine(q[None, :], emb)[0]
    return np.argsort(-s, kind="stable")[:how_many]
'''

LOOPS = _module(
    """
    def cosine_similarity(a, b):
        dot = sum(float(x) * float(y) for x, y in zip(a, b))
        na = sum(float(x) ** 2 for x in a) ** 0.5
        nb = sum(float(y) ** 2 for y in b) ** 0.5
        return 0.0 if na == 0 or nb == 0 else dot / (na * nb)
    """,
    """
    def pairwise_cosine(A, B):
        out = np.zeros((A.shape[0], B.shape[0]), dtype=np.result_type(A, B))
        for i in range(A.shape[0]):
            for j in range(B.shape[0]):
                out[i, j] = cosine_similarity(A[i], B[j])
        return out
    """,
    """
    def top_k_similar(query, E, k):
        scores = [cosine_similarity(query, row) for row in E]
        return np.array(sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:k])
    """,
)

EINSUM = _module(
    """
    def cosine_similarity(a, b):
        n = np.sqrt(np.einsum("i,i->", a, a) * np.einsum("i,i->", b, b))
        return float(np.einsum("i,i->", a, b) / n) if n > 0 else 0.0
    """,
    """
    def pairwise_cosine(A, B):
        na = np.sqrt(np.einsum("ij,ij->i", A, A))[:, None]
        nb = np.sqrt(np.einsum("ij,ij->i", B, B))[:, None]
        na[na == 0] = 1
        nb[nb == 0] = 1
        return np.einsum("id,jd->ij", A / na, B / nb)
    """,
    TOPK,
)

# Misconceptions written as a learner would (one per variant in misconceptions.py).
RAW_DOT = _module(
    "def cosine_similarity(a, b):\n    return float(np.dot(a, b))",
    "def pairwise_cosine(A, B):\n    return A @ B.T",
    "def top_k_similar(query, E, k):\n    return np.argsort(-(E @ query), kind='stable')[:k]",
)
ONE_SIDE = _module(COS, """
def pairwise_cosine(A, B):
    n = np.linalg.norm(A, axis=1, keepdims=True)
    return (A / np.where(n == 0, 1, n)) @ B.T
""", TOPK)
NAN_ON_ZERO = _module(
    "def cosine_similarity(a, b):\n    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))",
    "def pairwise_cosine(A, B):\n    return (A / np.linalg.norm(A, axis=1, keepdims=True)) @ (B / np.linalg.norm(B, axis=1, keepdims=True)).T",
    TOPK,
)
UPCAST = _module(COS, """
def pairwise_cosine(A, B):
    A = A.astype(np.float64)
    B = B.astype(np.float64)
    na = np.linalg.norm(A, axis=1, keepdims=True)
    nb = np.linalg.norm(B, axis=1, keepdims=True)
    return (A / np.where(na == 0, 1, na)) @ (B / np.where(nb == 0, 1, nb)).T
""", TOPK)
LEAST_FIRST = _module(COS, PAIR, """
def top_k_similar(query, E, k):
    return np.argsort(pairwise_cosine(query[None, :], E)[0], kind="stable")[:k]
""")
UNSTABLE_TIES = _module(COS, PAIR, """
def top_k_similar(query, E, k):
    scores = pairwise_cosine(query[None, :], E)[0]
    return np.lexsort((-np.arange(len(scores)), -np.round(scores, 12)))[:k]
""")
MISCONCEPTIONS = {
    "raw dot product": RAW_DOT,
    "normalised one side only": ONE_SIDE,
    "division by a zero norm": NAN_ON_ZERO,
    "float32 turned into float64": UPCAST,
    "least similar first": LEAST_FIRST,
    "ties in arbitrary order": UNSTABLE_TIES,
}

STUB_LEFT = _module(COS, "def pairwise_cosine(A, B):\n    raise NotImplementedError", "def top_k_similar(query, E, k):\n    raise NotImplementedError")
ONLY_TOPK_WRONG = _module(COS, PAIR, "def top_k_similar(query, E, k):\n    return np.arange(k)")

CRASH_SYS_EXIT = _module(COS, "def pairwise_cosine(A, B):\n    import sys\n    sys.exit(3)", TOPK)
CRASH_RAISES = _module(
    "def cosine_similarity(a, b):\n    raise RuntimeError('boom')",
    "def pairwise_cosine(A, B):\n    raise ValueError('nope')",
    "def top_k_similar(query, E, k):\n    return [][0]",
)
CRASH_OS_EXIT = _module("def cosine_similarity(a, b):\n    import os\n    os._exit(0)", PAIR, TOPK)
SYNTAX_ERROR = "import numpy as np\n\ndef cosine_similarity(a, b)\n    return 0.0\n"
MISSING_FUNCTION = _module(COS, PAIR, "def top_k(query, E, k):\n    return np.arange(k)")
HANGS = _module(COS, PAIR, "def top_k_similar(query, E, k):\n    while True:\n        pass")
SLEEPS = _module(COS, PAIR, "def top_k_similar(query, E, k):\n    import time\n    time.sleep(60)")
FLOODS = _module("def cosine_similarity(a, b):\n    print('x' * 4_000_000)\n    return 0.0", PAIR, TOPK)
PATCHES_NUMPY = (
    "import numpy as np\nimport numpy.testing\n"
    "np.allclose = lambda *a, **k: True\nnp.testing.assert_allclose = lambda *a, **k: None\n"
    "np.isclose = lambda *a, **k: True\n\n"
    + _module("def cosine_similarity(a, b):\n    return 0.5", "def pairwise_cosine(A, B):\n    return np.zeros((len(A), len(B)))", "def top_k_similar(query, E, k):\n    return np.arange(k)", head="")
)
ALWAYS_EQUAL = _module(
    "class Yes(float):\n    def __eq__(self, other):\n        return True\n\n\ndef cosine_similarity(a, b):\n    return Yes(0.0)",
    "class Anything:\n    def __eq__(self, other):\n        return True\n\n\ndef pairwise_cosine(A, B):\n    return Anything()",
    "def top_k_similar(query, E, k):\n    return Anything()",
)
READS_REFERENCE = _module(
    "def cosine_similarity(a, b):\n"
    "    import os\n"
    "    for up in ('', '..', '../..', '../../..'):\n"
    "        path = os.path.join(up, 'solutions', 'ex01_cosine_similarity', 'cosine.py')\n"
    "        if os.path.exists(path):\n"
    "            exec(open(path).read(), globals())\n"
    "            return cosine_similarity(a, b)\n"
    "    return 0.0",
    PAIR, TOPK,
)


def notebook(code: str) -> str:
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# my work\n"]},
        {"cell_type": "code", "metadata": {}, "execution_count": 1, "outputs": [], "source": code.splitlines(keepends=True)},
        {"cell_type": "code", "metadata": {}, "execution_count": 2, "outputs": [], "source": ["%timeit cosine_similarity(np.ones(3), np.ones(3))\n"]},
    ]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


# learner -> (code, how it is handed in, expected outcome: full | partial | zero | error | absent)
CLASS: dict[str, tuple[str, str, str]] = {
    "correct_01": (CORRECT, "folder", "full"),
    "correct_02": (LOOPS, "folder", "full"),
    "correct_03": (EINSUM, "zip", "full"),
    "correct_04": (CORRECT, "nested", "full"),
    "correct_05": (LOOPS, "notebook", "full"),
    "correct_06": (EINSUM, "tar", "full"),
    "copier_a": (CORRECT, "folder", "full"),
    "copier_b": (COPIED, "folder", "full"),
    "lone_file": (CORRECT, "bare_py", "full"),
    "lone_notebook": (EINSUM, "bare_ipynb", "full"),
    "partial_stub_left": (STUB_LEFT, "folder", "partial"),
    "partial_topk": (ONLY_TOPK_WRONG, "folder", "partial"),
    "partial_missing_fn": (MISSING_FUNCTION, "folder", "partial"),
    "partial_os_exit": (CRASH_OS_EXIT, "folder", "partial"),
    "misc_raw_dot": (RAW_DOT, "folder", "partial"),  # it keeps the zero rule, the dtype and the order of top_k (issue 15)
    "misc_one_side": (ONE_SIDE, "folder", "partial"),
    "misc_nan_zero": (NAN_ON_ZERO, "folder", "partial"),
    "misc_upcast": (UPCAST, "zip", "partial"),
    "misc_least_first": (LEAST_FIRST, "folder", "partial"),
    "misc_unstable_ties": (UNSTABLE_TIES, "notebook", "partial"),
    "crash_sys_exit": (CRASH_SYS_EXIT, "folder", "partial"),
    "crash_raises": (CRASH_RAISES, "folder", "zero"),
    "crash_syntax": (SYNTAX_ERROR, "folder", "zero"),
    "hang_loop": (HANGS, "folder", "partial"),
    "hang_sleep": (SLEEPS, "folder", "partial"),
    "hostile_flood": (FLOODS, "folder", "partial"),
    "hostile_patches_numpy": (PATCHES_NUMPY, "folder", "zero"),  # its constant answers fail every check
    "hostile_always_equal": (ALWAYS_EQUAL, "folder", "zero"),
    "hostile_reads_reference": (READS_REFERENCE, "folder", "partial"),
    "bad_notebook": ("{not json", "broken_notebook", "error"),
    "bad_zip": ("", "broken_zip", "error"),
    "nothing_relevant": ("", "empty", "absent"),
    "correct_07": (CORRECT.replace("kind=\"stable\"", "kind='stable'"), "folder", "full"),
    "correct_08": (LOOPS, "zip", "full"),
}


def make_class(folder: Path, learners: dict[str, tuple[str, str, str]] | None = None) -> dict[str, str]:
    """Write the submissions; return learner -> expected outcome."""
    folder.mkdir(parents=True, exist_ok=True)
    expected = {}
    for learner, (code, how, outcome) in (learners or CLASS).items():
        expected[learner] = outcome
        if how == "folder":
            (folder / learner).mkdir()
            (folder / learner / "cosine.py").write_text(code)
        elif how == "nested":
            d = folder / learner / "homework" / EX
            d.mkdir(parents=True)
            (d / "cosine.py").write_text(code)
            (folder / learner / "homework" / "notes.txt").write_text("see cosine.py")
        elif how == "notebook":
            (folder / learner).mkdir()
            (folder / learner / "ex01_cosine.ipynb").write_text(notebook(code))
        elif how == "bare_py":
            (folder / f"{learner}.py").write_text(code)
        elif how == "bare_ipynb":
            (folder / f"{learner}.ipynb").write_text(notebook(code))
        elif how == "zip":
            with zipfile.ZipFile(folder / f"{learner}.zip", "w") as zf:
                zf.writestr(f"{learner}/cosine.py", code)
                zf.writestr("__MACOSX/._cosine.py", "junk")
        elif how == "tar":
            src = folder / f".{learner}-src"
            src.mkdir()
            (src / "cosine.py").write_text(code)
            with tarfile.open(folder / f"{learner}.tar.gz", "w:gz") as tf:
                tf.add(src / "cosine.py", arcname=f"{EX}/cosine.py")
            shutil.rmtree(src)
        elif how == "broken_notebook":
            (folder / learner).mkdir()
            (folder / learner / "ex01.ipynb").write_text(code)
        elif how == "broken_zip":
            (folder / f"{learner}.zip").write_bytes(b"PK\x03\x04 this is not a zip")
        elif how == "empty":
            (folder / learner).mkdir()
            (folder / learner / "README.txt").write_text("I did not do it")
        else:
            raise ValueError(how)
    return expected
