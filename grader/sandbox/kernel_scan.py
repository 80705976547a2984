"""The allow-list scan of a kernel exercise's source (exercise.yaml: ``kernel_rules``).

Changes when what a kernel exercise's code may do changes.

A forbidden list can never name every way to multiply matrices; an allow-list can. Outside
its ``@triton.jit`` kernels the learner's file may only do what ``kernel_rules`` lists: import
the listed modules, call or read the listed names, allocate tensors, read a tensor's listed
attributes (sizes, strides, dtypes), compute with plain values, raise errors, define the grid
and launch its own kernels (``kernel[grid](...)``). Inside a kernel only ``tl.*``, ``range``,
``min``, ``max``, other kernels and the methods of Triton's tensors. Everything else (numpy,
any other tensor method, indexing or iterating a tensor, arithmetic on one, attribute access
by computed name, ``eval``, import tricks) is a :class:`Refusal` that names the line.

Whether a name holds a tensor is followed through the code: an entry point's parameters and
what the allocation calls return are tensors; sizes, strides and dtypes read from them are
plain values, and so is everything computed from plain values. A refusal counts against
every top-level function that reaches it; one at module level, against all of them. Code
under ``if __name__ == "__main__":`` never runs when the grader imports the file and is not
scanned.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from grader.sandbox.forbidden import dotted_name

if TYPE_CHECKING:
    from grader.course.model import KernelRules

MODULE_LEVEL = "<module>"
REFUSED = (
    "{name} does what this exercise does not allow outside a @triton.jit kernel:\n{lines}\n"
    "Outside a kernel your code may read sizes, strides and dtypes, allocate C, compute with plain "
    "numbers and launch your own kernels; the product itself must be computed by your kernel. "
    "Checks that call {name} earn no points until that is gone."
)

# Inside a kernel: the public API of triton.language (its __all__ in Triton 3.x; a name missing
# here is refused with its line, never allowed silently) and what Triton's tensors and dtypes offer.
TL_NAMES = frozenset(
    """
    PropagateNan TRITON_MAX_TENSOR_NUMEL abs add advance arange argmax argmin associative_scan assume
    atomic_add atomic_and atomic_cas atomic_load atomic_max atomic_min atomic_or atomic_poll
    atomic_store atomic_xchg atomic_xor bfloat16 bitonic_merge block_type broadcast broadcast_to cast
    cat cdiv ceil clamp condition const constexpr constexpr_type cos cumprod cumsum debug_barrier
    device_assert device_print div_rn dot dot_scaled dtype erf exp exp2 expand_dims expect_zero extra
    fdiv flip float16 float32 float64 float8e4b15 float8e4b8 float8e4nv float8e5 float8e5b16 floor fma
    full gather histogram inline_asm_elementwise int1 int16 int32 int64 int8 interleave join load
    load_tensor_descriptor log log2 make_block_ptr make_tensor_descriptor map_elementwise math max
    max_constancy max_contiguous maximum min minimum mul multiple_of num_programs
    pair_uniform_to_normal permute philox philox_impl pi32_t pointer_type program_id rand rand4x
    randint randint4x randn randn4x range ravel reduce reduce_or reshape rsqrt sigmoid sin slice
    softmax sort split sqrt sqrt_rn squeeze static_assert static_print static_range store
    store_tensor_descriptor sub sum swizzle2d tensor tensor_descriptor to_tensor topk trans tuple
    uint16 uint32 uint64 uint8 uint_to_uniform_float umulhi unsqueeze view void where xor_sum zeros
    zeros_like
    """.split()
)
KERNEL_ATTRIBUTES = frozenset(
    """
    T abs advance argmax argmin associative_scan broadcast_to cast cdiv ceil cos cumprod cumsum erf
    exp exp2 expand_dims flip floor gather histogram log log2 logical_and logical_or max min permute
    ravel reduce reduce_or reshape rsqrt sigmoid sin softmax sort split sqrt sqrt_rn sum to trans view
    xor_sum dtype element_ty shape numel type value scalar primitive_bitwidth is_bf16 is_block is_bool
    is_floating is_fp16 is_fp32 is_fp64 is_int is_int_signed is_int_unsigned is_ptr is_standard_floating
    """.split()
)
KERNEL_BUILTINS = frozenset({"range", "min", "max"})
JIT = "triton.jit"
KERNEL_WRAPPERS = frozenset({"triton.autotune", "triton.heuristics"})
_TL = "triton.language"

# What a value is, as far as the scan can tell. A tensor is data; a plain value is a size, a
# stride, a dtype, a number or text; the rest are things the file defines.
PLAIN, TENSOR, KERNEL, LAUNCH, HELPER, LOCAL_FUNCTION, MODULE, BUILTIN = (
    "plain", "tensor", "kernel", "launch", "helper", "local function", "module", "builtin",
)
# The parameter of a grid, heuristic or hook: Triton passes it every argument of the launch, the
# input tensors included. Only meta["NAME"] of a kernel's tl.constexpr parameter is a plain value.
ARGUMENTS = "launch arguments"


@dataclass(frozen=True, order=True)
class Refusal:
    line: int
    code: str  # the construct, as written (shortened)
    why: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.code} — {self.why}"


def _code(node: ast.AST) -> str:
    try:
        text = ast.unparse(node)
    except Exception:  # an AST the unparser does not know: the line number still says where
        text = type(node).__name__
    if isinstance(node, ast.stmt):
        text = text.strip().splitlines()[0] if text.strip() else text  # a class or a block: its first line
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."


def _is_main_guard(node: ast.stmt) -> bool:
    """``if __name__ == "__main__":`` with no else: code that never runs when the file is imported."""
    if not isinstance(node, ast.If) or node.orelse or not isinstance(node.test, ast.Compare):
        return False
    test = node.test
    if len(test.ops) != 1 or not isinstance(test.ops[0], ast.Eq):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    consts = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return len(names) == 1 and len(consts) == 1


def module_statements(tree: ast.Module) -> list[ast.stmt]:
    """The module's top-level statements that run on import (main guards left out)."""
    return [node for node in tree.body if not _is_main_guard(node)]


def hide_main_guards(source: str) -> str:
    """``source`` with its main guards blanked (line numbers kept), for scans that know no better."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    lines = source.splitlines(keepends=True)
    for node in tree.body:
        if _is_main_guard(node):
            for i in range(node.lineno - 1, node.end_lineno or node.lineno):
                lines[i] = "\n"
    return "".join(lines)


def _dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def _join(*kinds: str) -> str:
    return TENSOR if TENSOR in kinds else PLAIN


class _Scope:
    """Names bound in one function (or the module), with the enclosing scope behind it."""

    def __init__(self, owner: str, parent: _Scope | None, kinds: dict[str, str] | None = None) -> None:
        self.owner, self.parent = owner, parent
        self.kinds: dict[str, str] = dict(kinds or {})

    def lookup(self, name: str) -> str | None:
        scope: _Scope | None = self
        while scope is not None:
            if name in scope.kinds:
                return scope.kinds[name]
            scope = scope.parent
        return None

    def bind(self, name: str, kind: str) -> None:
        # flow-insensitive: once a name has held a tensor (or the launch's arguments) anywhere, it is
        # a tensor everywhere; a branch or a loop may run either binding
        old = self.kinds.get(name)
        data = {TENSOR, ARGUMENTS}
        self.kinds[name] = kind if old is None or old == kind else (TENSOR if {old, kind} & data else kind)


class _Scanner:
    def __init__(self, tree: ast.Module, rules: KernelRules, entry_points: Iterable[str]) -> None:
        self.rules = rules
        self.calls_allowed = set(rules.calls)
        self.allocators = set(rules.allocate)
        self.tensor_attributes = set(rules.tensor_attributes)
        self.builtins = set(rules.builtins)
        self.entry_points = set(entry_points)
        self.statements = module_statements(tree)
        self.refusals: dict[str, set[Refusal]] = defaultdict(set)
        self.references: dict[str, set[str]] = defaultdict(set)  # function -> top-level functions it names
        self.recording = False
        self.aliases: dict[str, str] = {}
        self.functions: dict[str, ast.FunctionDef] = {}
        self.kernels: set[str] = set()
        self.module_kinds: dict[str, str] = {}
        self.returns: dict[str, str] = {}  # helper -> what it returns
        self.param_kinds: dict[str, dict[str, str]] = {}
        self.allowed_imports: set[str] = set()
        self.returning: dict[str, str] = {}
        self.constexprs: set[str] = set()
        # per pass: how often each top-level function is named, called directly, and with what
        self.mentions: dict[str, int] = defaultdict(int)
        self.direct_calls: dict[str, int] = defaultdict(int)
        self.grid_uses: dict[str, int] = defaultdict(int)  # named as the grid: kernel[helper](...)
        self.passed: dict[str, dict[str, str]] = defaultdict(dict)

    # -- bookkeeping ------------------------------------------------------------------
    def refuse(self, owner: str, node: ast.AST, why: str) -> None:
        if self.recording:
            self.refusals[owner].add(Refusal(getattr(node, "lineno", 0), _code(node), why))

    def resolve(self, parts: list[str]) -> str | None:
        """The dotted name an attribute chain stands for, through the file's imports."""
        head = self.aliases.get(parts[0])
        return None if head is None else ".".join([head, *parts[1:]])

    # -- the module ---------------------------------------------------------------------
    def run(self) -> dict[str, list[Refusal]]:
        self.collect()
        for name in self.functions:
            self.param_kinds[name] = {}
            self.returns[name] = PLAIN
        # Kinds flow between functions (what a helper returns, what its callers pass): settle
        # them first, then scan once more and keep what is refused.
        for _ in range(8):
            before = (repr(self.module_kinds), repr(self.returns), repr(self.param_kinds))
            self.scan_module()
            self.settle_parameters()
            if before == (repr(self.module_kinds), repr(self.returns), repr(self.param_kinds)):
                break
        self.recording = True
        self.scan_module()
        return self.result()

    def settle_parameters(self) -> None:
        """A helper's parameters hold what its callers pass; a helper reached any other way
        (an alias, an argument) or from outside the file may be given anything: tensors."""
        for name, fn in self.functions.items():
            if name in self.kernels:
                continue
            params = _parameter_names(fn.args)
            direct, mentions = self.direct_calls.get(name, 0), self.mentions.get(name, 0)
            if name not in self.entry_points and mentions and self.grid_uses.get(name, 0) == mentions:
                self.param_kinds[name] = dict.fromkeys(params, ARGUMENTS)  # only ever the grid
            elif name in self.entry_points or direct == 0 or mentions > direct:
                self.param_kinds[name] = dict.fromkeys(params, TENSOR)
            else:
                passed = self.passed.get(name, {})
                self.param_kinds[name] = {p: passed.get(p, PLAIN) for p in params}

    def collect(self) -> None:
        """Imports and top-level functions, also those inside module-level if/try blocks."""
        self.allowed_imports = set(self.rules.imports)

        def walk(statements: list[ast.stmt]) -> None:
            for node in statements:
                if isinstance(node, ast.FunctionDef):
                    self.functions[node.name] = node
                elif isinstance(node, ast.Import):
                    for a in node.names:
                        if a.asname:
                            self.aliases[a.asname] = a.name
                        else:
                            top = a.name.split(".")[0]
                            self.aliases[top] = top
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module != "__future__":
                    for a in node.names:
                        if a.name != "*":
                            full = f"{node.module}.{a.name}"
                            self.aliases[a.asname or a.name] = full
                elif isinstance(node, (ast.If, ast.Try)):
                    walk(node.body)
                    walk(node.orelse)
                    for h in getattr(node, "handlers", []):
                        walk(h.body)
                    walk(getattr(node, "finalbody", []))

        walk(self.statements)
        self.kernels = {name for name, node in self.functions.items() if self.is_kernel(node)}
        self.constexprs = {
            a.arg
            for name in self.kernels
            for a in (*self.functions[name].args.posonlyargs, *self.functions[name].args.args, *self.functions[name].args.kwonlyargs)
            if a.annotation is not None and self.resolve(dotted_name(a.annotation) or ["?"]) == f"{_TL}.constexpr"
        }

    def is_kernel(self, node: ast.FunctionDef) -> bool:
        for dec in node.decorator_list:
            target = dec.func if isinstance(dec, ast.Call) else dec
            parts = dotted_name(target)
            if parts and self.resolve(parts) == JIT:
                return True
        return False

    def scan_module(self) -> None:
        self.mentions.clear()
        self.direct_calls.clear()
        self.grid_uses.clear()
        self.passed.clear()
        self.returning = dict.fromkeys(self.functions, PLAIN)  # this pass's; calls read the last pass's
        scope = _Scope(MODULE_LEVEL, None, self.module_kinds)
        for name in self.functions:
            scope.kinds[name] = KERNEL if name in self.kernels else HELPER
        for alias in self.aliases:
            scope.kinds.setdefault(alias, MODULE)
        self.block(self.statements, scope, module=True)
        self.module_kinds = {k: v for k, v in scope.kinds.items() if v in (PLAIN, TENSOR)}
        self.returns = self.returning

    def result(self) -> dict[str, list[Refusal]]:
        everywhere = self.refusals.get(MODULE_LEVEL, set())
        out: dict[str, list[Refusal]] = {}
        for fn in self.functions:
            seen, stack, found = {fn}, [fn], set(everywhere)
            while stack:
                cur = stack.pop()
                found |= self.refusals.get(cur, set())
                for nxt in self.references.get(cur, set()):
                    if nxt not in seen:
                        seen.add(nxt)
                        stack.append(nxt)
            if found:
                out[fn] = sorted(found)
        return out

    # -- statements outside kernels -----------------------------------------------------------
    def block(self, statements: list[ast.stmt], scope: _Scope, *, module: bool = False) -> None:
        for node in statements:
            self.statement(node, scope, module=module)

    def statement(self, node: ast.stmt, scope: _Scope, *, module: bool) -> None:
        owner = scope.owner
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if not module:
                self.refuse(owner, node, "imports belong at the top of the file")
            self.check_import(node)
        elif isinstance(node, ast.FunctionDef):
            if module:
                self.top_function(node, scope)
            else:
                self.local_function(node, scope)
        elif isinstance(node, ast.Assign):
            kind = self.expr(node.value, scope)
            for target in node.targets:
                self.assign(target, kind, scope, node)
        elif isinstance(node, ast.AnnAssign):
            self.annotation(node.annotation, owner)
            kind = self.expr(node.value, scope) if node.value is not None else PLAIN
            self.assign(node.target, kind, scope, node)
        elif isinstance(node, ast.AugAssign):
            kind = self.binop(node, [node.target, node.value], node.op, scope)
            self.assign(node.target, kind, scope, node)
        elif isinstance(node, ast.Expr):
            self.expr(node.value, scope)
        elif isinstance(node, ast.Return):
            kind = self.expr(node.value, scope) if node.value is not None else PLAIN
            if owner in self.returning and not module:
                self.returning[owner] = _join(self.returning[owner], kind)
        elif isinstance(node, (ast.If, ast.While)):
            self.condition(node.test, scope)
            self.block(node.body, scope, module=module)
            self.block(node.orelse, scope, module=module)
        elif isinstance(node, ast.For):
            self.iteration(node.iter, scope)
            self.assign(node.target, PLAIN, scope, node)
            self.block(node.body, scope, module=module)
            self.block(node.orelse, scope, module=module)
        elif isinstance(node, ast.Raise):
            if node.exc is not None:
                self.expr(node.exc, scope)
            if node.cause is not None:
                self.expr(node.cause, scope)
        elif isinstance(node, ast.Try):
            self.block(node.body, scope, module=module)
            for handler in node.handlers:
                if handler.type is not None:
                    self.expr(handler.type, scope)
                if handler.name:
                    scope.bind(handler.name, PLAIN)
                self.block(handler.body, scope, module=module)
            self.block(node.orelse, scope, module=module)
            self.block(node.finalbody, scope, module=module)
        elif isinstance(node, ast.Assert):
            self.condition(node.test, scope)
            if node.msg is not None:
                self.expr(node.msg, scope)
        elif isinstance(node, (ast.Pass, ast.Break, ast.Continue)):
            pass
        elif isinstance(node, ast.With):
            self.refuse(owner, node, "with blocks are not allowed in this exercise's code outside a kernel")
            for item in node.items:
                kind = self.expr(item.context_expr, scope)
                if item.optional_vars is not None:
                    self.assign(item.optional_vars, kind, scope, node)
            self.block(node.body, scope, module=module)
        else:
            what = {
                ast.ClassDef: "classes", ast.With: "with blocks", ast.Global: "global", ast.Nonlocal: "nonlocal",
                ast.Delete: "del", ast.AsyncFunctionDef: "async functions",
            }.get(type(node), type(node).__name__)
            self.refuse(owner, node, f"{what} are not allowed in this exercise's code outside a kernel")

    def check_import(self, node: ast.Import | ast.ImportFrom) -> None:
        owner = MODULE_LEVEL
        allowed = self.allowed_imports
        listed = ", ".join(sorted(allowed))
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name not in allowed:
                    self.refuse(owner, node, f"import {a.name}: this exercise allows only {listed}")
            return
        if node.level or not node.module:
            self.refuse(owner, node, "relative imports are not allowed in this exercise")
            return
        if node.module not in allowed:
            self.refuse(owner, node, f"import from {node.module}: this exercise allows only {listed}")
            return
        for a in node.names:
            full = f"{node.module}.{a.name}"
            if a.name == "*":
                self.refuse(owner, node, "import * hides which names the file uses")
            elif node.module in ("__future__", "typing"):
                continue
            elif full not in allowed and full not in self.calls_allowed and full not in self.allocators:
                self.refuse(owner, node, f"{full} is not on this exercise's list of allowed names")

    def top_function(self, node: ast.FunctionDef, scope: _Scope) -> None:
        for dec in node.decorator_list:
            self.expr(dec, scope)
        self.arguments(node.args, scope, node.name)
        if node.name in self.kernels:
            _KernelScanner(self, node).run()
            return
        # The grader calls entry points with tensors; a helper gets what its callers pass.
        params = self.param_kinds.get(node.name, {})
        inner = _Scope(node.name, scope)
        for name in _parameter_names(node.args):
            inner.bind(name, params.get(name, TENSOR))
        self.body(node.body, inner)

    def body(self, statements: list[ast.stmt], scope: _Scope) -> None:
        """A function's body, walked twice: the first walk binds every name, so that the second judges
        each use by every kind its name takes anywhere in the body (a loop runs its end before its start)."""
        recording, self.recording = self.recording, False
        self.block(statements, scope)
        self.recording = recording
        self.block(statements, scope)

    def local_function(self, node: ast.FunctionDef, scope: _Scope) -> None:
        """A function inside a function: the grid, called by Triton with the block sizes."""
        if node.decorator_list:
            self.refuse(scope.owner, node, "define kernels and decorated functions at the top of the file")
        self.arguments(node.args, scope, scope.owner)
        inner = _Scope(scope.owner, scope)
        for name in _parameter_names(node.args):
            inner.bind(name, ARGUMENTS)
        self.body(node.body, inner)
        scope.bind(node.name, LOCAL_FUNCTION)

    def arguments(self, args: ast.arguments, scope: _Scope, owner: str) -> None:
        for default in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]:
            self.expr(default, _Scope(MODULE_LEVEL, scope) if owner == MODULE_LEVEL else scope)
        for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if a is not None and a.annotation is not None:
                self.annotation(a.annotation, owner)

    def annotation(self, node: ast.AST, owner: str) -> None:
        """Annotations may name types, never run anything."""
        for sub in ast.walk(node):
            if isinstance(sub, (ast.Call, ast.Lambda, ast.NamedExpr, ast.Await, ast.Yield, ast.YieldFrom)) or (
                isinstance(sub, ast.comprehension)
            ):
                self.refuse(owner, sub, "an annotation that runs code")
            elif isinstance(sub, ast.Name) and _dunder(sub.id) or isinstance(sub, ast.Attribute) and _dunder(sub.attr):
                self.refuse(owner, sub, "names with double underscores reach Python's machinery")

    def assign(self, target: ast.AST, kind: str, scope: _Scope, node: ast.AST) -> None:
        if isinstance(target, ast.Name):
            if _dunder(target.id):
                self.refuse(scope.owner, node, "names with double underscores reach Python's machinery")
            scope.bind(target.id, kind)
        elif isinstance(target, (ast.Tuple, ast.List)):
            if kind == TENSOR:
                self.refuse(scope.owner, node, "unpacking a tensor iterates over its data")
            for elt in target.elts:
                self.assign(elt.value if isinstance(elt, ast.Starred) else elt, kind, scope, node)
        else:
            self.refuse(scope.owner, node, "assigning into an object (an attribute or an index) is not allowed outside a kernel")

    def condition(self, test: ast.AST, scope: _Scope) -> None:
        if self.expr(test, scope) == TENSOR:
            self.refuse(scope.owner, test, "the truth of a tensor is read from its data")

    def iteration(self, iterable: ast.AST, scope: _Scope) -> None:
        if self.expr(iterable, scope) == TENSOR:
            self.refuse(scope.owner, iterable, "iterating over a tensor reads its data")

    # -- expressions outside kernels -------------------------------------------------------------
    def expr(self, node: ast.AST, scope: _Scope) -> str:
        owner = scope.owner
        if isinstance(node, ast.Constant):
            return PLAIN
        if isinstance(node, ast.Name):
            return self.name(node, scope)
        if isinstance(node, ast.Attribute):
            return self.attribute(node, scope)
        if isinstance(node, ast.Subscript):
            if isinstance(node.value, ast.Name) and scope.lookup(node.value.id) == ARGUMENTS:
                key = node.slice
                named = isinstance(key, ast.Constant) and isinstance(key.value, str)
                return PLAIN if named and key.value in self.constexprs else TENSOR
            value = self.expr(node.value, scope)
            index = self.expr(node.slice, scope)
            if value == KERNEL:
                if isinstance(node.slice, ast.Name) and scope.lookup(node.slice.id) == HELPER:
                    self.grid_uses[node.slice.id] += 1
                return LAUNCH
            if value == TENSOR:
                self.refuse(owner, node, "indexing a tensor reads or views its data outside a kernel")
            elif value in (LAUNCH, HELPER, LOCAL_FUNCTION, BUILTIN, MODULE):
                self.refuse(owner, node, f"indexing a {value}")
            if index == TENSOR:
                self.refuse(owner, node, "a tensor used as an index")
            return PLAIN
        if isinstance(node, ast.Call):
            return self.call(node, scope)
        if isinstance(node, ast.BinOp):
            return self.binop(node, [node.left, node.right], node.op, scope)
        if isinstance(node, ast.UnaryOp):
            if self.expr(node.operand, scope) == TENSOR:
                self.refuse(owner, node, "arithmetic on a tensor computes with its data outside a kernel")
            return PLAIN
        if isinstance(node, ast.BoolOp):
            kinds = [self.expr(v, scope) for v in node.values]
            if TENSOR in kinds:
                self.refuse(owner, node, "the truth of a tensor is read from its data")
            return PLAIN
        if isinstance(node, ast.Compare):
            kinds = [self.expr(v, scope) for v in (node.left, *node.comparators)]
            identity = all(isinstance(op, (ast.Is, ast.IsNot)) for op in node.ops)
            if TENSOR in kinds and not identity:
                self.refuse(owner, node, "comparing a tensor compares its data")
            return PLAIN
        if isinstance(node, ast.IfExp):
            self.condition(node.test, scope)
            return _join(self.expr(node.body, scope), self.expr(node.orelse, scope))
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            return _join(PLAIN, *(self.expr(e, scope) for e in node.elts))
        if isinstance(node, ast.Dict):
            kinds = [self.expr(k, scope) for k in node.keys if k is not None]
            kinds += [self.expr(v, scope) for v in node.values]
            return _join(PLAIN, *kinds)
        if isinstance(node, ast.Starred):
            kind = self.expr(node.value, scope)
            if kind == TENSOR and not isinstance(node.value, (ast.Tuple, ast.List)):
                self.refuse(owner, node, "unpacking a tensor iterates over its data")
            return kind
        if isinstance(node, ast.JoinedStr):
            for value in node.values:
                if isinstance(value, ast.FormattedValue):
                    if self.expr(value.value, scope) == TENSOR:
                        self.refuse(owner, value, "formatting a tensor reads its data")
                    if value.format_spec is not None:
                        self.expr(value.format_spec, scope)
            return PLAIN
        if isinstance(node, ast.Slice):
            for part in (node.lower, node.upper, node.step):
                if part is not None and self.expr(part, scope) == TENSOR:
                    self.refuse(owner, node, "a tensor used as an index")
            return PLAIN
        if isinstance(node, ast.Lambda):
            self.arguments(node.args, scope, owner)
            inner = _Scope(owner, scope)
            for name in _parameter_names(node.args):
                inner.bind(name, ARGUMENTS)
            self.expr(node.body, inner)
            return LOCAL_FUNCTION
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            inner = _Scope(owner, scope)
            for gen in node.generators:
                self.iteration(gen.iter, inner)
                self.assign(gen.target, PLAIN, inner, node)
                for cond in gen.ifs:
                    self.condition(cond, inner)
            parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
            return _join(PLAIN, *(self.expr(p, inner) for p in parts))
        if isinstance(node, ast.NamedExpr):
            kind = self.expr(node.value, scope)
            self.assign(node.target, kind, scope, node)
            return kind
        self.refuse(owner, node, f"{type(node).__name__} is not allowed in this exercise's code outside a kernel")
        return PLAIN

    def name(self, node: ast.Name, scope: _Scope) -> str:
        owner = scope.owner
        if _dunder(node.id):
            self.refuse(owner, node, "names with double underscores reach Python's machinery")
            return PLAIN
        kind = scope.lookup(node.id)
        if kind in (KERNEL, HELPER):
            self.references[owner].add(node.id)
            self.mentions[node.id] += 1
        if kind == MODULE:
            full = self.aliases[node.id]
            if full in self.allocators:
                return "allocate:" + full
            if full in self.calls_allowed:
                return "call:" + full
            self.refuse(owner, node, f"{full} used as a value (only its allowed names may be used)")
            return PLAIN
        if kind == ARGUMENTS:
            return TENSOR  # read as a whole, it holds the launch's tensors
        if kind is not None:
            return kind
        if node.id in self.builtins:
            return BUILTIN
        self.refuse(owner, node, f"{node.id} is not on this exercise's list of allowed names")
        return PLAIN

    def attribute(self, node: ast.Attribute, scope: _Scope) -> str:
        owner = scope.owner
        if _dunder(node.attr):
            self.refuse(owner, node, "names with double underscores reach Python's machinery")
            return PLAIN
        parts = dotted_name(node)
        if parts is not None and scope.lookup(parts[0]) == MODULE:
            full = self.resolve(parts)
            if full in self.allocators:
                return "allocate:" + full
            if full in self.calls_allowed:
                return "call:" + full
            self.refuse(owner, node, f"{full} is not on this exercise's list of allowed names")
            return PLAIN
        value = self.expr(node.value, scope)
        if value == TENSOR:
            if node.attr in self.tensor_attributes:
                return "tensor-attribute"
            shown = ", ".join(sorted(self.tensor_attributes))
            self.refuse(owner, node, f".{node.attr} of a tensor is not allowed outside a kernel (allowed: {shown})")
            return PLAIN
        if value in (KERNEL, LAUNCH, HELPER, LOCAL_FUNCTION, BUILTIN):
            self.refuse(owner, node, f"reaching into a {value} ({node.attr})")
            return PLAIN
        return PLAIN

    def call(self, node: ast.Call, scope: _Scope) -> str:
        owner = scope.owner
        func = self.expr(node.func, scope)
        args = [self.expr(a, scope) for a in node.args]
        kwargs = [self.expr(k.value, scope) for k in node.keywords]
        tensor_arg = TENSOR in args or TENSOR in kwargs
        if func == LAUNCH:
            return PLAIN
        if func.startswith("allocate:"):
            return TENSOR
        if func == "tensor-attribute":
            if tensor_arg:
                self.refuse(owner, node, "a tensor passed to a tensor's method")
            return PLAIN
        if func.startswith("call:"):
            if tensor_arg:
                self.refuse(owner, node, f"a tensor passed to {func[5:]}, which may only take plain values")
            return PLAIN
        if func == BUILTIN:
            name = node.func.id if isinstance(node.func, ast.Name) else "?"
            if tensor_arg and name not in ("len", "isinstance"):
                self.refuse(owner, node, f"a tensor passed to {name}() reads its data")
            return PLAIN
        if func == HELPER:
            name = node.func.id if isinstance(node.func, ast.Name) and node.func.id in self.functions else ""
            if name:
                self.direct_calls[name] += 1
                self.pass_arguments(name, node, args, kwargs)
                return self.returns.get(name, PLAIN)
            return TENSOR  # a helper reached under another name: what it returns is unknown
        if func == KERNEL:
            self.refuse(owner, node, "launch a kernel with kernel[grid](...), never by calling it")
            return PLAIN
        if func == LOCAL_FUNCTION:
            self.refuse(owner, node, "the grid is for Triton to call, in kernel[grid](...)")
            return PLAIN
        if func == TENSOR:
            self.refuse(owner, node, "calling a tensor")
            return PLAIN
        if tensor_arg:
            self.refuse(owner, node, "a tensor passed to something that is not a kernel launch or an allocation")
        return PLAIN

    def pass_arguments(self, name: str, node: ast.Call, args: list[str], kwargs: list[str]) -> None:
        """Record what a helper's callers pass it, so its parameters get the right kinds."""
        fn = self.functions[name]
        params = self.passed[name]
        names = _parameter_names(fn.args)
        positional = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args)]
        for i, kind in enumerate(args):
            if isinstance(node.args[i], ast.Starred) or i >= len(positional):
                for p in names:
                    params[p] = _join(params.get(p, PLAIN), TENSOR if kind == TENSOR else PLAIN)
                continue
            params[positional[i]] = _join(params.get(positional[i], PLAIN), kind)
        for keyword, kind in zip(node.keywords, kwargs):
            targets = [keyword.arg] if keyword.arg else names
            for p in targets:
                params[p] = _join(params.get(p, PLAIN), kind)

    def binop(self, node: ast.AST, operands: list[ast.AST], op: ast.operator, scope: _Scope) -> str:
        kinds = [self.expr(o, scope) for o in operands]
        if isinstance(op, ast.MatMult):
            self.refuse(scope.owner, node, "the @ operator multiplies matrices outside your kernel")
        elif TENSOR in kinds:
            self.refuse(scope.owner, node, "arithmetic on a tensor computes with its data outside a kernel")
        return PLAIN


class _KernelScanner:
    """The body of one @triton.jit function: Triton's language, and nothing from outside it."""

    def __init__(self, outer: _Scanner, node: ast.FunctionDef) -> None:
        self.outer, self.node, self.owner = outer, node, node.name
        self.locals = set(_parameter_names(node.args))

    def refuse(self, node: ast.AST, why: str) -> None:
        self.outer.refuse(self.owner, node, why)

    def run(self) -> None:
        for node in ast.walk(self.node):
            if isinstance(node, (ast.Name, ast.arg)) and isinstance(getattr(node, "ctx", ast.Store()), ast.Store):
                name = node.id if isinstance(node, ast.Name) else node.arg
                self.locals.add(name)
        for stmt in self.node.body:
            self.statement(stmt)

    def statement(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Assign):
            for t in node.targets:
                self.target(t)
            self.expr(node.value)
        elif isinstance(node, ast.AugAssign):
            self.target(node.target)
            self.expr(node.value)
        elif isinstance(node, ast.AnnAssign):
            self.target(node.target)
            if node.value is not None:
                self.expr(node.value)
        elif isinstance(node, (ast.Expr, ast.Return)):
            if node.value is not None:
                self.expr(node.value)
        elif isinstance(node, (ast.If, ast.While)):
            self.expr(node.test)
            for s in [*node.body, *node.orelse]:
                self.statement(s)
        elif isinstance(node, ast.For):
            self.loop(node.iter)
            self.target(node.target)
            for s in [*node.body, *node.orelse]:
                self.statement(s)
        elif isinstance(node, ast.Assert):
            self.expr(node.test)
            if node.msg is not None:
                self.expr(node.msg)
        elif isinstance(node, (ast.Pass, ast.Break, ast.Continue)):
            pass
        else:
            self.refuse(node, f"{type(node).__name__} is not allowed inside a kernel")

    def target(self, node: ast.AST) -> None:
        if isinstance(node, ast.Name):
            if _dunder(node.id):
                self.refuse(node, "names with double underscores reach Python's machinery")
        elif isinstance(node, (ast.Tuple, ast.List)):
            for e in node.elts:
                self.target(e)
        else:
            self.refuse(node, "a kernel writes memory with tl.store, not by assigning into an object")

    def loop(self, iterable: ast.AST) -> None:
        if isinstance(iterable, ast.Call):
            name = self.callee(iterable.func)
            if name in ("range", f"{_TL}.range", f"{_TL}.static_range"):
                for a in [*iterable.args, *(k.value for k in iterable.keywords)]:
                    self.expr(a)
                return
        self.refuse(iterable, "a kernel loops over range, tl.range or tl.static_range")

    def callee(self, func: ast.AST) -> str | None:
        """The dotted name a call in a kernel goes to, if it is one the kernel may call."""
        if isinstance(func, ast.Name):
            if func.id in KERNEL_BUILTINS and func.id not in self.locals:
                return func.id
            if func.id in self.outer.kernels and func.id not in self.locals:
                return "kernel:" + func.id
            full = self.outer.resolve([func.id])
            return full if full and self.tl_name(full) else None
        parts = dotted_name(func)
        if parts is None or parts[0] in self.locals:
            return None
        full = self.outer.resolve(parts)
        return full if full and self.tl_name(full) else None

    @staticmethod
    def tl_name(full: str) -> bool:
        if not full.startswith(_TL + "."):
            return False
        rest = full[len(_TL) + 1 :].split(".")
        if rest[0] == "math":  # its functions, not the modules it imports
            return len(rest) == 2 and not rest[1].startswith("_") and rest[1] != "core"
        return len(rest) == 1 and rest[0] in TL_NAMES

    def expr(self, node: ast.AST) -> None:
        if isinstance(node, ast.Call):
            name = self.callee(node.func)
            if name is None:
                if isinstance(node.func, ast.Attribute) and not self.is_module_chain(node.func):
                    self.attribute(node.func)  # a method of a Triton tensor: x.to(...), acc.trans()
                else:
                    self.refuse(node, f"{_code(node.func)} cannot be called inside a kernel (only tl.*, range, min, max and @triton.jit functions)")
            elif name.startswith("kernel:"):
                self.outer.references[self.owner].add(name[7:])
            for a in [*node.args, *(k.value for k in node.keywords)]:
                self.expr(a)
            return
        if isinstance(node, ast.Attribute):
            if self.is_module_chain(node):
                full = self.outer.resolve(dotted_name(node) or [])
                if not (full and self.tl_name(full)):
                    self.refuse(node, f"{full} is not part of triton.language")
                return
            self.attribute(node)
            return
        if isinstance(node, ast.Name):
            self.name(node)
            return
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.NamedExpr, ast.Await, ast.Yield, ast.YieldFrom)):
            self.refuse(node, f"{type(node).__name__} is not allowed inside a kernel")
            return
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)):
                continue
            self.expr(child)

    def is_module_chain(self, node: ast.AST) -> bool:
        parts = dotted_name(node)
        return parts is not None and parts[0] not in self.locals and parts[0] in self.outer.aliases

    def attribute(self, node: ast.Attribute) -> None:
        if node.attr not in KERNEL_ATTRIBUTES:
            self.refuse(node, f".{node.attr} is not an attribute of Triton's tensors")
        self.expr(node.value)

    def name(self, node: ast.Name) -> None:
        name = node.id
        if _dunder(name):
            self.refuse(node, "names with double underscores reach Python's machinery")
        elif name in self.locals:
            return
        elif name in self.outer.kernels:
            self.outer.references[self.owner].add(name)
        elif name in self.outer.aliases:
            full = self.outer.aliases[name]
            if not (full == _TL or self.tl_name(full)):
                self.refuse(node, f"{full} cannot be used inside a kernel: only triton.language")
        elif name in KERNEL_BUILTINS:
            return
        elif self.outer.module_kinds.get(name) == PLAIN:
            return  # a module-level constant: Triton reads it as a constexpr
        elif name in self.outer.functions:
            self.refuse(node, f"{name} is not a @triton.jit function: a kernel may only call other kernels")
        else:
            self.refuse(node, f"{name} cannot be used inside a kernel")


def _parameter_names(args: ast.arguments) -> list[str]:
    names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    return names


def scan(source: str, rules: KernelRules, entry_points: Iterable[str] = ()) -> dict[str, list[Refusal]]:
    """Map each top-level function to the refused constructs it reaches (none: not in the map)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}  # the import fails and says why
    return _Scanner(tree, rules, entry_points).run()
