"""What a stub is: a definition whose body only raises ``NotImplementedError``.

Changes when the published form of an exercise file changes. One definition for every
reader: the learner's store and ``grade reset`` (is this file still untouched?), and the
similarity report (untouched stubs are alike for everyone, so they are left out).
"""

from __future__ import annotations

import ast


def is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _raises_not_implemented(node: ast.stmt) -> bool:
    if not isinstance(node, ast.Raise) or node.exc is None:
        return False
    exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


def _body_is_stub(body: list[ast.stmt]) -> bool:
    rest = [n for n in body if not is_docstring(n) and not isinstance(n, ast.Pass)]
    rest = [n for n in rest if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant) and n.value.value is Ellipsis)]
    return len(rest) == 1 and _raises_not_implemented(rest[0])


def definition_is_stub(node: ast.stmt) -> bool:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return _body_is_stub(node.body)
    if isinstance(node, ast.ClassDef):  # a class entry point: every method is a stub
        methods = [n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        return bool(methods) and all(_body_is_stub(m.body) for m in methods)
    return False


def looks_like_stub(source: str, entry_points: tuple[str, ...] | list[str]) -> bool:
    """True when every entry point is defined at module level and only raises NotImplementedError."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    defined = {
        n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    }
    return bool(entry_points) and all(name in defined and definition_is_stub(defined[name]) for name in entry_points)
