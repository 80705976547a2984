"""Near-identical submissions, listed for a person to review (never a verdict).

Changes when how copies are recognised changes.

Two steps: this module rewrites each submission's syntax tree in a canonical form, and
copydetect's winnowing (the MOSS algorithm: Schleimer, Wilkerson and Aiken, "Winnowing: local
algorithms for document fingerprinting", SIGMOD 2003) picks fingerprints among its k-grams of
tokens. A pair's score is the Jaccard share of fingerprints the two have in common.

*The library.* ``copydetect`` (PyPI, MIT, written for programming courses, 0.5.0 of 2024) was
chosen over ``pycode_similar`` (an AST dump compared with difflib again, last released 2020)
and the ``winnowing`` package (unmaintained since 2019). It needs numpy, matplotlib, jinja2,
pygments and tqdm; the first three are the ``instructor`` extra's already, so it is an
``instructor`` dependency, imported when a batch starts (about 0.5 s: it loads
matplotlib.pyplot). Two of its parts are not used, on purpose. Its tokenizer (pygments)
turns every name into ``V``, so ``np.einsum`` and ``np.dot`` look alike and independent
solutions that all call numpy look copied, and it sees through no reordering or rewriting:
the canonical form below replaces it. Its k-gram hashes are Python's ``hash()``, which
changes with every process (``PYTHONHASHSEED``), so a batch run twice would flag different
borderline pairs: the k-grams are hashed here with BLAKE2, and copydetect's ``winnow`` selects
among those hashes.

*Canonical form.* What a copier can change without changing what the code does is taken out
or written one way:

- comments, layout, docstrings and other bare constants, ``pass``, ``print`` calls, type
  annotations (``x: T = v`` is ``x = v``), imports (``np.linalg.norm``,
  ``numpy.linalg.norm`` and ``norm`` after ``from numpy.linalg import norm`` all read
  ``numpy.linalg.norm``), string values (every string is ``''``: messages are free text);
- dead code: statements after ``return``/``raise``/``break``/``continue``, branches on a
  constant (``if False:``), ``if __name__ == "__main__":`` blocks, expressions computed and
  dropped, assignments to names nothing reads, nested functions and private (``_``) module
  functions nothing calls;
- loops as comprehensions: ``out = []`` then ``for ...: out.append(e)`` (nested ``for`` and
  ``if`` too) is ``out = [e for ...]``, the same for sets and dicts; ``s = 0`` then
  ``for ...: s += e`` is ``s = sum(e for ...)``; a list comprehension given to ``sum``,
  ``min``, ``max``, ``any``, ``all`` or ``sorted`` is a generator; ``a += b`` is ``a = a + b``;
- names the learner chose become their role: ``a`` for a parameter, ``f`` for a function
  defined here, ``v`` for any other; attribute names (``.T``), keyword names in calls
  (``axis=``), builtins and modules stay: they are the substance. Numbering names in order
  of first use (``v1, v2``, the old way) keeps more of the data flow, but one inserted
  temporary renumbers the rest of its function. On the bench, at 0.6: 96.8% of disguised
  copies flagged with numbers (the lowest at 0.34), 98.3% with roles (the lowest at 0.48);
  independent pairs at most 0.34 and 0.47, none flagged either way;
- order: each top-level statement, and each function defined inside another, is a unit of
  its own; k-grams do not span units and fingerprints are a set, so the order of functions,
  and whether a helper sits inside a function or beside it, changes nothing.

Functions still identical to the stub (``raise NotImplementedError``) are dropped first:
untouched stubs are alike for everyone. ``boilerplate`` (the published stub) takes out what
every learner was given (ex15's Triton import guard and kernel signature). Fingerprints are
taken once per submission (2 ms for ex01, 12 ms for ex09, the largest reference) and a pair
is one set intersection (2-12 us): 300 learners take 0.6-3 s an exercise
(bench/similarity.py, which also chose K, WINDOW and DEFAULT_THRESHOLD).
"""

from __future__ import annotations

import ast
import builtins
import copy
import hashlib
import io
import keyword
import re
import tokenize
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from grader.course.stubs import definition_is_stub
from grader.errors import UsageError

DEFAULT_THRESHOLD = 0.6  # score(): share of fingerprints in common (bench/similarity.py chose it)
MIN_TOKENS = 25  # shorter submissions carry too little to compare
K = 8  # tokens per k-gram
WINDOW = 4  # winnowing window: every common run of K + WINDOW - 1 tokens shares a fingerprint
REFERENCE = "(reference solution)"
NO_COPYDETECT = (
    "grade batch lists near-identical submissions with copydetect, which is not installed: "
    "pip install 'grade[instructor]' (or pip install copydetect)"
)
_KEEP = set(dir(builtins)) | {"self", "cls"}
_FOLDS = {"sum", "min", "max", "any", "all", "sorted"}  # a list comprehension given to these is a generator
_SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.ENDMARKER}


class SimilarityUnavailable(UsageError):
    """copydetect is missing: the message says how to install it."""


@dataclass(frozen=True)
class Fingerprint:
    """A submission's winnowed fingerprints, and how many canonical tokens it has."""

    hashes: frozenset[int]
    tokens: int


# --- canonical form -------------------------------------------------------------------------


def _aliases(tree: ast.Module) -> dict[str, str]:
    """Local name -> the dotted name it stands for, for every import in the file."""
    out: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    out[alias.asname] = alias.name
                else:
                    root = alias.name.split(".")[0]
                    out[root] = root
        elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
            for alias in node.names:
                if alias.name != "*":
                    prefix = f"{node.module}." if node.module and not node.level else ""
                    out[alias.asname or alias.name] = prefix + alias.name
    return out


class _Expressions(ast.NodeTransformer):
    """Annotations, strings and import aliases out; folds over generators."""

    def __init__(self, aliases: dict[str, str]) -> None:
        self.aliases = aliases

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.aliases:
            return ast.copy_location(ast.Name(id=self.aliases[node.id], ctx=node.ctx), node)
        return node

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        return ast.Constant(value="") if isinstance(node.value, str) else node

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        return ast.Constant(value="")

    def visit_arg(self, node: ast.arg) -> ast.AST:
        node.annotation = None
        node.type_comment = None
        return node

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.AST:
        node.returns = None
        node.type_comment = None
        return self.generic_visit(node)

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id in _FOLDS and node.args and isinstance(node.args[0], ast.ListComp):
            comp = node.args[0]
            node.args[0] = ast.GeneratorExp(elt=comp.elt, generators=comp.generators)
        return node


def _constant_test(test: ast.expr) -> bool | None:
    if isinstance(test, ast.Constant):
        return bool(test.value)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _constant_test(test.operand)
        return None if inner is None else not inner
    return None


def _is_main_guard(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.comparators) == 1
        and isinstance(test.comparators[0], ast.Constant)
    )


def _is_print(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print"


def _load(node: ast.expr) -> ast.expr:
    out = copy.deepcopy(node)
    for sub in ast.walk(out):
        if hasattr(sub, "ctx"):
            sub.ctx = ast.Load()  # type: ignore[attr-defined]
    return out


def _statement(node: ast.stmt) -> list[ast.stmt]:
    """The node in canonical form: zero, one or several statements."""
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.Pass, ast.Global, ast.Nonlocal)):
        return []
    if isinstance(node, ast.Expr) and not isinstance(node.value, (ast.Call, ast.Await, ast.Yield, ast.YieldFrom)):
        return []  # docstrings, bare constants and expressions computed for nothing
    if isinstance(node, ast.Expr) and _is_print(node.value):
        return []
    if isinstance(node, ast.If):
        constant = _constant_test(node.test)
        if constant is not None:
            return _block(node.body if constant else node.orelse)
        if _is_main_guard(node.test):
            return []
    if isinstance(node, ast.While) and _constant_test(node.test) is False:
        return _block(node.orelse)
    if isinstance(node, ast.AnnAssign):
        if node.value is None:
            return []
        node = ast.Assign(targets=[node.target], value=node.value, lineno=0)
    if isinstance(node, ast.AugAssign):
        value = ast.BinOp(left=_load(node.target), op=node.op, right=node.value)
        node = ast.Assign(targets=[node.target], value=value, lineno=0)
    if isinstance(node, ast.Try):
        node.body = _block(node.body)
        if not node.body:
            return _block(node.finalbody)
    for field in ("body", "orelse", "finalbody"):
        stmts = getattr(node, field, None)
        if isinstance(stmts, list) and stmts and isinstance(stmts[0], ast.stmt):
            cleaned = _block(stmts)
            setattr(node, field, cleaned or ([ast.Pass()] if field == "body" else []))
    for handler in getattr(node, "handlers", []) + getattr(node, "cases", []):
        handler.body = _block(handler.body) or [ast.Pass()]
    return [node]


def _folded(body: list[ast.stmt], name: str) -> tuple[list[tuple[str, ast.AST]], ast.stmt] | None:
    """(for/if clauses, innermost statement) when ``body`` only grows ``name``, else None."""
    if len(body) != 1:
        return None
    node = body[0]
    if isinstance(node, ast.For) and not node.orelse:
        inner = _folded(node.body, name)
        return None if inner is None else ([("for", node), *inner[0]], inner[1])
    if isinstance(node, ast.If) and not node.orelse:
        inner = _folded(node.body, name)
        return None if inner is None else ([("if", node.test), *inner[0]], inner[1])
    return [], node


def _generators(clauses: list[tuple[str, ast.AST]]) -> list[ast.comprehension] | None:
    out: list[ast.comprehension] = []
    for kind, node in clauses:
        if kind == "for":
            assert isinstance(node, ast.For)
            out.append(ast.comprehension(target=node.target, iter=node.iter, ifs=[], is_async=0))
        elif not out:
            return None
        else:
            assert isinstance(node, ast.expr)
            out[-1].ifs.append(node)
    return out


def _grown(name: str, start: ast.expr, inner: ast.stmt) -> tuple[str, ast.expr, ast.expr | None] | None:
    """How ``inner`` grows ``name`` from ``start``: (kind, element, value) or None."""
    empty_call = isinstance(start, ast.Call) and isinstance(start.func, ast.Name) and not start.args and not start.keywords
    is_name = lambda e: isinstance(e, ast.Name) and e.id == name  # noqa: E731
    if (isinstance(start, ast.List) and not start.elts) or (empty_call and start.func.id == "list"):  # type: ignore[union-attr]
        if isinstance(inner, ast.Expr) and isinstance(inner.value, ast.Call):
            call = inner.value
            if isinstance(call.func, ast.Attribute) and call.func.attr == "append" and is_name(call.func.value):
                if len(call.args) == 1 and not call.keywords:
                    return "list", call.args[0], None
    if (isinstance(start, ast.Call) and empty_call and start.func.id == "set") and isinstance(inner, ast.Expr):  # type: ignore[union-attr]
        call = inner.value
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "add" and is_name(call.func.value):
            if len(call.args) == 1 and not call.keywords:
                return "set", call.args[0], None
    if (isinstance(start, ast.Dict) and not start.keys) or (empty_call and start.func.id == "dict"):  # type: ignore[union-attr]
        if isinstance(inner, ast.Assign) and len(inner.targets) == 1:
            target = inner.targets[0]
            if isinstance(target, ast.Subscript) and is_name(target.value):
                return "dict", target.slice, inner.value
    if isinstance(start, ast.Constant) and start.value == 0 and isinstance(inner, ast.Assign) and len(inner.targets) == 1:
        value = inner.value
        if is_name(inner.targets[0]) and isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add) and is_name(value.left):
            return "sum", value.right, None
    return None


def _comprehensions(stmts: list[ast.stmt]) -> list[ast.stmt]:
    """``x = []`` followed by a loop that only appends to x, as ``x = [... for ...]`` (and the like)."""
    out: list[ast.stmt] = []
    i = 0
    while i < len(stmts):
        node = stmts[i]
        nxt = stmts[i + 1] if i + 1 < len(stmts) else None
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(nxt, ast.For)
        ):
            name = node.targets[0].id
            folded = _folded([nxt], name)
            grown = folded and _grown(name, node.value, folded[1])
            generators = folded and _generators(folded[0])
            if folded and grown and generators:
                kind, elt, value = grown
                comp: ast.expr
                if kind == "list":
                    comp = ast.ListComp(elt=elt, generators=generators)
                elif kind == "set":
                    comp = ast.SetComp(elt=elt, generators=generators)
                elif kind == "dict":
                    assert value is not None
                    comp = ast.DictComp(key=elt, value=value, generators=generators)
                else:
                    gen = ast.GeneratorExp(elt=elt, generators=generators)
                    comp = ast.Call(func=ast.Name(id="sum", ctx=ast.Load()), args=[gen], keywords=[])
                out.append(ast.Assign(targets=node.targets, value=comp, lineno=0))
                i += 2
                continue
        out.append(node)
        i += 1
    return out


def _block(stmts: list[ast.stmt]) -> list[ast.stmt]:
    out: list[ast.stmt] = []
    for node in stmts:
        out.extend(_statement(node))
        if out and isinstance(out[-1], (ast.Return, ast.Raise, ast.Continue, ast.Break)):
            break  # what follows never runs
    return _comprehensions(out)


def _stored_names(target: ast.expr) -> list[str] | None:
    """The plain names an assignment target binds, or None when it writes elsewhere too."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        names: list[str] = []
        for elt in target.elts:
            inner = _stored_names(elt.value if isinstance(elt, ast.Starred) else elt)
            if inner is None:
                return None
            names += inner
        return names
    return None


def _loads(node: ast.AST) -> Counter[str]:
    return Counter(n.id for n in ast.walk(node) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Store))


def _unused(node: ast.stmt, loaded: Counter[str], module: bool) -> bool:
    if isinstance(node, ast.Assign):
        names = [_stored_names(t) for t in node.targets]
        return all(n is not None for n in names) and not any(loaded[x] > 0 for n in names for x in n or [])
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and (not module or node.name.startswith("_")):
        return loaded[node.name] == 0 or loaded[node.name] == _loads(node)[node.name]  # nothing calls it, or only itself
    return False


def _prune(stmts: list[ast.stmt], loaded: Counter[str], module: bool) -> list[ast.stmt]:
    """``stmts`` less what nothing reads (``loaded``: the scope's reads, kept up to date)."""
    while True:
        out: list[ast.stmt] = []
        for node in stmts:
            if _unused(node, loaded, module):
                loaded.subtract(_loads(node))
                continue
            if not module and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                for field in ("body", "orelse", "finalbody"):
                    inner = getattr(node, field, None)
                    if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                        setattr(node, field, _prune(inner, loaded, module) or ([ast.Pass()] if field == "body" else []))
            out.append(node)
        if len(out) == len(stmts):
            return out
        stmts = out


def _reads_by_scope(tree: ast.Module) -> dict[int, Counter[str]]:
    """id(scope) -> the names read in it, nested functions included: the module and each function, in one walk."""
    out: dict[int, Counter[str]] = {}

    def walk(node: ast.AST, open_scopes: list[Counter[str]]) -> None:
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Store):
            for counter in open_scopes:
                counter[node.id] += 1
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out[id(node)] = Counter()
            open_scopes = [*open_scopes, out[id(node)]]
        for child in ast.iter_child_nodes(node):
            walk(child, open_scopes)

    out[id(tree)] = Counter()
    walk(tree, [out[id(tree)]])
    return out


def _without_dead_code(tree: ast.Module) -> None:
    """Assignments nothing reads, nested functions nothing calls, private module functions nothing calls."""
    reads = _reads_by_scope(tree)
    tree.body = _prune(tree.body, reads[id(tree)], module=True)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            node.body = _prune(node.body, reads[id(node)], module=False) or [ast.Pass()]


class _Renamer(ast.NodeVisitor):
    """Every name the learner chose becomes its role: ``a`` (parameter), ``f`` (function), ``v`` (the rest)."""

    def __init__(self, keep: set[str]) -> None:
        self.keep = keep
        self.names: dict[str, str] = {}

    def new(self, name: str, role: str = "v") -> str:
        if name in self.keep or "." in name:
            return name
        return self.names.setdefault(name, role)

    def visit_Name(self, node: ast.Name) -> None:
        node.id = self.new(node.id)

    def visit_arg(self, node: ast.arg) -> None:
        node.arg = self.new(node.arg, "a")

    def _named(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        node.name = self.new(node.name, "f")
        self.generic_visit(node)

    visit_FunctionDef = _named
    visit_AsyncFunctionDef = _named
    visit_ClassDef = _named

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            node.name = self.new(node.name)
        self.generic_visit(node)


_TOKEN = re.compile(r"[A-Za-z_]\w*|\d[\w.]*|==|!=|<=|>=|\*\*|//|->|<<|>>|:=|\S")


def _tokens(text: str) -> list[str]:
    """``ast.unparse``'s output as tokens (its strings are all ''), each line led by its indentation."""
    out: list[str] = []
    for line in text.splitlines():
        stripped = line.lstrip()
        out.append(f"|{len(line) - len(stripped)}")
        out += _TOKEN.findall(stripped)
    return out


def _raw_tokens(text: str) -> list[str]:
    """Tokens of code that does not parse: comments out, every name not a keyword or builtin renamed."""
    names: dict[str, str] = {}
    out: list[str] = []
    previous = ""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return text.split()
    for tok in tokens:
        if tok.type in _SKIP:
            continue
        value = tokenize.tok_name[tok.type] if tok.type in (tokenize.INDENT, tokenize.DEDENT) else tok.string
        if tok.type == tokenize.NAME and not keyword.iskeyword(value) and previous != "." and value not in _KEEP:
            value = names.setdefault(value, f"v{len(names) + 1}")
        elif tok.type == tokenize.STRING:
            value = "''"
        out.append(value)
        previous = tok.string
    return out


def _nested_apart(node: ast.stmt) -> list[ast.stmt]:
    """``node``, then each function defined inside it as a unit of its own (a helper written
    inside a function or beside it is the same helper)."""
    out = [node]

    def take_out(holder: ast.AST) -> None:
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            stmts = getattr(holder, field, None)
            if not isinstance(stmts, list):
                continue
            kept = []
            for child in stmts:
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    out.extend(_nested_apart(child))
                else:
                    take_out(child)
                    kept.append(child)
            setattr(holder, field, kept or ([ast.Pass()] if field == "body" and stmts else []))

    take_out(node)
    return out


def units(code: str) -> list[tuple[str, ...]]:
    """The submission in canonical form: one token tuple per top-level statement, sorted."""
    try:
        tree = ast.parse(code)
        tree.body = [n for n in tree.body if not definition_is_stub(n)]
        aliases = _aliases(tree)
        tree = _Expressions(aliases).visit(tree)
        tree.body = _block(tree.body)
        _without_dead_code(tree)
        keep = _KEEP | set(aliases.values())
        out = []
        for node in [unit for top in tree.body for unit in _nested_apart(top)]:
            if isinstance(node, ast.Pass):
                continue
            _Renamer(keep).visit(node)
            out.append(tuple(_tokens(ast.unparse(node))))
    except (SyntaxError, ValueError, RecursionError, TypeError, AttributeError):
        return [tuple(_raw_tokens(code))]  # not Python: its tokens, names renamed
    return sorted(t for t in out if t)


def normalise(code: str) -> list[str]:
    """The submission as one list of tokens, independent of names, layout, comments and order."""
    out: list[str] = []
    for unit in units(code):
        out += [*unit, ";"]
    return out


# --- fingerprints and scores ----------------------------------------------------------------


def _winnow() -> Callable[..., tuple[Any, Any]]:
    try:
        from copydetect.utils import winnow
    except ImportError:
        raise SimilarityUnavailable(NO_COPYDETECT) from None
    return winnow


def require_copydetect() -> None:
    """Raise :class:`SimilarityUnavailable` (saying how to install it) unless copydetect can be imported."""
    _winnow()


def _hash(gram: tuple[str, ...]) -> int:
    return int.from_bytes(hashlib.blake2b("\x1f".join(gram).encode(), digest_size=8).digest(), "little", signed=True)


def fingerprint(code: str, boilerplate: frozenset[int] = frozenset()) -> Fingerprint:
    """The winnowed fingerprints of ``code`` in canonical form, less those of ``boilerplate``."""
    import numpy as np

    winnow = _winnow()
    hashes: set[int] = set()
    count = 0
    for unit in units(code):
        count += len(unit)
        grams = [unit[i : i + K] for i in range(max(1, len(unit) - K + 1))]
        selected, _ = winnow(np.array([_hash(g) for g in grams], dtype=np.int64), WINDOW)
        hashes.update(int(h) for h in selected)
    return Fingerprint(frozenset(hashes - boilerplate), count)


def score(a: Fingerprint, b: Fingerprint) -> float:
    """Share of fingerprints in common: |A ∩ B| / |A ∪ B| (Jaccard), 0 when either has none."""
    if not a.hashes or not b.hashes:
        return 0.0
    common = len(a.hashes & b.hashes)
    return common / (len(a.hashes) + len(b.hashes) - common)


def similar_pairs(
    codes: dict[str, str],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    reference: str | None = None,
    boilerplate: str | None = None,
) -> list[tuple[str, str, float]]:
    """(learner a, learner b, score) for every pair at or above ``threshold``, most alike first.

    With ``reference``, a submission that is a near copy of the reference solution is paired
    with :data:`REFERENCE`: the solution may have leaked. ``boilerplate`` (the published stub)
    is code every learner was given: its fingerprints count for no one. Raises
    :class:`SimilarityUnavailable` without copydetect.
    """
    given = fingerprint(boilerplate).hashes if boilerplate else frozenset()
    items: dict[str, Fingerprint] = {}
    for learner, code in {**codes, **({REFERENCE: reference} if reference is not None else {})}.items():
        fp = fingerprint(code, given)
        if fp.tokens >= MIN_TOKENS and fp.hashes:
            items[learner] = fp
    # Submissions with the same fingerprints are one comparison: a class hands in many (the
    # correct answer to a short exercise is often the same code), and pairs are quadratic.
    alike: dict[frozenset[int], list[str]] = {}
    for name in sorted(items):
        alike.setdefault(items[name].hashes, []).append(name)
    groups_ = list(alike.values())
    out = [(a, b, 1.0) for group in groups_ for i, a in enumerate(group) for b in group[i + 1 :]]
    for j, later in enumerate(groups_):
        for earlier in groups_[:j]:
            ratio = score(items[earlier[0]], items[later[0]])
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
