"""The copy detector of `grade batch`: disguised copies are flagged, independent solutions are not.

bench/similarity.py measures the same on a generated set from every exercise; these are the
cases one by one, on ex01.
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
import textwrap

import pytest

from grader.instructor.similarity import (
    DEFAULT_THRESHOLD,
    MIN_TOKENS,
    REFERENCE,
    SimilarityUnavailable,
    fingerprint,
    normalise,
    require_copydetect,
    score,
    similar_pairs,
)

from .instructor_support import CLASS, COPIED, CORRECT, EINSUM, EX, LOOPS, ROOT

REF = (ROOT / "solutions" / EX / "cosine.py").read_text()

# The issue's two examples: annotations removed (91% with difflib, under its 92%), and annotations
# and an import removed, names changed and a comment added (not flagged even at 50%).
NO_ANNOTATIONS = '''"""Reference solution for ex01: cosine similarity."""

from __future__ import annotations

import numpy as np


def cosine_similarity(a, b):
    """cos θ = a·b / (‖a‖ ‖b‖) for 1-D arrays of equal length; 0.0 if either norm is 0."""
    na = float(np.linalg.norm(a))
    nb = float(np.linalg.norm(b))
    if na == 0.0 or nb == 0.0:
        return 0.0
    return float(np.dot(a, b) / (na * nb))


def _unit_rows(X):
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    safe = np.where(norms == 0, 1, norms)
    return X / safe


def pairwise_cosine(A, B):
    """S[i, j] = cos(A[i], B[j]); zero rows give 0. A: (n, d), B: (m, d) -> S: (n, m)."""
    return _unit_rows(A) @ _unit_rows(B).T


def top_k_similar(query, E, k):
    """Indices of the k rows of E most similar to query, most similar first, ties to the lower index."""
    scores = pairwise_cosine(query[None, :], E)[0]
    return np.argsort(-scores, kind="stable")[:k]
'''

ISSUE_EXAMPLE = '''import numpy as np


def cosine_similarity(u, v):
    # my own work
    length_u = float(np.linalg.norm(u))
    length_v = float(np.linalg.norm(v))
    if length_u == 0.0 or length_v == 0.0:
        return 0.0
    return float(np.dot(u, v) / (length_u * length_v))


def _normalised(M):
    sizes = np.linalg.norm(M, axis=1, keepdims=True)
    nonzero = np.where(sizes == 0, 1, sizes)
    return M / nonzero


def pairwise_cosine(P, Q):
    return _normalised(P) @ _normalised(Q).T


def top_k_similar(q, emb, how_many):
    s = pairwise_cosine(q[None, :], emb)[0]
    return np.argsort(-s, kind="stable")[:how_many]
'''


def _renamed(code: str, names: dict[str, str]) -> str:
    return re.sub(r"\b(" + "|".join(names) + r")\b", lambda m: names[m.group(1)], code)


RENAMED = _renamed(REF, {"na": "len_first", "nb": "len_second", "_unit_rows": "_rows_to_unit", "norms": "lengths",
                         "safe": "denominator", "scores": "similarities", "query": "q", "X": "M"})

COMMENTS_AND_DOCSTRINGS = (
    REF.replace('"""Reference solution for ex01: cosine similarity."""', '"""Homework 1, by me."""')
    .replace('    """cos θ', '    # the angle between the two vectors\n    """cos θ')
    .replace("    norms = ", '    """Rows scaled to length one."""\n    # each row divided by its norm\n    norms = ')
    .replace('    """S[i, j] = cos(A[i], B[j]); zero rows give 0. A: (n, d), B: (m, d) -> S: (n, m)."""\n', "")
)

_DEFS = REF.split("\n\n\ndef ")
REORDERED = "\n\n\ndef ".join([_DEFS[0], _DEFS[4], _DEFS[2], _DEFS[1], _DEFS[3]])

DEAD_CODE = REF.replace(
    "    na = float(np.linalg.norm(a))\n",
    "    unused = len(a)\n    na = float(np.linalg.norm(a))\n    if False:\n        print('debugging', na)\n",
).replace(
    "    return X / safe\n",
    "    print('shapes', X.shape)\n    return X / safe\n    safe = None\n",
) + textwrap.dedent('''

    def _old_attempt(A, B):
        out = []
        for row in A:
            out.append(row @ B.T)
        return out
''')

# LOOPS (tests/instructor_support.py) with its comprehension and its sum written as loops.
LOOPS_WRITTEN_OUT = LOOPS.replace(
    "    scores = [cosine_similarity(query, row) for row in E]\n",
    "    scores = []\n    for row in E:\n        scores.append(cosine_similarity(query, row))\n",
).replace(
    "    dot = sum(float(x) * float(y) for x, y in zip(a, b))\n",
    "    dot = 0\n    for x, y in zip(a, b):\n        dot += float(x) * float(y)\n",
)

DISGUISES = {
    "annotations removed (the issue's 91%)": NO_ANNOTATIONS,
    "annotations and an import removed, names changed, a comment added (the issue's example)": ISSUE_EXAMPLE,
    "identifiers renamed": RENAMED,
    "comments and docstrings added and removed": COMMENTS_AND_DOCSTRINGS,
    "functions reordered": REORDERED,
    "dead code added": DEAD_CODE,
}


@pytest.mark.parametrize("name", DISGUISES)
def test_a_disguised_copy_of_the_reference_is_flagged(name):
    code = DISGUISES[name]
    assert code != REF
    assert "if False:" in DEAD_CODE and "safe = None" in DEAD_CODE and "len_second" in RENAMED and "# each row" in COMMENTS_AND_DOCSTRINGS
    compile(code, name, "exec")  # still Python
    pairs = similar_pairs({"copier": code, "honest": LOOPS}, reference=REF)
    assert [(a, b) for a, b, _ in pairs] == [("copier", REFERENCE)], pairs
    assert pairs[0][2] >= DEFAULT_THRESHOLD
    # and between two learners, the same
    assert [(a, b) for a, b, _ in similar_pairs({"a": REF, "b": code})] == [("a", "b")]


def test_loops_written_as_comprehensions_and_back_are_flagged():
    assert "scores.append(" in LOOPS_WRITTEN_OUT and "dot += " in LOOPS_WRITTEN_OUT
    assert normalise(LOOPS_WRITTEN_OUT) == normalise(LOOPS)
    assert [(a, b) for a, b, _ in similar_pairs({"a": LOOPS, "b": LOOPS_WRITTEN_OUT})] == [("a", "b")]


def test_every_disguise_at_once_is_flagged():
    combined = (
        _renamed(LOOPS_WRITTEN_OUT, {"na": "size_a", "nb": "size_b", "out": "result", "scores": "sims"})
        .replace("def pairwise_cosine(A, B):", "def pairwise_cosine(A: 'Array', B: 'Array') -> 'Array':\n    # all pairs")
        .replace("import numpy as np\n", "import numpy\n").replace("np.", "numpy.")
        + "\n\ndef helper(v):\n    print(v)\n    return v\n"
    )
    pairs = similar_pairs({"copier": combined}, reference=LOOPS)
    assert [(a, b) for a, b, _ in pairs] == [("copier", REFERENCE)]


@pytest.mark.parametrize(("a", "b"), list(itertools.combinations(["CORRECT", "LOOPS", "EINSUM"], 2)))
def test_independent_correct_solutions_of_ex01_are_not_flagged(a, b):
    codes = {"CORRECT": CORRECT, "LOOPS": LOOPS, "EINSUM": EINSUM}
    assert similar_pairs({a: codes[a], b: codes[b]}) == []
    ratio = score(fingerprint(codes[a]), fingerprint(codes[b]))
    assert ratio < DEFAULT_THRESHOLD - 0.2, ratio  # with a margin, not just under the line


def test_independent_styles_are_not_paired_with_the_reference():
    pairs = similar_pairs({"loops": LOOPS, "einsum": EINSUM}, reference=REF)
    assert pairs == []


def test_normalisation_ignores_names_comments_docstrings_and_order():
    assert normalise(CORRECT) == normalise(COPIED)
    assert normalise(REF) == normalise(REORDERED) == normalise(NO_ANNOTATIONS)
    assert normalise(CORRECT) != normalise(LOOPS)
    pairs = similar_pairs({"a": CORRECT, "b": COPIED, "c": LOOPS})
    assert [(a, b, r) for a, b, r in pairs] == [("a", "b", 1.0)]


def test_similar_pairs_agree_with_scoring_every_pair_by_hand():
    # Many identical submissions (one comparison stands for a group) beside distinct ones.
    codes = {name: code for name, (code, how, _) in CLASS.items() if code and how != "broken_notebook"}
    codes |= {f"dup_{i:02d}": CORRECT for i in range(12)} | {f"loop_{i:02d}": LOOPS for i in range(5)}
    threshold = 0.5
    prints = {k: fingerprint(v) for k, v in {**codes, REFERENCE: REF}.items()}
    names = sorted(k for k, fp in prints.items() if fp.tokens >= MIN_TOKENS and fp.hashes)
    by_hand = {
        ((b, a) if a == REFERENCE else (a, b)): round(score(prints[a], prints[b]), 4)
        for a, b in itertools.combinations(names, 2)
        if score(prints[a], prints[b]) >= threshold
    }
    found = similar_pairs(codes, threshold=threshold, reference=REF)
    assert {(a, b): r for a, b, r in found} == by_hand
    assert len(by_hand) > 12 * 11 // 2  # the duplicates and more
    assert [r for _, _, r in found] == sorted((r for _, _, r in found), reverse=True)
    assert all(r == 1.0 for a, b, r in found if a.startswith("dup_") and b.startswith("dup_"))


def test_untouched_stubs_are_left_out():
    stub = (ROOT / "exercises" / EX / "cosine.py").read_text()
    assert fingerprint(stub).hashes == frozenset()
    assert similar_pairs({"a": stub, "b": stub}) == []  # untouched stubs are alike for everyone
    # one function written, the rest left as stubs: only what was written counts
    partial = CLASS["partial_stub_left"][0]
    assert fingerprint(partial).hashes < fingerprint(CORRECT).hashes


def test_what_every_learner_was_given_counts_for_no_one():
    given = "import numpy as np\n\n\n" + CLASS["correct_01"][0].split("\n\n\ndef top_k_similar")[0] + "\n"
    a = given + "\n\ndef top_k_similar(query, E, k):\n    return np.argsort(-(E @ query), kind='stable')[:k]\n"
    b = given + "\n\ndef top_k_similar(query, E, k):\n    order = sorted(range(len(E)), key=lambda i: -float(E[i] @ query))\n    return order[:k]\n"
    assert similar_pairs({"a": a, "b": b})  # the shared part alone makes them look alike...
    assert similar_pairs({"a": a, "b": b}, boilerplate=given) == []  # ...but it was handed out


def test_code_that_does_not_parse_is_still_compared():
    broken = REF.replace("def pairwise_cosine(A: np.ndarray, B: np.ndarray) -> np.ndarray:", "def pairwise_cosine(A, B)")
    pairs = similar_pairs({"a": broken, "b": broken.replace("scores", "s")})
    assert [(a, b) for a, b, _ in pairs] == [("a", "b")]


def test_scores_do_not_depend_on_the_process():
    # copydetect's own k-gram hashes are Python's hash(), which changes with PYTHONHASHSEED: ours must not.
    script = "from grader.instructor.similarity import fingerprint; import sys; print(sorted(fingerprint(sys.stdin.read()).hashes))"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    run = subprocess.run([sys.executable, "-c", script], input=REF, capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == str(sorted(fingerprint(REF).hashes))


def test_without_copydetect_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "copydetect", None)
    monkeypatch.setitem(sys.modules, "copydetect.utils", None)
    with pytest.raises(SimilarityUnavailable, match=r"pip install 'grade\[instructor\]'"):
        require_copydetect()
    with pytest.raises(SimilarityUnavailable):
        similar_pairs({"a": REF, "b": REF})
