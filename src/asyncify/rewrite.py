"""Per-file rewrite: ``(source, module plan, codemods) -> (new source, findings)``.

Pure: it never looks at other files; the :class:`~asyncify.plan.ModulePlan` carries all
whole-program facts. One LibCST pass runs every enabled codemod and then the propagation
transform (``async def``, ``await``, ``async for``, async comprehensions, entry points)
on each node, so every transformer sees positions of the file as it was read. Imports
are added and removed afterwards by LibCST's ``AddImportsVisitor`` and
``RemoveImportsVisitor``.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from asyncify import compat
from asyncify.codemod import COMMA, Codemod, add_helpers
from asyncify.contexts import NEW_DEPENDENCY, PACKAGES
from asyncify.findings import Code, Finding
from asyncify.import_order import NewImport, add_imports
from asyncify.imports import _Uses, remove_unused_imports
from asyncify.index import ADAPTIVE_HELPER, FULL_CONSUMERS, SKIP_COMMENT, Pos
from asyncify.options import Options
from asyncify.plan import ASYNC_INIT, AwaitSite, ModulePlan
from asyncify.rewrite_contexts import (
    AwaitCallsOf,
    async_cache,
    parenthesize,
    raises_form,
    raises_with,
)
from asyncify.syncapi import RUNNER_IMPORTS, RUNNER_SOURCE, SUFFIX, sync_wrapper

ITEM = "_item"  # loop variable of comprehensions asyncify writes
YIELDED = "_yielded"  # loop variable of the loops that replace `yield from`
AGEN = "_agen"  # the generator an `aclosing` block holds


@dataclass
class _Frame:
    qualname: str
    is_async: bool
    is_function: bool


@dataclass
class RewriteState:
    """What a codemod may ask while rewriting one file."""

    plan: ModulePlan
    path: str
    source: str
    context: CodemodContext
    positions: dict[cst.CSTNode, CodeRange] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    frames: list[_Frame] = field(default_factory=list)
    skip_lines: frozenset[int] = frozenset()
    # Local name -> (module, object, asname) of the last import binding it; all_bindings has
    # every import of the name (`import a` and `import a.b` both bind `a`).
    bindings: dict[str, tuple[str, str | None, str | None]] = field(default_factory=dict)
    all_bindings: dict[str, list[tuple[str, str | None, str | None]]] = field(default_factory=dict)
    # Local name -> (module, dots, object, asname) of a relative `from .mod import obj`.
    relative_bindings: dict[str, tuple[str, int, str, str | None]] = field(default_factory=dict)
    options: Options = field(default_factory=Options)
    # Lambdas of `assertRaises(E, lambda: f())` statements that become `with` blocks: their
    # body runs in the enclosing function (asyncify.contexts).
    inline_lambdas: set[cst.Lambda] = field(default_factory=set)

    def end(self, node: cst.CSTNode) -> Pos | None:
        rng = self.positions.get(node)
        return (rng.end.line, rng.end.column) if rng else None

    def name_of(self, node: cst.CSTNode) -> str:
        pos = self.end(node)
        return self.plan.names.get(pos, "") if pos else ""

    def type_of(self, node: cst.CSTNode) -> str:
        pos = self.end(node)
        return self.plan.types.get(pos, "") if pos else ""

    def is_async_function(self, qualname: str) -> bool:
        """Whether the function ``qualname`` (``Class.method``) is or becomes ``async def``."""
        return qualname in self.plan.async_functions

    def in_async(self) -> bool:
        for frame in reversed(self.frames):
            if frame.is_function:
                return frame.is_async
        return False

    def is_skipped(self, node: cst.CSTNode) -> bool:
        rng = self.positions.get(node)
        if rng is None:
            return False
        return any(line in self.skip_lines for line in range(rng.start.line, rng.end.line + 1))

    def report(self, code: Code, node: cst.CSTNode, detail: str = "") -> None:
        rng = self.positions.get(node)
        line, col = (rng.start.line, rng.start.column) if rng else (1, 0)
        if line not in self.skip_lines:
            self.findings.append(code.at(self.path, line, col, detail))


class _Pipeline(cst.CSTTransformer):
    """Runs several transformers in one traversal, in order, on each node.

    Each transformer's ``visit_<Node>`` / ``leave_<Node>`` methods are looked up once per
    node type (LibCST's own dispatch would look them up for every node, for every
    transformer). Attribute hooks (``visit_<Node>_<field>``) are not supported.
    """

    def __init__(self, state: RewriteState, transformers: Sequence[cst.CSTTransformer]) -> None:
        super().__init__()
        self.state = state
        self.transformers = transformers
        self._visits: dict[type[cst.CSTNode], list[Callable[[cst.CSTNode], object]]] = {}
        self._leaves: dict[type[cst.CSTNode], list[Callable[..., object]]] = {}

    def _table(self, kind: str, node_type: type[cst.CSTNode]) -> list[Callable[..., object]]:
        name = f"{kind}_{node_type.__name__}"
        return [getattr(t, name) for t in self.transformers if hasattr(t, name)]

    def on_visit(self, node: cst.CSTNode) -> bool:
        frames = self.state.frames
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            parent = frames[-1] if frames else None
            if parent is None:
                qual = node.name.value
            elif parent.is_function:
                qual = f"{parent.qualname}.<locals>.{node.name.value}"
            else:
                qual = f"{parent.qualname}.{node.name.value}"
            if isinstance(node, cst.FunctionDef):
                is_async = node.asynchronous is not None or qual in self.state.plan.async_functions
                # The wrapper of a decorator that gets an async branch: rewritten as its
                # async copy (Propagate._async_branch keeps the original as the sync one).
                is_async |= bool(parent and parent.qualname in self.state.plan.async_wrappers)
                frames.append(_Frame(qual, is_async, True))
            else:
                frames.append(_Frame(qual, False, False))
        elif isinstance(node, cst.Lambda):
            inline = node in self.state.inline_lambdas and self.state.in_async()
            frames.append(_Frame("<lambda>", inline, True))
        visits = self._visits.get(type(node))
        if visits is None:
            visits = self._visits[type(node)] = self._table("visit", type(node))
        for visit in visits:
            visit(node)
        return True

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> cst.CSTNode:  # type: ignore[override]
        leaves = self._leaves.get(type(original_node))
        if leaves is None:
            leaves = self._leaves[type(original_node)] = self._table("leave", type(original_node))
        result: object = updated_node
        for leave in leaves:
            if isinstance(result, cst.FlattenSentinel):
                # An earlier codemod split the node: later ones see each part.
                parts: list[cst.CSTNode] = []
                for part in result.nodes:
                    out = leave(original_node, part)
                    if isinstance(out, cst.FlattenSentinel):
                        parts.extend(out.nodes)
                    elif isinstance(out, cst.CSTNode):
                        parts.append(out)
                result = cst.FlattenSentinel(parts)
                continue
            result = leave(original_node, result)
            if not isinstance(result, cst.CSTNode):
                break
        if isinstance(original_node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            self.state.frames.pop()
        return result  # type: ignore[return-value]

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        pass

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        pass


def _yield_from(statement: cst.BaseSmallStatement) -> cst.BaseExpression | None:
    """X of a ``yield from X`` statement (LibCST: ``Yield(value=From(item=X))``)."""
    if (
        isinstance(statement, cst.Expr)
        and isinstance(statement.value, cst.Yield)
        and isinstance(statement.value.value, cst.From)
    ):
        return statement.value.value.item
    return None


class Propagate(Codemod):
    """``async def`` for planned functions; ``await``/``async for`` at their call sites."""

    NAME = "propagate"

    def __init__(self, state: RewriteState) -> None:
        super().__init__(state)
        self.genexp_async: list[bool] = []
        self.needs_runner = False
        self.needs_next = False  # the module gets _next_or_stop (NEXT_SOURCE)
        self.needs_adaptive = False  # the module gets _await_if_awaitable (ADAPTIVE_SOURCE)
        self.needs_aiter = False  # the module gets _aiter_adaptive (AITER_SOURCE)
        # Per function: for each enclosing `try` of it, whether it catches StopIteration.
        self.catches_stop: list[list[bool]] = [[]]

    def _site(self, call: cst.Call) -> AwaitSite | None:
        pos = self.state.end(call.func)
        return self.state.plan.awaits.get(pos) if pos else None

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.catches_stop.append([])

    def visit_Try(self, node: cst.Try) -> None:
        self.catches_stop[-1].append(any(_catches_stop(h.type) for h in node.handlers))

    def leave_Await(self, original_node: cst.Await, updated_node: cst.Await) -> cst.Await:
        """A call the input already awaits (a re-run over a partly converted program: the
        caller was written, its callee not) is awaited once: never ``await await``."""
        inner = updated_node.expression
        if isinstance(inner, cst.Await) and not isinstance(original_node.expression, cst.Await):
            return updated_node.with_changes(expression=inner.expression)
        return updated_node

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef | cst.FlattenSentinel[cst.BaseStatement]:
        self.catches_stop.pop()
        converted = self._converted_def(original_node, updated_node)
        wrapper = self.state.plan.sync_wrappers.get(self.state.frames[-1].qualname)
        if wrapper is None:
            return converted
        self.needs_runner = True
        frame = self.state.frames[-1]
        owner = frame.qualname.rpartition(".")[0]
        kind = _kind_of(original_node) if owner else "function"
        return cst.FlattenSentinel([converted, sync_wrapper(original_node, wrapper, kind, owner)])

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        """The ``--keep-sync-api`` runner and ``_next_or_stop``, after the header, where the
        functions need them."""
        helpers = []
        if self.needs_runner:
            for module in RUNNER_IMPORTS:
                self.add_import(module)
            helpers.append(RUNNER_SOURCE)
        if self.needs_next:
            helpers.append(NEXT_SOURCE)
        if self.needs_adaptive:
            helpers.append(ADAPTIVE_SOURCE)
        if self.needs_aiter:
            helpers.append(AITER_SOURCE)
        return add_helpers(updated_node, helpers) if helpers else updated_node

    def leave_ImportFrom(
        self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom
    ) -> cst.ImportFrom:
        """A package re-exporting a function also re-exports its new async implementation."""
        reexports = self.state.plan.reexports
        if not reexports or isinstance(updated_node.names, cst.ImportStar):
            return updated_node
        names: list[cst.ImportAlias] = []
        for alias in updated_node.names:
            names.append(alias)
            local = alias.evaluated_alias or alias.evaluated_name
            if local in reexports and isinstance(alias.name, cst.Name):
                asname = (
                    cst.AsName(name=cst.Name(local + SUFFIX)) if alias.asname is not None else None
                )
                names[-1] = alias.with_changes(
                    comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
                )
                names.append(cst.ImportAlias(name=cst.Name(reexports[local]), asname=asname))
        if len(names) == len(updated_node.names):
            return updated_node
        last = updated_node.names[-1]
        names[-1] = names[-1].with_changes(comma=last.comma)
        return updated_node.with_changes(names=names)

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign) -> cst.Assign:
        """``__all__`` lists the async implementation beside each function it exports."""
        plan = self.state.plan
        if not (plan.sync_wrappers or plan.reexports) or self.state.frames:
            return updated_node
        targets = [t.target for t in updated_node.targets]
        value = updated_node.value
        if not (
            len(targets) == 1
            and isinstance(targets[0], cst.Name)
            and targets[0].value == "__all__"
            and isinstance(value, (cst.List, cst.Tuple))
        ):
            return updated_node
        added = {q: new for q, new in plan.renames.items() if "." not in q} | dict(plan.reexports)
        elements: list[cst.BaseElement] = []
        for element in value.elements:
            elements.append(element)
            item = element.value
            if isinstance(item, cst.SimpleString) and item.evaluated_value in added:
                quote = item.prefix + item.quote
                new = cst.SimpleString(f"{quote}{added[str(item.evaluated_value)]}{item.quote}")
                elements[-1] = element.with_changes(
                    comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
                )
                elements.append(element.with_changes(value=new, comma=element.comma))
        if len(elements) == len(value.elements):
            return updated_node
        return updated_node.with_changes(value=value.with_changes(elements=elements))

    def _rename_callee(self, func: cst.BaseExpression, new: str) -> cst.BaseExpression:
        """``x.fetch`` → ``x.fetch_async``; a bare ``fetch`` → ``fetch_async``, importing
        it where ``fetch`` was imported (the old import goes if nothing else uses it)."""
        if isinstance(func, cst.Attribute):
            return func.with_changes(attr=cst.Name(new))
        if not isinstance(func, cst.Name):
            return func
        local = func.value
        binding = self.state.bindings.get(local)
        relative = self.state.relative_bindings.get(local)
        if binding is not None and binding[1] is not None:
            module, obj, asname = binding
            new_local = new if asname is None else asname + SUFFIX
            self.add_import(module, new, new_local if asname is not None else None)
            self.remove_import(module, obj, asname)
            return cst.Name(new_local)
        if relative is not None:
            module, dots, obj, asname = relative
            new_local = new if asname is None else asname + SUFFIX
            AddImportsVisitor.add_needed_import(
                self.state.context, module, new, new_local if asname is not None else None, dots
            )
            self.remove_import("." * dots + module, obj, asname)
            return cst.Name(new_local)
        return cst.Name(new)

    def _converted_def(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        plan = self.state.plan
        qualname = self.state.frames[-1].qualname
        if original_node.asynchronous is None and self.state.frames[-1].is_async:
            updated_node = updated_node.with_changes(asynchronous=cst.Asynchronous())
        if qualname in plan.renames:
            updated_node = updated_node.with_changes(name=cst.Name(plan.renames[qualname]))
        if qualname in plan.async_wrappers:
            updated_node = self._async_branch(original_node, updated_node)
        if qualname in plan.async_caches:
            updated_node = self._async_cache(original_node, updated_node)
        if qualname in plan.context_managers:
            updated_node = updated_node.with_changes(
                decorators=[self._async_cm(d) for d in updated_node.decorators]
            )
        if qualname in plan.callable_returns and updated_node.returns is not None:
            returns = self._awaitable_result(updated_node.returns.annotation)
            updated_node = updated_node.with_changes(
                returns=updated_node.returns.with_changes(annotation=returns)
            )
        if qualname in plan.async_fixtures:
            updated_node = updated_node.with_changes(
                decorators=[self._async_fixture(d) for d in updated_node.decorators]
            )
        if qualname in plan.pytest_tests and not any(
            "mark.asyncio" in cst.Module([]).code_for_node(d.decorator)
            for d in updated_node.decorators
        ):
            self.add_import("pytest")
            mark = cst.Decorator(decorator=cst.parse_expression("pytest.mark.asyncio"))
            updated_node = updated_node.with_changes(decorators=[mark, *updated_node.decorators])
        return updated_node

    def _awaitable_result(self, annotation: cst.BaseExpression) -> cst.BaseExpression:
        """``Callable[..., T]`` -> ``Callable[..., Awaitable[T]]`` (typing or collections.abc,
        spelled as the file spells Callable); anything else stays."""
        if not isinstance(annotation, cst.Subscript) or len(annotation.slice) != 2:
            return annotation
        callable_name = self.imported_name(annotation.value)
        module, _, last = callable_name.rpartition(".")
        if last != "Callable" or module not in ("typing", "collections.abc"):
            return annotation
        result = annotation.slice[1].slice
        if not isinstance(result, cst.Index):
            return annotation
        if isinstance(result.value, cst.Subscript) and self.imported_name(
            result.value.value
        ).rpartition(".")[2] in ("Awaitable", "Coroutine"):
            return annotation  # converted before
        if isinstance(annotation.value, cst.Attribute):  # `typing.Callable`
            awaitable: cst.BaseExpression = annotation.value.with_changes(
                attr=cst.Name("Awaitable")
            )
        else:
            self.add_import(module, "Awaitable")
            awaitable = cst.Name("Awaitable")
        wrapped = cst.Subscript(
            value=awaitable, slice=[cst.SubscriptElement(cst.Index(result.value))]
        )
        second = annotation.slice[1].with_changes(slice=cst.Index(wrapped))
        return annotation.with_changes(slice=[annotation.slice[0], second])

    def _async_branch(
        self, original_node: cst.FunctionDef, node: cst.FunctionDef
    ) -> cst.FunctionDef:
        """A decorator whose wrapper only calls the wrapped function gets an async copy of
        the wrapper for coroutine functions (asyncify.index.wrapper_role has the shape).
        The wrapper was rewritten as async code (its frame is async: the codemods converted
        its `time.sleep`, mapped its `except requests.X`); that is the copy, and the
        wrapper as it was is the synchronous branch::

            def deco(f):
                if inspect.iscoroutinefunction(f):
                    @functools.wraps(f)
                    async def wrapper(*args, **kwargs):
                        return await f(*args, **kwargs)
                else:
                    @functools.wraps(f)
                    def wrapper(*args, **kwargs):
                        return f(*args, **kwargs)
                return wrapper
        """
        params = [*node.params.posonly_params, *node.params.params]
        if len(params) != 1 or not isinstance(node.body, cst.IndentedBlock):
            return node
        param = params[0].name.value
        body = list(node.body.body)
        at = next((i for i, stmt in enumerate(body) if isinstance(stmt, cst.FunctionDef)), None)
        if at is None:
            return node
        wrapper = body[at]
        assert isinstance(wrapper, cst.FunctionDef)
        assert isinstance(original_node.body, cst.IndentedBlock)
        sync = next(s for s in original_node.body.body if isinstance(s, cst.FunctionDef))
        awaiting = AwaitCallsOf(param, self.state.plan.wrapper_twins, self.imported_name)
        copy = wrapper.with_changes(
            asynchronous=cst.Asynchronous(),
            body=wrapper.body.visit(awaiting),
            leading_lines=[],
        )
        for module in awaiting.used:
            self.add_import(module)
        body[at] = cst.If(
            test=cst.parse_expression(f"inspect.iscoroutinefunction({param})"),
            body=cst.IndentedBlock(body=[copy]),
            orelse=cst.Else(body=cst.IndentedBlock(body=[sync.with_changes(leading_lines=[])])),
            leading_lines=wrapper.leading_lines,
        )
        self.add_import("inspect")
        return node.with_changes(body=node.body.with_changes(body=body))

    def _async_fixture(self, decorator: cst.Decorator) -> cst.Decorator:
        """``@pytest.fixture`` / ``@fixture(...)`` → ``@pytest_asyncio.fixture(...)``."""
        expr = decorator.decorator
        target = expr.func if isinstance(expr, cst.Call) else expr
        spelled = cst.Module([]).code_for_node(target)
        if spelled not in ("pytest.fixture", "fixture"):
            return decorator
        self.add_import("pytest_asyncio")
        if spelled == "fixture":
            self.remove_import("pytest", "fixture")
        new_target = cst.parse_expression("pytest_asyncio.fixture")
        new_expr = expr.with_changes(func=new_target) if isinstance(expr, cst.Call) else new_target
        return decorator.with_changes(decorator=new_expr)

    def leave_ClassDef(
        self, original_node: cst.ClassDef, updated_node: cst.ClassDef
    ) -> cst.ClassDef:
        if self.state.frames[-1].qualname in self.state.plan.testcases:
            updated_node = updated_node.with_changes(
                bases=[self._async_testcase(arg) for arg in updated_node.bases]
            )
        factory = self.state.plan.factories.get(self.state.frames[-1].qualname)
        if factory is None or not isinstance(updated_node.body, cst.IndentedBlock):
            return updated_node
        body = list(updated_node.body.body)
        for i, stmt in enumerate(body):
            if isinstance(stmt, cst.FunctionDef) and stmt.name.value == ASYNC_INIT:
                body.insert(i + 1, _factory_method(factory, stmt.params))
                break
        return updated_node.with_changes(body=updated_node.body.with_changes(body=body))

    def _renamed(
        self, expr: cst.BaseExpression, module: str, old: str, new: str
    ) -> cst.BaseExpression:
        """``module.old`` → ``module.new``, or a bare ``old`` → ``new`` (imported from
        ``module``), keeping the spelling the file uses; anything else is left alone."""
        if isinstance(expr, cst.Attribute) and expr.attr.value == old:
            return expr.with_changes(attr=cst.Name(new))
        if isinstance(expr, cst.Name) and expr.value == old:
            self.add_import(module, new)
            self.remove_import(module, old)
            return cst.Name(new)
        return expr

    def _async_testcase(self, arg: cst.Arg) -> cst.Arg:
        """``unittest.TestCase`` / ``TestCase`` → ``IsolatedAsyncioTestCase``."""
        value = self._renamed(arg.value, "unittest", "TestCase", "IsolatedAsyncioTestCase")
        return arg.with_changes(value=value)

    def _async_cache(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        """``@functools.lru_cache(...)`` / ``@lru_cache`` / ``@cache`` →
        ``@alru_cache(...)`` (asyncify.contexts.ASYNC_CACHES), reported as a new package."""
        decorators = []
        for original, decorator in zip(
            original_node.decorators, updated_node.decorators, strict=True
        ):
            replaced = async_cache(decorator, self.imported_name)
            if replaced is None:
                decorators.append(decorator)
                continue
            new, (module, name, _), old = replaced
            self.add_import(module, name)
            self.remove_import_of(old)
            decorators.append(new)
            self.state.report(NEW_DEPENDENCY, original, f"`{PACKAGES[module]}` ({name})")
        return updated_node.with_changes(decorators=decorators)

    def _async_cm(self, decorator: cst.Decorator) -> cst.Decorator:
        """``@contextmanager`` → ``@asynccontextmanager`` (same spelling style)."""
        expr = self._renamed(
            decorator.decorator, "contextlib", "contextmanager", "asynccontextmanager"
        )
        return decorator.with_changes(decorator=expr)

    def _now_async(self) -> bool:
        """The function being rewritten becomes a coroutine here (not a generator)."""
        frame = next((f for f in reversed(self.state.frames) if f.is_function), None)
        plan = self.state.plan
        return frame is not None and (
            plan.renames.get(frame.qualname) == "__anext__"
            or (
                frame.qualname in plan.async_functions
                and frame.qualname not in plan.async_generators
            )
        )

    def leave_Raise(self, original_node: cst.Raise, updated_node: cst.Raise) -> cst.Raise:
        """In a function that becomes a coroutine (a new ``__anext__``, or a helper such as
        ``next()`` it awaits), the end of iteration is StopAsyncIteration: a coroutine that
        raises StopIteration raises RuntimeError instead (PEP 479)."""
        if not self._now_async():
            return updated_node
        exc = updated_node.exc
        target = exc.func if isinstance(exc, cst.Call) else exc
        if isinstance(target, cst.Name) and target.value == "StopIteration":
            new_target = target.with_changes(value="StopAsyncIteration")
            new_exc = exc.with_changes(func=new_target) if isinstance(exc, cst.Call) else new_target
            return updated_node.with_changes(exc=new_exc)
        return updated_node

    def leave_Try(self, original_node: cst.Try, updated_node: cst.Try) -> cst.Try:
        """``except StopIteration`` around calls that now await a coroutine that ends with
        StopAsyncIteration (leave_Raise) catches that too."""
        self.catches_stop[-1].pop()
        if not self._now_async() or not self._awaits_project(original_node.body):
            return updated_node
        handlers = []
        for handler in updated_node.handlers:
            kind = handler.type
            if isinstance(kind, cst.Name) and kind.value == "StopIteration":
                both = cst.Tuple(
                    [
                        cst.Element(kind, comma=COMMA),
                        cst.Element(cst.Name("StopAsyncIteration")),
                    ]
                )
                handler = handler.with_changes(type=both)
            handlers.append(handler)
        return updated_node.with_changes(handlers=handlers)

    def _awaits_project(self, body: cst.BaseSuite) -> bool:
        """Whether ``body`` (original nodes) calls a project function that becomes async
        (outside nested functions)."""
        awaits = self.state.plan.awaits
        found = False
        state = self.state

        class Find(cst.CSTVisitor):
            def visit_Call(self, node: cst.Call) -> None:
                nonlocal found
                found = found or state.end(node.func) in awaits

            def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
                return False

            def visit_Lambda(self, node: cst.Lambda) -> bool:
                return False

        body.visit(Find())
        return found

    def _async_block(self, expr: cst.BaseExpression) -> bool:
        pos = self.state.end(expr)
        plan = self.state.plan
        return pos is not None and (pos in plan.async_blocks or pos in plan.adaptive_blocks)

    def _iterable(
        self, original: cst.BaseExpression, updated: cst.BaseExpression
    ) -> cst.BaseExpression:
        """An iterable of an `async for`: wrapped in `_aiter_adaptive(...)` where it may
        be a project object whose iteration became async or something else (AFY113)."""
        pos = self.state.end(original)
        if pos is None or pos not in self.state.plan.adaptive_blocks:
            return updated
        self.needs_aiter = True
        return cst.Call(func=cst.Name(AITER_HELPER), args=[cst.Arg(updated)])

    def leave_With(self, original_node: cst.With, updated_node: cst.With) -> cst.With:
        if any(self._async_block(item.item) for item in original_node.items):
            return updated_node.with_changes(asynchronous=cst.Asynchronous())
        return updated_node

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self.genexp_async.append(False)

    def _mark_async(self) -> None:
        if self.genexp_async:
            self.genexp_async[-1] = True

    def leave_GeneratorExp(
        self, original_node: cst.GeneratorExp, updated_node: cst.BaseExpression
    ) -> cst.BaseExpression:
        became_async = self.genexp_async.pop()
        if became_async and isinstance(updated_node, cst.GeneratorExp):
            # Only planned inside a full consumer (sum, min, …): a list gives the same result.
            return cst.ListComp(elt=updated_node.elt, for_in=updated_node.for_in)
        return updated_node

    def leave_Call(
        self, original_node: cst.Call, updated_node: cst.BaseExpression
    ) -> cst.BaseExpression:
        if isinstance(updated_node, cst.Call):
            updated_node = updated_node.with_changes(func=parenthesize(updated_node.func))
            replaced = self._consumer(original_node, updated_node)
            if replaced is not None:
                return replaced
        site = self._site(original_node)
        if site is None:
            return self._next_in_coroutine(original_node, updated_node)
        renamed = self.state.plan.call_renames.get(self.state.end(original_node.func) or (0, 0))
        if renamed is not None and isinstance(updated_node, cst.Call):
            func = self._rename_callee(updated_node.func, renamed)
            updated_node = updated_node.with_changes(func=func)
        if site.context.startswith("factory:"):
            assert isinstance(updated_node, cst.Call)
            factory = cst.Attribute(value=updated_node.func, attr=cst.Name(site.context[8:]))
            return cst.Await(expression=updated_node.with_changes(func=factory))
        if site.context == "adaptive":  # maybe a coroutine: await it only if it is one
            self._mark_async()
            self.needs_adaptive = True
            self.add_import("inspect")
            helper = cst.Call(func=cst.Name(ADAPTIVE_HELPER), args=[cst.Arg(updated_node)])
            return cst.Await(expression=helper)
        if site.context == "main":
            self.add_import("asyncio")
            return cst.Call(func=cst.parse_expression("asyncio.run"), args=[cst.Arg(updated_node)])
        if site.context == "anext" and isinstance(updated_node, cst.Call):
            # `next(it)` on an iterator whose __next__ became __anext__
            self._mark_async()
            return cst.Await(expression=updated_node.with_changes(func=cst.Name("anext")))
        if site.generator:
            if site.context == "comp":
                self._mark_async()
            return updated_node  # the enclosing for/comprehension/consumer becomes async
        self._mark_async()
        return cst.Await(expression=updated_node)

    def _next_in_coroutine(
        self, original: cst.Call, updated: cst.BaseExpression
    ) -> cst.BaseExpression:
        """``next(it)`` in a function that becomes a coroutine, with no ``try`` of its own
        catching StopIteration: the StopIteration it may raise cannot leave a coroutine (it
        becomes RuntimeError), so ``_next_or_stop`` raises StopAsyncIteration instead, which
        the awaiting callers' ``except StopIteration`` now catches too (leave_Try)."""
        if not (
            isinstance(original.func, cst.Name)
            and original.func.value == "next"
            and "next" not in self.state.bindings
            and len(original.args) == 1
            and not original.args[0].star
            and isinstance(updated, cst.Call)
            and self._now_async()
            and not any(self.catches_stop[-1])
        ):
            return updated
        self.needs_next = True
        return updated.with_changes(func=cst.Name(NEXT_HELPER))

    def _consumer(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression | None:
        """``list(gen())`` with an async generator; ``list(map(f, xs))`` with an async f."""
        if len(original.args) != 1 or not isinstance(original.func, cst.Name):
            return None
        consumer = original.func.value
        arg = original.args[0].value
        item = cst.Name(ITEM)
        if self._async_block(arg) and consumer in FULL_CONSUMERS:
            self._mark_async()
            comp_for = cst.CompFor(
                target=item,
                iter=self._iterable(arg, updated.args[0].value),
                asynchronous=cst.Asynchronous(),
            )
            return _collect(consumer, item, comp_for, updated)
        if not isinstance(arg, cst.Call):
            return None
        site = self._site(arg)
        if site is not None and site.generator:
            self._mark_async()
            new_arg = updated.args[0].value
            comp_for = cst.CompFor(target=item, iter=new_arg, asynchronous=cst.Asynchronous())
            return _collect(consumer, item, comp_for, updated)
        pos = (
            self.state.end(arg.args[0].value)
            if isinstance(arg.func, cst.Name) and arg.func.value == "map" and len(arg.args) == 2
            else None
        )
        if pos is not None and pos in self.state.plan.maps:
            new_map = updated.args[0].value
            assert isinstance(new_map, cst.Call)
            fn = new_map.args[0].value
            renamed = self.state.plan.call_renames.get(pos)
            if renamed is not None:
                fn = self._rename_callee(fn, renamed)
            iterable = new_map.args[1].value
            self._mark_async()
            elt = cst.Await(expression=cst.Call(func=fn, args=[cst.Arg(item)]))
            return _collect(consumer, elt, cst.CompFor(target=item, iter=iterable), updated)
        return None

    def leave_For(
        self, original_node: cst.For, updated_node: cst.For
    ) -> cst.For | cst.With:
        if self._async_block(original_node.iter):
            return updated_node.with_changes(
                asynchronous=cst.Asynchronous(),
                iter=self._iterable(original_node.iter, updated_node.iter),
            )
        if isinstance(original_node.iter, cst.Call):
            site = self._site(original_node.iter)
            if site is not None and site.closing:
                return self._closing(updated_node)
            if site is not None and site.generator:
                return updated_node.with_changes(asynchronous=cst.Asynchronous())
        return updated_node

    def _closing(self, loop: cst.For) -> cst.With:
        """``async with contextlib.aclosing(gen()) as _agen: async for x in _agen: ...``:
        the generator's cleanup runs when the loop ends, as it did for the sync one."""
        self.add_import("contextlib")
        aclosing = cst.parse_expression("contextlib.aclosing")
        closing = cst.Call(func=aclosing, args=[cst.Arg(loop.iter)])
        item = cst.WithItem(item=closing, asname=cst.AsName(name=cst.Name(AGEN)))
        inner = loop.with_changes(
            iter=cst.Name(AGEN), asynchronous=cst.Asynchronous(), leading_lines=[]
        )
        return cst.With(
            items=[item],
            body=cst.IndentedBlock(body=[inner]),
            asynchronous=cst.Asynchronous(),
            leading_lines=loop.leading_lines,
        )

    def _raises_form(self, line: cst.SimpleStatementLine) -> tuple[cst.Call, int] | None:
        if not self.state.in_async():
            return None
        return raises_form(line, self.imported_name)

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        form = self._raises_form(node)
        if form is not None and isinstance(form[0].args[form[1]].value, cst.Lambda):
            lam = form[0].args[form[1]].value
            assert isinstance(lam, cst.Lambda)
            self.state.inline_lambdas.add(lam)

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.BaseStatement
    ) -> cst.BaseStatement:
        form = self._raises_form(original_node)
        if form is not None and isinstance(updated_node, cst.SimpleStatementLine):
            pos = self.state.end(form[0].args[form[1]].value)
            site = self.state.plan.awaits.get(pos) if pos else None
            awaited = site is not None and site.context == "await" and not site.generator
            raised = raises_with(updated_node, form[1], awaited)
            if raised is not None:
                return raised
        return self._yield_from_loop(original_node, updated_node)

    def _yield_from_loop(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.BaseStatement
    ) -> cst.BaseStatement:
        """``yield from X`` in a generator that became an async generator (which cannot
        ``yield from``) → ``for _yielded in X: yield _yielded``, ``async for`` when X is an
        async generator. Only whole statements: the index keeps a generator that uses the
        value of ``yield from`` synchronous. Consumers only iterate a converted generator
        (one that is sent to or stored stays synchronous), so the loop yields the same."""
        if not (
            isinstance(updated_node, cst.SimpleStatementLine)
            and len(original_node.body) == 1
            and len(updated_node.body) == 1
            and self.state.in_async()
        ):
            return updated_node
        source = _yield_from(original_node.body[0])
        new_source = _yield_from(updated_node.body[0])
        if source is None or new_source is None:
            return updated_node
        asynchronous = self._async_block(source) or (
            isinstance(source, cst.Call)
            and (site := self._site(source)) is not None
            and site.generator
        )
        item = cst.Name(YIELDED)
        yield_line = cst.SimpleStatementLine([cst.Expr(cst.Yield(value=item))])
        return cst.For(
            target=item,
            iter=self._iterable(source, new_source),
            body=cst.IndentedBlock(body=[yield_line], header=updated_node.trailing_whitespace),
            asynchronous=cst.Asynchronous() if asynchronous else None,
            leading_lines=updated_node.leading_lines,
        )

    def leave_CompFor(self, original_node: cst.CompFor, updated_node: cst.CompFor) -> cst.CompFor:
        if self._async_block(original_node.iter):
            self._mark_async()
            return updated_node.with_changes(
                asynchronous=cst.Asynchronous(),
                iter=self._iterable(original_node.iter, updated_node.iter),
            )
        if isinstance(original_node.iter, cst.Call):
            site = self._site(original_node.iter)
            if site is not None and site.generator:
                return updated_node.with_changes(asynchronous=cst.Asynchronous())
        return updated_node

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.BaseExpression
    ) -> cst.BaseExpression:
        if isinstance(updated_node, cst.Attribute):  # a codemod may have replaced it
            return updated_node.with_changes(value=parenthesize(updated_node.value))
        return updated_node

    def leave_Subscript(
        self, original_node: cst.Subscript, updated_node: cst.BaseExpression
    ) -> cst.BaseExpression:
        if isinstance(updated_node, cst.Subscript):
            return updated_node.with_changes(value=parenthesize(updated_node.value))
        return updated_node


def _kind_of(node: cst.FunctionDef) -> str:
    """method, classmethod or staticmethod, from the decorators as spelled."""
    for decorator in node.decorators:
        spelled = cst.Module([]).code_for_node(decorator.decorator)
        if spelled in ("staticmethod", "builtins.staticmethod"):
            return "staticmethod"
        if spelled in ("classmethod", "builtins.classmethod"):
            return "classmethod"
    return "method"


def _factory_method(name: str, params: cst.Parameters) -> cst.FunctionDef:
    """``@classmethod async def create(cls, <__init__'s parameters>)`` that builds and awaits."""
    forward: list[str] = []
    for param in [*params.posonly_params, *params.params][1:]:
        forward.append(param.name.value)
    if isinstance(params.star_arg, cst.Param):
        forward.append(f"*{params.star_arg.name.value}")
    forward.extend(f"{p.name.value}={p.name.value}" for p in params.kwonly_params)
    if params.star_kwarg is not None:
        forward.append(f"**{params.star_kwarg.name.value}")
    own = params.with_changes(
        posonly_params=params.posonly_params[1:] if params.posonly_params else (),
        params=params.params if params.posonly_params else params.params[1:],
    )
    signature = cst.Module([]).code_for_node(own)
    code = (
        "@classmethod\n"
        f"async def {name}(cls{', ' if signature else ''}{signature}):\n"
        "    self = cls.__new__(cls)\n"
        f"    await self.{ASYNC_INIT}({', '.join(forward)})\n"
        "    return self\n"
    )
    method = cst.parse_statement(code)
    assert isinstance(method, cst.FunctionDef)
    return method.with_changes(leading_lines=[cst.EmptyLine(indent=False)])


def _collect(
    consumer: str, elt: cst.BaseExpression, comp_for: cst.CompFor, like: cst.Call
) -> cst.BaseExpression:
    if consumer == "list":
        return cst.ListComp(elt=elt, for_in=comp_for, lpar=like.lpar, rpar=like.rpar)
    if consumer == "set":
        return cst.SetComp(elt=elt, for_in=comp_for, lpar=like.lpar, rpar=like.rpar)
    return like.with_changes(args=[cst.Arg(cst.ListComp(elt=elt, for_in=comp_for))])


def _relative_bindings(module: cst.Module) -> dict[str, tuple[str, int, str, str | None]]:
    """Local name -> (module, dots, object, asname) of top-level relative imports."""
    out: dict[str, tuple[str, int, str, str | None]] = {}
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for node in stmt.body:
            if not isinstance(node, cst.ImportFrom) or not node.relative:
                continue
            if isinstance(node.names, cst.ImportStar):
                continue
            mod = cst.helpers.get_full_name_for_node(node.module) if node.module else ""
            for alias in node.names:
                obj = cst.helpers.get_full_name_for_node(alias.name) or ""
                asname = (
                    alias.asname.name.value
                    if alias.asname and isinstance(alias.asname.name, cst.Name)
                    else None
                )
                out[asname or obj] = (mod or "", len(node.relative), obj, asname)
    return out


def _bindings(source: str) -> dict[str, list[tuple[str, str | None, str | None]]]:
    """Local name -> every (module, imported object or None, asname) import binding it, in
    source order. Read with the stdlib parser: a LibCST walk of a large file costs ~10× more."""
    out: dict[str, list[tuple[str, str | None, str | None]]] = {}

    class Collect(ast.NodeVisitor):
        def visit_Import(self, node: ast.Import) -> None:
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                out.setdefault(bound, []).append((alias.name, None, alias.asname))

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            if node.level or node.module is None:
                return
            for alias in node.names:
                if alias.name != "*":
                    bound = alias.asname or alias.name
                    out.setdefault(bound, []).append((node.module, alias.name, alias.asname))

    Collect().visit(ast.parse(source))
    return out


def rewrite_module(
    source: str,
    plan: ModulePlan,
    codemods: Sequence[type[Codemod]],
    path: str,
    options: Options | None = None,
    first_party: frozenset[str] = frozenset(),
    compat_module: str = "",
) -> tuple[str, list[Finding]]:
    """Rewrite one module's source. Raises libcst.ParserSyntaxError on bad input.

    ``first_party``: the program's top-level module names, where new imports of them go.
    ``compat_module``: the dotted name of the program's compatibility module, from which
    the module imports the helpers it needs (``compat.py``); empty: it defines them."""
    if not plan.changes_anything:  # findings only: no need to parse with LibCST at all
        return source, list(plan.findings)
    module = cst.parse_module(source)
    context = CodemodContext(filename=path, full_module_name=plan.module)
    lines = source.splitlines()
    state = RewriteState(
        plan=plan,
        path=path,
        source=source,
        context=context,
        options=options or Options(),
        skip_lines=frozenset(
            i + 1 for i, t in enumerate(lines) if "asyncify" in t and SKIP_COMMENT.search(t)
        ),
    )
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    state.positions = dict(wrapper.resolve(PositionProvider))
    state.all_bindings = _bindings(source)
    state.bindings = {name: found[-1] for name, found in state.all_bindings.items()}
    if plan.call_renames:
        state.relative_bindings = _relative_bindings(module)
    mentioned = {*plan.names.values(), *plan.types.values()}
    transformers: list[cst.CSTTransformer] = [
        c.variant(state.options)(state)
        for c in codemods
        if c.concerns(mentioned) or c.concerns_plan(plan)
    ]
    transformers.append(Propagate(state))
    sink = (
        compat.Sink(compat_module, compat.helper_table(state.options)) if compat_module else None
    )
    token = compat.SINK.set(sink)
    try:
        new = wrapper.visit(_Pipeline(state, transformers))
    finally:
        compat.SINK.reset(token)
    wanted = [
        NewImport(item.module, item.obj_name, item.alias)
        for item in context.scratch.get(AddImportsVisitor.CONTEXT_KEY, ())
    ]
    if sink is not None and sink.names:
        # The helpers' own imports stay with them; the module imports the helpers.
        uses = _Uses()
        new.visit(uses)
        wanted = [i for i in wanted if (i.asname or i.obj or i.module.split(".")[0]) in uses.names]
        # Only what the module itself uses: a helper's helpers come with it.
        wanted += [NewImport(compat_module, n) for n in sorted(sink.names & uses.names)]
        first_party = first_party | {compat_module.split(".")[0]}
    if wanted:
        new = add_imports(new, wanted, first_party)
    removals = context.scratch.get(RemoveImportsVisitor.CONTEXT_KEY)
    if removals:
        new = _strip_new_leading_blank(module, remove_unused_imports(new, removals))
    # LibCST round-trips exactly: an untouched tree gives back the source.
    return new.code, sorted({*plan.findings, *state.findings})


def _strip_new_leading_blank(before: cst.Module, after: cst.Module) -> cst.Module:
    """A removed first import leaves the blank line after it at the top of the file."""
    if not after.body or not before.body or before.body[0].leading_lines:
        return after
    first = after.body[0]
    if first.leading_lines and all(line.comment is None for line in first.leading_lines):
        return after.with_changes(body=[first.with_changes(leading_lines=[]), *after.body[1:]])
    return after


def _catches_stop(kind: cst.BaseExpression | None) -> bool:
    """An ``except`` clause that catches StopIteration (bare, a base class, or named)."""
    if kind is None:
        return True
    names = [e.value for e in kind.elements] if isinstance(kind, cst.Tuple) else [kind]
    return any(
        isinstance(n, cst.Name) and n.value in ("StopIteration", "Exception", "BaseException")
        for n in names
    )


NEXT_HELPER = "_next_or_stop"
NEXT_SOURCE = f"""
def {NEXT_HELPER}(iterator):
    # next() inside a coroutine (added by asyncify): a StopIteration may not leave a
    # coroutine (Python turns it into RuntimeError), so the end of the iterator is
    # reported as StopAsyncIteration, which the awaiting callers catch.
    try:
        return next(iterator)
    except StopIteration:
        raise StopAsyncIteration from None
"""


AITER_HELPER = "_aiter_adaptive"
AITER_SOURCE = f"""
async def {AITER_HELPER}(iterable):
    # An iterable that may be one of the program's objects whose iteration became async,
    # or something else (added by asyncify, AFY113): iterate it the way it iterates.
    if hasattr(iterable, "__aiter__"):
        async for item in iterable:
            yield item
    else:
        for item in iterable:
            yield item
"""

ADAPTIVE_SOURCE = f"""
async def {ADAPTIVE_HELPER}(value):
    # A call that may reach a method that became async or something else (added by
    # asyncify, AFY113): await the result only if it is awaitable.
    if inspect.isawaitable(value):
        return await value
    return value
"""
