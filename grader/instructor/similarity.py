"""Near-identical submissions, listed for a person to review (never a verdict).

Changes when how copies are recognised changes.

Each submission is normalised before comparison, so that renaming variables, reformatting,
editing comments or docstrings changes nothing: the code is parsed, docstrings are dropped,
``ast.unparse`` rewrites it in one canonical layout (comments disappear), and every local
identifier becomes ``v1, v2, ...`` in order of first use (attribute names such as ``np.dot``,
keywords, builtins and imported modules are kept: they are the substance). Functions still
identical to the stub (``raise NotImplementedError``) are dropped first: untouched stubs are
alike for everyone.

Pairs are compared with the standard library: submissions identical once normalised are
compared once, as a group; a Jaccard filter over token 5-grams and difflib's cheap upper
bounds (``real_quick_ratio``, ``quick_ratio``) drop pairs that cannot reach the threshold;
``difflib.SequenceMatcher`` (the ratio of matching tokens) confirms the rest. For a class of
a few hundred that is well under a second per exercise; a MinHash index (``datasketch``)
would only pay off for tens of thousands.
"""

from __future__ import annotations

import ast
import builtins
import difflib
import io
import keyword
import tokenize
from collections.abc import Iterable

from grader.course.stubs import definition_is_stub, is_docstring

DEFAULT_THRESHOLD = 0.92  # difflib ratio over normalised tokens
MIN_TOKENS = 25  # shorter submissions carry too little to compare
SHINGLE = 5
PREFILTER = 0.5  # Jaccard of 5-grams below which a pair cannot reach the threshold in practice
REFERENCE = "(reference solution)"
_KEEP = set(dir(builtins)) | {"self", "cls"}


def _strip_docstrings_and_stubs(tree: ast.Module) -> ast.Module:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and is_docstring(body[0]) and len(body) > 1:
            node.body = body[1:]  # type: ignore[attr-defined]
    tree.body = [n for n in tree.body if not definition_is_stub(n) and not is_docstring(n)]
    return tree


def normalise(code: str) -> list[str]:
    """The submission as a list of tokens, independent of names, layout and comments."""
    try:
        tree = _strip_docstrings_and_stubs(ast.parse(code))
        imported = {
            (alias.asname or alias.name).split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, (ast.Import, ast.ImportFrom))
            for alias in node.names
        }
        text = ast.unparse(tree)
    except (SyntaxError, ValueError, RecursionError):
        imported, text = set(), code
    names: dict[str, str] = {}
    out: list[str] = []
    previous = ""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return text.split()
    for tok in tokens:
        if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER):
            if tok.type in (tokenize.INDENT, tokenize.DEDENT):
                out.append(tokenize.tok_name[tok.type])
            continue
        value = tok.string
        if tok.type == tokenize.NAME and not keyword.iskeyword(value) and previous != "." and value not in _KEEP and value not in imported:
            value = names.setdefault(value, f"v{len(names) + 1}")
        elif tok.type == tokenize.STRING:
            value = "STR"
        out.append(value)
        previous = tok.string
    return out


def _shingles(tokens: list[str]) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + SHINGLE]) for i in range(max(1, len(tokens) - SHINGLE + 1))}


def similar_pairs(
    codes: dict[str, str],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    reference: str | None = None,
) -> list[tuple[str, str, float]]:
    """(learner a, learner b, ratio) for every pair at or above ``threshold``, most alike first.

    With ``reference``, a submission that is a near copy of the reference solution is paired
    with :data:`REFERENCE`: the solution may have leaked.
    """
    items: dict[str, list[str]] = {}
    for learner, code in codes.items():
        tokens = normalise(code)
        if len(tokens) >= MIN_TOKENS:
            items[learner] = tokens
    if reference is not None:
        tokens = normalise(reference)
        if len(tokens) >= MIN_TOKENS:
            items[REFERENCE] = tokens
    # Submissions identical once normalised are one comparison: a class hands in many (the
    # correct answer to a short exercise is often the same code), and pairs are quadratic.
    alike: dict[tuple[str, ...], list[str]] = {}
    for name in sorted(items):
        alike.setdefault(tuple(items[name]), []).append(name)
    groups = list(alike.values())
    out = [(a, b, 1.0) for group in groups for i, a in enumerate(group) for b in group[i + 1 :]]
    shingles = [_shingles(items[g[0]]) for g in groups]
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    for j, later in enumerate(groups):
        matcher.set_seq2(items[later[0]])  # difflib indexes the second sequence once for all firsts
        for i, earlier in enumerate(groups[:j]):
            sa, sb = shingles[i], shingles[j]
            if len(sa & sb) / len(sa | sb) < PREFILTER:
                continue
            matcher.set_seq1(items[earlier[0]])
            if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
                continue  # both bound ratio() from above
            ratio = matcher.ratio()
            if ratio >= threshold:
                out += [(a, b, round(ratio, 4)) if a < b else (b, a, round(ratio, 4)) for a in earlier for b in later]
    out = [(b, a, r) if a == REFERENCE else (a, b, r) for a, b, r in out]
    return sorted(out, key=lambda t: (-t[2], t[0], t[1]))


def groups(pairs: Iterable[tuple[str, str, float]]) -> list[list[str]]:
    """Connected groups of learners linked by flagged pairs (for a readable summary)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b, _ in pairs:
        parent[find(a)] = find(b)
    out: dict[str, list[str]] = {}
    for x in parent:
        out.setdefault(find(x), []).append(x)
    return sorted((sorted(g) for g in out.values()), key=lambda g: (-len(g), g))
