"""One compatibility module per converted program (issue 17, item 1).

The codemods add module-level helpers where a converted module needs them: requests'
text-decoding hook and the shared TLS context of the httpx clients, the aiohttp response
helpers, the subprocess and urlopen helpers, the ``--keep-sync-api`` runner, the adaptive
await (AFY113) and ``next()`` in a coroutine. Written into every converted module, each
would be a copy a reviewer reads again and again. With a compatibility module (the
default, ``compat-module = "_async_compat"``), ``codemod.add_helpers`` leaves the
definitions out and the module imports them instead (``from pkg._async_compat import
...``); the engine writes the one module that defines them (:func:`module_text`), beside
the program's top package (``pkg/_async_compat.py``) or, for scripts, in their folder.

A helper goes there only when its source is the one in :func:`helper_table` (the table of
every helper a codemod adds); any other stays in its module. An existing compatibility
module keeps its text and gets only the helpers it lacks, so a second run changes nothing.
"""

from __future__ import annotations

import builtins
import contextvars
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst

from asyncify.import_order import NewImport, add_imports
from asyncify.options import Options

DEFAULT_NAME = "_async_compat"
MARKER = "Compatibility helpers of the asyncio conversion"
HEADER = (
    f'"""{MARKER} (written by asyncify).\n\n'
    "The converted modules of this program import what they need from here, instead of\n"
    'each holding its own copy.\n"""\n'
)
# Packages whose submodules a helper names by their dotted path (`urllib.request.urlopen`).
_PACKAGES = frozenset({"urllib", "http", "email", "concurrent", "importlib", "xml", "collections"})
_THIRD_PARTY = frozenset({"httpx", "aiohttp", "charset_normalizer", "asyncpg", "aiofiles"})
_NAMES = {"Any": ("typing", "Any"), "Awaitable": ("collections.abc", "Awaitable")}


@dataclass
class Sink:
    """Where ``add_helpers`` puts the names of helpers left to the compatibility module."""

    module: str  # dotted name of the compatibility module
    table: Mapping[str, str]
    names: set[str] = field(default_factory=set)


SINK: contextvars.ContextVar[Sink | None] = contextvars.ContextVar("asyncify_compat", default=None)


def defined_name(statement: cst.CSTNode) -> str | None:
    """The name a helper statement defines (``def f`` / ``NAME = ...``)."""
    if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
        return statement.name.value
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        node = statement.body[0]
        if isinstance(node, cst.Assign) and isinstance(node.targets[0].target, cst.Name):
            return node.targets[0].target.value
    return None


def helper_table(options: Options) -> dict[str, str]:
    """Every helper a codemod can add for a run with ``options``: name -> source."""
    from asyncify import rewrite, syncapi
    from asyncify.codemods import http, http_aiohttp, http_compat, process, urlopen

    sources = [
        syncapi.RUNNER_SOURCE,
        rewrite.NEXT_SOURCE,
        rewrite.ADAPTIVE_SOURCE,
        http.ENCODING_HOOK_SOURCE,
        http.SSL_CONTEXT_SOURCE,
        http.HTTP_CLIENT_SOURCE,
        http_compat.TRANSPORT_SOURCE,
        http_compat.CLIENT_SOURCE,
        http_aiohttp.READ_SOURCE,
        http_aiohttp.CHARSET_SOURCE,
        http_aiohttp.TIMEOUT_SOURCE,
        *(source for source, _ in process.HELPERS.values()),
        urlopen.open_source(options),
        urlopen.EXCHANGE,
    ]
    table = {}
    for source in sources:
        name = defined_name(cst.parse_statement(source.strip() + "\n"))
        assert name is not None, source
        table[name] = source
    return table


def take(sources: Sequence[str]) -> list[str]:
    """The helper sources that stay in the module: those of the compatibility module are
    recorded (their names) instead, when one is in use."""
    sink = SINK.get()
    if sink is None:
        return list(sources)
    kept = []
    for source in sources:
        name = defined_name(cst.parse_statement(source.strip() + "\n"))
        if name is not None and sink.table.get(name, "").strip() == source.strip():
            sink.names.add(name)
        else:
            kept.append(source)
    return kept


@dataclass(frozen=True)
class Location:
    module: str  # dotted name
    path: Path


def location(files: Iterable[tuple[str, Path, bool]], root: Path, name: str) -> Location:
    """Where a program's compatibility module goes: in its top package when it has one,
    else beside its top-level modules (``root``). ``files``: (module, path, is a package)."""
    packages = {
        m: p for m, p, is_pkg in files if is_pkg and "." not in m and not m.startswith("test")
    }
    if len(packages) == 1:  # the program's one top package (its tests and scripts use it)
        top, init = next(iter(packages.items()))
        return Location(f"{top}.{name}", init.parent / f"{name}.py")
    return Location(name, root / f"{name}.py")


def needed(text: str, module: str) -> set[str]:
    """The names ``text`` imports from ``module`` (a converted file's helper imports)."""
    try:
        tree = cst.parse_module(text)
    except cst.ParserSyntaxError:
        return set()
    out: set[str] = set()
    for statement in tree.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for node in statement.body:
            if (
                isinstance(node, cst.ImportFrom)
                and node.module is not None
                and not node.relative
                and cst.helpers.get_full_name_for_node(node.module) == module
                and not isinstance(node.names, cst.ImportStar)
            ):
                out.update(cst.helpers.get_full_name_for_node(a.name) or "" for a in node.names)
    return out


def _order(names: set[str], table: Mapping[str, str]) -> list[str]:
    """``names`` and the helpers they use, each after those it uses, in table order."""
    uses = {
        n: {m for m in table if m != n and re.search(rf"\b{re.escape(m)}\b", table[n])}
        for n in table
    }
    wanted: set[str] = set()
    pending = list(names)
    while pending:
        name = pending.pop()
        if name in wanted or name not in table:
            continue
        wanted.add(name)
        pending.extend(uses[name])
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in ordered or name in visiting:  # helpers that use each other: either order
            return
        visiting.add(name)
        for used in sorted(uses[name], key=list(table).index):
            if used in wanted:
                visit(used)
        ordered.append(name)

    for name in table:
        if name in wanted:
            visit(name)
    # Constants (`NAME = ...`) first, then the functions: a blank-line layout as PEP 8's.
    return sorted(ordered, key=lambda n: not table[n].lstrip().startswith(n))


def _imports(sources: Iterable[str], defined: set[str]) -> list[NewImport]:
    """The imports the helpers' free names need."""
    out: list[NewImport] = []
    seen: set[tuple[str, str | None]] = set()

    class Names(cst.CSTVisitor):
        def visit_Attribute(self, node: cst.Attribute) -> bool:
            dotted = cst.helpers.get_full_name_for_node(node)
            if dotted and dotted.split(".")[0] in _PACKAGES and "." in dotted:
                add(".".join(dotted.split(".")[:2]), None)
                return False
            return True

        def visit_Name(self, node: cst.Name) -> None:
            name = node.value
            if name in defined or hasattr(builtins, name):
                return
            if name in _NAMES:
                add(*_NAMES[name])
            elif name in sys.stdlib_module_names or name in _THIRD_PARTY:
                add(name, None)

    def add(module: str, obj: str | None) -> None:
        if (module, obj) not in seen:
            seen.add((module, obj))
            out.append(NewImport(module, obj))

    for source in sources:
        cst.parse_module(source.strip() + "\n").visit(Names())
    return out


def module_text(existing: str | None, names: set[str], table: Mapping[str, str]) -> str | None:
    """The compatibility module with ``names`` (and what they use) defined: ``existing``
    with the helpers it lacks appended, or a new module; None when nothing is missing."""
    module = cst.parse_module(existing if existing is not None else HEADER)
    have = {defined_name(s) for s in module.body}
    missing = [n for n in _order(names, table) if n not in have]
    if not missing:
        return None
    blank = cst.EmptyLine()
    body = list(module.body)
    for name in missing:
        statement = cst.parse_statement(table[name].strip() + "\n")
        lines = [blank, blank] if isinstance(statement, cst.FunctionDef) else [blank]
        body.append(statement.with_changes(leading_lines=lines))
    module = module.with_changes(body=body)
    defined = {n for n in (defined_name(s) for s in body) if n}
    local = set()
    for statement in body:  # parameters and locals of the helpers are not imports
        for node in _bound_names(statement):
            local.add(node)
    imports = _imports((table[n] for n in defined if n in table), defined | local)
    return add_imports(module, imports).code


def _bound_names(statement: cst.CSTNode) -> set[str]:
    found: set[str] = set()

    class Bound(cst.CSTVisitor):
        def visit_Param(self, node: cst.Param) -> None:
            found.add(node.name.value)

        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            if isinstance(node.target, cst.Name):
                found.add(node.target.value)

        def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
            if isinstance(node.target, cst.Name):
                found.add(node.target.value)

        def visit_For(self, node: cst.For) -> None:
            if isinstance(node.target, cst.Name):
                found.add(node.target.value)

        def visit_AsName(self, node: cst.AsName) -> None:
            if isinstance(node.name, cst.Name):
                found.add(node.name.value)

        def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
            if isinstance(node.target, cst.Name):
                found.add(node.target.value)

        def visit_CompFor(self, node: cst.CompFor) -> None:
            if isinstance(node.target, cst.Name):
                found.add(node.target.value)

    statement.visit(Bound())
    return found
