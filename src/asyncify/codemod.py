"""The codemod API: what a library mapping in ``codemods/`` declares and overrides.

A codemod is a module in ``asyncify.codemods`` with one :class:`Codemod` subclass. It
declares, as data:

* ``APIS``: the blocking APIs it maps, by qualified name, with the type each returns so
  that the index can follow values (``s = requests.Session()`` makes ``s.get`` the API
  ``requests.Session.get``). A function that calls a blocking API becomes async.
* ``ALIASES``: other qualified spellings of the same API (``requests.api.get``).

and rewrites, as a LibCST transformer: ``leave_Call`` / ``leave_With`` / … methods that
receive the *original* node (use it for :meth:`name_of`, :meth:`type_of`, positions) and
the updated node, which an earlier codemod may already have replaced (check its type).
All codemods and the propagation transform run in one pass over the tree
(:mod:`asyncify.rewrite`), so positions always refer to the file as it was read.

The same class is a LibCST ``VisitorBasedCodemodCommand`` through :func:`command_for`,
for ``python -m libcst.tool codemod``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import libcst as cst
from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor

from asyncify.findings import Code

if TYPE_CHECKING:
    from asyncify.options import Options
    from asyncify.plan import ModulePlan
    from asyncify.rewrite import RewriteState


@dataclass(frozen=True)
class Api:
    """A blocking API a codemod maps (a row of its table)."""

    name: str  # qualified name as the index resolves it: "time.sleep", "requests.Session.get"
    returns: str = ""  # qualified type of the result, "" if not tracked
    blocking: bool = True  # calling it blocks: the calling function becomes async
    weak: bool = False  # seeds only when on an async path already (unless --select names it)
    # Rewritten even in a module with no async code (a constructor whose object changes
    # class, like requests.Session → httpx.AsyncClient). Other APIs are rewritten only
    # where the plan makes something async, which lets most files skip LibCST entirely.
    anywhere: bool = False
    # The converted call still calls this same function (``asyncio.to_thread(f, ...)``), so
    # a test's ``mock.patch`` of it still intercepts. Other converted APIs are no longer
    # called at all, and a patch of them silently stops mocking (codemods/mocks.py).
    keeps_callee: bool = False
    # What the converted call calls instead, with the same arguments and looked up when
    # called (time.sleep → asyncio.sleep): a patch of this is then a patch of that.
    replaced_by: str = ""
    # Keywords whose conversion depends on their value at run time (a codemod converts a
    # call passing one of them, not as a literal, or `**kwargs`, differently): the plan
    # says which types some call anywhere in the program makes so (`run_time_types`).
    run_time_keywords: frozenset[str] = frozenset()


class Codemod(cst.CSTTransformer):
    """Base class of the library mappings."""

    NAME: ClassVar[str] = ""
    DESCRIPTION: ClassVar[str] = ""
    APIS: ClassVar[Sequence[Api]] = ()
    ALIASES: ClassVar[dict[str, str]] = {}
    # Types whose instances iterate to another type (a file iterates to str lines).
    ITERATES: ClassVar[dict[str, str]] = {}
    # pytest fixtures a library ships: parameter name -> the type of the fixture's value.
    FIXTURES: ClassVar[dict[str, str]] = {}

    def __init__(self, state: RewriteState) -> None:
        super().__init__()
        self.state = state

    # -- what the plan knows about a node (pass the *original* node) --------------
    def name_of(self, node: cst.CSTNode) -> str:
        """Qualified name a callee/attribute expression refers to, or ""."""
        return self.state.name_of(node)

    def type_of(self, node: cst.CSTNode) -> str:
        """Qualified type of a name/attribute value, or ""."""
        return self.state.type_of(node)

    def api_of(self, call: cst.Call) -> str:
        """The mapped API a call (original node) invokes, if it is one of ours."""
        name = self.name_of(call.func)
        return name if name in self.api_names() else ""

    @classmethod
    def apis_for(cls, options: Options) -> Sequence[Api]:
        """The ``APIS`` table of a run: a codemod whose target library is an option (the
        ``http`` codemod's ``--http-client``) may change which APIs block."""
        return cls.APIS

    @classmethod
    def variant(cls, options: Options) -> type[Codemod]:
        """The class that does this codemod's work in a run with ``options`` (the ``http``
        codemod's ``--http-client thread`` keeps requests and only moves calls to threads)."""
        return cls

    @classmethod
    def api_names(cls) -> frozenset[str]:
        return frozenset(api.name for api in cls.APIS)

    @classmethod
    def concerns(cls, names: Iterable[str]) -> bool:
        """Whether a module whose plan mentions ``names`` has anything for this codemod.

        The pipeline runs only the codemods a module concerns: the others' visitors
        would walk the whole tree for nothing.
        """
        apis = cls.api_names()
        types = frozenset(api.returns for api in cls.APIS if api.returns)
        return any(n in apis or n in types or n.rpartition(".")[0] in types for n in names)

    @classmethod
    def concerns_plan(cls, plan: ModulePlan) -> bool:
        """Whether a module plan holds work for this codemod beyond the API names it
        mentions (:meth:`concerns`): the mock codemod looks at patch sites and tests."""
        return False

    def imported_name(self, node: cst.BaseExpression) -> str:
        """Qualified name of a ``Name`` / ``a.b`` expression from this file's imports only
        (``mock.patch`` after ``from unittest import mock`` is ``unittest.mock.patch``;
        ``requests.exceptions.X`` after ``import requests.exceptions`` is itself), for names
        the plan does not record; the codemods' ``qualified`` add their aliases to it."""
        parts: list[str] = []
        while isinstance(node, cst.Attribute):
            parts.append(node.attr.value)
            node = node.value
        if not isinstance(node, cst.Name) or node.value not in self.state.bindings:
            return ""
        module, obj, asname = self.state.bindings[node.value]
        if obj:
            head = f"{module}.{obj}"
        else:  # `import a.b` binds `a`; `import a.b as c` binds `a.b`
            head = module if asname else module.split(".")[0]
        return ".".join([head, *reversed(parts)])

    def in_async(self) -> bool:
        """Whether the function being rewritten is (or becomes) ``async def``."""
        return self.state.in_async()

    def should_convert(self, call: cst.Call) -> bool:
        """A blocking call is converted only inside async code and off skipped lines."""
        return self.in_async() and not self.state.is_skipped(call)

    # -- output helpers --------------------------------------------------------
    def report(self, code: Code, node: cst.CSTNode, detail: str = "") -> None:
        self.state.report(code, node, detail)

    def add_import(self, module: str, obj: str | None = None, asname: str | None = None) -> None:
        AddImportsVisitor.add_needed_import(self.state.context, module, obj, asname)

    def remove_import(self, module: str, obj: str | None = None, asname: str | None = None) -> None:
        RemoveImportsVisitor.remove_unused_import(self.state.context, module, obj, asname)

    def remove_import_of(self, node: cst.BaseExpression) -> None:
        """Schedule removal of the import that the name or ``a.b`` chain ``node`` used.

        LibCST removes it only if nothing else uses it once the rewrite is done.
        """
        while isinstance(node, cst.Attribute):
            node = node.value
        if isinstance(node, cst.Name):
            for module, obj, asname in self.state.all_bindings.get(node.value, ()):
                RemoveImportsVisitor.remove_unused_import(self.state.context, module, obj, asname)


def after_header(body: Sequence[cst.BaseStatement]) -> int:
    """Where module-level helpers a codemod adds go: after the docstring and the imports."""
    at = 0
    for i, stmt in enumerate(body):
        if isinstance(stmt, cst.SimpleStatementLine) and (
            all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body)
            or (
                i == 0
                and isinstance(stmt.body[0], cst.Expr)
                and isinstance(stmt.body[0].value, cst.SimpleString)
            )
        ):
            at = i + 1
        else:
            break
    return at


def awaited(expr: cst.BaseExpression) -> cst.Await:
    return cst.Await(expression=expr)


def dotted(name: str) -> cst.Attribute | cst.Name:
    """``a.b.c`` as an expression."""
    parsed = cst.parse_expression(name)
    assert isinstance(parsed, (cst.Attribute, cst.Name))
    return parsed


# `name=value` as PEP 8 writes keyword arguments, and ", " between arguments.
NO_SPACES = cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace(""))
COMMA = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def keyword_arg(name: str, value: cst.BaseExpression) -> cst.Arg:
    """``name=value``."""
    return cst.Arg(value, keyword=cst.Name(name), equal=NO_SPACES)


def commas(args: Sequence[cst.Arg]) -> list[cst.Arg]:
    """``args`` separated by ", ", with no comma after the last."""
    last = len(args) - 1
    return [
        a.with_changes(comma=COMMA if i < last else cst.MaybeSentinel.DEFAULT)
        for i, a in enumerate(args)
    ]


def call(name: str, *args: cst.Arg) -> cst.Call:
    return cst.Call(func=dotted(name), args=args)


def add_helpers(module: cst.Module, sources: Sequence[str]) -> cst.Module:
    """``module`` with module-level helpers (functions or ``NAME = ...`` lines, each
    given as source) after its header.

    A helper the module already defines at top level is not added again, so converting
    converted code changes nothing. Two blank lines go before each helper function and
    after the last, as PEP 8 spaces top-level functions. With a compatibility module
    (``compat.SINK``), its helpers are left out: the module imports them from there.
    """
    from asyncify import compat

    sources = compat.take(sources)  # those of the program's compatibility module: imported
    body = list(module.body)
    defined = {compat.defined_name(stmt) for stmt in body} - {None}
    blank = cst.EmptyLine()
    added: list[cst.SimpleStatementLine | cst.BaseCompoundStatement] = []
    for source in sources:
        stmt = cst.parse_statement(source.lstrip())
        if compat.defined_name(stmt) in defined:
            continue
        if isinstance(stmt, cst.FunctionDef):
            added.append(stmt.with_changes(leading_lines=[blank, blank]))
        else:
            added.append(stmt.with_changes(leading_lines=[]))
    if not added:
        return module
    at = after_header(body)
    if at < len(body):
        following = body[at]
        comments = [ln for ln in following.leading_lines if ln.comment is not None]
        body[at] = following.with_changes(leading_lines=[blank, blank, *comments])
    body[at:at] = added
    return module.with_changes(body=body)
