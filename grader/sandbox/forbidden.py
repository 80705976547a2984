"""Static detection of forbidden calls in the learner's source.

Changes when a new way to name a forbidden call must be caught.

``exercise.yaml`` lists dotted names (``torch.softmax``, ``torch.nn.functional.softmax``,
``torch.Tensor.softmax``), and ``"@"`` for the matrix-product operator. We resolve the learner's import aliases, walk every function,
and report which forbidden names each function reaches, directly or through other
functions of the module. The worker also replaces those callables at run time; this
scan is what holds when the learner undoes that.
"""

from __future__ import annotations

import ast
from collections import defaultdict

MODULE_LEVEL = "<module>"


def _aliases(tree: ast.Module) -> dict[str, str]:
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                names[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:
                names[a.asname or a.name] = f"{node.module}.{a.name}"
    return names


def dotted_name(node: ast.AST) -> list[str] | None:
    """``a.b.c`` as ['a', 'b', 'c'] (None for anything but names and attributes)."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return parts[::-1]
    return None


def scan(source: str, forbidden: tuple[str, ...] | list[str]) -> dict[str, list[str]]:
    """Map each top-level function name to the forbidden names it uses.

    An entry ``"NAME in f, g"`` forbids NAME only in functions f and g (and what they call).
    """
    if not forbidden:
        return {}
    scoped: dict[str, set[str]] = {}
    plain = []
    for entry in forbidden:
        name, _, where = entry.partition(" in ")
        name = name.strip()
        plain.append(name)
        if where:
            scoped[name] = {w.strip() for w in where.split(",")}
    forbidden = plain
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}  # the import will fail and say why
    aliases = _aliases(tree)
    wanted = set(forbidden)
    methods = {f.rsplit(".", 1)[1]: f for f in forbidden if ".Tensor." in f or ".ndarray." in f}
    direct: dict[str, set[str]] = defaultdict(set)
    calls: dict[str, set[str]] = defaultdict(set)
    top_functions = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}

    operator_matmul = "@" in wanted

    def visit(scope: str, node: ast.AST) -> None:
        for sub in ast.walk(node):
            if operator_matmul and isinstance(sub, (ast.BinOp, ast.AugAssign)) and isinstance(sub.op, ast.MatMult):
                direct[scope].add("@")
            if isinstance(sub, (ast.Attribute, ast.Name)):
                parts = dotted_name(sub)
                if parts is None:
                    if isinstance(sub, ast.Attribute) and sub.attr in methods:
                        direct[scope].add(methods[sub.attr])
                    continue
                head = aliases.get(parts[0], parts[0])
                full = ".".join([head, *parts[1:]])
                if full in wanted:
                    direct[scope].add(full)
                if isinstance(sub, ast.Attribute) and sub.attr in methods and head not in aliases.values():
                    direct[scope].add(methods[sub.attr])
                if isinstance(sub, ast.Name) and sub.id in top_functions:
                    calls[scope].add(sub.id)

    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            visit(node.name, node)
        elif isinstance(node, ast.ClassDef):
            visit(node.name, node)
        else:
            visit(MODULE_LEVEL, node)

    result: dict[str, list[str]] = {}
    for fn in top_functions:
        seen, stack, uses = {fn}, [fn], set(direct.get(MODULE_LEVEL, set()))
        while stack:
            cur = stack.pop()
            uses |= direct.get(cur, set())
            for nxt in calls.get(cur, set()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        uses = {u for u in uses if u not in scoped or fn in scoped[u]}
        if uses:
            result[fn] = sorted(uses)
    return result
