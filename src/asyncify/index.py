"""Whole-program index: a small, read-only summary of each module.

Built with the stdlib :mod:`ast` (an order of magnitude faster than a LibCST parse with
scope metadata) so that the whole-program pass stays cheap; LibCST is used only for the
files that actually change. The summary holds names, not syntax trees:

* definitions (functions, methods, nested functions, classes) by dotted name,
* every call site with its callee resolved *as far as one module allows*, as a
  :data:`Ref` string that :mod:`asyncify.plan` finishes resolving across modules,
* the context each call sits in (can it be awaited? is it a ``for`` iterable?),
* functions used as values, and typed names/attributes that codemods ask about.

Positions: ``line`` is 1-based and ``col`` 0-based in characters, as LibCST's
``PositionProvider`` counts them (``ast`` counts UTF-8 bytes; we convert). A call site is
keyed by the end of its callee expression, which is unique per call even in chains such
as ``a.b(x).c(y)``.

Ref grammar (resolved by the plan):

* ``pkg.mod.name`` – a global dotted name (module, function, class, external API);
* ``<ref>()`` – the value returned by calling ``<ref>``;
* ``<class-ref>#attr`` – the instance attribute ``attr`` of a class;
* ``<value-ref>.name`` – member ``name`` of a value (method or attribute).
"""

from __future__ import annotations

import ast
import builtins
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from asyncify.contexts import VIEW_REGISTRARS, raises_callable

Pos = tuple[int, int]
Ref = str

NAME_ATTRIBUTES = frozenset({"__name__", "__qualname__", "__doc__", "__module__"})
# Builtins that look at an object without calling it.
INSPECTORS = frozenset(
    {"isinstance", "issubclass", "hasattr", "getattr", "delattr", "callable", "id"}
)
SKIP_COMMENT = re.compile(r"#\s*asyncify:\s*skip\b")

# Functions that consume an iterable completely, in order, with no side effects of their
# own: a generator expression or async generator passed to them can be materialised
# into a list first without changing what the program does.
FULL_CONSUMERS = frozenset(
    {"list", "tuple", "set", "frozenset", "sorted", "sum", "min", "max", "dict", "enumerate"}
)
# Decorators that don't call the function themselves, so it may become async under them.
TRANSPARENT_DECORATORS = frozenset(
    {
        "builtins.staticmethod",
        "builtins.classmethod",
        "abc.abstractmethod",
        "typing.override",
        "typing_extensions.override",
        "contextlib.contextmanager",
        "pytest.fixture",  # becomes pytest_asyncio.fixture
        "unittest.mock.patch",  # patch wraps coroutine functions in async wrappers
        "unittest.mock.patch.object",
        "unittest.mock.patch.dict",
        "unittest.mock.patch.multiple",
        "mock.patch",
        "mock.patch.object",
        "mock.patch.dict",
        "mock.patch.multiple",
        "responses.activate",  # its wrapper awaits a coroutine function
        # Sync-only wrappers, but codemods/mocks.py turns them into `respx.mock`.
        "requests_mock.Mocker",
        "requests_mock.mock",
    }
)
# mock.patch and mock.patch.object: the plan tells which targets become async.
PATCHERS = {
    "unittest.mock.patch": "patch",
    "mock.patch": "patch",
    "unittest.mock.patch.object": "object",
    "mock.patch.object": "object",
}
# unittest calls these without await, and has no async counterpart for them.
UNITTEST_SYNC = frozenset({"setUpClass", "tearDownClass", "setUpModule", "tearDownModule"})
TEST_MODULE = re.compile(r"(^test_.*|.*_test|^conftest)\.py$")
# Decorators that cache results: caching a coroutine object breaks on the second await.
CACHE_DECORATORS = frozenset({"functools.lru_cache", "functools.cache"})
# Synchronous methods of those caches, and of async-lru's alru_cache that replaces them.
CACHE_METHODS = frozenset({"cache_info", "cache_clear", "cache_parameters"})
# Dunders that have an async counterpart the plan can switch to.
ASYNC_DUNDERS = frozenset({"__aenter__", "__aexit__", "__aiter__", "__anext__", "__await__"})
# Protocol methods the plan can switch to their async counterparts, with their use sites.
PROTOCOL_DUNDERS = frozenset({"__enter__", "__exit__", "__iter__", "__next__"})
_BUILTINS = frozenset(dir(builtins))


@dataclass(frozen=True, slots=True)
class CallSite:
    """A call whose callee may be a project function or a mapped API."""

    pos: Pos  # end of the callee expression
    line: int  # start of the call, for findings
    col: int
    callee: Ref
    context: str  # see Contexts below
    skip: bool = False
    args: tuple[Ref, ...] = ()  # value refs of positional arguments ("" = unknown)
    kwargs: tuple[tuple[str, Ref], ...] = ()  # value refs of keyword arguments
    starred: bool = False  # `f(*args)` / `f(**kwargs)`: any parameter may be passed
    # `await f()`, or handed to what runs a coroutine (`asyncio.run(f())`, `create_task`)
    awaited: bool = False
    constants: tuple[str, ...] = ()  # keyword arguments given a literal (`stream=True`)


@dataclass(frozen=True, slots=True)
class PatchSite:
    """A ``mock.patch("pkg.mod.f")`` / ``mock.patch.object(C, "m")`` call (``mocker.`` too).

    The plan resolves the target: a function that becomes async needs an awaitable mock,
    a blocking API that a codemod replaces is no longer called at all.
    """

    pos: Pos  # end of the callee expression, as for its CallSite
    line: int
    col: int
    kind: str  # "patch": target is the dotted string | "object": target is a ref
    target: Ref
    attribute: str = ""  # patch.object's attribute name


@dataclass(frozen=True, slots=True)
class BlockSite:
    """A ``with`` item or a ``for``/comprehension/consumer iterable.

    If its value's class gets ``__aenter__``/``__aiter__`` (or it calls an async
    context-manager or generator function), the statement needs ``async with``/``async for``.
    """

    pos: Pos  # end of the expression
    line: int
    col: int
    ref: Ref  # value ref of the expression, "" if unknown
    kind: str  # "with" | "for" | "comp" | "consume:<f>"
    context: str  # the context the statement runs in ("await", "main", "sync:...")


@dataclass(frozen=True, slots=True)
class ValueSite:
    """A name or attribute whose value the plan can type (``r`` in ``r.ok``, ``self.s``)."""

    pos: Pos  # end of the expression
    line: int
    col: int
    ref: Ref  # for a Name: its value ref; for an Attribute: "<value-ref>.attr"
    is_attribute: bool


@dataclass(frozen=True, slots=True)
class FunctionRef:
    """A function used as a value rather than called (``map(f, xs)``, ``key=f``)."""

    pos: Pos
    line: int
    col: int
    target: Ref
    # "map:list" (list(map(f, xs)), rewritable), "value", or "held:<value ref>": assigned
    # to a local (or returned) whose value ref that is; the plan follows it to its calls.
    context: str


@dataclass(frozen=True, slots=True)
class FunctionInfo:
    name: str  # dotted: pkg.mod.Class.method, pkg.mod.outer.<locals>.inner
    qualname: str  # within the module: Class.method
    line: int
    col: int
    is_async: bool
    is_generator: bool
    sync_reason: str  # non-empty: this function cannot become async, and why
    generator_blocker: str  # non-empty: a generator that cannot become an async generator
    decorators: tuple[Ref, ...]
    returns: Ref  # annotation ref, "" if none
    returns_value: Ref  # value ref of every `return` (when they all agree), "" otherwise
    yields_value: Ref  # the same for `yield` (a yield fixture's value)
    cls: str  # dotted name of the class for methods, "" otherwise
    kind: str  # "function" | "method" | "staticmethod" | "classmethod"
    params: tuple[str, ...] = ()  # parameter names in order, self/cls included
    # A decorator written in the project that only wraps calls: "decorator:W" when it
    # returns its local wrapper W, "factory:D" when it returns such a local decorator D.
    wraps: str = ""
    cleanup: bool = False  # a generator with try/finally or with: closing it runs code
    # Value refs of parameter defaults (NONE for `None`, `=C` for a class or function).
    defaults: tuple[tuple[str, Ref], ...] = ()


@dataclass(frozen=True, slots=True)
class ClassInfo:
    name: str
    line: int
    bases: tuple[Ref, ...]
    methods: tuple[str, ...]
    attributes: tuple[tuple[str, Ref], ...]  # self.attr = <value ref>, from any method
    declared: tuple[str, ...] = ()  # attributes annotated in the class body (`repo: Repo`)


@dataclass(frozen=True, slots=True)
class ModuleIndex:
    module: str
    path: str
    is_package: bool
    is_main: bool  # a __main__.py: its module-level code is the entry point
    aliases: dict[str, Ref]  # module-level imported names: for re-exports
    functions: tuple[FunctionInfo, ...]
    classes: tuple[ClassInfo, ...]
    calls: dict[str, tuple[CallSite, ...]]  # by owner function dotted name; "" = module level
    refs: dict[str, tuple[FunctionRef, ...]]
    values: tuple[ValueSite, ...]
    blocks: dict[str, tuple[BlockSite, ...]] = field(default_factory=dict)
    exports: tuple[str, ...] | None = None  # `__all__` when it is a literal list of strings
    patches: tuple[PatchSite, ...] = ()
    stars: tuple[str, ...] = ()  # modules imported with `from <module> import *`
    # Values handed on where calls cannot be followed (arguments, containers, attributes):
    # by owner, (value ref, line, col). A held function (FunctionRef "held:") found in one
    # is used as a value after all.
    escapes: dict[str, tuple[tuple[Ref, int, int], ...]] = field(default_factory=dict)
    # Names assigned once at module level -> their value ref (`app = Flask(__name__)`), for
    # what another module imports (a framework object whose decorators register handlers).
    global_values: dict[str, Ref] = field(default_factory=dict)


# Call contexts. "await": an ordinary expression. "for"/"comp": the iterable of a for
# statement / comprehension. "consume:<f>": sole argument of a full consumer. "genexp:<f>":
# inside a generator expression consumed by <f> ("genexp:" if not a full consumer).
# "main": in the `if __name__ == "__main__":` block or a __main__.py's top level.
# Sync-only contexts start with "sync:" and say why.


@dataclass
class _Scope:
    name: str  # dotted name of the function, "" for module
    qualname: str
    cls: str = ""  # for methods: dotted class name
    first_param: str = ""  # self / cls
    kind: str = "function"
    names: dict[str, Ref] = field(default_factory=dict)  # globals/imports/defs visible here
    values: dict[str, Ref | None] = field(default_factory=dict)  # typed locals
    assigned: set[str] = field(default_factory=set)
    returned: set[Ref | None] = field(default_factory=set)  # value refs of `return` statements
    yielded: set[Ref | None] = field(default_factory=set)  # value refs of `yield` statements
    # `assert isinstance(x, C)` / `if isinstance(self.a, C):`: "x" / "self.a" -> "C()"
    narrowed: dict[str, Ref] = field(default_factory=dict)
    # Locals holding a string built from a literal start: name -> (that start, exact)
    strings: dict[str, tuple[str, bool]] = field(default_factory=dict)
    # Functions assigned to a local ("name") or returned (""): (ref args, local name)
    held: list[tuple[Pos, int, int, Ref, str]] = field(default_factory=list)


class _Indexer:
    def __init__(
        self,
        module: str,
        path: str,
        source: str,
        is_package: bool,
        local_names: Mapping[str, str] | None = None,
    ) -> None:
        self.module = module
        # Top-level names the file's own folder provides when it runs as a script
        # (`import helpers` beside it), whose modules are named from the project root.
        self.local_names = dict(local_names or {})
        self.path = path
        self.is_package = is_package
        self.lines = source.splitlines()
        self.skip_lines = {
            i + 1
            for i, text in enumerate(self.lines)
            if "asyncify" in text and SKIP_COMMENT.search(text)
        }
        self.functions: list[FunctionInfo] = []
        self.classes: list[ClassInfo] = []
        self.calls: dict[str, list[CallSite]] = {}
        self.awaited: set[int] = set()  # id() of calls awaited or run as coroutines
        self.refs: dict[str, list[FunctionRef]] = {}
        self.values: list[ValueSite] = []
        self.blocks: dict[str, list[BlockSite]] = {}
        self.patches: list[PatchSite] = []
        self.class_attrs: dict[str, dict[str, Ref | None]] = {}
        self.declared: dict[str, set[str]] = {}  # class -> attributes annotated in its body
        self.scopes: list[_Scope] = []
        self.class_stack: list[str] = []
        self.stars: list[str] = []
        self.escapes: dict[str, list[tuple[Ref, int, int]]] = {}
        self.holder: tuple[ast.expr, str] | None = None  # (value node, local name)

    # -- positions ---------------------------------------------------------------
    def col(self, line: int, byte_col: int) -> int:
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        if text.isascii():
            return byte_col
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", "replace"))

    def end(self, node: ast.expr) -> Pos:
        assert node.end_lineno is not None and node.end_col_offset is not None
        return (node.end_lineno, self.col(node.end_lineno, node.end_col_offset))

    def start(self, node: ast.expr | ast.stmt) -> Pos:
        return (node.lineno, self.col(node.lineno, node.col_offset))

    # -- name resolution ---------------------------------------------------------
    @property
    def scope(self) -> _Scope:
        return self.scopes[-1]

    def package(self, level: int) -> str:
        parts = self.module.split(".")
        if not self.is_package:
            parts = parts[:-1]
        if level > 1:
            parts = parts[: len(parts) - (level - 1)]
        return ".".join(parts)

    def lookup(self, name: str) -> tuple[Ref | None, bool]:
        """(ref, is_value): a global dotted name, or a typed local value."""
        for scope in reversed(self.scopes):
            if name in scope.values:
                return scope.values[name], True
            if name in scope.names:
                return scope.names[name], False
            if scope is not self.scopes[0] and name in scope.assigned:
                return None, False
        if name in _BUILTINS:
            return f"builtins.{name}", False
        if self.stars:  # maybe a name of a `from m import *`: the plan looks there
            return f"{self.module}.{name}", False
        return None, False

    def ref_of(self, node: ast.expr) -> tuple[Ref | None, bool]:
        """Resolve an expression to (ref, is_value)."""
        if self.scope.narrowed and (key := _narrow_key(node)) in self.scope.narrowed:
            return self.scope.narrowed[key], True
        if isinstance(node, ast.Name):
            return self.lookup(node.id)
        if isinstance(node, ast.Attribute):
            if (
                isinstance(node.value, ast.Name)
                and self.scope.cls
                and node.value.id == self.scope.first_param
            ):
                if self.scope.kind == "classmethod":
                    return f"{self.scope.cls}.{node.attr}", False
                return f"{self.scope.cls}#{node.attr}", True
            base, is_value = self.ref_of(node.value)
            if base is None:
                return None, False
            if is_value:
                return f"{base}.{node.attr}", True
            return f"{base}.{node.attr}", False
        if isinstance(node, ast.Await):  # `x = await f()`: what f returns (async code)
            return self.ref_of(node.value)
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            # `session or requests.Session()`: the default says what the value is.
            last, is_value = self.ref_of(node.values[-1])
            return (last, True) if is_value else (None, False)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            left, is_value = self.ref_of(node.left)  # path / "name" is a path again
            return (left, True) if is_value else (None, False)
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id == "super" and self.scope.cls:
                return f"super:{self.scope.cls}", False
            callee = self.callee_ref(node.func)
            if callee == "builtins.getattr" and len(node.args) >= 2:
                if not any(isinstance(a, ast.Starred) for a in node.args[:2]):
                    return self.dynamic_attribute(node.args[0], node.args[1]), True
            if callee is not None:
                return f"{callee}()", True
        return None, False

    def callee_ref(self, func: ast.expr) -> Ref | None:
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and self.scope.cls
            and func.value.id == self.scope.first_param
        ):
            return f"{self.scope.cls}.{func.attr}"
        ref, _ = self.ref_of(func)
        return ref

    def annotation_ref(self, node: ast.expr | None) -> Ref:
        if node is None:
            return ""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                node = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                return ""
        ref, is_value = self.ref_of(node)
        return ref or "" if not is_value else ""

    def class_annotation(self, node: ast.expr | None) -> Ref:
        """The class X of an annotation ``type[X]`` / ``typing.Type[X]``, else ""."""
        if not isinstance(node, ast.Subscript):
            return ""
        outer, _ = self.ref_of(node.value)
        if outer not in ("builtins.type", "typing.Type", "typing_extensions.Type"):
            return ""
        ref, is_value = self.ref_of(node.slice)
        return ref if ref and not is_value else ""

    # -- module ------------------------------------------------------------------
    def index(self, tree: ast.Module, is_main: bool) -> ModuleIndex:
        top = _Scope(name="", qualname="")
        self.scopes = [top]
        self.class_aliases: set[str] = set()
        self.declare(tree.body, top, prefix=self.module)
        assigned = Counter(
            target.id
            for stmt in _walk_block(tree.body)
            if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign))
            for target in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target])
            if isinstance(target, ast.Name)
        )
        # `if TYPE_CHECKING: Base = RESTManager / else: Base = object`: the typing view is
        # the one that says what the names mean (as for mypy); the `else` does not count.
        typing_only: list[ast.stmt] = []
        for stmt in tree.body:
            if isinstance(stmt, ast.If) and _is_type_checking(stmt.test):
                typing_only.extend(stmt.body)
                assigned.subtract(
                    t.id
                    for inner in _walk_block(stmt.orelse)
                    if isinstance(inner, ast.Assign)
                    for t in inner.targets
                    if isinstance(t, ast.Name)
                )
        for stmt in [*tree.body, *typing_only]:  # globals' types, for functions defined above
            if isinstance(stmt, ast.Assign) and all(isinstance(t, ast.Name) for t in stmt.targets):
                alias = self.class_alias(stmt, assigned)
                for target in stmt.targets:
                    if alias and isinstance(target, ast.Name):
                        top.names[target.id] = alias  # `Default = Backend`: another name
                        self.class_aliases.add(target.id)
                    else:
                        self.bind(target, self.value_ref(stmt.value) or None)
        self.statements(tree.body, "sync:import time" if not is_main else "main")
        aliases = {k: v for k, v in top.names.items() if v != f"{self.module}.{k}"}
        return ModuleIndex(
            module=self.module,
            path=self.path,
            is_package=self.is_package,
            is_main=is_main,
            aliases=aliases,
            functions=tuple(self.functions),
            classes=tuple(self.classes),
            calls={k: tuple(v) for k, v in self.calls.items()},
            refs={k: tuple(v) for k, v in self.refs.items()},
            values=tuple(self.values),
            blocks={k: tuple(v) for k, v in self.blocks.items()},
            exports=_exports(tree.body),
            patches=tuple(self.patches),
            stars=tuple(self.stars),
            escapes={k: tuple(v) for k, v in self.escapes.items()},
            global_values={
                name: ref
                for name, ref in top.values.items()
                if ref and assigned[name] == 1 and name not in aliases
            },
        )

    def class_alias(self, stmt: ast.Assign, assigned: Counter[str]) -> Ref:
        """The dotted name a module-level ``Alias = some.Name`` makes another name for: only
        when every target is assigned once and the value is a name (not a value)."""
        if not isinstance(stmt.value, (ast.Name, ast.Attribute)):
            return ""
        if any(assigned[t.id] != 1 for t in stmt.targets if isinstance(t, ast.Name)):
            return ""
        ref, is_value = self.ref_of(stmt.value)
        return ref if ref and not is_value and not ref.startswith("builtins.") else ""

    def local(self, dotted: str) -> str:
        top, dot, rest = dotted.partition(".")
        return self.local_names.get(top, top) + dot + rest if top else dotted

    def declare(self, body: Sequence[ast.stmt], scope: _Scope, prefix: str) -> None:
        """Bind the names a block defines or imports (before walking its code)."""
        for stmt in _walk_block(body):
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                scope.names[stmt.name] = f"{prefix}.{stmt.name}"
            elif isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    if alias.asname:
                        scope.names[alias.asname] = self.local(alias.name)
                    else:
                        top = alias.name.split(".")[0]
                        scope.names[top] = self.local(top)
            elif isinstance(stmt, ast.ImportFrom):
                base = stmt.module or "" if stmt.level else self.local(stmt.module or "")
                if stmt.level:
                    pkg = self.package(stmt.level)
                    base = f"{pkg}.{base}" if base and pkg else (base or pkg)
                for alias in stmt.names:
                    if alias.name != "*":
                        scope.names[alias.asname or alias.name] = f"{base}.{alias.name}"
                    elif scope is self.scopes[0]:
                        self.stars.append(base)

    # -- statements --------------------------------------------------------------
    def statements(self, body: Sequence[ast.stmt], context: str) -> None:
        for stmt in body:
            self.statement(stmt, context)

    def statement(self, stmt: ast.stmt, context: str) -> None:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.function(stmt, context)
        elif isinstance(stmt, ast.ClassDef):
            self.class_def(stmt, context)
        elif isinstance(stmt, ast.If) and len(self.scopes) == 1 and _is_main_guard(stmt.test):
            self.expr(stmt.test, context)
            self.statements(stmt.body, "main")
            self.statements(stmt.orelse, context)
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            self.block(stmt.iter, "for", context)
            self.expr(stmt.iter, "for" if context == "await" else context)
            self.forget_loop_assigned(stmt)
            self.bind(stmt.target, self.element_ref(stmt.iter))
            self.statements(stmt.body, context)
            self.statements(stmt.orelse, context)
        elif isinstance(stmt, ast.While):
            self.forget_loop_assigned(stmt)
            self.expr(stmt.test, context)
            self.statements(stmt.body, context)
            self.statements(stmt.orelse, context)
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                self.block(item.context_expr, "with", context)
                self.expr(item.context_expr, "with" if context == "await" else context)
                if item.optional_vars is not None:
                    cm, is_value = self.ref_of(item.context_expr)
                    self.bind(item.optional_vars, f"{cm}.__enter__()" if cm and is_value else None)
            self.statements(stmt.body, context)
        elif isinstance(stmt, ast.Assert):
            self.expr(stmt.test, context)
            if stmt.msg is not None:
                self.expr(stmt.msg, context)
            self.narrow(stmt.test, self.scope.narrowed)
        elif isinstance(stmt, ast.If) and self.isinstance_test(stmt.test):
            self.expr(stmt.test, context)
            outer = self.scope.narrowed
            self.scope.narrowed = dict(outer)
            self.narrow(stmt.test, self.scope.narrowed)
            self.statements(stmt.body, context)
            self.scope.narrowed = outer
            self.statements(stmt.orelse, context)
        elif (
            isinstance(stmt, ast.Expr)
            and isinstance(stmt.value, ast.Call)
            and context == "await"
            and (at := self.raises_callable(stmt.value)) is not None
        ):
            self.raises_call(stmt.value, at, context)
        elif (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
            and isinstance(stmt.value, ast.Call)
            and context == "await"
            and (at := self.raises_callable(stmt.value, kept=True)) is not None
        ):
            # `info = pytest.raises(E, f, x)` → `with pytest.raises(E) as info: f(x)`
            self.raises_call(stmt.value, at, context)
            self.bind(stmt.targets[0], None)
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.YieldFrom):
            # A `yield from X` statement iterates X like a `for` loop (the rewrite makes it
            # one when the generator becomes an async generator).
            self.block(stmt.value.value, "for", context)
            self.expr(stmt.value.value, "for" if context == "await" else context)
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Yield):
            if stmt.value.value is not None:
                self.expr(stmt.value.value, context)
                self.escape(stmt.value.value)
                self.scope.yielded.add(self.value_ref(stmt.value.value) or None)
        elif isinstance(stmt, ast.Return):
            if stmt.value is None or _is_none(stmt.value):
                self.scope.returned.add(NONE)
            else:
                self.hold(stmt.value, "", context)
                if not isinstance(stmt.value, (ast.Name, ast.Call, ast.Attribute)):
                    self.escape(stmt.value)
                self.scope.returned.add(self.value_ref(stmt.value) or None)
        elif (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and (pairs := _unpacked(stmt.targets[0], stmt.value)) is not None
        ):
            # `a, (b, c) = f, (g, h)`: each name holds its own value (all values are
            # evaluated before any is bound, as Python does)
            held: list[tuple[ast.expr, Ref | None]] = []
            for name, part in pairs:
                local = name.id if isinstance(name, ast.Name) else ""
                self.hold(part, local, context, True)
                if not isinstance(name, ast.Name) or not isinstance(
                    part, (ast.Name, ast.Call, ast.Attribute)
                ):
                    self.escape(part)
                held.append((name, self.assigned_ref(part)))
            for name, part_ref in held:
                self.bind(name, part_ref)
                if not isinstance(name, ast.Name):
                    self.expr(name, context)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            value = stmt.value
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if len(self.scopes) == 1 and all(
                isinstance(t, ast.Name) and t.id in self.class_aliases for t in targets
            ):
                return  # `from_env = Client.from_env`: another name, not a use of the value
            if value is not None:
                only = targets[0] if len(targets) == 1 else None
                if isinstance(only, ast.Name):  # `method = f"do_{action}"` for getattr
                    start = self.string_start(value)
                    if start is not None:
                        self.scope.strings[only.id] = start
                    else:
                        self.scope.strings.pop(only.id, None)
                self.hold(value, only.id if isinstance(only, ast.Name) else "", context, True)
                if not all(isinstance(t, ast.Name) for t in targets):
                    self.escape(value)
                elif not isinstance(value, (ast.Name, ast.Call, ast.Attribute)):
                    self.escape(value)  # `x = a or b`, `x = [a]`: not followed
            ref: Ref | None = None
            if isinstance(stmt, ast.AnnAssign):
                klass = self.class_annotation(stmt.annotation)
                if klass and isinstance(stmt.target, ast.Name):  # `cls: type[Repo] = ...`
                    self.scope.names[stmt.target.id] = klass
                    return
                annotation = self.annotation_ref(stmt.annotation)
                ref = f"{annotation}()" if annotation else None
            if ref is None and value is not None:
                ref = self.assigned_ref(value)
            if value is not None and any(isinstance(t, (ast.Name, ast.Tuple)) for t in targets):
                self.unknown_bound_methods(value)
            if isinstance(value, ast.Constant) and value.value is None and ref is None:
                # `x = None` / `self.conn = None` keep the type the name already has.
                targets = [t for t in targets if not isinstance(t, (ast.Name, ast.Attribute))]
            for target in targets:
                self.bind(target, ref)
                if not isinstance(target, ast.Name):
                    self.expr(target, context)
        else:
            for child in ast.iter_child_nodes(stmt):
                if isinstance(child, ast.stmt):
                    self.statement(child, context)
                elif isinstance(child, ast.expr):
                    self.expr(child, context)
                elif isinstance(child, ast.ExceptHandler):
                    if child.type is not None:
                        self.expr(child.type, context)
                    if child.name:
                        self.scope.assigned.add(child.name)
                    self.statements(child.body, context)
                elif isinstance(child, ast.match_case):
                    self.statements(child.body, context)

    def raises_callable(self, call: ast.Call, kept: bool = False) -> int | None:
        qualified = self.callee_ref(call.func) or ""
        return raises_callable(call, qualified, "" if kept else "self")

    def raises_call(self, call: ast.Call, at: int, context: str) -> None:
        """``self.assertRaises(E, f, x)`` / ``pytest.raises(E, lambda: f(x))`` as a
        statement: the rewrite turns it into ``with ...(E): f(x)`` when the call becomes
        async, so the call is indexed as a call in the statement's own context (no lambda,
        and f is not handed anywhere)."""
        if isinstance(call.func, ast.Name):
            self.value_site(call.func, "callee")
        elif isinstance(call.func, ast.Attribute):
            self.expr(call.func.value, _inner(context))
        for arg in call.args[:at]:
            self.expr(arg, _inner(context))
        target = call.args[at]
        if isinstance(target, ast.Lambda):
            self.expr(target.body, context)
            return
        inner = ast.Call(func=target, args=call.args[at + 1 :], keywords=call.keywords)
        self.call(ast.copy_location(inner, target), context)

    def element_ref(self, iterable: ast.expr) -> Ref | None:
        """``for x in (a, b)``: x is one of the literal's values (if each has a type)."""
        if not isinstance(iterable, (ast.Tuple, ast.List)) or not iterable.elts:
            return None
        refs: Ref | None = None
        for i, item in enumerate(iterable.elts):
            ref = self.value_ref(item) if not isinstance(item, ast.Starred) else ""
            if not ref:
                return None
            refs = ref if i == 0 else _union(refs, ref)
        return refs

    def forget_loop_assigned(self, loop: ast.For | ast.AsyncFor | ast.While) -> None:
        """A name the loop assigns holds, at the top of the next pass, what the last pass
        assigned: a type (or isinstance narrowing) it had before the loop no longer holds."""
        scope = self.scope
        for stmt in _walk_block([*loop.body, *loop.orelse]):
            targets: list[ast.expr] = []
            if isinstance(stmt, ast.Assign):
                targets = list(stmt.targets)
            elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor)):
                targets = [stmt.target]
            for target in targets:
                for node in ast.walk(target):
                    if isinstance(node, ast.Name) and node.id in scope.values:
                        scope.values[node.id] = None
                    key = _narrow_key(node) if isinstance(node, ast.expr) else None
                    if key is not None and scope.narrowed:
                        stale = [k for k in scope.narrowed if k == key or k.startswith(key + ".")]
                        for known in stale:
                            del scope.narrowed[known]

    def hold(self, value: ast.expr, local: str, context: str, assigned: bool = False) -> None:
        """Visit the value of an assignment or `return`: a function or bound method that is
        the whole value is *held* by the local (or the return value), not used as a value."""
        inside = len(self.scopes) > 1 and bool(self.scope.name)
        if inside and (local or not assigned) and isinstance(value, (ast.Name, ast.Attribute)):
            self.holder = (value, local)
        try:
            self.expr(value, context)
        finally:
            self.holder = None

    def escape(self, node: ast.expr) -> None:
        """``node`` (or a value inside it) is handed on where its calls cannot be followed."""
        if isinstance(node, (ast.Name, ast.Call)):
            ref = self.value_ref(node)
            if ref:
                line, col = self.start(node)
                self.escapes.setdefault(self.scope_owner(), []).append((ref, line, col))
            return
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            parts: list[ast.expr | None] = list(node.elts)
        elif isinstance(node, ast.Dict):
            parts = list(node.values)
        elif isinstance(node, ast.Starred):
            parts = [node.value]
        elif isinstance(node, ast.IfExp):
            parts = [node.body, node.orelse]
        elif isinstance(node, ast.BoolOp):
            parts = list(node.values)
        else:
            return
        for part in parts:
            if part is not None:
                self.escape(part)

    def dynamic_attribute(self, obj: ast.expr, attr: ast.expr) -> Ref:
        """``getattr(obj, "handle_" + kind)``: the value ref ``getattr:<obj>^handle_*`` (any
        attribute of obj whose name starts so; the plan finds the methods among them)."""
        owner = self.value_ref(obj) or "?"
        prefix, exact = self.string_start(attr) or ("", False)
        return f"getattr:{owner}^{prefix}{'' if exact else '*'}"

    def string_start(self, node: ast.expr) -> tuple[str, bool] | None:
        """What a string value starts with, and whether that is all of it: a literal,
        ``"do_" + x``, ``f"do_{x}"``, or a local holding one; None if nothing is known."""
        if isinstance(node, ast.Name):
            return self.scope.strings.get(node.id)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value, True
        first: ast.expr | None = None
        if isinstance(node, ast.JoinedStr) and node.values:
            first = node.values[0]
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            first = node.left
        if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value:
            return first.value, False
        return None

    def isinstance_test(self, test: ast.expr) -> bool:
        return (
            isinstance(test, ast.Call)
            and self.callee_ref(test.func) == "builtins.isinstance"
            and len(test.args) == 2
        )

    def narrow(self, test: ast.expr, narrowed: dict[str, Ref]) -> None:
        """``isinstance(x, C)`` holds: ``x`` (a name or ``a.b`` attribute chain) is a C."""
        if not self.isinstance_test(test):
            return
        assert isinstance(test, ast.Call)
        key = _narrow_key(test.args[0])
        kinds = test.args[1].elts if isinstance(test.args[1], ast.Tuple) else [test.args[1]]
        refs: Ref | None = None
        for kind in kinds:
            cls, is_value = self.ref_of(kind)
            if not cls or is_value or cls.startswith("builtins."):
                return
            refs = f"{cls}()" if refs is None else _union(refs, f"{cls}()")
        if key is not None and refs:
            narrowed[key] = refs  # `isinstance(x, (A, B))`: one of them

    def bind(self, target: ast.expr, ref: Ref | None) -> None:
        scope = self.scope
        if scope.narrowed and (key := _narrow_key(target)) is not None:
            # Assigned again: the isinstance no longer holds, for it or attributes read off it.
            for known in [k for k in scope.narrowed if k == key or k.startswith(f"{key}.")]:
                del scope.narrowed[known]
        if isinstance(target, ast.Name) and len(self.scopes) == 1:
            if target.id in self.class_aliases:
                return  # the module-level alias stays a name for its class
        if isinstance(target, ast.Name):
            scope.assigned.add(target.id)
            if target.id in scope.values:
                # Assigned several things: the plan checks whether they have one type.
                scope.values[target.id] = _union(scope.values[target.id], ref)
            else:
                scope.values[target.id] = ref
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                self.bind(elt, None)
        elif isinstance(target, ast.Starred):
            self.bind(target.value, None)
        elif (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and scope.cls
            and target.value.id == scope.first_param
        ):
            if target.attr in self.declared.get(scope.cls, ()):
                return  # `_client: ClientBase` in the class body says what it holds
            attrs = self.class_attrs.setdefault(scope.cls, {})
            if target.attr in attrs:  # assigned several things: the plan joins them
                attrs[target.attr] = _union(attrs[target.attr], ref)
            else:
                attrs[target.attr] = ref

    def function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, context: str) -> None:
        outer = self.scope
        decorators = tuple(
            self.callee_ref(d.func if isinstance(d, ast.Call) else d) or "?"
            for d in node.decorator_list
        )
        for d in node.decorator_list:
            self.expr(d, "sync:decorator")
        args = node.args
        for default in [*args.defaults, *args.kw_defaults]:
            if default is not None:
                self.expr(default, "sync:default argument")
        if outer.name:
            prefix = f"{outer.name}.<locals>"
            qual_prefix = f"{outer.qualname}.<locals>."
        elif self.class_stack:
            prefix = self.class_stack[-1]
            qual_prefix = prefix[len(self.module) + 1 :] + "."
        else:
            prefix = self.module
            qual_prefix = ""
        name = f"{prefix}.{node.name}"
        cls = self.class_stack[-1] if self.class_stack and not outer.name else ""
        kind = "function"
        if cls:
            kind = "method"
            if "builtins.staticmethod" in decorators:
                kind = "staticmethod"
            elif "builtins.classmethod" in decorators:
                kind = "classmethod"
        params = [*args.posonlyargs, *args.args]
        positional = params[len(params) - len(args.defaults) :]
        defaults = tuple(
            (arg.arg, self.default_ref(default))
            for arg, default in [
                *zip(positional, args.defaults, strict=True),
                *zip(args.kwonlyargs, args.kw_defaults, strict=True),
            ]
            if default is not None
        )
        scope = _Scope(
            name=name,
            qualname=qual_prefix + node.name,
            cls=cls,
            first_param=params[0].arg if params and kind in ("method", "classmethod") else "",
            kind=kind,
        )
        for arg in [*params, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is None:
                continue
            scope.assigned.add(arg.arg)
            ref = (
                self.annotation_ref(arg.annotation)
                if arg is not args.vararg and arg is not args.kwarg
                else ""
            )
            if arg.arg == scope.first_param:
                continue
            klass = self.class_annotation(arg.annotation)
            if klass:  # `factory: type[Repo]`: calling it builds a Repo
                scope.names[arg.arg] = klass
            elif ref:
                scope.values[arg.arg] = f"{ref}()"
            elif arg is not args.vararg and arg is not args.kwarg:
                # Typed by the plan from the arguments of every call, when they agree.
                scope.values[arg.arg] = f"{name}@{arg.arg}"
        if scope.first_param and kind == "classmethod":
            scope.names[scope.first_param] = cls
        elif scope.first_param:
            scope.values[scope.first_param] = f"{cls}()"
        self.scopes.append(scope)
        self.declare(node.body, scope, prefix=f"{name}.<locals>")
        for stmt in _walk_block(node.body):
            if isinstance(stmt, (ast.Global, ast.Nonlocal)):
                scope.assigned.difference_update(stmt.names)
        body_context = "await"
        reason = self.sync_reason(node, decorators, kind)
        if node.lineno in self.skip_lines or any(
            d.lineno in self.skip_lines for d in node.decorator_list
        ):
            reason = "marked `# asyncify: skip`"
        self.statements(node.body, body_context)
        self.scopes.pop()
        returned = _returned(scope.returned)
        for pos, line, col, target, local in scope.held:
            holder = (scope.values.get(local) or "") if local else returned
            self.refs.setdefault(name, []).append(
                FunctionRef(pos, line, col, target, f"held:{holder}")
            )
        body_lines = self.lines[node.lineno - 1 : node.end_lineno]
        # Walk the body again only if the text can hold a yield at all.
        is_gen, blocker = (
            _generator_facts(node) if any("yield" in line for line in body_lines) else (False, "")
        )
        self.functions.append(
            FunctionInfo(
                name=name,
                qualname=scope.qualname,
                line=node.lineno,
                col=self.col(node.lineno, node.col_offset),
                is_async=isinstance(node, ast.AsyncFunctionDef),
                is_generator=is_gen,
                sync_reason=reason,
                generator_blocker=blocker,
                decorators=decorators,
                returns=self.annotation_ref(node.returns),
                returns_value=returned,
                yields_value=next(iter(scope.yielded)) or "" if len(scope.yielded) == 1 else "",
                cls=cls,
                kind=kind,
                params=tuple(a.arg for a in [*params, *args.kwonlyargs]),
                wraps=wrapper_role(node),
                cleanup=is_gen and _has_cleanup(node),
                defaults=defaults,
            )
        )

    def sync_reason(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef, decorators: tuple[Ref, ...], kind: str
    ) -> str:
        if isinstance(node, ast.AsyncFunctionDef):
            return ""
        name = node.name
        if kind != "function" and name.startswith("__") and name.endswith("__"):
            if name not in ASYNC_DUNDERS and name not in PROTOCOL_DUNDERS:
                return f"`{name}` is called by Python itself, which does not await it"
        for dec in decorators:
            if dec in CACHE_DECORATORS:
                return f"decorated with `{dec}`, which would cache a coroutine awaitable only once"
            if dec.endswith(".setter") or dec.endswith(".getter") or dec.endswith(".deleter"):
                return "a property accessor, which cannot be awaited"
            if dec in ("builtins.property", "functools.cached_property"):
                return "a property, which cannot be awaited"
            if dec not in TRANSPARENT_DECORATORS and not dec.startswith("pytest.mark."):
                return f"decorated with `{dec}`, which calls it without await"
        if name in UNITTEST_SYNC:
            return f"`{name}` is called by unittest, which does not await it"
        for d in node.decorator_list:
            if isinstance(d, ast.Call) and self.callee_ref(d.func) == "pytest.fixture":
                for kw in d.keywords:
                    scope = kw.value.value if isinstance(kw.value, ast.Constant) else None
                    if kw.arg == "scope" and scope != "function":
                        return (
                            "a fixture with a wider scope than `function`, which needs a "
                            "matching event-loop scope in pytest-asyncio"
                        )
        return ""

    def class_def(self, node: ast.ClassDef, context: str) -> None:
        for d in node.decorator_list:
            self.expr(d, "sync:decorator")
        # `class Orders(Endpoint[int])`: the base is Endpoint (a subscript only types it).
        bases = tuple(
            self.ref_of(b.value if isinstance(b, ast.Subscript) else b)[0] or "?"
            for b in node.bases
        )
        for b in [*node.bases, *(k.value for k in node.keywords)]:
            self.expr(b, "sync:class body")
        outer = self.scope
        if outer.name:
            name = f"{outer.name}.<locals>.{node.name}"
        elif self.class_stack:
            name = f"{self.class_stack[-1]}.{node.name}"
        else:
            name = f"{self.module}.{node.name}"
        self.class_stack.append(name)
        # The class body runs at definition time; methods are walked as functions.
        scope = _Scope(name="", qualname="")
        scope.names = {}
        self.scopes.append(scope)
        declared: list[str] = []
        for stmt in node.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                annotation = self.annotation_ref(stmt.annotation)
                if annotation:  # `repo: Repo` on the class (dataclass fields, attributes)
                    self.class_attrs.setdefault(name, {})[stmt.target.id] = f"{annotation}()"
                    declared.append(stmt.target.id)
                    self.declared.setdefault(name, set()).add(stmt.target.id)
            self.statement(
                stmt,
                "sync:class body"
                if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))
                else context,
            )
        self.scopes.pop()
        self.class_stack.pop()
        methods = tuple(
            s.name for s in node.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))
        )
        attrs = self.class_attrs.get(name, {})
        self.classes.append(
            ClassInfo(
                name=name,
                line=node.lineno,
                bases=bases,
                methods=methods,
                attributes=tuple((k, v) for k, v in attrs.items() if v),
                declared=tuple(declared),
            )
        )

    # -- expressions -------------------------------------------------------------
    def expr(self, node: ast.expr, context: str) -> None:
        if isinstance(node, ast.Await) and isinstance(node.value, ast.Call):
            self.awaited.add(id(node.value))
        if isinstance(node, ast.Call):
            self.call(node, context)
        elif isinstance(node, ast.Lambda):
            for default in [*node.args.defaults, *node.args.kw_defaults]:
                if default is not None:
                    self.expr(default, context)
            lam = _Scope(name="", qualname="", cls="")
            lam.assigned = {a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)}
            self.scopes.append(lam)
            self.expr(node.body, "sync:lambda")
            self.scopes.pop()
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            self.comprehension(node, context)
        elif isinstance(node, (ast.Name, ast.Attribute)):
            self.value_site(node, context)
            if isinstance(node, ast.Attribute) and not (
                # `f.__doc__`, `Cls.f.__name__`: the same for an async function; not a use of f
                isinstance(node.value, (ast.Name, ast.Attribute))
                and node.attr in NAME_ATTRIBUTES
            ):
                if isinstance(node.value, ast.Name):
                    # `Client.from_env`, `f.cache_clear`: an attribute is looked up on it;
                    # the class or function itself is not handed anywhere
                    self.value_site(node.value, "callee")
                else:
                    self.expr(node.value, context)
        elif isinstance(node, ast.NamedExpr):
            self.expr(node.value, context)
            ref, is_value = self.ref_of(node.value)
            self.bind(node.target, ref if is_value else None)
        else:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr):
                    self.expr(child, context)
                elif isinstance(child, ast.comprehension):  # pragma: no cover - handled above
                    pass

    def value_site(self, node: ast.Name | ast.Attribute, context: str) -> None:
        if not isinstance(node.ctx, ast.Load):
            return
        ref, is_value = self.ref_of(node)
        if ref is None:
            return
        if is_value:
            line, col = self.start(node)
            self.values.append(
                ValueSite(self.end(node), line, col, ref, isinstance(node, ast.Attribute))
            )
            # `f = self.get`, `key=self.get`, `obj.method` (the plan resolves the method)
            method = self.bound_method(node) or (ref if isinstance(node, ast.Attribute) else "")
            if method and context != "callee":
                self.function_ref(node, line, col, method)
        elif context != "callee" and (ref.startswith(self.module + ".") or "." in ref):
            # A function used as a value: the plan checks whether it is a project function.
            line, col = self.start(node)
            self.function_ref(node, line, col, ref)

    def assigned_ref(self, value: ast.expr) -> Ref | None:
        """What a name assigned ``value`` holds: its value ref, or ``=name`` for a module,
        class or function bound inside a function (`f = helper`: that object itself)."""
        vref, is_value = self.ref_of(value)
        if is_value:
            return vref
        if vref and len(self.scopes) > 1 and vref[:9] != "builtins.":
            return f"={vref}"
        return None

    def unknown_bound_methods(self, value: ast.expr) -> None:
        """``f = x.m`` / ``a, b = x.m, y.n`` with x of unknown type: if m is a method that
        becomes async, the local holds it and may call it where no await is written."""
        parts = value.elts if isinstance(value, (ast.Tuple, ast.List)) else [value]
        for part in parts:
            if isinstance(part, (ast.Tuple, ast.List)):
                self.unknown_bound_methods(part)
            elif (
                isinstance(part, ast.Attribute)
                and part.attr not in NAME_ATTRIBUTES
                and self.ref_of(part)[0] is None
            ):
                line, col = self.start(part)
                self.function_ref(part, line, col, f"?.{part.attr}")

    def function_ref(self, node: ast.expr, line: int, col: int, target: Ref) -> None:
        if self.holder is not None and self.holder[0] is node:
            self.scope.held.append((self.end(node), line, col, target, self.holder[1]))
        else:
            self.refs.setdefault(self.scope_owner(), []).append(
                FunctionRef(self.end(node), line, col, target, "value")
            )

    def scope_owner(self) -> str:
        for scope in reversed(self.scopes):
            if scope.name:
                return scope.name
        return ""

    def call(self, node: ast.Call, context: str) -> None:
        func = node.func
        callee = self.callee_ref(func)
        runner = callee if callee in COROUTINE_RUNNERS else ""
        if isinstance(func, ast.Attribute) and func.attr in COROUTINE_RUNNER_METHODS:
            runner = func.attr
        elif isinstance(func, ast.Name) and func.id == ADAPTIVE_HELPER:
            runner = func.id
        if runner:  # `asyncio.run(main())`, `tg.create_task(f())`: the coroutine is run
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                value = arg.value if isinstance(arg, ast.Starred) else arg
                if isinstance(value, ast.Call):
                    self.awaited.add(id(value))
        line, col = self.start(node)
        if callee is not None:
            site_context = context
            if line in self.skip_lines:
                site_context = "sync:`# asyncify: skip` line"
            self.calls.setdefault(self.scope_owner(), []).append(
                CallSite(
                    self.end(func),
                    line,
                    col,
                    callee,
                    site_context,
                    line in self.skip_lines,
                    self.arg_refs(node),
                    tuple((k.arg, self.arg_ref(k.value)) for k in node.keywords if k.arg),
                    any(isinstance(a, ast.Starred) for a in node.args)
                    or any(k.arg is None for k in node.keywords),
                    id(node) in self.awaited,
                    tuple(
                        k.arg
                        for k in node.keywords
                        if k.arg and isinstance(k.value, ast.Constant)
                    ),
                )
            )
        elif isinstance(func, ast.Attribute):
            # Unknown receiver: the plan warns if a method of this name becomes async.
            self.calls.setdefault(self.scope_owner(), []).append(
                CallSite(
                    self.end(func),
                    line,
                    col,
                    f"?.{func.attr}",
                    context,
                    line in self.skip_lines,
                    awaited=id(node) in self.awaited,
                )
            )
        self.patch_site(node, callee)
        # The callee expression itself: its receiver may be a typed value (r.json()).
        if (
            isinstance(func, ast.Attribute)
            and func.attr in CACHE_METHODS
            and isinstance(func.value, (ast.Name, ast.Attribute))
        ):
            # `f.cache_clear()`: the cache's own method, also on an async cache; f is not
            # handed anywhere.
            self.value_site(func.value, "callee")
            if isinstance(func.value, ast.Attribute):
                self.expr(func.value.value, _inner(context))
        elif isinstance(func, ast.Attribute):
            self.expr(func.value, _inner(context))
            ref, is_value = self.ref_of(func)
            if is_value and ref is not None:
                self.values.append(ValueSite(self.end(func), line, col, ref, True))
        elif not isinstance(func, ast.Name):
            self.expr(func, _inner(context))
        else:
            self.value_site(func, "callee")
        # Arguments.
        name = callee.removeprefix("builtins.") if callee and callee.startswith("builtins.") else ""
        args = node.args
        if name in INSPECTORS and not node.keywords:
            # Looked at, never called: a class or function given to isinstance, hasattr,
            # getattr... is not used as a value (no factory, no callback).
            for arg in args:
                items = arg.elts if isinstance(arg, ast.Tuple) else [arg]
                for item in items:
                    if isinstance(item, (ast.Name, ast.Attribute)):
                        self.value_site(item, "callee")
                        if isinstance(item, ast.Attribute):
                            self.expr(item.value, _inner(context))
                    else:
                        self.expr(item, _inner(context))
            return
        if name == "map" and len(args) == 2 and not node.keywords:
            self.map_call(node, context)
            return
        arg_context = _inner(context)
        if name in FULL_CONSUMERS and len(args) == 1 and not isinstance(args[0], ast.Starred):
            only = args[0]
            if isinstance(only, ast.GeneratorExp):
                self.comprehension(only, context, consumer=name)
            elif isinstance(only, ast.Call) and not context.startswith("sync:"):
                self.block(only, f"consume:{name}", context)
                self.call(only, f"consume:{name}" if context == "await" else context)
            else:
                self.block(only, f"consume:{name}", context)
                self.expr(only, arg_context)
            for kw in node.keywords:
                self.expr(kw.value, arg_context)
            return
        # `path("", views.index)`: a framework that awaits a coroutine function is given it.
        view, keyword = VIEW_REGISTRARS.get(callee or "", (-1, ""))
        for i, arg in enumerate(args):
            if i == view and isinstance(arg, (ast.Name, ast.Attribute)):
                self.handler_ref(arg, arg_context)
                continue
            self.expr(arg, arg_context)
            self.escape(arg.value if isinstance(arg, ast.Starred) else arg)
        for kw in node.keywords:
            if keyword and kw.arg == keyword and isinstance(kw.value, (ast.Name, ast.Attribute)):
                self.handler_ref(kw.value, arg_context)
                continue
            self.expr(kw.value, arg_context)
            self.escape(kw.value)

    def handler_ref(self, node: ast.Name | ast.Attribute, context: str) -> None:
        """A function handed to a framework that awaits it if it is a coroutine function:
        looked up, not used as a value (asyncify.contexts.VIEW_REGISTRARS)."""
        self.value_site(node, "callee")
        if isinstance(node, ast.Attribute):
            self.expr(node.value, context)

    def patch_site(self, node: ast.Call, callee: Ref | None) -> None:
        """Record a ``mock.patch``/``patch.object`` (or pytest-mock ``mocker.``) target."""
        kind = PATCHERS.get(callee or "") or _mocker_patch(node.func)
        if not kind:
            return
        given = {k.arg: k.value for k in node.keywords if k.arg}
        first = node.args[0] if node.args else given.get("target")
        line, col = self.start(node)
        pos = self.end(node.func)
        if kind == "patch":
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                self.patches.append(PatchSite(pos, line, col, kind, first.value))
            return
        attr = node.args[1] if len(node.args) > 1 else given.get("attribute")
        if first is None or not (isinstance(attr, ast.Constant) and isinstance(attr.value, str)):
            return
        ref, _ = self.ref_of(first)
        if ref:
            self.patches.append(PatchSite(pos, line, col, kind, ref, attr.value))

    def block(self, node: ast.expr, kind: str, context: str) -> None:
        ref = self.value_ref(node)
        if ref:
            line, col = self.start(node)
            self.blocks.setdefault(self.scope_owner(), []).append(
                BlockSite(self.end(node), line, col, ref, kind, context)
            )

    def default_ref(self, node: ast.expr) -> Ref:
        """A parameter default's value: NONE, a value ref, or ``=name`` for a class or a
        function given as the default (`adapter=DefaultAdapter`)."""
        if _is_none(node):
            return NONE
        ref, is_value = self.ref_of(node)
        if ref and not is_value and "(" not in ref:
            return f"={ref}"
        return ref or "" if is_value else ""

    def value_ref(self, node: ast.expr) -> Ref:
        ref, is_value = self.ref_of(node)
        return ref if ref and is_value else ""

    def arg_refs(self, node: ast.Call) -> tuple[Ref, ...]:
        refs: list[Ref] = []
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                break
            refs.append(self.arg_ref(arg))
        return tuple(refs)

    def arg_ref(self, node: ast.expr) -> Ref:
        """An argument's value ref; a function passed by name is ``=f`` (the function)."""
        ref, is_value = self.ref_of(node)
        if ref and not is_value and isinstance(node, ast.Name):
            return "=" + ref
        return ref if ref and is_value else ""

    def bound_method(self, node: ast.expr) -> Ref:
        """``self.m`` inside a method: the ref of method ``m`` of this class (the plan finds
        whether there is one), else ""."""
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and self.scope.cls
            and node.value.id == self.scope.first_param
            and self.scope.kind not in ("classmethod", "staticmethod")
        ):
            return f"{self.scope.cls}.{node.attr}"
        return ""

    def map_call(self, node: ast.Call, context: str) -> None:
        fn, iterable = node.args
        self.expr(iterable, _inner(context))
        ref, is_value = self.ref_of(fn)
        if is_value and self.bound_method(fn):
            ref, is_value = self.bound_method(fn), False
        if ref is not None and not is_value and isinstance(fn, (ast.Name, ast.Attribute)):
            line, col = self.start(fn)
            self.refs.setdefault(self.scope_owner(), []).append(
                FunctionRef(self.end(fn), line, col, ref, "map:" + context)
            )
        else:
            self.expr(fn, _inner(context))

    def comprehension(
        self,
        node: ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp,
        context: str,
        consumer: str = "",
    ) -> None:
        gens = node.generators
        # The first iterable is evaluated in the enclosing scope.
        self.block(gens[0].iter, "comp", context)
        self.expr(gens[0].iter, "comp" if context == "await" else context)
        if context.startswith("sync:"):
            inner = context
        elif isinstance(node, ast.GeneratorExp):
            inner = f"genexp:{consumer}"
        else:
            inner = context
        comp = _Scope(name="", qualname="")
        self.scopes.append(comp)
        for i, gen in enumerate(gens):
            self.bind(gen.target, None)
            if i:
                self.expr(gen.iter, "comp" if inner == "await" else inner)
            for cond in gen.ifs:
                self.expr(cond, inner)
        if isinstance(node, ast.DictComp):
            self.expr(node.key, inner)
            self.expr(node.value, inner)
        else:
            self.expr(node.elt, inner)
        self.scopes.pop()


def _narrow_key(node: ast.expr) -> str | None:
    """``x`` / ``self.a.b``: the spelling an isinstance narrowing is keyed by."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _narrow_key(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def _unpacked(target: ast.expr, value: ast.expr) -> list[tuple[ast.expr, ast.expr]] | None:
    """``a, (b, c) = x, (y, z)``: the (target, value) pairs, or None if the shapes differ
    (a starred part, a value that is not a literal tuple or list of the same length)."""
    if not isinstance(target, (ast.Tuple, ast.List)):
        return None
    if not isinstance(value, (ast.Tuple, ast.List)) or len(value.elts) != len(target.elts):
        return None
    pairs: list[tuple[ast.expr, ast.expr]] = []
    for t, v in zip(target.elts, value.elts, strict=True):
        if isinstance(t, ast.Starred) or isinstance(v, ast.Starred):
            return None
        if isinstance(t, (ast.Tuple, ast.List)):
            inner = _unpacked(t, v)
            if inner is None:
                return None
            pairs.extend(inner)
        else:
            pairs.append((t, v))
    return pairs


NONE = "None"  # a value ref: the constant None (a default, a bare `return`)
# What runs a coroutine it is given (the call in its arguments is as good as awaited).
COROUTINE_RUNNERS = frozenset(
    {
        "asyncio.run",
        "asyncio.create_task",
        "asyncio.ensure_future",
        "asyncio.gather",
        "asyncio.wait_for",
        "asyncio.shield",
        "asyncio.wait",
        "asyncio.as_completed",
        "asyncio.run_coroutine_threadsafe",
        "contextlib.aclosing",
    }
)
COROUTINE_RUNNER_METHODS = frozenset({"create_task", "run_until_complete", "run", "start_soon"})
ADAPTIVE_HELPER = "_await_if_awaitable"  # the rewrite's adaptive await (plan: AFY113)


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _returned(refs: set[Ref | None]) -> Ref:
    """What a function returns, from the value ref of each `return`: NONE when it returns
    nothing (or only raises), one ref or their union when every other return is known;
    a `return None` beside them does not make the value unknown (callers use the rest)."""
    values = refs - {NONE}
    if not values:
        return NONE
    if None in values:
        # also something unknown (a list display, a library's object): `{?|C()}`, which
        # the plan takes for maybe a C (one of the program's objects, or something else)
        values = (values - {None}) | {UNKNOWN}
        if values == {UNKNOWN}:
            return ""
    result: Ref | None = None
    for ref in sorted(v for v in values if v is not None):
        result = ref if result is None else _union(result, ref)
        if result is None:
            return ""
    return result or ""


UNKNOWN = "?"  # in a union ref: a value nothing is known of


def _union(a: Ref | None, b: Ref | None) -> Ref | None:
    """``{a|b}``: a name assigned several values (the plan resolves it if they agree)."""
    if a is None or b is None:
        return None
    if a == b:
        return a
    parts = set(split_union(a)) | set(split_union(b))
    return "{" + "|".join(sorted(parts)) + "}" if len(parts) <= 4 else None


def split_union(ref: Ref) -> list[Ref]:
    """The alternatives of ``{a|b}`` (nesting-aware), or ``[ref]``."""
    if not (ref.startswith("{") and ref.endswith("}")):
        return [ref]
    parts, depth, start = [], 0, 1
    for i, ch in enumerate(ref[1:-1], start=1):
        if ch in "{(":
            depth += 1
        elif ch in "})":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(ref[start:i])
            start = i + 1
    parts.append(ref[start:-1])
    return parts


def _mocker_patch(func: ast.expr) -> str:
    """pytest-mock's ``mocker.patch`` / ``mocker.patch.object`` (the fixture's usual name)."""
    if isinstance(func, ast.Attribute) and func.attr == "object":
        return "object" if _mocker_patch(func.value) == "patch" else ""
    if (
        isinstance(func, ast.Attribute)
        and func.attr == "patch"
        and isinstance(func.value, ast.Name)
        and func.value.id == "mocker"
    ):
        return "patch"
    return ""


def _inner(context: str) -> str:
    """The context of a sub-expression (an argument, an operand) of a call in `context`."""
    if context in ("for", "comp") or context.startswith("consume:"):
        return "await"
    return context


def _is_main_guard(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Eq)
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )


def _has_cleanup(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether closing this generator early runs code of its own (a finally, a with)."""
    stack: list[ast.AST] = list(node.body)
    while stack:
        child = stack.pop()
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(child, (ast.With, ast.AsyncWith)) or (
            isinstance(child, ast.Try) and child.finalbody
        ):
            return True
        stack.extend(ast.iter_child_nodes(child))
    return False


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def wrapper_role(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """How ``node`` wraps functions, if it is a decorator that can be made async-aware.

    ``def deco(f): ...; [@functools.wraps(f)] def wrapper(...): ...; ...; return wrapper``
    is ``"decorator:wrapper"`` when the wrapper uses ``f`` only in calls outside
    comprehensions (``return f(...)``, ``x = str(f(...))``, in a retry loop) and holds no
    nested function, lambda, yield or await, and the rest of ``deco`` (run once, at
    decoration time, e.g. to register the function) never calls ``f`` nor mentions the
    wrapper: an ``async def`` copy of the wrapper that awaits those calls then does the
    same for a coroutine function. ``def factory(...): ...; def deco(f): ...; return deco`` is
    ``"factory:deco"``.
    """
    if isinstance(node, ast.AsyncFunctionDef):
        return ""
    body = node.body[1:] if ast.get_docstring(node, clean=False) is not None else node.body
    defs = [stmt for stmt in body if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))]
    if len(defs) != 1 or not isinstance(defs[0], ast.FunctionDef) or not body:
        return ""
    inner = defs[0]
    last = body[-1]
    if not isinstance(last, ast.Return) or _returned_name(last.value) != inner.name:
        return ""
    rest = [n for stmt in body if stmt is not inner and stmt is not last for n in ast.walk(stmt)]
    if any(isinstance(n, ast.Name) and n.id == inner.name for n in rest):
        return ""
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    if (
        len(positional) == 1
        and not (args.vararg or args.kwarg or args.kwonlyargs or args.defaults)
        and _only_calls(inner, positional[0].arg)
        and _uses_ok([*rest, *ast.walk(last)], positional[0].arg, calls=False)
    ):
        return f"decorator:{inner.name}"
    if wrapper_role(inner).startswith("decorator:"):
        return f"factory:{inner.name}"
    return ""


def _returned_name(value: ast.expr | None) -> str:
    """``name`` for ``return name`` and ``return cast(T, name)`` (typing.cast)."""
    if (
        isinstance(value, ast.Call)
        and len(value.args) == 2
        and (
            (isinstance(value.func, ast.Name) and value.func.id == "cast")
            or (isinstance(value.func, ast.Attribute) and value.func.attr == "cast")
        )
    ):
        value = value.args[1]
    return value.id if isinstance(value, ast.Name) else ""


def _only_calls(wrapper: ast.FunctionDef, param: str) -> bool:
    """``param`` is used in ``wrapper`` only as ``wraps(param)``, in calls (not in a
    comprehension) and to read its ``__name__`` (or ``__qualname__``, ``__module__``,
    ``__doc__``)."""
    for dec in wrapper.decorator_list:
        if not (
            isinstance(dec, ast.Call)
            and (
                (isinstance(dec.func, ast.Name) and dec.func.id == "wraps")
                or (isinstance(dec.func, ast.Attribute) and dec.func.attr == "wraps")
            )
            and len(dec.args) == 1
            and not dec.keywords
            and isinstance(dec.args[0], ast.Name)
            and dec.args[0].id == param
        ):
            return False
    if any(a.arg == param for a in ast.walk(wrapper.args) if isinstance(a, ast.arg)):
        return False  # shadowed
    nodes = [child for stmt in wrapper.body for child in ast.walk(stmt)]
    return _uses_ok(nodes, param, calls=True) and any(
        isinstance(n, ast.Name) and n.id == param for n in nodes
    )


def _uses_ok(nodes: Sequence[ast.AST], param: str, calls: bool) -> bool:
    """Every use of ``param`` among ``nodes`` reads a dunder name attribute, or (``calls``)
    is a call outside a comprehension (``return f(...)``, ``str(f(...))``, in a retry
    loop); and there is no nested scope, yield or await."""
    allowed: set[int] = set()
    # An await in a comprehension would make a generator expression asynchronous.
    comprehended = {
        id(inner)
        for node in nodes
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp))
        for inner in ast.walk(node)
    }
    for node in nodes:
        if (
            calls
            and isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == param
            and id(node) not in comprehended
        ):
            allowed.add(id(node.func))
        # Reading its name or docstring (for a log line) is the same for either kind.
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.attr in ("__name__", "__qualname__", "__module__", "__doc__")
        ):
            allowed.add(id(node.value))
    scopes = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
    for node in nodes:
        if isinstance(node, scopes + (ast.Yield, ast.YieldFrom, ast.Await)):
            return False
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            return False
        if isinstance(node, ast.Name) and node.id == param and id(node) not in allowed:
            return False
    return True


def _walk_block(body: Sequence[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements of a block, including nested blocks, but not nested scopes' bodies."""
    stack = list(reversed(body))
    while stack:
        stmt = stack.pop()
        yield stmt
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for child in ast.iter_child_nodes(stmt):
            if isinstance(child, ast.stmt):
                stack.append(child)
            elif isinstance(child, (ast.ExceptHandler, ast.match_case)):
                stack.extend(reversed(child.body))


def _generator_facts(node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[bool, str]:
    """(is a generator, why it cannot become an async generator or "")."""
    is_gen = False
    blocker = ""
    stack: list[ast.AST] = list(node.body)
    statements: set[int] = set()  # `yield from X` as a whole statement becomes a loop
    while stack:
        child = stack.pop()
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(child, ast.Expr) and isinstance(child.value, ast.YieldFrom):
            statements.add(id(child.value))
        if isinstance(child, (ast.Yield, ast.YieldFrom)):
            is_gen = True
            if isinstance(child, ast.YieldFrom) and id(child) not in statements:
                blocker = "uses the value of `yield from`, which async generators cannot"
        elif isinstance(child, ast.Return) and child.value is not None:
            if not (isinstance(child.value, ast.Constant) and child.value.value is None):
                blocker = blocker or "returns a value, which async generators cannot"
        stack.extend(ast.iter_child_nodes(child))
    return is_gen, blocker if is_gen else ""


def _exports(body: Sequence[ast.stmt]) -> tuple[str, ...] | None:
    """The names of a module-level ``__all__ = [...]`` (and ``+= [...]``), if all literal.

    ``None`` when there is no ``__all__`` or it is computed: then a leading underscore
    is what tells a public name.
    """
    names: list[str] | None = None
    for stmt in body:
        target: ast.expr | None = None
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
        elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
            target = stmt.target
        if not (isinstance(target, ast.Name) and target.id == "__all__"):
            continue
        value = stmt.value if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)) else None
        if not isinstance(value, (ast.List, ast.Tuple)) or not all(
            isinstance(e, ast.Constant) and isinstance(e.value, str) for e in value.elts
        ):
            return None
        found = [
            e.value for e in value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
        ]
        names = [*(names or []), *found] if isinstance(stmt, ast.AugAssign) else found
    return tuple(names) if names is not None else None


def index_module(
    module: str,
    path: str,
    source: str,
    is_package: bool,
    is_main: bool,
    local_names: Mapping[str, str] | None = None,
) -> ModuleIndex:
    """Index one module's source. Raises SyntaxError (with lineno/offset) on bad input.
    ``local_names``: top-level import names -> module names (see _Indexer)."""
    tree = ast.parse(source, filename=path)
    return _Indexer(module, path, source, is_package, local_names).index(tree, is_main)
