"""How well `grade batch`'s copy detector tells disguised copies from independent work.

Target (issue 16): at least 90% of disguised copies flagged, at most 5% of independent pairs
flagged, at the default threshold; the old detector (normalised tokens and difflib, kept
below as it was) is measured on the same pairs in the same run.

The set is generated from this course's references (solutions/exNN_slug/, the learner file):

- disguised copies of each reference, each transformation alone and all of them combined:
  identifiers renamed, annotations stripped or replaced, comments added, docstrings removed
  or added, functions reordered, dead code added, loops rewritten as comprehensions and
  comprehensions as loops, imports changed; each copy is compared with its reference;
- independent pairs: correct solutions of the same exercise written apart (ex01's styles in
  tests/instructor_support.py's CLASS; bench/_independent.py's for ten other exercises, and
  the idiomatic solution of six short ones, where independent work converges) against the
  reference and each other, and different exercises' references of similar size;
- shown apart, not counted as independent: each misconception of misconceptions.py written
  into the reference as a full module (the reference with one mistake: an edit of it, which a
  detector should flag) and the misconception's functions alone against the reference's.

Run: python bench/similarity.py [--copies N] [--no-timing]
"""

from __future__ import annotations

import argparse
import ast
import builtins
import copy
import difflib
import io
import itertools
import keyword
import random
import sys
import time
import tokenize
from collections.abc import Callable
from pathlib import Path

from _common import ROOT
from _independent import ALTERNATIVES, IDIOMATIC

sys.path.insert(0, str(ROOT))

from grader.course import load_course  # noqa: E402
from grader.course.stubs import definition_is_stub, is_docstring  # noqa: E402
from grader.instructor import similarity  # noqa: E402
from tests.instructor_support import CORRECT, EINSUM, LOOPS  # noqa: E402

# --- the old detector (grader/instructor/similarity.py before issue 16), pair by pair ----------

OLD_THRESHOLD = 0.92
OLD_MIN_TOKENS = 25
_OLD_KEEP = set(dir(builtins)) | {"self", "cls"}


def old_normalise(code: str) -> list[str]:
    try:
        tree = ast.parse(code)
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if isinstance(body, list) and body and is_docstring(body[0]) and len(body) > 1:
                node.body = body[1:]  # type: ignore[attr-defined]
        tree.body = [n for n in tree.body if not definition_is_stub(n) and not is_docstring(n)]
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
    skip = (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER)
    for tok in tokens:
        if tok.type in skip:
            if tok.type in (tokenize.INDENT, tokenize.DEDENT):
                out.append(tokenize.tok_name[tok.type])
            continue
        value = tok.string
        if tok.type == tokenize.NAME and not keyword.iskeyword(value) and previous != "." and value not in _OLD_KEEP and value not in imported:
            value = names.setdefault(value, f"v{len(names) + 1}")
        elif tok.type == tokenize.STRING:
            value = "STR"
        out.append(value)
        previous = tok.string
    return out


def _old_shingles(tokens: list[str]) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + 5]) for i in range(max(1, len(tokens) - 4))}


def old_score(a: list[str], b: list[str]) -> float:
    """What the old similar_pairs reported for the pair: 0 below its 5-gram prefilter, else difflib's ratio."""
    if len(a) < OLD_MIN_TOKENS or len(b) < OLD_MIN_TOKENS:
        return 0.0
    sa, sb = _old_shingles(a), _old_shingles(b)
    if len(sa & sb) / len(sa | sb) < 0.5:
        return 0.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


# --- disguises -----------------------------------------------------------------------------

WORDS = ["val", "tmp", "res", "acc", "mat", "vec", "out", "data", "arr", "buf", "cur", "item", "tot", "my", "the", "new", "s", "m", "q", "z"]
COMMENTS = ["compute the result", "normalise first", "edge case", "see lecture 3", "loop over rows", "TODO tidy",
            "this is the main step", "vectorised", "careful with zeros", "my own approach"]
DOCS = ["Compute the requested quantity.", "Helper written for the assignment.", "Returns the answer.", "Main routine."]


def _public_top_level(tree: ast.Module) -> set[str]:
    return {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and not n.name.startswith("_")}


def rename(tree: ast.Module, rng: random.Random) -> ast.Module:
    """Every name the author chose, except the entry points, becomes another."""
    imported = {(a.asname or a.name).split(".")[0] for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
    keep = _public_top_level(tree) | imported | set(dir(builtins)) | {"self", "cls"}
    chosen: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.arg):
            chosen.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            chosen.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            chosen.add(node.name)
    used = set(keep) | chosen
    mapping: dict[str, str] = {}
    for name in sorted(chosen - keep):
        new = f"{rng.choice(WORDS)}_{rng.choice(WORDS)}" if rng.random() < 0.5 else f"{rng.choice(WORDS)}{rng.randint(1, 9)}"
        while new in used:
            new += "_"
        used.add(new)
        mapping[name] = new
    defined = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in mapping:
            node.id = mapping[node.id]
        elif isinstance(node, ast.arg) and node.arg in mapping:
            node.arg = mapping[node.arg]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in mapping:
            node.name = mapping[node.name]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            called = {v: k for k, v in mapping.items()}.get(node.func.id, node.func.id)
            if called in defined:  # keyword arguments of the module's own functions follow their parameters
                for kw in node.keywords:
                    if kw.arg in mapping:
                        kw.arg = mapping[kw.arg]
    return tree


def strip_annotations(tree: ast.Module, rng: random.Random) -> ast.Module:
    for node in ast.walk(tree):
        if isinstance(node, ast.arg):
            node.annotation = None
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            node.returns = None
        for field in ("body", "orelse", "finalbody"):
            stmts = getattr(node, field, None)
            if isinstance(stmts, list):
                setattr(node, field, [
                    ast.Assign(targets=[s.target], value=s.value, lineno=0) if isinstance(s, ast.AnnAssign) and s.value else s
                    for s in stmts
                ])
    tree.body = [n for n in tree.body if not (isinstance(n, ast.ImportFrom) and n.module == "__future__")]
    return tree


def other_annotations(tree: ast.Module, rng: random.Random) -> ast.Module:
    """Annotations stripped, then others added (with their import)."""
    tree = strip_annotations(tree, rng)
    kinds = ["Any", "'Array'", "float", "int", "'Tensor'", "object"]
    for node in ast.walk(tree):
        if isinstance(node, ast.arg) and node.arg not in ("self", "cls") and rng.random() < 0.7:
            node.annotation = ast.parse(rng.choice(kinds), mode="eval").body
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and rng.random() < 0.7:
            node.returns = ast.parse(rng.choice(kinds), mode="eval").body
    tree.body.insert(0, ast.parse("from typing import Any").body[0])
    return tree


def _bodies(tree: ast.Module) -> list[list[ast.stmt]]:
    """Every statement list inside a function (where the disguises insert and rewrite)."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for sub in ast.walk(node):
                for field in ("body", "orelse"):
                    stmts = getattr(sub, field, None)
                    if isinstance(stmts, list) and stmts and isinstance(stmts[0], ast.stmt):
                        out.append(stmts)
    return out


def strip_docstrings(tree: ast.Module, rng: random.Random) -> ast.Module:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and is_docstring(body[0]):
            node.body = body[1:] or [ast.Pass()]  # type: ignore[attr-defined]
    return tree


def other_docstrings(tree: ast.Module, rng: random.Random) -> ast.Module:
    tree = strip_docstrings(tree, rng)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and rng.random() < 0.8:
            node.body.insert(0, ast.Expr(ast.Constant(f"{rng.choice(DOCS)} {rng.choice(COMMENTS).capitalize()}.")))
    tree.body.insert(0, ast.Expr(ast.Constant("Assignment, my solution.")))
    return tree


def reorder(tree: ast.Module, rng: random.Random) -> ast.Module:
    slots = [i for i, n in enumerate(tree.body) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    defs = [tree.body[i] for i in slots]
    for _ in range(10):
        rng.shuffle(defs)
        if len(defs) < 2 or [id(d) for d in defs] != [id(tree.body[i]) for i in slots]:
            break
    for i, node in zip(slots, defs):
        tree.body[i] = node
    return tree


def dead_code(tree: ast.Module, rng: random.Random) -> ast.Module:
    """Two to four of: unused assignments, if False blocks, prints, code after a return, an unused helper."""
    kinds = rng.sample(["assign", "if_false", "print", "after_return", "helper"], rng.randint(2, 4))
    bodies = _bodies(tree)
    for kind in kinds:
        body = rng.choice(bodies)
        names = sorted({n.id for s in body for n in ast.walk(s) if isinstance(n, ast.Name)}) or ["0"]
        at = rng.randint(0, max(0, len(body) - 1))
        name = rng.choice(names)
        if kind == "assign":
            body.insert(at, ast.parse(f"{rng.choice(WORDS)}_unused = len(str({name}))").body[0])
        elif kind == "if_false":
            body.insert(at, ast.parse(f"if False:\n    {rng.choice(WORDS)}_dbg = {name}\n    print('debug')").body[0])
        elif kind == "print":
            body.insert(at, ast.parse(f"print('checking', {name})").body[0])
        elif kind == "after_return" and isinstance(body[-1], ast.Return):
            body.append(ast.parse(f"{rng.choice(WORDS)} = {name}").body[0])
        elif kind == "helper":
            helper = f"{'_' if rng.random() < 0.5 else ''}{rng.choice(WORDS)}_helper"
            fn = ast.parse(f"def {helper}(x, y=None):\n    total = 0\n    for v in x:\n        total = total + v\n    return total if y is None else y\n")
            tree.body.insert(rng.randint(0, len(tree.body)), fn.body[0])
    return tree


def _loop_of(target: ast.expr, comp: ast.ListComp | ast.GeneratorExp, action: Callable[[ast.expr], ast.stmt]) -> list[ast.stmt]:
    inner: list[ast.stmt] = [action(comp.elt)]
    for gen in reversed(comp.generators):
        for cond in reversed(gen.ifs):
            inner = [ast.If(test=cond, body=inner, orelse=[])]
        inner = [ast.For(target=gen.target, iter=gen.iter, body=inner, orelse=[], lineno=0)]
    return inner


def _outermost_comprehensions(node: ast.AST) -> list[ast.ListComp | ast.GeneratorExp]:
    out: list[ast.ListComp | ast.GeneratorExp] = []

    def walk(sub: ast.AST) -> None:
        if isinstance(sub, (ast.ListComp, ast.GeneratorExp)):
            out.append(sub)
        elif not isinstance(sub, (ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef, ast.SetComp, ast.DictComp)):
            for child in ast.iter_child_nodes(sub):
                walk(child)

    walk(node)
    return out


def _replace(root: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for parent in ast.walk(root):
        for field, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, field, new)
            elif isinstance(value, list):
                value[:] = [new if v is old else v for v in value]


def loops(tree: ast.Module, rng: random.Random) -> ast.Module:
    """Comprehensions become loops (hoisted into a new list where they sat inside an expression), sums over
    generators become accumulating loops; loops that only append become comprehensions."""
    changed = False
    for body in _bodies(tree):
        i = 0
        while i < len(body):
            node = body[i]
            part: ast.AST | None = node.test if isinstance(node, (ast.If, ast.While)) else node
            if isinstance(node, (ast.For, ast.With, ast.Try, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                part = None
            comps = _outermost_comprehensions(part) if part is not None else []
            if not comps:
                i += 1
                continue
            comp = comps[0]
            target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None
            name = target.id if isinstance(target, ast.Name) else f"{rng.choice(WORDS)}_items"
            is_sum = (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name)
                      and node.value.func.id == "sum" and node.value.args == [comp] and target is not None and name == target.id)
            if is_sum:
                add = lambda e, n=name: ast.AugAssign(target=ast.Name(n, ast.Store()), op=ast.Add(), value=e)  # noqa: E731
                new = [ast.parse(f"{name} = 0").body[0], *_loop_of(ast.Name(name, ast.Store()), comp, add)]
            else:
                append = lambda e, n=name: ast.Expr(ast.Call(ast.Attribute(ast.Name(n, ast.Load()), "append", ast.Load()), [e], []))  # noqa: E731
                new = [ast.parse(f"{name} = []").body[0], *_loop_of(ast.Name(name, ast.Store()), comp, append)]
                if not (isinstance(node, ast.Assign) and node.value is comp and target is not None and name == target.id):
                    _replace(node, comp, ast.Name(id=name, ctx=ast.Load()))
                    new.append(node)
            body[i : i + 1] = new
            i += len(new)
            changed = True
    # the other way: `x = []` then a loop whose body only appends becomes a comprehension
    for body in _bodies(tree):
        for i in range(len(body) - 1):
            a, b = body[i], body[i + 1]
            if (isinstance(a, ast.Assign) and isinstance(a.value, ast.List) and not a.value.elts and isinstance(a.targets[0], ast.Name)
                    and isinstance(b, ast.For) and len(b.body) == 1 and isinstance(b.body[0], ast.Expr)
                    and isinstance(b.body[0].value, ast.Call) and isinstance(b.body[0].value.func, ast.Attribute)
                    and b.body[0].value.func.attr == "append" and not changed):
                elt = b.body[0].value.args[0]
                a.value = ast.ListComp(elt=elt, generators=[ast.comprehension(target=b.target, iter=b.iter, ifs=[], is_async=0)])
                body[i + 1] = ast.Pass()
                changed = True
    if not changed:
        raise NotApplicable
    return tree


def imports(tree: ast.Module, rng: random.Random) -> ast.Module:
    """`from __future__` dropped, `import numpy as np` written as `import numpy` (or torch's functions imported by name)."""
    aliases = {}
    new_body: list[ast.stmt] = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            continue
        if isinstance(node, ast.Import) and any(a.asname for a in node.names):
            for a in node.names:
                if a.asname:
                    aliases[a.asname] = a.name
            node = ast.Import(names=[ast.alias(name=a.name) for a in node.names])
        new_body.append(node)
    tree.body = new_body
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in aliases:
            node.id = aliases[node.id]
    return tree


def swap_operands(tree: ast.Module, rng: random.Random) -> ast.Module:
    """a * b as b * a, x + 1 as 1 + x, a < b as b > a (about half of each)."""
    flips = {ast.Lt: ast.Gt, ast.Gt: ast.Lt, ast.LtE: ast.GtE, ast.GtE: ast.LtE, ast.Eq: ast.Eq, ast.NotEq: ast.NotEq}
    for node in ast.walk(tree):
        if rng.random() < 0.5:
            continue
        if isinstance(node, ast.BinOp) and (isinstance(node.op, ast.Mult) or (isinstance(node.op, ast.Add) and any(
                isinstance(x, ast.Constant) and isinstance(x.value, (int, float)) for x in (node.left, node.right)))):
            node.left, node.right = node.right, node.left
        elif isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in flips:
            node.left, node.comparators = node.comparators[0], [node.left]
            node.ops = [flips[type(node.ops[0])]()]
    return tree


def temporaries(tree: ast.Module, rng: random.Random) -> ast.Module:
    """`return f(x)` as `result = f(x)` then `return result`."""
    for body in _bodies(tree):
        for i, node in enumerate(body):
            if isinstance(node, ast.Return) and isinstance(node.value, (ast.Call, ast.BinOp, ast.Subscript)) and rng.random() < 0.8:
                name = f"{rng.choice(WORDS)}_result"
                body[i : i + 1] = [ast.Assign(targets=[ast.Name(name, ast.Store())], value=node.value, lineno=0),
                                   ast.Return(ast.Name(name, ast.Load()))]
                break
    return tree


class NotApplicable(Exception):
    """The disguise changes nothing in this reference (no loop to rewrite)."""


def add_comments(code: str, rng: random.Random) -> str:
    out = []
    for line in code.splitlines():
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        if stripped and not stripped.startswith(("@", ")", "]", "}", "else", "elif", "except", "finally")) and rng.random() < 0.35:
            out.append(f"{indent}# {rng.choice(COMMENTS)}")
        if stripped and not stripped.endswith((":", "(", "[", ",", "\\")) and rng.random() < 0.15:
            line += f"  # {rng.choice(COMMENTS)}"
        out.append(line)
    return "\n".join(out) + "\n"


TREE_DISGUISES: dict[str, Callable[[ast.Module, random.Random], ast.Module]] = {
    "rename identifiers": rename,
    "strip annotations": strip_annotations,
    "replace annotations": other_annotations,
    "strip docstrings": strip_docstrings,
    "replace docstrings": other_docstrings,
    "reorder functions": reorder,
    "add dead code": dead_code,
    "loops <-> comprehensions": loops,
    "change imports": imports,
    "(beyond the issue) swap operands": swap_operands,
    "(beyond the issue) return through a temporary": temporaries,
}
RANDOM = {"(beyond the issue) swap operands", "(beyond the issue) return through a temporary", "rename identifiers", "replace annotations", "replace docstrings", "reorder functions", "add dead code", "add comments"}


def disguise(code: str, steps: list[str], rng: random.Random) -> str:
    tree = ast.parse(code)
    for step in steps:
        if step in TREE_DISGUISES:
            tree = TREE_DISGUISES[step](tree, rng)
    text = ast.unparse(ast.fix_missing_locations(tree))
    if "add comments" in steps:
        text = add_comments(text, rng)
    ast.parse(text)  # still Python
    return text


def disguised_copies(reference: str, copies: int, seed: int) -> list[tuple[str, str]]:
    """(kind, code): each disguise alone (random ones `copies` times), then all combined `copies` times."""
    rng = random.Random(seed)
    out = []
    for step in [*TREE_DISGUISES, "add comments"]:
        for _ in range(copies if step in RANDOM else 1):
            try:
                out.append((step, disguise(reference, [step], rng)))
            except NotApplicable:
                break
    combined = ["rename identifiers", "replace annotations", "replace docstrings", "reorder functions", "add dead code",
                "loops <-> comprehensions", "change imports", "add comments"]
    for _ in range(copies):
        steps = [s for s in combined if s in ("rename identifiers", "add comments") or rng.random() < 0.7]
        try:
            out.append(("all combined", disguise(reference, steps, rng)))
        except NotApplicable:
            out.append(("all combined", disguise(reference, [s for s in steps if s != "loops <-> comprehensions"], rng)))
    return out


# --- independent work, and the misconceptions ----------------------------------------------


def misconception_modules(reference: str, misconceptions: Path) -> list[tuple[str, str, str]]:
    """(name, the reference with the variant's functions in place, the variant's functions alone)."""
    tree = ast.parse(misconceptions.read_text(encoding="utf-8"))
    variants: dict[str, list[ast.FunctionDef]] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.decorator_list and isinstance(node.decorator_list[0], ast.Name):
            variants.setdefault(node.decorator_list[0].id, []).append(node)
    out = []
    for name, functions in variants.items():
        replaced = {}
        for fn in functions:
            fn = copy.deepcopy(fn)
            fn.decorator_list = []
            for sub in ast.walk(fn):  # ref.pairwise_cosine(...) -> pairwise_cosine(...)
                for field, value in ast.iter_fields(sub):
                    if isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name) and value.value.id == "ref":
                        setattr(sub, field, ast.Name(id=value.attr, ctx=ast.Load()))
                    elif isinstance(value, list):
                        value[:] = [ast.Name(id=v.attr, ctx=ast.Load()) if isinstance(v, ast.Attribute) and isinstance(v.value, ast.Name)
                                    and v.value.id == "ref" else v for v in value]
            replaced[fn.name] = fn
        module = ast.parse(reference)
        module.body = [replaced.get(getattr(n, "name", ""), n) for n in module.body]
        alone = ast.Module(body=[n for n in ast.parse(reference).body if isinstance(n, (ast.Import, ast.ImportFrom))]
                           + list(replaced.values()), type_ignores=[])
        out.append((name, ast.unparse(module), ast.unparse(alone)))
    return out


def only_functions(code: str, names: set[str]) -> str:
    tree = ast.parse(code)
    tree.body = [n for n in tree.body if not isinstance(n, ast.FunctionDef) or n.name in names]
    return ast.unparse(tree)


# --- the run -------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=4, help="copies per random disguise and combined (default 4)")
    parser.add_argument("--no-timing", action="store_true", help="flag rates only")
    args = parser.parse_args()
    course = load_course(ROOT)
    references = {ex.folder: ex.reference_path.read_text(encoding="utf-8") for ex in course.exercises}
    boilerplate = {ex.folder: ex.learner_paths[0].read_text(encoding="utf-8") for ex in course.exercises}

    # pairs: (category, exercise, code a, code b); a is the reference where there is one
    copies: list[tuple[str, str, str, str]] = []
    for n, (folder, ref) in enumerate(references.items()):
        copies += [(kind, folder, ref, code) for kind, code in disguised_copies(ref, args.copies, seed=n)]
    independent: list[tuple[str, str, str, str]] = []
    ex01 = "ex01_cosine_similarity"
    styles = {"CLASS correct_01 (numpy)": CORRECT, "CLASS correct_02 (loops)": LOOPS, "CLASS correct_03 (einsum)": EINSUM}
    for (_, a), (_, b) in itertools.combinations(styles.items(), 2):
        independent.append(("ex01 styles from CLASS, each other", ex01, a, b))
    for name in ("CLASS correct_02 (loops)", "CLASS correct_03 (einsum)"):  # correct_01 is the reference, renamed
        independent.append(("ex01 styles from CLASS vs reference", ex01, references[ex01], styles[name]))
    for folder, alternatives in ALTERNATIVES.items():
        for alt in alternatives:
            independent.append(("other exercises' own solutions vs reference", folder, references[folder], alt))
    for folder, alternatives in IDIOMATIC.items():
        for alt in alternatives:
            independent.append(("the idiomatic solution, written apart, vs reference", folder, references[folder], alt))
    sizes = {f: len(similarity.normalise(r)) for f, r in references.items()}
    for a, b in itertools.combinations(references, 2):
        if max(sizes[a], sizes[b]) <= 1.5 * min(sizes[a], sizes[b]):
            independent.append(("different exercises' references, similar size", f"{a}|{b}", references[a], references[b]))
    edits: list[tuple[str, str, str, str]] = []
    for ex in course.exercises:
        ref = references[ex.folder]
        for _, module, alone in misconception_modules(ref, ex.misconceptions_path):
            edits.append(("reference with one misconception (module)", ex.folder, ref, module))
            names = {n.name for n in ast.parse(alone).body if isinstance(n, ast.FunctionDef)}
            edits.append(("misconception's functions vs the reference's", ex.folder, only_functions(ref, names), alone))

    new_fp: dict[tuple[str, str], similarity.Fingerprint] = {}
    given = {f: similarity.fingerprint(b).hashes for f, b in boilerplate.items()}

    def new_score(folder: str, a: str, b: str) -> float:
        fa = new_fp.setdefault((folder, a), similarity.fingerprint(a, given.get(folder, frozenset())))
        fb = new_fp.setdefault((folder, b), similarity.fingerprint(b, given.get(folder, frozenset())))
        if min(fa.tokens, fb.tokens) < similarity.MIN_TOKENS:
            return 0.0
        return similarity.score(fa, fb)

    old_tokens: dict[str, list[str]] = {}

    def old(a: str, b: str) -> float:
        return old_score(old_tokens.setdefault(a, old_normalise(a)), old_tokens.setdefault(b, old_normalise(b)))

    scored = {
        "copies": [(c, f, new_score(f, a, b), old(a, b)) for c, f, a, b in copies],
        "independent": [(c, f, new_score(f.split("|")[0], a, b), old(a, b)) for c, f, a, b in independent],
        "edits": [(c, f, new_score(f, a, b), old(a, b)) for c, f, a, b in edits],
    }
    new_t = similarity.DEFAULT_THRESHOLD
    print(f"similarity bench: {len(references)} references, {len(copies)} disguised copies, {len(independent)} independent pairs, "
          f"{len(edits)} misconception pairs; Python {sys.version.split()[0]}")
    print(f"new: copydetect winnowing over the canonical form (k={similarity.K}, window={similarity.WINDOW}), default threshold {new_t}")
    print(f"old: normalised tokens + difflib ratio, default threshold {OLD_THRESHOLD}\n")

    def share(rows: list[tuple[str, str, float, float]], index: int, t: float) -> str:
        hit = sum(r[index] >= t for r in rows)
        return f"{hit / len(rows):6.1%} ({hit}/{len(rows)})" if rows else "-"

    print(f"{'at the default thresholds':52} {'new @' + str(new_t):>18} {'old @' + str(OLD_THRESHOLD):>18}")
    listed = [r for r in scored["copies"] if not r[0].startswith("(beyond")]
    scored["listed"] = listed
    for label, key, target in (("disguised copies flagged (the issue's disguises)", "listed", ">= 90%"),
                               ("  ... and two more (swapped operands, temporaries)", "copies", ""), ("independent pairs flagged", "independent", "<= 5%")):
        print(f"  {label:50} {share(scored[key], 2, new_t):>18} {share(scored[key], 3, OLD_THRESHOLD):>18}   {'target ' + target if target else ''}")
    for key, title in (("copies", "disguised copies, by disguise"), ("independent", "independent pairs, by source"),
                       ("edits", "misconceptions (edits of the reference; not independent work)")):
        print(f"\n{title}")
        for cat in dict.fromkeys(c for c, *_ in scored[key]):
            rows = [r for r in scored[key] if r[0] == cat]
            print(f"  {cat:50} {share(rows, 2, new_t):>18} {share(rows, 3, OLD_THRESHOLD):>18}")

    print("\nacross thresholds, share flagged: the issue's disguises / all disguises / independent / misconception modules")
    modules = [r for r in scored["edits"] if r[0].startswith("reference with")]
    for label, index, thresholds in (("new", 2, (0.4, 0.5, 0.6, 0.7, 0.8, 0.9)), ("old", 3, (0.5, 0.7, 0.8, 0.92))):
        for t in thresholds:
            rates = [share(scored[k], index, t) for k in ("listed", "copies", "independent")] + [share(modules, index, t)]
            print(f"  {label} @{t:.2f}: " + " / ".join(rates))

    def quantiles(rows: list[tuple[str, str, float, float]], index: int) -> str:
        values = sorted(r[index] for r in rows)
        at = lambda q: values[min(len(values) - 1, int(q * len(values)))]  # noqa: E731
        return f"min {values[0]:.2f}, 5% {at(0.05):.2f}, median {at(0.5):.2f}, 95% {at(0.95):.2f}, max {values[-1]:.2f}"

    print("\nscores (new | old)")
    for label, key in (("disguised copies", "copies"), ("independent pairs", "independent")):
        print(f"  {label:18} {quantiles(scored[key], 2)} | {quantiles(scored[key], 3)}")

    missed = sorted((r for r in scored["copies"] if r[2] < new_t), key=lambda r: r[2])[:8]
    if missed:
        print("\nlowest-scoring copies missed at the default: " + ", ".join(f"{f[:4]} {c} {s:.2f}" for c, f, s, _ in missed))
    false = sorted((r for r in scored["independent"] if r[2] >= min(new_t, 0.25)), key=lambda r: -r[2])
    if false:
        print("independent pairs scoring 0.25 or more: " + ", ".join(f"{f} ({c}) {s:.2f}" for c, f, s, _ in false))

    if args.no_timing:
        return
    # Time: a class of 300 made of ex09's disguised copies and alternatives (the largest reference), and ex01's.
    # Every learner's code differs (a comment line), so no pair is skipped as identical.
    for folder in ("ex09_attention", "ex01_cosine_similarity"):
        ref = references[folder]
        pool = [code for _, f, _, code in copies if f == folder] + [b for _, f, _, b in independent if f == folder]
        klass = {f"learner_{i:03d}": pool[i % len(pool)] + f"\n# learner {i}\n" for i in range(300)}
        pairs = len(klass) * (len(klass) + 1) // 2
        sample = list(klass.values())[:60]
        started = time.perf_counter()
        found = similarity.similar_pairs(klass, reference=ref, boilerplate=boilerplate[folder])
        new_s = time.perf_counter() - started
        started = time.perf_counter()
        fps = [similarity.fingerprint(c) for c in sample]
        new_each = (time.perf_counter() - started) / len(sample)
        started = time.perf_counter()
        for x, y in itertools.combinations(fps, 2):
            similarity.score(x, y)
        new_pair = (time.perf_counter() - started) / (len(sample) * (len(sample) - 1) / 2)
        started = time.perf_counter()
        old_pairs = old_similar_pairs(klass, reference=ref)
        old_s = time.perf_counter() - started
        started = time.perf_counter()
        for c in sample:
            old_normalise(c)
        old_each = (time.perf_counter() - started) / len(sample)
        old_pair = max(0.0, old_s - old_each * (len(klass) + 1)) / pairs
        print(f"\ntime, {folder}: 300 learners + the reference, {pairs:,} pairs (nearly all copies of one reference)")
        print(f"  new similar_pairs {new_s:5.2f} s, {len(found):6,} pairs flagged; a submission {new_each * 1e3:5.2f} ms, "
              f"a pair {new_pair * 1e6:5.1f} us")
        print(f"  old similar_pairs {old_s:5.2f} s, {len(old_pairs):6,} pairs flagged; a submission {old_each * 1e3:5.2f} ms, "
              f"a pair {old_pair * 1e6:5.1f} us (prefilter and difflib)")
        print(f"  new / old: {new_s / old_s:.2f}x the time")


def old_similar_pairs(codes: dict[str, str], *, reference: str) -> list[tuple[str, str, float]]:
    """The old similar_pairs as it was (identical groups, prefilter, difflib's bounds), for the timing."""
    items = {k: t for k, t in ((k, old_normalise(v)) for k, v in {**codes, "(reference)": reference}.items()) if len(t) >= OLD_MIN_TOKENS}
    alike: dict[tuple[str, ...], list[str]] = {}
    for name in sorted(items):
        alike.setdefault(tuple(items[name]), []).append(name)
    groups = list(alike.values())
    out = [(a, b, 1.0) for group in groups for i, a in enumerate(group) for b in group[i + 1 :]]
    shingles = [_old_shingles(items[g[0]]) for g in groups]
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    for j, later in enumerate(groups):
        matcher.set_seq2(items[later[0]])
        for i, earlier in enumerate(groups[:j]):
            sa, sb = shingles[i], shingles[j]
            if len(sa & sb) / len(sa | sb) < 0.5:
                continue
            matcher.set_seq1(items[earlier[0]])
            if matcher.real_quick_ratio() < OLD_THRESHOLD or matcher.quick_ratio() < OLD_THRESHOLD:
                continue
            ratio = matcher.ratio()
            if ratio >= OLD_THRESHOLD:
                out += [(a, b, ratio) for a in earlier for b in later]
    return out


if __name__ == "__main__":
    main()
