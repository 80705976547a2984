"""YAML loading that remembers where every value came from.

Changes when how course files are parsed changes.

Course files are written by hand, so an error must name the line. PyYAML's composer
keeps marks on nodes; we convert nodes to plain values and keep a map from dotted
field paths to 1-based line numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from grader.errors import CourseError

Marks = dict[str, int]


def _convert(node: yaml.Node, path: str, marks: Marks, file: Path) -> Any:
    marks[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = yaml.SafeLoader.construct_scalar(_SAFE, key_node)  # type: ignore[arg-type]
            if not isinstance(key_node, yaml.ScalarNode):
                raise CourseError(file, "keys must be plain words", line=key_node.start_mark.line + 1)
            if key in out:
                raise CourseError(
                    file,
                    f"'{key}' appears twice",
                    line=key_node.start_mark.line + 1,
                    field=f"{path}.{key}".lstrip("."),
                )
            child = f"{path}.{key}".lstrip(".")
            out[key] = _convert(value_node, child, marks, file)
            marks[child] = key_node.start_mark.line + 1  # the key's line reads best
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(v, f"{path}[{i}]", marks, file) for i, v in enumerate(node.value)]
    return _SAFE.construct_object(node, deep=True)


_SAFE = yaml.SafeLoader("")
# libyaml's parser where PyYAML was built with it: a course's files load several times faster.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(path: Path) -> tuple[Any, Marks]:
    """Parse ``path``; return (plain data, {dotted.field: line})."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CourseError(path, "file not found") from None
    except UnicodeDecodeError as exc:
        raise CourseError(path, f"not UTF-8 text ({exc.reason})") from None
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise CourseError(path, f"not valid YAML: {problem}", line=line) from None
    if node is None:
        return {}, {}
    marks: Marks = {}
    return _convert(node, "", marks, path), marks
