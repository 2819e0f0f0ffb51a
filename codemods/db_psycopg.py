"""psycopg2 → psycopg 3 (``--db-client psycopg``): ``psycopg.AsyncConnection``.

psycopg 3 keeps psycopg2's DB-API cursors, ``%s``/``%(name)s`` placeholders and its
implicit transactions (https://www.psycopg.org/psycopg3/docs/basic/from_pg2.html), so the
conversion keeps the code's shape and awaits what became a coroutine:

* ``psycopg2.connect(...)`` → ``await psycopg.AsyncConnection.connect(...)`` (the same
  DSN; ``database=`` → ``dbname=``); ``commit/rollback/close`` → awaited.
* ``conn.cursor()`` stays (it does not wait); ``with conn.cursor() as cur`` → ``async
  with``; ``execute/executemany/fetch*``/``close`` → awaited; ``for row in cur`` → ``async
  for``. ``cursor_factory=RealDictCursor/NamedTupleCursor/DictCursor`` → ``row_factory=``.
* ``with conn:`` is a transaction that does **not** close in psycopg2, while psycopg 3's
  ``async with conn:`` closes it; ``conn.transaction()`` would only be a savepoint inside
  the implicit transaction a previous statement opened. So it becomes ``try: … except
  BaseException: await conn.rollback(); raise finally: await conn.commit()``.
* Server-side binding (psycopg 3's default) changes what some queries mean
  (https://www.psycopg.org/psycopg3/docs/basic/from_pg2.html#server-side-binding): such a
  query's cursor is a ``psycopg.AsyncClientCursor`` (AFY420); ``IN %s`` with a tuple →
  ``= ANY(%s)`` with ``list(...)``.
* Pools → ``psycopg_pool.AsyncConnectionPool`` (https://www.psycopg.org/psycopg3/docs/
  advanced/pool.html), opened like psycopg2's (connections made at creation).
* Exceptions keep their names (``psycopg.errors`` has the same SQLSTATE classes);
  ``e.pgcode`` → ``e.sqlstate``; ``Json(x)`` → ``json.dumps(x)`` (psycopg2 sends an
  untyped literal, psycopg 3's ``Json`` a json-typed parameter that ``= jsonb`` rejects).

Which functions convert, all or nothing per connection, is the psycopg2 analysis of
:class:`codemods.db.Db` (shared); this class changes what each analysed use becomes.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import ClassVar

import libcst as cst

from asyncify.codemod import dotted, keyword_arg
from asyncify.codemods import db
from asyncify.codemods import db_psycopg_codes as codes
from asyncify.codemods.db import (
    CONNECTION,
    CURSOR,
    PREPARABLE,
    Db,
    _Exec,
    _first_word,
    _FnPlan,
    _pieces,
    _pool_args,
    _query_args,
    _query_text,
    _rebuild_template,
    _template,
    _Unsupported,
    convert_placeholders,
)
from asyncify.findings import Code

# Awaited in psycopg 3 though not in the asyncpg mapping (which removes cursors).
APIS = tuple(
    dataclasses.replace(api, blocking=True) if api.name == f"{CURSOR}.close" else api
    for api in db.APIS
)
# The asyncpg target's codes the shared analysis raises -> this target's.
FOR_ASYNCPG_CODE: dict[str, Code] = {
    db.NOT_UNDERSTOOD.code: codes.NOT_UNDERSTOOD,
    db.NON_LITERAL_QUERY.code: codes.NOT_UNDERSTOOD,
    db.SQL_COMPOSITION.code: codes.SQL_COMPOSITION,
    db.NAMED_CURSOR.code: codes.NAMED_CURSOR,
    db.COPY.code: codes.COPY,
    db.NOTIFY_POLL.code: codes.NOTIFY_POLL,
    db.LASTROWID.code: codes.LASTROWID,
    db.CONNECTION_SETTING.code: codes.CONNECTION_SETTING,
    db.UNSUPPORTED_CONNECT.code: codes.UNSUPPORTED_CONNECT,
    db.MODULE_POOL.code: codes.MODULE_POOL,
}
# psycopg2 exception -> the psycopg 3 class of the same name (DB-API classes at the top
# level, SQLSTATE classes in psycopg.errors).
EXCEPTIONS: dict[str, tuple[str, ...]] = {
    name: ("psycopg." + name.rpartition(".")[2],)
    if ".errors." not in name
    else ("psycopg.errors." + name.rpartition(".")[2],)
    for name in db.EXCEPTIONS
}
ROW_FACTORIES = {
    "psycopg2.extras.RealDictCursor": "psycopg.rows.dict_row",
    "psycopg2.extras.DictCursor": "_dict_cursor_row",
    "psycopg2.extras.NamedTupleCursor": "_named_tuple_row",
}
# psycopg2.connect() arguments psycopg 3 does not take.
PSYCOPG2_ONLY = ("connection_factory", "cursor_factory", "async", "async_")
# Types psycopg 3 returns differently (AFY423).
CHANGED_TYPES = re.compile(r"\b(uuid|inet|cidr|bytea|money)\b", re.IGNORECASE)
_IN_PLACEHOLDER = re.compile(r"\bIN\s*(%s|%\([^)]*\)s)", re.IGNORECASE)
HELPERS: dict[str, tuple[tuple[str, ...], str]] = {
    **db.HELPERS,
    "_open_pool": (
        (),
        '''
async def _open_pool(pool):
    """psycopg2's pools connect their minconn connections when they are created."""
    await pool.open(wait=True)
    return pool
''',
    ),
    "_execute_values_fetch": (
        (),
        '''
async def _execute_values_fetch(cursor, query, rows):
    """psycopg2's execute_values(..., fetch=True): the rows every statement returned."""
    rows = list(rows)
    if not rows:
        return []
    await cursor.executemany(query, rows, returning=True)
    fetched = []
    while True:
        fetched.extend(await cursor.fetchall())
        if not cursor.nextset():
            return fetched
''',
    ),
    "_dict_cursor_row": (
        (),
        '''
def _dict_cursor_row(cursor):
    """psycopg 3 row factory making psycopg2's DictCursor rows."""
    names = [column.name for column in cursor.description or ()]
    return lambda values: _DictRow(dict(zip(names, values)))
''',
    ),
    "_named_tuple_row": (
        (),
        '''
def _named_tuple_row(cursor):
    """psycopg 3 row factory making psycopg2's NamedTupleCursor rows (called Record)."""
    names = [column.name for column in cursor.description or ()]
    return lambda values: _named_row(dict(zip(names, values)))
''',
    ),
}
# Helpers a helper calls.
NEEDS = {"_dict_cursor_row": "_DictRow", "_named_tuple_row": "_named_row"}


class DbPsycopg(Db):
    """The ``db`` codemod with ``--db-client psycopg`` (:meth:`Db.variant` picks it)."""

    NAME = ""  # not a codemod of its own
    DESCRIPTION = "psycopg2 → psycopg 3 AsyncConnection (same cursors, placeholders, transactions)"
    APIS = APIS
    HELPER_SOURCES: ClassVar[dict[str, tuple[tuple[str, ...], str]]] = HELPERS
    EXCEPTION_TABLE: ClassVar[dict[str, tuple[str, ...]]] = EXCEPTIONS

    def __init__(self, state: object) -> None:
        super().__init__(state)
        self.cursor_calls: dict[str, cst.Call] = {}  # cursor name -> creation (one function)
        self.creations: dict[cst.Call, str] = {}  # cursor creation -> row factory ("" none)
        self.client_cursors: set[cst.Call] = set()  # creations that bind client-side
        self.awaited: set[cst.Call] = set()  # fetches, cursor closes
        self.async_fors: set[cst.For] = set()
        self.in_lists: dict[cst.Call, tuple[dict[int, str], set[int]]] = {}  # IN %s rewrites

    # -- findings: this target's codes ------------------------------------------------
    def report(self, code: Code, node: cst.CSTNode, detail: str = "") -> None:
        if code is db.TYPE_DIFFERENCE:
            return  # asyncpg's type notes; AFY423 is this target's
        super().report(FOR_ASYNCPG_CODE.get(code.code, code), node, detail)

    # -- analysis (original nodes): what the shared analysis leaves to the target ------
    def analyse(self, fn: cst.FunctionDef, plan: _FnPlan) -> None:
        self.cursor_calls = {}
        super().analyse(fn, plan)

    def check_connect(self, node: cst.Call, parents: tuple[cst.CSTNode, ...]) -> None:
        """psycopg 3 takes psycopg2's DSN strings and libpq keywords as they are; only
        where the connection goes, and psycopg2-only arguments, are checked."""
        for arg in node.args:
            if arg.star:
                raise _Unsupported(db.UNSUPPORTED_CONNECT, node, "*args/**kwargs")
            if arg.keyword is not None and arg.keyword.value in PSYCOPG2_ONLY:
                raise _Unsupported(db.UNSUPPORTED_CONNECT, node, f"`{arg.keyword.value}=`")
        super().check_connect(node.with_changes(args=()), parents)

    def cursor_creation(
        self,
        node: cst.Call,
        parents: tuple[cst.CSTNode, ...],
        plan: _FnPlan,
        cursors: dict[str, tuple[cst.BaseExpression, str]],
    ) -> None:
        before = set(cursors)
        super().cursor_creation(node, parents, plan, cursors)
        for name in set(cursors) - before:
            self.cursor_calls[name] = node
        factory = next(
            (
                self.qualified(a.value)
                for a in node.args
                if a.keyword is not None and a.keyword.value == "cursor_factory"
            ),
            "",
        )
        self.creations[node] = ROW_FACTORIES.get(factory, "")

    def cursor_member(
        self,
        cursor: str,
        attr: cst.Attribute,
        parents: tuple[cst.CSTNode, ...],
        plan: _FnPlan,
        cursors: dict[str, tuple[cst.BaseExpression, str]],
        execs: dict[str, list[_Exec]],
    ) -> None:
        name = attr.attr.value
        parent = parents[-1] if parents else None
        called = isinstance(parent, cst.Call) and parent.func is attr
        if not called and name in ("rowcount", "description", "statusmessage", "rownumber"):
            return  # the same attributes on a psycopg 3 cursor
        if called and isinstance(parent, cst.Call) and name in ("fetchone", "fetchall"):
            self.awaited.add(parent)
            return
        if called and isinstance(parent, cst.Call) and name == "fetchmany":
            self.awaited.add(parent)
            return
        if called and isinstance(parent, cst.Call) and name == "close":
            self.awaited.add(parent)
            return
        super().cursor_member(cursor, attr, parents, plan, cursors, execs)

    def pair_read(
        self,
        cursor: str,
        read: cst.CSTNode,
        kind: str,
        at: cst.CSTNode,
        execs: dict[str, list[_Exec]],
    ) -> None:
        """Reads need no pairing: psycopg 3 cursors keep their results (``for row in cur``
        is the only read that reaches here)."""
        if isinstance(read, cst.For):
            self.async_fors.add(read)
        elif isinstance(read, cst.Call):
            self.awaited.add(read)

    def check_values(
        self, call: cst.Call, conn: cst.BaseExpression
    ) -> tuple[cst.BaseExpression, str, list[str] | None, bool]:
        """``execute_values`` → ``executemany`` with the row template in place of ``%s``."""
        result = super().check_values(call, conn)
        query = next(
            (a.value for a in call.args if a.keyword is not None and a.keyword.value == "sql"),
            None,
        )
        if query is None:
            query = [a.value for a in call.args if a.keyword is None][1]
        pieces = _pieces(query)
        assert pieces is not None
        template = self.values_template[call]
        texts: dict[int, str] = {}
        for node, piece in pieces:
            head, found, tail = piece.replace("%%", "\0").partition("%s")
            if found:
                piece = head.replace("\0", "%%") + template + tail.replace("\0", "%%")
            texts[id(node)] = piece
        self.values_text[call] = texts
        return result

    def check_query(
        self, call: cst.Call, rowcount: bool, many: bool = False, offset: int = 0
    ) -> None:
        """Whether psycopg 3's server-side binding keeps what the query means; if not, its
        cursor binds client-side (AFY420). ``IN %s`` becomes ``= ANY(%s)``."""
        query, params = _query_args(call, offset)
        if query is None:
            raise _Unsupported(codes.NOT_UNDERSTOOD, call, "no query")
        if isinstance(query, cst.Call) and self.qualified(query.func).startswith("psycopg2.sql."):
            raise _Unsupported(codes.SQL_COMPOSITION, query)
        text = _template(query)
        if text is not None and CHANGED_TYPES.search(text):
            self.report(codes.TYPE_DIFFERENCE, query)
        if params is None or (isinstance(params, cst.Name) and params.value == "None"):
            return  # no parameters: the query is sent as it is, as psycopg2 does
        if text is None:
            self.client_side(call, offset, query, "a query built at run time")
            return
        try:
            _, sources, in_params = convert_placeholders(text)
        except ValueError as exc:
            if str(exc) == "quoted":
                self.client_side(call, offset, query, "a placeholder inside quotes")
                return
            raise _Unsupported(codes.NOT_UNDERSTOOD, query, str(exc)) from None
        if sources and _first_word(text) not in PREPARABLE:
            self.client_side(call, offset, query, "parameters in a utility statement")
        elif sources and ";" in text.strip().rstrip(";"):
            self.client_side(call, offset, query, "several statements in one execute")
        if in_params:
            self.rewrite_in(call, query, params, sources, in_params, many)

    def client_side(self, call: cst.Call, offset: int, query: cst.BaseExpression, why: str) -> None:
        receiver = (
            call.args[0].value
            if offset
            else (call.func.value if isinstance(call.func, cst.Attribute) else None)
        )
        creation = self.cursor_calls.get(receiver.value) if isinstance(receiver, cst.Name) else None
        if creation is None:
            raise _Unsupported(
                codes.NOT_UNDERSTOOD, query, f"{why}: needs a client-side binding cursor"
            )
        self.client_cursors.add(creation)
        self.report(codes.CLIENT_BINDING, query, why)

    def rewrite_in(
        self,
        call: cst.Call,
        query: cst.BaseExpression,
        params: cst.BaseExpression,
        sources: list[str | int],
        in_params: set[int],
        many: bool,
    ) -> None:
        pieces = _pieces(query)
        if many or pieces is None:
            raise _Unsupported(codes.IN_TUPLE, query, "in executemany")
        if not isinstance(params, (cst.Tuple, cst.List, cst.Dict)) or any(
            isinstance(e, (cst.StarredElement, cst.StarredDictElement)) for e in params.elements
        ):
            raise _Unsupported(codes.IN_TUPLE, params)
        texts: dict[int, str] = {}
        found = 0
        for node, piece in pieces:
            new, count = _IN_PLACEHOLDER.subn(r"= ANY(\1)", piece)
            found += count
            texts[id(node)] = new
        if found != len(in_params):
            raise _Unsupported(codes.IN_TUPLE, query, "`IN` and its placeholder split")
        self.in_lists[call] = (texts, {i for i in in_params})
        del sources

    # -- rewriting (updated nodes) ----------------------------------------------------
    def leave_Call(
        self, original_node: cst.Call, updated_node: cst.BaseExpression
    ) -> cst.BaseExpression:
        plan = self.plan
        if (
            plan is None
            or not isinstance(updated_node, cst.Call)
            or self.state.is_skipped(original_node)
        ):
            return updated_node
        if original_node in plan.execs or original_node in plan.executemany:
            kind = plan.executemany.get(original_node, (None, "execute"))[1]
            self.done(original_node)
            call = self.with_in_lists(original_node, updated_node)
            if kind == "execute_batch":
                cursor = call.args[0].value
                call = call.with_changes(
                    func=cst.Attribute(value=cursor, attr=cst.Name("executemany")),
                    args=call.args[1:],
                )
            return cst.Await(call)
        if original_node in plan.values:
            return self.execute_values(original_node, updated_node)
        if original_node in self.awaited:
            return cst.Await(updated_node)
        if original_node in self.creations:
            return self.cursor(original_node, updated_node)
        if original_node in plan.connects:
            self.done(original_node)
            self.add_import("psycopg")
            return cst.Await(
                cst.Call(
                    func=dotted("psycopg.AsyncConnection.connect"),
                    args=self.keywords(updated_node.args),
                )
            )
        if original_node in plan.pools:
            return self.create_pool(original_node, updated_node)
        if original_node in plan.getconns or original_node in plan.closealls:
            assert isinstance(updated_node.func, cst.Attribute)
            self.remove_import_of(original_node.func)
            verb = "getconn" if original_node in plan.getconns else "close"
            func = updated_node.func.with_changes(
                value=self.pool_value(updated_node.func.value), attr=cst.Name(verb)
            )
            return cst.Await(updated_node.with_changes(func=func))
        if original_node in plan.jsons:
            self.remove_import_of(original_node.func)
            self.drop_psycopg2_imports()
            self.add_import("json")
            return updated_node.with_changes(func=dotted("json.dumps"))
        if (
            isinstance(original_node.func, cst.Attribute)
            and self.is_conn(original_node.func.value)
            and original_node.func.attr.value in ("commit", "rollback", "close")
        ):
            return cst.Await(updated_node)
        return updated_node

    def with_in_lists(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        """``IN %s`` → ``= ANY(%s)``, and ``list(...)`` around the values it takes."""
        if original not in self.in_lists:
            return updated
        texts, in_params = self.in_lists[original]
        query_o, params_o = _query_args(original)
        query_u, params_u = _query_args(updated)
        assert query_o is not None and query_u is not None and params_o is not None
        query = _rebuild_template(query_o, query_u, texts)
        assert isinstance(params_u, (cst.Tuple, cst.List, cst.Dict))
        _, sources, _ = convert_placeholders(_template(query_o) or "")
        wrap_keys = {str(sources[i]) for i in in_params}
        if isinstance(params_u, cst.Dict):
            elements_d = [
                e.with_changes(value=_list_of(e.value))
                if isinstance(e, cst.DictElement) and _query_text(e.key) in wrap_keys
                else e
                for e in params_u.elements
            ]
            params: cst.BaseExpression = params_u.with_changes(elements=elements_d)
        else:
            elements = [
                e.with_changes(value=_list_of(e.value)) if i in in_params else e
                for i, e in enumerate(params_u.elements)
            ]
            params = params_u.with_changes(elements=elements)
        args = []
        for arg in updated.args:
            if arg.value is query_u:
                arg = arg.with_changes(value=query)
            elif arg.value is params_u:
                arg = arg.with_changes(value=params)
            args.append(arg)
        return updated.with_changes(args=args)

    def execute_values(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        """``execute_values(cur, q, rows, template=...)`` → ``await cur.executemany(q', rows)``;
        with ``fetch=True`` → ``await _execute_values_fetch(cur, q', rows)``."""
        self.done(original)
        query_o, _ = _query_args(original, 1)
        query_u, _ = _query_args(updated, 1)
        assert query_o is not None and query_u is not None
        literal = _rebuild_template(query_o, query_u, self.values_text[original])
        cursor = updated.args[0].value
        rows = next(
            (a.value for a in updated.args if a.keyword and a.keyword.value == "argslist"),
            updated.args[2].value,
        )
        if self.plan is not None and self.plan.values[original][3]:
            self.use_helper("_execute_values_fetch")
            helper = cst.Call(
                func=cst.Name("_execute_values_fetch"),
                args=[
                    cst.Arg(cursor, comma=_comma()),
                    cst.Arg(literal, comma=_comma()),
                    cst.Arg(rows),
                ],
            )
            return cst.Await(helper)
        call = cst.Call(
            func=cst.Attribute(value=cursor, attr=cst.Name("executemany")),
            args=[cst.Arg(literal, comma=_comma()), cst.Arg(rows)],
        )
        return cst.Await(call)

    def cursor(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        """``conn.cursor(cursor_factory=F)`` → ``conn.cursor(row_factory=f)``, or
        ``psycopg.AsyncClientCursor(conn, row_factory=f)`` where binding must stay
        client-side."""
        assert isinstance(updated.func, cst.Attribute)
        factory = self.creations[original]
        args: list[cst.Arg] = []
        if factory:
            if factory.startswith("_"):
                self.use_helper(factory)
                self.use_helper(NEEDS[factory])
                value: cst.BaseExpression = cst.Name(factory)
            else:
                self.add_import(factory.rpartition(".")[0])
                value = dotted(factory)
            args.append(keyword_arg("row_factory", value))
        if original in self.client_cursors:
            self.add_import("psycopg")
            conn = updated.func.value
            conn_arg = cst.Arg(conn, comma=_comma() if args else cst.MaybeSentinel.DEFAULT)
            return cst.Call(func=dotted("psycopg.AsyncClientCursor"), args=[conn_arg, *args])
        return updated.with_changes(args=args)

    def keywords(self, args: Sequence[cst.Arg]) -> list[cst.Arg]:
        """Connection arguments: psycopg 3 takes psycopg2's DSN and libpq keywords, but
        not the ``database=`` alias."""
        out = [
            arg.with_changes(keyword=cst.Name("dbname"))
            if arg.keyword is not None and arg.keyword.value == "database"
            else arg
            for arg in args
        ]
        if out:
            out[-1] = out[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return out

    def create_pool(self, original: cst.Call, updated: cst.Call) -> cst.Await:
        """``SimpleConnectionPool(minconn, maxconn, dsn, **keywords)`` →
        ``await _open_pool(AsyncConnectionPool(dsn, kwargs={...}, min_size=, max_size=,
        open=False))``: opened like psycopg2's pool, which connects minconn at once."""
        self.done(original)
        self.add_import("psycopg_pool")
        self.use_helper("_open_pool")
        sizes_u, rest_u = _pool_args(updated)
        args: list[cst.Arg] = []
        keywords: list[cst.DictElement] = []
        for arg in self.keywords(rest_u):
            if arg.keyword is None or arg.keyword.value == "dsn":
                args.append(cst.Arg(arg.value, comma=_comma()))
            else:
                key = cst.SimpleString(repr(arg.keyword.value))
                keywords.append(cst.DictElement(key, arg.value))
        if keywords:
            args.append(keyword_arg("kwargs", cst.Dict(keywords)).with_changes(comma=_comma()))
        for keyword, arg in zip(("min_size", "max_size"), sizes_u, strict=True):
            args.append(keyword_arg(keyword, arg.value).with_changes(comma=_comma()))
        args.append(keyword_arg("open", cst.Name("False")))
        pool = cst.Call(func=dotted("psycopg_pool.AsyncConnectionPool"), args=args)
        return cst.Await(cst.Call(func=cst.Name("_open_pool"), args=[cst.Arg(pool)]))

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.BaseExpression:
        new = super().leave_Attribute(original_node, updated_node)
        if isinstance(new, cst.Attribute) and isinstance(new.value, cst.Await):
            return new.with_changes(value=_parenthesized(new.value))
        return new

    def leave_Subscript(
        self, original_node: cst.Subscript, updated_node: cst.Subscript
    ) -> cst.BaseExpression:
        if isinstance(updated_node.value, cst.Await):
            return updated_node.with_changes(value=_parenthesized(updated_node.value))
        return updated_node

    def leave_For(self, original_node: cst.For, updated_node: cst.For) -> cst.For:
        if self.plan is not None and original_node in self.async_fors:
            return updated_node.with_changes(asynchronous=cst.Asynchronous())
        return updated_node

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement] | cst.RemovalSentinel:
        if original_node in self.lazy_pools:
            return self.lazy_pool(original_node, updated_node)
        plan = self.plan
        first = original_node.body[0] if len(original_node.body) == 1 else None
        if (
            plan is None
            or not isinstance(first, cst.Expr)
            or not isinstance(first.value, cst.Call)
            or first.value not in plan.putconns
        ):
            return updated_node
        # psycopg2's putconn rolls back what was not committed, silently; psycopg_pool's
        # does too but logs a warning.
        put = updated_node.body[0]
        assert isinstance(put, cst.Expr) and isinstance(put.value, cst.Call)
        assert isinstance(put.value.func, cst.Attribute)
        conn = put.value.args[0].value
        rollback = cst.SimpleStatementLine(
            [
                cst.Expr(
                    cst.Await(cst.Call(func=cst.Attribute(conn.deep_clone(), cst.Name("rollback"))))
                )
            ],
            leading_lines=updated_node.leading_lines,
        )
        self.remove_import_of(first.value.func)
        release = put.value.with_changes(
            func=put.value.func.with_changes(value=self.pool_value(put.value.func.value))
        )
        return cst.FlattenSentinel(
            [
                rollback,
                updated_node.with_changes(
                    body=[put.with_changes(value=cst.Await(release))], leading_lines=[]
                ),
            ]
        )

    def leave_With(
        self, original_node: cst.With, updated_node: cst.With
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement]:
        plan = self.plan
        if plan is None:
            return updated_node
        if original_node in plan.unwrap:
            return updated_node.with_changes(asynchronous=cst.Asynchronous())
        if len(original_node.items) != 1 or original_node.asynchronous is not None:
            return updated_node
        item = original_node.items[0]
        is_connect = isinstance(item.item, cst.Call) and item.item in plan.connects
        if not is_connect and not self.is_conn(item.item):
            return updated_node
        body = updated_node.body
        assert isinstance(body, cst.IndentedBlock)
        statements: list[cst.BaseStatement] = []
        conn = updated_node.items[0].item
        if item.asname is not None:
            target = item.asname.name
            assert isinstance(target, (cst.Name, cst.Attribute, cst.Tuple, cst.List))
            statements.append(
                cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(target)], conn)])
            )
            if is_connect:
                assert isinstance(target, cst.Name)
                conn = target
        statements.append(_transaction_block(conn))
        statements[0] = statements[0].with_changes(leading_lines=updated_node.leading_lines)
        last = statements[-1]
        assert isinstance(last, cst.Try)
        statements[-1] = last.with_changes(body=body)
        return cst.FlattenSentinel(statements)

    def leave_Annotation(
        self, original_node: cst.Annotation, updated_node: cst.Annotation
    ) -> cst.Annotation:
        if self.plan is None or self.qualified(original_node.annotation) != CONNECTION:
            return updated_node
        self.remove_import_of(original_node.annotation)
        self.drop_psycopg2_imports()
        self.add_import("psycopg")
        return updated_node.with_changes(annotation=dotted("psycopg.AsyncConnection"))


def _comma() -> cst.Comma:
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def _list_of(value: cst.BaseExpression) -> cst.Call:
    return cst.Call(func=cst.Name("list"), args=[cst.Arg(value)])


def _parenthesized(node: cst.Await) -> cst.Await:
    return node if node.lpar else node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def _transaction_block(conn: cst.BaseExpression) -> cst.Try:
    """psycopg2's ``with conn:``: commit on exit, roll back on an exception; stay open.
    After a rollback the ``finally`` commit finds no transaction and does nothing."""

    def call(method: str) -> cst.SimpleStatementLine:
        func = cst.Attribute(value=conn.deep_clone(), attr=cst.Name(method))
        return cst.SimpleStatementLine([cst.Expr(cst.Await(cst.Call(func=func)))])

    return cst.Try(
        body=cst.IndentedBlock([cst.SimpleStatementLine([cst.Pass()])]),
        handlers=[
            cst.ExceptHandler(
                body=cst.IndentedBlock([call("rollback"), cst.SimpleStatementLine([cst.Raise()])]),
                type=cst.Name("BaseException"),
            )
        ],
        finalbody=cst.Finally(body=cst.IndentedBlock([call("commit")])),
    )
