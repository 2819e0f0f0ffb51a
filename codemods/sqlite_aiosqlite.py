"""sqlite3 → aiosqlite (``--sqlite-client aiosqlite``), for connections local to a function.

aiosqlite (https://aiosqlite.omnilib.dev/en/stable/api.html, checked against 0.22.1
``core.py``/``cursor.py``) runs one sqlite3 connection in its own thread and mirrors its
API with coroutines: ``await aiosqlite.connect(db, **sqlite3_kwargs)``, awaited
``execute/executemany/executescript/commit/rollback/close/cursor`` on the connection and
``execute/executemany/executescript/fetchone/fetchmany/fetchall/close`` on cursors, the
same ``rowcount``/``lastrowid``/``description``/``row_factory`` properties, ``async for``
over a cursor, and sqlite3's own exceptions. Two differences shape the conversion:

* ``async with aiosqlite.connect(...)`` closes the connection, while sqlite3's ``with
  conn:`` is a transaction (commit, or roll back on an exception) that leaves it open. So
  ``with conn:`` becomes ``try: … except BaseException: await conn.rollback(); raise
  finally: await conn.commit()`` and ``with sqlite3.connect(...) as conn:`` first assigns
  ``conn = await aiosqlite.connect(...)``.
* A converted connection can only be used from async code. asyncify converts a connection
  only when it is made in the function (``conn = sqlite3.connect(...)`` or ``with``) and
  every use of it and of its cursors there is one it rewrites; a connection that is
  returned, passed, stored or used in a nested function keeps the default target (each
  call in ``asyncio.to_thread``), with AFY440.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from asyncify.codemod import dotted
from asyncify.codemods.blocking import SQLITE_CONNECT, Blocking
from asyncify.findings import Code

KEPT_IN_THREADS = Code(
    "AFY440",
    "sqlite3 connection kept in worker threads: asyncify converts to aiosqlite only a"
    " connection made and used within one function",
    "use the connection only inside the function that opens it (or convert it by hand to"
    " `await aiosqlite.connect(...)` and await every use)",
    level="note",
    doc="""
    With `--sqlite-client aiosqlite`, a sqlite3 connection becomes an aiosqlite connection
    when it is opened in the function (`conn = sqlite3.connect(...)` or `with
    sqlite3.connect(...) as conn:`) and every use of it and of its cursors in that function
    is a call asyncify awaits (`execute`, `fetchone`, `commit`, ...), a property
    (`rowcount`, `lastrowid`, `description`, `row_factory`, `total_changes`), a `for` over a
    cursor or a `with conn:` block. A connection that leaves the function (returned, passed
    to another function, stored in an attribute, used in a nested function or a lambda)
    could reach code that stays synchronous and would then get coroutines instead of
    results; so it keeps the default: each call runs in `asyncio.to_thread` (AFY701).

    Before:

    ```python
    def open_db(path):
        return sqlite3.connect(path)
    ```

    After (by hand, with every caller awaiting its uses):

    ```python
    async def open_db(path):
        return await aiosqlite.connect(path)
    ```
    """,
)

CONNECTION_METHODS = frozenset(
    {"cursor", "execute", "executemany", "executescript", "commit", "rollback", "close"}
)
CURSOR_METHODS = frozenset(
    {"execute", "executemany", "executescript", "fetchone", "fetchmany", "fetchall", "close"}
)
PROPERTIES = frozenset(
    {"rowcount", "lastrowid", "description", "row_factory", "total_changes", "in_transaction"}
)
RETURNS_CURSOR = frozenset({"cursor", "execute", "executemany", "executescript"})


@dataclass
class _Local:
    """One function's aiosqlite conversion: what to rewrite, or why not."""

    connects: set[cst.Call] = field(default_factory=set)
    awaited: set[cst.Call] = field(default_factory=set)
    fors: set[cst.For] = field(default_factory=set)
    transactions: set[cst.With] = field(default_factory=set)  # `with conn:`


class _Nodes(cst.CSTVisitor):
    """Every node of a function body (nested scopes included) with its ancestors."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[cst.CSTNode] = []
        self.nodes: list[tuple[cst.CSTNode, tuple[cst.CSTNode, ...]]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.nodes.append((node, tuple(self.stack)))
        self.stack.append(node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.stack.pop()


class BlockingAiosqlite(Blocking):
    """The ``blocking`` codemod with ``--sqlite-client aiosqlite`` (Blocking.variant)."""

    NAME = ""  # not a codemod of its own
    DESCRIPTION = "other blocking calls → asyncio.to_thread; sqlite3 → aiosqlite"

    def __init__(self, state: object) -> None:
        super().__init__(state)  # type: ignore[arg-type]
        self.locals: list[_Local | None] = []

    @property
    def local(self) -> _Local | None:
        return self.locals[-1] if self.locals else None

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.locals.append(self.analyse(node) if self.in_async() else None)

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        self.locals.pop()
        return updated_node

    # -- analysis (original nodes) ---------------------------------------------------
    def analyse(self, fn: cst.FunctionDef) -> _Local | None:
        """The connections made in ``fn`` that convert, each decided on its own (with its
        cursors); the others are reported and keep their threads."""
        walk = _Nodes()
        fn.body.visit(walk)
        connects: dict[str, set[cst.Call]] = {}
        kept: set[str] = set()  # names bound to a connect that cannot convert
        for node, parents in walk.nodes:
            if isinstance(node, cst.Call) and self.api_of(node) == SQLITE_CONNECT:
                name = _bound_name(node, parents)
                if name is None:
                    self.report(KEPT_IN_THREADS, node, "`sqlite3.connect` not bound to a name")
                elif any(a.keyword is None or a.star for a in node.args[1:]) or any(
                    a.star for a in node.args
                ):
                    self.report(KEPT_IN_THREADS, node, "positional or * arguments after the path")
                    kept.add(name)
                else:
                    connects.setdefault(name, set()).add(node)
        for name in kept:
            connects.pop(name, None)
        if not connects:
            return None
        params = {p.name.value for p in fn.params.params}
        merged = _Local()
        for conn in sorted(connects):
            local = _Local(connects=connects[conn])
            problem, at = self.check_connection(conn, walk, params, local)
            if problem:
                if at is not None:
                    self.report(KEPT_IN_THREADS, at, problem)
                continue
            merged.connects |= local.connects
            merged.awaited |= local.awaited
            merged.fors |= local.fors
            merged.transactions |= local.transactions
        return merged

    def check_connection(
        self, conn: str, walk: _Nodes, params: set[str], local: _Local
    ) -> tuple[str, cst.CSTNode | None]:
        """Why connection ``conn`` (and its cursors) cannot convert, and where; ("", None)
        when every use is one the rewrite follows (recorded in ``local``)."""
        names = {conn}
        changed = True
        while changed:  # cursors: names bound to a cursor-returning call of the group
            changed = False
            for node, parents in walk.nodes:
                if (
                    isinstance(node, cst.Call)
                    and isinstance(node.func, cst.Attribute)
                    and isinstance(node.func.value, cst.Name)
                    and node.func.value.value in names
                    and node.func.attr.value in RETURNS_CURSOR
                ):
                    name = _bound_name(node, parents)
                    if name is not None and name not in names:
                        names.add(name)
                        changed = True
        if names & params:
            return "a parameter has the name of the connection or a cursor", None
        for node, parents in walk.nodes:
            if not isinstance(node, cst.Name) or node.value not in names:
                continue
            problem = self.use_problem(node, parents, node.value == conn, names, local)
            if problem:
                return problem, node
        # A cursor a call returns without a name: `conn.execute(q).fetchall()`, a statement,
        # or `for row in conn.execute(q)`; anything else would let it escape.
        for node, parents in walk.nodes:
            if not (isinstance(node, cst.Call) and node in local.awaited):
                continue
            assert isinstance(node.func, cst.Attribute)
            if node.func.attr.value not in RETURNS_CURSOR or _bound_name(node, parents):
                continue
            parent = parents[-1] if parents else None
            grand = parents[-2] if len(parents) >= 2 else None
            if isinstance(parent, cst.Expr) or (
                isinstance(parent, cst.For) and parent.iter is node
            ):
                continue
            if isinstance(parent, cst.Attribute) and parent.value is node:
                if isinstance(grand, cst.Call) and grand.func is parent:
                    if parent.attr.value in CURSOR_METHODS:
                        local.awaited.add(grand)
                        continue
                elif parent.attr.value in PROPERTIES:
                    continue
            return "a cursor used as a value", node
        return "", None

    def use_problem(
        self,
        name: cst.Name,
        parents: tuple[cst.CSTNode, ...],
        is_conn: bool,
        names: set[str],
        local: _Local,
    ) -> str:
        """Why this use of a converted connection or cursor cannot be rewritten, or ""."""
        if any(
            isinstance(p, (cst.FunctionDef, cst.Lambda, cst.GeneratorExp, cst.ClassDef))
            for p in parents
        ):
            return f"`{name.value}` used in a nested function, lambda or generator expression"
        parent = parents[-1] if parents else None
        grand = parents[-2] if len(parents) >= 2 else None
        if isinstance(parent, cst.AssignTarget) or (
            isinstance(parent, cst.AsName) and isinstance(grand, cst.WithItem)
        ):
            value: cst.BaseExpression | None = None
            if isinstance(grand, cst.Assign):
                value = grand.value
            elif isinstance(grand, cst.WithItem):
                value = grand.item
            if isinstance(value, cst.Call) and (
                value in local.connects
                or (
                    isinstance(value.func, cst.Attribute)
                    and isinstance(value.func.value, cst.Name)
                    and value.func.value.value in names
                    and value.func.attr.value in RETURNS_CURSOR
                )
            ):
                return ""  # its binding: the connect, or a cursor of the group
            return f"`{name.value}` assigned another value"
        if isinstance(parent, cst.Attribute) and parent.value is name:
            attr = parent.attr.value
            if isinstance(grand, cst.Call) and grand.func is parent:
                methods = CONNECTION_METHODS if is_conn else CURSOR_METHODS
                if attr not in methods:
                    return f"`{name.value}.{attr}()`"
                local.awaited.add(grand)
                return ""
            if attr in PROPERTIES:
                if isinstance(grand, cst.AssignTarget) and attr != "row_factory":
                    return f"`{name.value}.{attr}` assigned"
                return ""
            return f"`{name.value}.{attr}`"
        if isinstance(parent, cst.For) and parent.iter is name and not is_conn:
            local.fors.add(parent)
            return ""
        if (
            is_conn
            and isinstance(parent, cst.WithItem)
            and parent.item is name
            and isinstance(grand, cst.With)
            and len(grand.items) == 1
        ):
            local.transactions.add(grand)
            return ""
        return f"`{name.value}` used as a value"

    # -- rewriting (updated nodes) ---------------------------------------------------
    def leave_Call(
        self, original_node: cst.Call, updated_node: cst.BaseExpression
    ) -> cst.BaseExpression:
        local = self.local
        if local is None or not isinstance(updated_node, cst.Call):
            return super().leave_Call(original_node, updated_node)
        if self.state.is_skipped(original_node):
            return updated_node
        if original_node in local.connects:
            self.remove_import_of(original_node.func)
            self.add_import("aiosqlite")
            return cst.Await(updated_node.with_changes(func=dotted("aiosqlite.connect")))
        if original_node in local.awaited:
            return cst.Await(updated_node)
        return super().leave_Call(original_node, updated_node)

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.BaseExpression:
        if isinstance(updated_node.value, cst.Await) and not updated_node.value.lpar:
            return updated_node.with_changes(value=_parenthesized(updated_node.value))
        return updated_node

    def leave_Subscript(
        self, original_node: cst.Subscript, updated_node: cst.Subscript
    ) -> cst.BaseExpression:
        if isinstance(updated_node.value, cst.Await) and not updated_node.value.lpar:
            return updated_node.with_changes(value=_parenthesized(updated_node.value))
        return updated_node

    def leave_For(self, original_node: cst.For, updated_node: cst.For) -> cst.For:
        local = self.local
        if local is not None and original_node in local.fors:
            return updated_node.with_changes(asynchronous=cst.Asynchronous())
        if (
            local is not None
            and isinstance(original_node.iter, cst.Call)
            and original_node.iter in local.awaited
            and isinstance(original_node.iter.func, cst.Attribute)
            and original_node.iter.func.attr.value in RETURNS_CURSOR
        ):
            return updated_node.with_changes(asynchronous=cst.Asynchronous())
        return updated_node

    def leave_With(
        self, original_node: cst.With, updated_node: cst.With
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement]:
        local = self.local
        if local is None or len(original_node.items) != 1:
            return updated_node
        item = original_node.items[0]
        is_connect = isinstance(item.item, cst.Call) and item.item in local.connects
        if not is_connect and original_node not in local.transactions:
            return updated_node
        body = updated_node.body
        assert isinstance(body, cst.IndentedBlock)
        conn = updated_node.items[0].item
        statements: list[cst.BaseStatement] = []
        if item.asname is not None:
            target = item.asname.name
            assert isinstance(target, cst.Name)
            statements.append(
                cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(target)], conn)])
            )
            conn = target
        statements.append(_transaction(conn, body))
        statements[0] = statements[0].with_changes(leading_lines=updated_node.leading_lines)
        return cst.FlattenSentinel(statements)


def _bound_name(call: cst.Call, parents: tuple[cst.CSTNode, ...]) -> str | None:
    """``name = <call>`` or ``with <call> as name:``: the name, else None."""
    parent = parents[-1] if parents else None
    if (
        isinstance(parent, cst.Assign)
        and len(parent.targets) == 1
        and isinstance(parent.targets[0].target, cst.Name)
    ):
        return parent.targets[0].target.value
    if (
        isinstance(parent, cst.WithItem)
        and parent.asname is not None
        and isinstance(parent.asname.name, cst.Name)
        and len(parents) >= 2
        and isinstance(parents[-2], cst.With)
        and len(parents[-2].items) == 1
    ):
        return parent.asname.name.value
    return None


def _parenthesized(node: cst.Await) -> cst.Await:
    return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def _transaction(conn: cst.BaseExpression, body: cst.IndentedBlock) -> cst.Try:
    """sqlite3's ``with conn:``: commit on exit, roll back on an exception; stay open."""

    def call(method: str) -> cst.SimpleStatementLine:
        func = cst.Attribute(value=conn.deep_clone(), attr=cst.Name(method))
        return cst.SimpleStatementLine([cst.Expr(cst.Await(cst.Call(func=func)))])

    return cst.Try(
        body=body,
        handlers=[
            cst.ExceptHandler(
                body=cst.IndentedBlock([call("rollback"), cst.SimpleStatementLine([cst.Raise()])]),
                type=cst.Name("BaseException"),
            )
        ],
        finalbody=cst.Finally(body=cst.IndentedBlock([call("commit")])),
    )
