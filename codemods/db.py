"""psycopg2 → asyncpg, keeping psycopg2's transaction and row semantics.

Implements MAPPING.md §C against the documentation of both libraries:

* psycopg2: https://www.psycopg.org/docs/usage.html (passing parameters, transactions,
  ``with`` blocks), https://www.psycopg.org/docs/cursor.html,
  https://www.psycopg.org/docs/errors.html
* asyncpg: https://magicstack.github.io/asyncpg/current/api/index.html (``connect``,
  ``Connection.execute/fetch/fetchrow/executemany``),
  https://magicstack.github.io/asyncpg/current/usage.html and
  https://magicstack.github.io/asyncpg/current/faq.html (no cursors, ``$n`` parameters).

Design (docs/db.md):

* **Transactions.** psycopg2 opens a transaction before the first statement and only
  ``commit()`` makes work visible; asyncpg autocommits. The converted connection is kept
  inside an explicit transaction all the time: ``await conn.execute("BEGIN")`` right after
  ``asyncpg.connect``, ``commit()`` → ``await conn.execute("COMMIT; BEGIN")``,
  ``rollback()`` → ``"ROLLBACK; BEGIN"``. Closing without commit drops the open
  transaction on the server, as psycopg2 does. ``with conn:`` (commit on success, rollback
  on exception, *not* close) becomes ``try: … except BaseException: ROLLBACK; BEGIN; raise
  finally: COMMIT; BEGIN`` (after a rollback the COMMIT commits an empty transaction).
  ``conn.transaction()`` is not used: asyncpg refuses it inside a manual transaction.
* **Cursors disappear.** Inside one function, each ``cur.execute(q, params)`` is paired
  with the statement right after it when that statement reads the result
  (``fetchone/fetchall/fetchmany``, ``fetchone()[0]``, ``for row in cur``); the pair
  becomes one ``await conn.fetchrow/fetch(...)``. An execute nobody reads becomes
  ``await conn.execute(...)``; ``cur.rowcount`` reads the count from its status string.
  Any cursor use not understood leaves the whole function's database code unchanged and
  reports AFY401: never half-converted.
* **One decision per connection.** A ``self.<attr>`` connection converts in every method
  of its class (and related classes of the module) or in none, with AFY401: all methods
  async, each analysed cleanly, no use the rewrite cannot follow (:meth:`Db.visit_Module`).
* **f-string queries** convert the placeholders of their literal parts; the expressions
  (schema, table names) stay.
* **Rows** stay tuples (``tuple(row)``, ``[tuple(r) for r in ...]``), or dicts for
  ``RealDictCursor``: asyncpg's ``Record`` prints and compares differently.
* **Placeholders** ``%s``/``%(name)s``/``%%`` become ``$n``/``%`` exactly when psycopg2
  would interpolate (parameters given, even ``()``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import libcst as cst

from asyncify.codemod import Api, Codemod, after_header, dotted, keyword_arg
from asyncify.findings import Code
from asyncify.libcst_command import command_for

if TYPE_CHECKING:
    from asyncify.codemod import Codemod as _Codemod
    from asyncify.options import Options

CONNECTION = "psycopg2.extensions.connection"
CURSOR = "psycopg2.extensions.cursor"
POOL = "psycopg2.pool.AbstractConnectionPool"
POOL_CLASSES = ("psycopg2.pool.SimpleConnectionPool", "psycopg2.pool.ThreadedConnectionPool")

APIS = (
    Api("psycopg2.connect", returns=CONNECTION),
    # The classes themselves, so that annotations type parameters and returns.
    Api(CONNECTION, returns=CONNECTION, blocking=False),
    Api(CURSOR, returns=CURSOR, blocking=False),
    Api(f"{CONNECTION}.cursor", returns=CURSOR, blocking=False),
    Api(f"{CONNECTION}.__enter__", returns=CONNECTION, blocking=False),
    Api(f"{CONNECTION}.commit"),
    Api(f"{CONNECTION}.rollback"),
    Api(f"{CONNECTION}.close"),
    Api(f"{CURSOR}.__enter__", returns=CURSOR, blocking=False),
    Api(f"{CURSOR}.execute"),
    Api(f"{CURSOR}.executemany"),
    Api(f"{CURSOR}.fetchone"),
    Api(f"{CURSOR}.fetchall"),
    Api(f"{CURSOR}.fetchmany"),
    Api(f"{CURSOR}.close", blocking=False),
    # Not converted, but blocking: their functions are analysed and reported.
    Api(f"{CURSOR}.copy_expert"),
    Api(f"{CURSOR}.copy_from"),
    Api(f"{CURSOR}.copy_to"),
    Api(f"{CURSOR}.callproc"),
    Api(f"{CONNECTION}.poll"),
    Api("psycopg2.extras.execute_batch"),
    Api("psycopg2.extras.execute_values"),
    # Pools: the constructors connect minconn connections.
    *(Api(name, returns=POOL) for name in POOL_CLASSES),
    Api(POOL, returns=POOL, blocking=False),
    Api(f"{POOL}.getconn", returns=CONNECTION),
    Api(f"{POOL}.putconn"),
    Api(f"{POOL}.closeall"),
)
ALIASES = {
    "psycopg2._psycopg.connection": CONNECTION,
    "psycopg2._psycopg.cursor": CURSOR,
    "psycopg2.extensions.connect": "psycopg2.connect",
}

# psycopg2 exception -> asyncpg exceptions that catch the same failures (MAPPING §C6).
EXCEPTIONS: dict[str, tuple[str, ...]] = {
    "psycopg2.Error": (
        "asyncpg.PostgresError",
        "asyncpg.InterfaceError",
        "OSError",
        "TimeoutError",
    ),
    "psycopg2.DatabaseError": (
        "asyncpg.PostgresError",
        "asyncpg.InterfaceError",
        "OSError",
        "TimeoutError",
    ),
    "psycopg2.InterfaceError": ("asyncpg.InterfaceError",),
    "psycopg2.OperationalError": (
        "asyncpg.PostgresConnectionError",
        "asyncpg.InvalidAuthorizationSpecificationError",
        "asyncpg.OperatorInterventionError",
        "asyncpg.TransactionRollbackError",
        "asyncpg.InsufficientResourcesError",
        "OSError",
        "TimeoutError",
    ),
    "psycopg2.IntegrityError": ("asyncpg.IntegrityConstraintViolationError",),
    "psycopg2.ProgrammingError": ("asyncpg.SyntaxOrAccessError", "asyncpg.InterfaceError"),
    "psycopg2.DataError": ("asyncpg.DataError",),
    "psycopg2.errors.UniqueViolation": ("asyncpg.UniqueViolationError",),
    "psycopg2.errors.ForeignKeyViolation": ("asyncpg.ForeignKeyViolationError",),
    "psycopg2.errors.NotNullViolation": ("asyncpg.NotNullViolationError",),
    "psycopg2.errors.CheckViolation": ("asyncpg.CheckViolationError",),
    "psycopg2.errors.UndefinedTable": ("asyncpg.UndefinedTableError",),
    "psycopg2.errors.DivisionByZero": ("asyncpg.DivisionByZeroError",),
    "psycopg2.errors.InFailedSqlTransaction": ("asyncpg.InFailedSQLTransactionError",),
}
for _name in (
    "Error",
    "DatabaseError",
    "InterfaceError",
    "OperationalError",
    "IntegrityError",
    "ProgrammingError",
    "DataError",
):
    EXCEPTIONS[f"psycopg2.extensions.{_name}"] = EXCEPTIONS[f"psycopg2.{_name}"]

# Connection keywords psycopg2 and asyncpg.connect share (after renaming).
CONNECT_KEYWORDS = {
    "dbname": "database",
    "database": "database",
    "user": "user",
    "password": "password",
    "host": "host",
    "port": "port",
    "dsn": "dsn",
}
# Statements PostgreSQL can prepare: only these take $n parameters (PREPARE docs).
PREPARABLE = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "VALUES", "MERGE", "TABLE")
# Statements whose status string ends in the row count psycopg2 reports as rowcount.
COUNTED = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "VALUES", "MERGE", "TABLE")
FETCHES = ("fetchone", "fetchall", "fetchmany")
ROW_TYPES = re.compile(r"\b(uuid|timestamptz|timestamp\s+with\s+time\s+zone)\b", re.IGNORECASE)
JSON_TYPES = re.compile(r"\bjsonb?\b", re.IGNORECASE)
JSON_ADAPTER = "psycopg2.extras.Json"
# cursor_factory -> the function building each row from an asyncpg Record.
ROW_FACTORIES = {
    "psycopg2.extras.RealDictCursor": "dict",
    "psycopg2.extras.DictCursor": "_DictRow",
    "psycopg2.extras.NamedTupleCursor": "_named_row",
}
# Module-level helpers the converted code may need: name -> (imports, source).
HELPERS: dict[str, tuple[tuple[str, ...], str]] = {
    "_commit_and_begin": (
        (),
        '''
async def _commit_and_begin(conn):
    """commit() as before: the work so far is committed, and a new transaction begins."""
    await conn.execute("COMMIT; BEGIN")
''',
    ),
    "_rollback_and_begin": (
        (),
        '''
async def _rollback_and_begin(conn):
    """rollback() as before: the work so far is undone, and a new transaction begins."""
    await conn.execute("ROLLBACK; BEGIN")
''',
    ),
    "_commit_on_exit": (
        ("contextlib",),
        '''
@contextlib.asynccontextmanager
async def _commit_on_exit(conn):
    """`with conn:` as before: commit when the block ends, roll back if it raises."""
    try:
        yield conn
    except BaseException:
        await _rollback_and_begin(conn)
        raise
    await _commit_and_begin(conn)
''',
    ),
    "_json_codecs": (
        ("json",),
        '''
async def _json_codecs(conn):
    """psycopg2 decodes json/jsonb to Python objects and sends parameters as text."""
    for name in ("json", "jsonb"):
        await conn.set_type_codec(name, encoder=str, decoder=json.loads, schema="pg_catalog")
''',
    ),
    "_DictRow": (
        (),
        '''
class _DictRow(list):
    """A row of psycopg2's DictCursor: a list that is also read by column name."""

    def __init__(self, record):
        super().__init__(record.values())
        self._index = {key: i for i, key in enumerate(record.keys())}

    def __getitem__(self, key):
        return super().__getitem__(self._index[key] if isinstance(key, str) else key)

    def __setitem__(self, key, value):
        super().__setitem__(self._index[key] if isinstance(key, str) else key, value)

    def __contains__(self, key):
        return key in self._index

    def keys(self):
        return iter(self._index)

    def values(self):
        return tuple(self)

    def items(self):
        return ((key, self[i]) for key, i in self._index.items())

    def get(self, key, default=None):
        try:
            return self[key]
        except (KeyError, IndexError):
            return default

    def copy(self):
        return dict(self.items())
''',
    ),
    "_named_row": (
        ("collections", "functools"),
        '''
@functools.lru_cache(512)
def _record_type(fields):
    return collections.namedtuple("Record", fields, rename=True)


def _named_row(record):
    """A row of psycopg2's NamedTupleCursor: a namedtuple called Record."""
    return _record_type(tuple(record.keys()))(*record.values())
''',
    ),
}

NOT_UNDERSTOOD = Code(
    "AFY401",
    "database code not understood; this function's psycopg2 calls were left unchanged",
    "use one cursor.execute() followed directly by the fetch that reads it, or convert by hand",
    doc="""
    asyncify could not follow this function's psycopg2 code (a cursor passed to another
    function or used as a value, a `cursor_factory` it does not know, `rowcount` after a
    fetch, a pool method with `key=`, ...). Converting only part of a function's database
    code would mix psycopg2 and asyncpg objects, so **all** of this function's psycopg2 calls
    are left unchanged; the detail names the construct.

    Restructure to the pattern asyncify understands (a cursor bound to a name, `execute()`
    followed by the fetch that reads it), or convert the function by hand.

    Before:

    ```python
    def names(conn):
        cur = conn.cursor()
        run_query(cur, "SELECT name FROM users")
        return [row[0] for row in cur.fetchall()]
    ```

    After (asyncify converts this form):

    ```python
    def names(conn):
        cur = conn.cursor()
        cur.execute("SELECT name FROM users")
        return [row[0] for row in cur.fetchall()]
    ```
    """,
)
NON_LITERAL_QUERY = Code(
    "AFY402",
    "query with parameters is not a string literal: its placeholders cannot be converted",
    "write the query as a literal, or convert %s/%(name)s to $n by hand",
    doc="""
    `execute()` is called with parameters, but the query is not a string literal (a
    variable, an f-string, a concatenation). asyncpg uses `$1, $2, ...` placeholders where
    psycopg2 uses `%s` / `%(name)s`; asyncify rewrites the placeholders only in literals it
    can see.

    Before:

    ```python
    QUERY = "SELECT * FROM users WHERE id = %s"

    def user(cur, uid):
        cur.execute(QUERY, (uid,))
        return cur.fetchone()
    ```

    After (a literal in place; or convert the placeholders by hand):

    ```python
    async def user(conn, uid):
        return await conn.fetchrow("SELECT * FROM users WHERE id = $1", uid)
    ```
    """,
)
SQL_COMPOSITION = Code(
    "AFY403",
    "psycopg2.sql composition has no asyncpg equivalent",
    "build the SQL text yourself from a whitelist of identifiers",
    doc="""
    The query is composed with `psycopg2.sql` (`sql.SQL(...).format(sql.Identifier(...))`).
    asyncpg has no query-composition module, and identifiers cannot be passed as `$n`
    parameters.

    Build the SQL text yourself, quoting only identifiers you have checked.

    Before:

    ```python
    query = sql.SQL("SELECT * FROM {} WHERE id = %s").format(sql.Identifier(table))
    cur.execute(query, (uid,))
    ```

    After:

    ```python
    if table not in {"users", "orders"}:
        raise ValueError(f"unknown table {table!r}")
    row = await conn.fetchrow(f'SELECT * FROM "{table}" WHERE id = $1', uid)
    ```
    """,
)
NAMED_CURSOR = Code(
    "AFY404",
    "named (server-side) cursor",
    "use `async for row in conn.cursor(q, *args)` in a transaction; withhold has no equivalent",
    doc="""
    A named (server-side) cursor: `conn.cursor(name=...)` or `conn.cursor("name")`. asyncpg
    has server-side cursors too, but with a different interface (an async iterator or
    `fetch(n)` calls, valid only inside a transaction), and `withhold=True` has no
    equivalent.

    Before:

    ```python
    cur = conn.cursor(name="export")
    cur.execute("SELECT * FROM events")
    for row in cur:
        write(row)
    ```

    After:

    ```python
    async with conn.transaction():
        async for row in conn.cursor("SELECT * FROM events"):
            write(row)
    ```
    """,
)
COPY = Code(
    "AFY405",
    "COPY (copy_expert/copy_from/copy_to)",
    "use conn.copy_to_table/copy_from_table/copy_from_query; asyncpg reads and writes bytes",
    doc="""
    `COPY` through `copy_expert`, `copy_from` or `copy_to`. asyncpg has its own COPY API
    (`copy_to_table`, `copy_from_table`, `copy_from_query`, `copy_records_to_table`) with
    different arguments, and it reads and writes bytes or paths rather than text handles.

    Before:

    ```python
    with open("events.csv") as f:
        cur.copy_expert("COPY events FROM STDIN WITH (FORMAT csv)", f)
    ```

    After:

    ```python
    await conn.copy_to_table("events", source="events.csv", format="csv")
    ```
    """,
)
NOTIFY_POLL = Code(
    "AFY406",
    "LISTEN/NOTIFY polling (poll()/notifies)",
    "use conn.add_listener(channel, callback)",
    doc="""
    LISTEN/NOTIFY by polling (`conn.poll()`, `conn.notifies`). asyncpg delivers
    notifications to a callback registered with `add_listener`; the polling loop has no
    counterpart.

    Use a connection of its own for listening: notifications arrive only between
    transactions, and the converted connections are always inside one.

    Before:

    ```python
    cur.execute("LISTEN jobs")
    while True:
        select.select([conn], [], [])
        conn.poll()
        while conn.notifies:
            handle(conn.notifies.pop(0).payload)
    ```

    After:

    ```python
    listener = await asyncpg.connect(DSN)
    await listener.add_listener("jobs", lambda conn, pid, channel, payload: handle(payload))
    await asyncio.Event().wait()   # keep listening
    ```
    """,
)
UTILITY_PARAMS = Code(
    "AFY407",
    "parameters in a utility statement: PostgreSQL prepares only SELECT/INSERT/UPDATE/DELETE",
    "use set_config()/pg_notify() or build the statement text with quoted literals",
    doc="""
    A utility statement (`SET`, `NOTIFY`, `CREATE`, `ALTER`, ...) has parameters. psycopg2
    substitutes them into the text on the client; asyncpg sends them to the server, which
    accepts parameters only in `SELECT`, `INSERT`, `UPDATE`, `DELETE` (and `VALUES`).

    Before:

    ```python
    cur.execute("SET search_path TO %s", (schema,))
    cur.execute("NOTIFY jobs, %s", (payload,))
    ```

    After:

    ```python
    await conn.execute("SELECT set_config('search_path', $1, false)", schema)
    await conn.execute("SELECT pg_notify('jobs', $1)", payload)
    ```
    """,
)
MULTI_STATEMENT = Code(
    "AFY408",
    "several statements with parameters in one execute: asyncpg prepares one statement",
    "split the query into one execute per statement",
    doc="""
    One `execute()` holds several statements and parameters. psycopg2 substitutes the
    parameters client-side and sends the text as one batch; asyncpg prepares a statement on
    the server, and a prepared statement is a single statement.

    Before:

    ```python
    cur.execute(
        "UPDATE accounts SET balance = balance - %s WHERE id = %s;"
        "UPDATE accounts SET balance = balance + %s WHERE id = %s",
        (amount, src, amount, dst),
    )
    ```

    After:

    ```python
    await conn.execute("UPDATE accounts SET balance = balance - $1 WHERE id = $2", amount, src)
    await conn.execute("UPDATE accounts SET balance = balance + $1 WHERE id = $2", amount, dst)
    ```
    """,
)
LASTROWID = Code(
    "AFY409",
    "cursor.lastrowid (an OID) has no asyncpg equivalent",
    "use `INSERT ... RETURNING id` with fetchval",
    doc="""
    `cursor.lastrowid` is the OID of the inserted row (and 0 for tables without OIDs, which
    is every table since PostgreSQL 12). asyncpg has no such attribute; the usual intent, the
    new row's key, comes from `RETURNING`.

    Before:

    ```python
    cur.execute("INSERT INTO users (name) VALUES (%s)", (name,))
    new_id = cur.lastrowid
    ```

    After:

    ```python
    new_id = await conn.fetchval("INSERT INTO users (name) VALUES ($1) RETURNING id", name)
    ```
    """,
)
DESCRIPTION_USE = Code(
    "AFY410",
    "cursor.description has no direct asyncpg equivalent",
    "use (await conn.prepare(q)).get_attributes()",
    doc="""
    `cursor.description` (column names and types of the last query) has no direct asyncpg
    equivalent: asyncpg fetch methods return `Record`s, and the columns are described by a
    prepared statement.

    Before:

    ```python
    cur.execute("SELECT * FROM users")
    columns = [col.name for col in cur.description]
    ```

    After:

    ```python
    statement = await conn.prepare("SELECT * FROM users")
    columns = [attribute.name for attribute in statement.get_attributes()]
    rows = await statement.fetch()
    ```
    """,
)
NON_LITERAL_DSN = Code(
    "AFY411",
    "DSN is not a literal: asyncpg accepts a URI (postgresql://...) but not key=value strings",
    "make sure the value is a URI, or pass keyword arguments",
    doc="""
    `psycopg2.connect()` gets its DSN from a variable. asyncify converts the call to
    `asyncpg.connect(dsn)`, which accepts a URI (`postgresql://user@host/db`) but not
    libpq's `key=value` form (`"dbname=app user=me"`). asyncify cannot see which form the
    value has.

    Before:

    ```python
    conn = psycopg2.connect(os.environ["DATABASE_DSN"])   # "dbname=app user=me"
    ```

    After (a URI, or keyword arguments):

    ```python
    conn = await asyncpg.connect(database="app", user="me")
    ```
    """,
)
CONNECTION_SETTING = Code(
    "AFY412",
    "connection setting/attribute has no direct asyncpg equivalent (autocommit, set_session, ...)",
    "asyncpg autocommits; use conn.transaction(isolation=..., readonly=...) by hand",
    doc="""
    A connection setting or attribute with no direct asyncpg equivalent: `autocommit`
    (other than `conn.autocommit = True` right after the function's own `connect`, which
    becomes asyncpg's autocommit), `set_session(...)`, `set_isolation_level(...)`, other
    connection methods ... The converted connection is otherwise inside an explicit
    transaction (to behave like psycopg2), so these settings have to be mapped to asyncpg
    transactions by hand.

    Before:

    ```python
    conn.set_session(isolation_level="SERIALIZABLE", readonly=True)
    cur.execute("SELECT sum(balance) FROM accounts")
    total = cur.fetchone()[0]
    ```

    After:

    ```python
    async with conn.transaction(isolation="serializable", readonly=True):
        total = await conn.fetchval("SELECT sum(balance) FROM accounts")
    ```
    """,
)
QUOTED_PLACEHOLDER = Code(
    "AFY413",
    "placeholder inside a quoted SQL literal: psycopg2 substitutes it, asyncpg would not",
    "move the placeholder out of the quotes, e.g. '%' || %s || '%'",
    doc="""
    A placeholder sits inside a quoted SQL literal (`'%s days'`). psycopg2 substitutes text
    anywhere in the query, so this works with psycopg2; asyncpg's `$1` inside quotes is just
    two characters of the literal, and the query would change meaning.

    Move the placeholder out of the quotes.

    Before:

    ```python
    cur.execute("SELECT now() - interval '%s days'", (days,))
    ```

    After:

    ```python
    await conn.fetchval("SELECT now() - $1 * interval '1 day'", days)
    ```
    """,
)
TYPE_DIFFERENCE = Code(
    "AFY414",
    "json/jsonb/uuid/timestamptz values differ between psycopg2 and asyncpg",
    "json(b) arrive as str (see set_type_codec), uuid as uuid.UUID, timestamptz in UTC",
    "note",
    doc="""
    The query reads `json`/`jsonb`, `uuid` or `timestamptz` values, which asyncpg returns
    differently: `json`/`jsonb` as `str` (psycopg2 decodes them to Python objects), `uuid` as
    `uuid.UUID`, `timestamptz` as an aware `datetime` in UTC (psycopg2 uses the session's
    time zone). A note: the code is converted; check the code that uses the values.

    Before (psycopg2 returned a dict):

    ```python
    settings = await conn.fetchval("SELECT settings FROM users WHERE id = $1", uid)
    theme = settings["theme"]     # TypeError: settings is a str
    ```

    After (register a codec once per connection):

    ```python
    await conn.set_type_codec(
        "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
    )
    settings = await conn.fetchval("SELECT settings FROM users WHERE id = $1", uid)
    ```
    """,
)
UNSUPPORTED_CONNECT = Code(
    "AFY415",
    "psycopg2.connect() in an unsupported position or with unsupported arguments",
    "assign the connection to a name: `conn = psycopg2.connect(...)`",
    doc="""
    `psycopg2.connect()` (or a pool constructor) is used in a position or with arguments
    asyncify does not convert: not assigned to a name (`return psycopg2.connect(...)`,
    passed as an argument), `*args`/`**kwargs`, a `connection_factory=` or other keyword
    with no asyncpg equivalent, or a pool without `minconn`/`maxconn`. asyncify has to follow
    the connection through the function to convert its uses.

    Before:

    ```python
    def report():
        return summarize(psycopg2.connect(DSN))
    ```

    After (asyncify converts this form):

    ```python
    def report():
        conn = psycopg2.connect(DSN)
        return summarize(conn)
    ```
    """,
)
MODULE_POOL = Code(
    "AFY416",
    "connection pool created at import time cannot be created lazily: it and the functions"
    " using it stay psycopg2",
    "use the pool only as `POOL.getconn()/putconn(c)/closeall()` in functions that convert;"
    " or create it in main() and pass it",
    doc="""
    A psycopg2 connection pool is created at import time (a module-level `POOL =
    ...Pool(...)`), and it is used in a way that prevents creating it lazily on first use (a
    pool cannot be awaited at import time, so asyncify normally creates it on first use; see
    docs/db.md). The pool, and the functions using it, stay psycopg2.

    Use the pool only through `getconn()`, `putconn(c)` and `closeall()` in functions that
    convert, or create it in `main()` and pass it along.

    Before:

    ```python
    POOL = psycopg2.pool.SimpleConnectionPool(1, 10, DSN)
    CONN = POOL.getconn()        # import-time use
    ```

    After:

    ```python
    POOL = psycopg2.pool.SimpleConnectionPool(1, 10, DSN)

    def users():
        conn = POOL.getconn()
        try:
            cur = conn.cursor()
            cur.execute("SELECT name FROM users")
            return cur.fetchall()
        finally:
            POOL.putconn(conn)
    ```
    """,
)


@dataclass
class _Exec:
    """One ``cur.execute(...)`` and what reads its result."""

    call: cst.Call
    stmt: cst.SimpleStatementLine
    conn: cst.BaseExpression
    cursor: str
    rows: str  # "tuple" | "dict"
    read: cst.CSTNode | None = None  # the fetch call / For that reads the result
    read_kind: str = ""  # "one" | "raw" | "all" | "many" | "iter" | "iter-raw"
    rowcount: bool = False
    query: tuple[cst.BaseExpression, list[cst.Arg]] | None = None  # converted, filled on leave
    like: cst.Call | None = None  # the updated execute call, for its layout


@dataclass
class _FnPlan:
    ok: bool = True
    execs: dict[cst.Call, _Exec] = field(default_factory=dict)
    reads: dict[cst.CSTNode, _Exec] = field(default_factory=dict)
    rowcounts: dict[cst.Attribute, str] = field(default_factory=dict)
    remove: set[cst.CSTNode] = field(default_factory=set)
    unwrap: set[cst.With] = field(default_factory=set)
    executemany: dict[cst.Call, tuple[cst.BaseExpression, str]] = field(
        default_factory=dict
    )  # call -> conn, kind
    connects: set[cst.Call] = field(default_factory=set)
    factories: list[cst.BaseExpression] = field(default_factory=list)
    pools: set[cst.Call] = field(default_factory=set)  # pool constructors
    getconns: set[cst.Call] = field(default_factory=set)
    putconns: set[cst.Call] = field(default_factory=set)
    closealls: set[cst.Call] = field(default_factory=set)
    jsons: set[cst.Call] = field(default_factory=set)  # Json(x) parameters
    # `conn = pool.getconn()` + `try: ...; conn.commit() finally: pool.putconn(conn)`:
    # the try -> (the getconn line, the connection's name, the pool): `async with
    # pool.acquire() as conn: async with conn.transaction(): ...` (_acquire_blocks).
    acquires: dict[cst.Try, tuple[cst.SimpleStatementLine, str, cst.BaseExpression]] = field(
        default_factory=dict
    )
    # Connections made here whose every use fits asyncpg's idiom (_idioms): connect -> kind
    # ("blocks": only `with conn:` blocks, each `async with conn.transaction():`; "ends":
    # statements then `conn.commit()`, wrapped in one; "autocommit": asyncpg's own mode).
    idioms: dict[cst.Call, str] = field(default_factory=dict)
    transaction_withs: set[cst.With] = field(default_factory=set)
    region_ends: set[cst.SimpleStatementLine] = field(default_factory=set)  # "ends" commits
    dropped: set[cst.SimpleStatementLine] = field(default_factory=set)  # `autocommit = True`
    # execute_values -> (conn, query text with $n, named sources or None, fetch)
    values: dict[cst.Call, tuple[cst.BaseExpression, str, list[str] | None, bool]] = field(
        default_factory=dict
    )


class _Uses(cst.CSTVisitor):
    """Every node of a function body (not nested functions) with its ancestors."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[cst.CSTNode] = []
        self.nodes: list[tuple[cst.CSTNode, tuple[cst.CSTNode, ...]]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        # LibCST calls on_leave even for a node whose children it skips.
        self.stack.append(node)
        if len(self.stack) > 1 and isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            return False
        self.nodes.append((node, tuple(self.stack[:-1])))
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.stack.pop()


class _Scan(cst.CSTVisitor):
    """The whole module (original nodes): every attribute expression with its ancestors,
    the methods of each class (qualname as the rewrite names it, ``self`` parameter) and
    the module-local bases of each class."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[cst.CSTNode] = []
        self.scopes: list[tuple[str, bool]] = []  # (qualname, is_function) like rewrite's frames
        self.attributes: list[tuple[cst.Attribute, tuple[cst.CSTNode, ...]]] = []
        self.functions: dict[cst.FunctionDef, str] = {}
        self.methods: dict[cst.FunctionDef, tuple[str, str]] = {}  # -> (class, self name)
        self.bases: dict[str, list[str]] = {}
        self.json = False  # a string literal mentions json/jsonb
        self.names: list[cst.BaseExpression] = []  # Names and Attributes, for Json
        self.calls: list[cst.Call] = []
        self.name_uses: list[
            tuple[
                cst.Name,
                cst.FunctionDef | cst.Lambda | cst.ClassDef | None,
                tuple[cst.CSTNode, ...],
            ]
        ] = []
        # Each call with its scope (function, lambda, class body or None: module level).
        self.call_sites: list[
            tuple[
                cst.Call,
                cst.FunctionDef | cst.Lambda | cst.ClassDef | None,
                tuple[cst.CSTNode, ...],
            ]
        ] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.stack.append(node)
        if isinstance(node, (cst.SimpleString, cst.FormattedStringText)) and JSON_TYPES.search(
            node.value
        ):
            self.json = True
        elif isinstance(node, cst.Name) and node.value == "Json":
            self.names.append(node)
        if isinstance(node, cst.Name):
            scope_ = next(
                (
                    p
                    for p in reversed(self.stack[:-1])
                    if isinstance(p, (cst.FunctionDef, cst.Lambda, cst.ClassDef))
                ),
                None,
            )
            self.name_uses.append((node, scope_, tuple(self.stack[:-1])))
        elif isinstance(node, cst.Attribute) and node.attr.value == "Json":
            self.names.append(node)
        if isinstance(node, cst.Call):
            self.calls.append(node)
            scope = next(
                (
                    p
                    for p in reversed(self.stack[:-1])
                    if isinstance(p, (cst.FunctionDef, cst.Lambda, cst.ClassDef))
                ),
                None,
            )
            self.call_sites.append((node, scope, tuple(self.stack[:-1])))
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            parent = self.scopes[-1] if self.scopes else None
            name = node.name.value
            if parent is None:
                qual = name
            elif parent[1]:
                qual = f"{parent[0]}.<locals>.{name}"
            else:
                qual = f"{parent[0]}.{name}"
            self.scopes.append((qual, isinstance(node, cst.FunctionDef)))
            if isinstance(node, cst.ClassDef):
                self.bases[qual] = [
                    a.value.value
                    for a in node.bases
                    if a.keyword is None and isinstance(a.value, cst.Name)
                ]
            else:
                self.functions[node] = qual
                holder = self.stack[-3] if len(self.stack) >= 3 else None
                decorators = {
                    d.decorator.value for d in node.decorators if isinstance(d.decorator, cst.Name)
                }
                if (
                    isinstance(holder, cst.ClassDef)
                    and parent is not None
                    and not parent[1]
                    and node.params.params
                    and not decorators & {"staticmethod", "classmethod"}
                ):
                    self.methods[node] = (parent[0], node.params.params[0].name.value)
        elif isinstance(node, cst.Lambda):
            self.scopes.append(("<lambda>", True))
        elif isinstance(node, cst.Attribute):
            self.attributes.append((node, tuple(self.stack[:-1])))
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.stack.pop()
        if isinstance(original_node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            self.scopes.pop()

    def method_of(
        self, node: cst.Attribute, parents: tuple[cst.CSTNode, ...]
    ) -> cst.FunctionDef | None:
        """The method whose ``self.<attr>`` ``node`` is, if it is one."""
        scope = next(
            (
                p
                for p in reversed(parents)
                if isinstance(p, (cst.FunctionDef, cst.Lambda, cst.ClassDef))
            ),
            None,
        )
        if not isinstance(scope, cst.FunctionDef) or scope not in self.methods:
            return None
        value = node.value
        return (
            scope if isinstance(value, cst.Name) and value.value == self.methods[scope][1] else None
        )


@dataclass
class _Flow:
    """Functions of the module a connection (or pool) is passed between: one decision."""

    functions: set[cst.FunctionDef] = field(default_factory=set)
    calls: list[cst.Call] = field(default_factory=list)
    reason: str = ""


@dataclass
class _Group:
    """``self.<attr>`` holding a connection in the methods of related classes."""

    attr: str
    classes: str  # the classes, for messages
    uses: list[tuple[cst.Attribute, cst.FunctionDef, tuple[cst.CSTNode, ...]]] = field(
        default_factory=list
    )
    connection: bool = False
    reason: str = ""  # why it stays psycopg2, "" while it converts


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


class _Unsupported(Exception):
    def __init__(self, code: Code, node: cst.CSTNode, detail: str = "") -> None:
        super().__init__(detail)
        self.code = code
        self.node = node
        self.detail = detail


def _string_parts(node: cst.BaseExpression) -> list[cst.SimpleString] | None:
    if isinstance(node, cst.SimpleString):
        return [node] if "b" not in node.prefix.lower() else None
    if isinstance(node, cst.ConcatenatedString):
        left = _string_parts(node.left)
        right = _string_parts(node.right)
        return left + right if left is not None and right is not None else None
    return None


def _query_text(node: cst.BaseExpression) -> str | None:
    parts = _string_parts(node)
    if parts is None:
        return None
    out = []
    for part in parts:
        value = part.evaluated_value
        if not isinstance(value, str):
            return None
        out.append(value)
    return "".join(out)


_PLACEHOLDER = re.compile(r"%\((?P<name>[^)]*)\)s|%(?P<pos>s)|%%|%|'")
_IN_TUPLE = re.compile(r"\bIN\s*(?=%s|%\([^)]*\)s)", re.IGNORECASE)


def convert_placeholders(text: str) -> tuple[str, list[str | int], set[int]]:
    """psycopg2 placeholders -> ``$n``: (new text, source of each $n, indexes used with IN).

    A source is the position of a ``%s`` (int) or a ``%(name)s`` name (str). Raises
    ValueError for what psycopg2 itself rejects or what cannot be converted faithfully.
    """
    sources: list[str | int] = []
    in_params: set[int] = set()
    out: list[str] = []
    pos = 0
    positional = 0
    quoted = False
    marked = _IN_TUPLE.sub(lambda m: "\0", text)
    for m in _PLACEHOLDER.finditer(marked):
        out.append(marked[pos : m.start()])
        pos = m.end()
        token = m.group(0)
        if token == "'":
            quoted = not quoted
            out.append(token)
            continue
        if token == "%%":
            out.append("%")
            continue
        if token == "%":
            raise ValueError("unsupported format character")
        if quoted:
            raise ValueError("quoted")
        is_in = bool(out) and out[-1].endswith("\0")
        if is_in:
            out[-1] = out[-1][:-1]
        name = m.group("name")
        if name is not None:
            if positional:
                raise ValueError("mixed placeholders")
            key: str | int = name
            if key in sources:
                index = sources.index(key)
                out.append(f"= ANY(${index + 1})" if is_in else f"${index + 1}")
                continue
        else:
            if any(isinstance(s, str) for s in sources):
                raise ValueError("mixed placeholders")
            key = positional
            positional += 1
        sources.append(key)
        if is_in:
            in_params.add(len(sources) - 1)
        out.append(f"= ANY(${len(sources)})" if is_in else f"${len(sources)}")
    out.append(marked[pos:])
    result = "".join(out)
    if "\0" in result:
        result = result.replace("\0", "IN ")
    return result, sources, in_params


def _literal_like(original: cst.BaseExpression, text: str) -> cst.SimpleString:
    """A string literal holding ``text``, in the quote style of ``original``."""
    first = _string_parts(original)
    quote = '"'
    if first:
        raw = first[0].value
        body = raw.lstrip("rRuU")
        quote = body[:3] if body[:3] in ('"""', "'''") else body[0]
    if len(quote) == 3:
        if quote not in text and not text.endswith(quote[0]) and "\\" not in text:
            return cst.SimpleString(f"{quote}{text}{quote}")
    elif quote not in text and "\n" not in text and "\\" not in text:
        return cst.SimpleString(f"{quote}{text}{quote}")
    return cst.SimpleString(repr(text))


def _rebuild_string(
    original: cst.BaseExpression, updated: cst.BaseExpression
) -> cst.BaseExpression:
    """The query literal with converted placeholders, keeping its parts and layout."""
    parts = _string_parts(original)
    assert parts is not None
    texts = [p.evaluated_value for p in parts]
    joined, _, _ = convert_placeholders("\x01".join(str(t) for t in texts))
    new_texts = joined.split("\x01")
    if len(new_texts) != len(parts):
        return _literal_like(original, joined.replace("\x01", ""))
    replaced = {id(p): _literal_like(p, t) for p, t in zip(parts, new_texts, strict=True)}

    def rebuild(node: cst.BaseExpression) -> cst.BaseExpression:
        if isinstance(node, cst.ConcatenatedString):
            left = rebuild(node.left)
            right = rebuild(node.right)
            assert isinstance(left, (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString))
            assert isinstance(
                right, (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)
            )
            return node.with_changes(left=left, right=right)
        new = replaced[id(node)]
        return (
            new.with_changes(lpar=node.lpar, rpar=node.rpar)
            if isinstance(node, cst.SimpleString)
            else new
        )

    del updated
    return rebuild(original)


EXPR = "\ue000"  # an f-string expression in a query template: its value is not known
SEP = "\x01"  # between the pieces of a template, to map the converted text back


def _has_fstring(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.FormattedString):
        return True
    if isinstance(node, cst.ConcatenatedString):
        return _has_fstring(node.left) or _has_fstring(node.right)
    return False


def _pieces(node: cst.BaseExpression) -> list[tuple[cst.CSTNode, str]] | None:
    """The text of a (possibly formatted, concatenated) literal, piece by piece.

    Pieces are SimpleStrings, FormattedStringTexts (their value, unescaped) and
    FormattedStringExpressions (``EXPR``). None if a piece cannot be read exactly.
    """
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return [(node, value)] if isinstance(value, str) else None
    if isinstance(node, cst.ConcatenatedString):
        left = _pieces(node.left)
        right = _pieces(node.right)
        return left + right if left is not None and right is not None else None
    if isinstance(node, cst.FormattedString):
        out: list[tuple[cst.CSTNode, str]] = []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringExpression):
                out.append((part, EXPR))
            elif isinstance(part, cst.FormattedStringText):
                if "\\" in part.value or EXPR in part.value or SEP in part.value:
                    return None  # escapes: the source text is not the value
                out.append((part, part.value.replace("{{", "{").replace("}}", "}")))
            else:
                return None
        return out
    return None


def _template(node: cst.BaseExpression) -> str | None:
    """A query's text with ``EXPR`` for each f-string expression, or None."""
    pieces = _pieces(node)
    return "".join(t for _, t in pieces) if pieces is not None else None


def _converted_pieces(node: cst.BaseExpression) -> dict[int, str] | None:
    """id(piece) -> its converted text, when the conversion maps back piece by piece."""
    pieces = _pieces(node)
    if pieces is None:
        return None
    joined, _, _ = convert_placeholders(SEP.join(t for _, t in pieces))
    texts = joined.split(SEP)
    if len(texts) != len(pieces):
        return None
    for (_, old), new in zip(pieces, texts, strict=True):
        if (old == EXPR) != (new == EXPR):
            return None
    return {id(p): t for (p, _), t in zip(pieces, texts, strict=True)}


def _rebuild_template(
    original: cst.BaseExpression,
    updated: cst.BaseExpression,
    converted: dict[int, str] | None = None,
) -> cst.BaseExpression:
    """An f-string query with converted placeholders in its literal parts.

    The expressions are taken from ``updated`` (another codemod may have rewritten them)
    when it still has the same shape, else from ``original``.
    """
    if converted is None:
        converted = _converted_pieces(original)
    assert converted is not None

    def rebuild(node: cst.BaseExpression, new: cst.BaseExpression) -> cst.BaseExpression:
        if isinstance(node, cst.ConcatenatedString):
            same = isinstance(new, cst.ConcatenatedString)
            left = rebuild(node.left, new.left if same else node.left)  # type: ignore[attr-defined]
            right = rebuild(node.right, new.right if same else node.right)  # type: ignore[attr-defined]
            assert isinstance(left, (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString))
            assert isinstance(
                right, (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)
            )
            return node.with_changes(left=left, right=right)
        if isinstance(node, cst.FormattedString):
            new_parts = (
                list(new.parts)
                if isinstance(new, cst.FormattedString) and len(new.parts) == len(node.parts)
                else list(node.parts)
            )
            parts: list[cst.BaseFormattedStringContent] = []
            for old_part, new_part in zip(node.parts, new_parts, strict=True):
                if isinstance(old_part, cst.FormattedStringText):
                    text = converted[id(old_part)].replace("{", "{{").replace("}", "}}")
                    if not text:
                        continue
                    parts.append(cst.FormattedStringText(text))
                else:
                    parts.append(new_part)
            return node.with_changes(parts=parts)
        assert isinstance(node, cst.SimpleString)
        return _literal_like(node, converted[id(node)]).with_changes(lpar=node.lpar, rpar=node.rpar)

    return rebuild(original, updated)


def _arg_values(node: cst.BaseExpression) -> list[cst.BaseExpression] | None:
    if isinstance(node, (cst.Tuple, cst.List)):
        values = []
        for el in node.elements:
            if isinstance(el, cst.StarredElement):
                return None
            values.append(el.value)
        return values
    return None


def _first_word(sql: str) -> str:
    stripped = re.sub(r"--[^\n]*", "", sql).lstrip(" \t\n(")
    return stripped.split(None, 1)[0].upper() if stripped.split() else ""


class Db(Codemod):
    NAME = "db"
    DESCRIPTION = "psycopg2 → asyncpg (cursors, placeholders, transactions, rows, exceptions)"
    APIS = APIS
    ALIASES = ALIASES
    # What a target library replaces (the psycopg variant, db_psycopg.py, has its own):
    # module-level helpers by name, and psycopg2 exceptions -> the classes catching them.
    HELPER_SOURCES: ClassVar[dict[str, tuple[tuple[str, ...], str]]] = HELPERS
    EXCEPTION_TABLE: ClassVar[dict[str, tuple[str, ...]]] = EXCEPTIONS

    @classmethod
    def variant(cls, options: Options) -> type[_Codemod]:
        """``--db-client psycopg``: psycopg 3's AsyncConnection (codemods/db_psycopg.py)."""
        if options.db_client == "psycopg":
            from asyncify.codemods.db_psycopg import DbPsycopg

            return DbPsycopg
        return cls

    @classmethod
    def apis_for(cls, options: Options) -> Sequence[Api]:
        return cls.variant(options).APIS

    def __init__(self, state: object) -> None:
        super().__init__(state)  # type: ignore[arg-type]
        self.plans: list[_FnPlan] = []
        self.error_names: list[set[str]] = [set()]
        self.next_stmt: dict[int, cst.BaseStatement | None] = {}
        # `self.<attr>` connections (visit_Module): the uses that convert, the methods that
        # must keep their psycopg2 code because a connection they share does, and the
        # analyses of methods already done to decide that.
        self.conn_uses: set[cst.Attribute] = set()
        self.forced: set[cst.FunctionDef] = set()
        self.cached: dict[cst.FunctionDef, tuple[_FnPlan, _Unsupported | None]] = {}
        # Whether the module's queries mention json/jsonb: its connections then decode
        # json like psycopg2 (:data:`HELPERS` ``_json_codecs``).
        self.json = False
        self.connects_here = False  # the module connects (its connections get the codecs)
        self.helpers: set[str] = set()
        self.values_text: dict[cst.Call, dict[int, str]] = {}  # execute_values pieces
        self.values_template: dict[cst.Call, str] = {}  # execute_values row template
        # Module-level pools made lazy: name -> (the statement creating it, accessor name).
        self.module_pools: dict[str, tuple[cst.SimpleStatementLine, str]] = {}
        self.lazy_pools: set[cst.SimpleStatementLine] = set()

    # -- helpers -----------------------------------------------------------------
    @property
    def plan(self) -> _FnPlan | None:
        return self.plans[-1] if self.plans and self.plans[-1].ok else None

    def qualified(self, node: cst.BaseExpression) -> str:
        """Dotted name of ``node`` through this file's imports (``errors.X``: psycopg2.errors.X)."""
        name = self.imported_name(node)
        return ALIASES.get(name, name)

    def pos(self, node: cst.CSTNode) -> tuple[int, int]:
        rng = self.state.positions.get(node)
        return (rng.start.line, rng.start.column) if rng else (0, 0)

    # -- connections held in attributes (original nodes) ----------------------------
    def visit_Module(self, node: cst.Module) -> None:
        """Decide, for each ``self.<attr>`` connection, whether it converts everywhere.

        A connection object converts only if all its uses can: its ``connect``, every
        cursor, commit, rollback, close and ``with`` in every method of its class (and of
        the module's classes related to it by inheritance), each method async in the plan.
        Otherwise none of them converts (a half-converted connection would call psycopg2
        methods on an asyncpg connection or await a psycopg2 one), with AFY401.
        """
        scan = _Scan()
        node.visit(scan)
        self.json = scan.json or any(self.qualified(n) == JSON_ADAPTER for n in scan.names)
        pool_flows = self.find_module_pools(node, scan)
        self.connects_here = any(
            self.name_of(call.func) in ("psycopg2.connect", *POOL_CLASSES) for call in scan.calls
        )
        groups = self.find_groups(scan)
        flows = self.find_flows(scan) + list(pool_flows.values())
        if not groups and not flows:
            return
        self.conn_uses = {use for g in groups for use, _, _ in g.uses}
        failed: dict[cst.FunctionDef, str] = {}
        # A method that only stores a connection it was given (`self.conn = conn` in
        # `__init__`) runs no query: it may stay synchronous.
        # Only when no code that stays synchronous uses a psycopg2 connection or cursor
        # anywhere (the plan's value flow brought the connection here).
        followed = not ({CONNECTION, CURSOR} & self.state.plan.sync_types)
        methods = sorted(
            {
                m
                for g in groups
                for use, m, parents in g.uses
                if not (followed and _stores_given(use, parents))
            }
            | {f for flow in flows for f in flow.functions},
            key=self.pos,
        )
        for method in methods:
            name = method.name.value
            if method.asynchronous is None and scan.functions[method] not in (
                self.state.plan.async_functions
            ):
                failed[method] = f"`{name}` stays synchronous"
                continue
            plan = _FnPlan()
            error = self.try_analyse(method, plan)
            self.cached[method] = (plan, error)
            if error is not None:
                failed[method] = f"`{name}` cannot be converted ({error.code.code})"
        changed = True
        while changed:
            changed = False
            for group in groups:
                if not group.reason:
                    bad = next((m for _, m, _ in group.uses if m in failed), None)
                    if bad is not None:
                        group.reason = failed[bad]
                        changed = True
                if group.reason:
                    for _, method, _ in group.uses:
                        if method not in failed:
                            failed[method] = f"`{method.name.value}` uses `self.{group.attr}`"
                            self.forced.add(method)
                            self.cached.pop(method, None)
                            changed = True
            for flow in flows:
                if not flow.reason:
                    bad = next(
                        (f for f in sorted(flow.functions, key=self.pos) if f in failed), None
                    )
                    if bad is not None:
                        flow.reason = failed[bad]
                        changed = True
                if flow.reason:
                    for fn in flow.functions:
                        if fn not in failed:
                            failed[fn] = f"`{fn.name.value}` shares its connection"
                            self.forced.add(fn)
                            self.cached.pop(fn, None)
                            changed = True
        for name, flow in pool_flows.items():
            statement, _ = self.module_pools[name]
            if flow.reason:
                del self.module_pools[name]
                assign = statement.body[0]
                assert isinstance(assign, cst.Assign)
                self.report(MODULE_POOL, assign.value, flow.reason)
            else:
                self.lazy_pools.add(statement)
        for flow in flows:
            if flow.reason and flow not in pool_flows.values():
                names = ", ".join(f.name.value for f in sorted(flow.functions, key=self.pos))
                self.report(
                    NOT_UNDERSTOOD,
                    min(flow.calls, key=self.pos),
                    f"a connection passed between {names} stays psycopg2 in all of them:"
                    f" {flow.reason}",
                )
        for group in groups:
            if group.reason:
                self.conn_uses -= {use for use, _, _ in group.uses}
                users = sorted({m for _, m, _ in group.uses}, key=self.pos)
                first = min((use for use, _, _ in group.uses), key=self.pos)
                self.report(
                    NOT_UNDERSTOOD,
                    first,
                    f"`self.{group.attr}` of {group.classes} stays psycopg2 in every method"
                    f" ({', '.join(m.name.value for m in users)}): {group.reason}",
                )

    def find_module_pools(self, module: cst.Module, scan: _Scan) -> dict[str, _Flow]:
        """``POOL = SimpleConnectionPool(...)`` at module level: it can be created lazily
        when every use is ``POOL.getconn()/putconn(c)/closeall()`` in functions that
        convert (one group: all of them or none)."""
        pools: dict[str, _Flow] = {}
        for stmt in module.body:
            small = (
                stmt.body[0]
                if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1
                else None
            )
            value = small.value if isinstance(small, (cst.Assign, cst.AnnAssign)) else None
            if not (isinstance(value, cst.Call) and self.name_of(value.func) in POOL_CLASSES):
                continue
            flow = _Flow(calls=[value])
            if (
                not isinstance(small, cst.Assign)
                or len(small.targets) != 1
                or not isinstance(small.targets[0].target, cst.Name)
            ):
                flow.reason = "not assigned to one name"
                self.report(MODULE_POOL, value, flow.reason)
                continue
            assert isinstance(stmt, cst.SimpleStatementLine)
            name = small.targets[0].target.value
            try:
                self.check_pool(value, (small,))
            except _Unsupported as exc:
                flow.reason = exc.detail or exc.code.summary
            pools[name] = flow
            self.module_pools[name] = (stmt, f"_get_{name.lower().lstrip('_')}")
        for use, scope, parents in scan.name_uses:
            found = pools.get(use.value)
            if found is None or found.reason:
                continue
            flow = found
            line = self.pos(use)[0]
            parent = parents[-1] if parents else None
            if (
                isinstance(parent, cst.AssignTarget)
                and len(parents) >= 3
                and parents[-3] is self.module_pools[use.value][0]
            ):
                continue  # the creation
            if isinstance(parent, cst.NameItem):
                flow.reason = f"`global {use.value}` (line {line})"
            elif not isinstance(scope, cst.FunctionDef):
                flow.reason = f"`{use.value}` used outside a function (line {line})"
            elif not (
                isinstance(parent, cst.Attribute)
                and parent.value is use
                and parent.attr.value in ("getconn", "putconn", "closeall")
                and len(parents) >= 2
                and isinstance(parents[-2], cst.Call)
                and parents[-2].func is parent
            ):
                flow.reason = f"`{use.value}` used as a value (line {line})"
            else:
                flow.functions.add(scope)
        for name, flow in pools.items():
            if not flow.functions and not flow.reason:
                flow.reason = f"`{name}` is not used in a function"
        return pools

    def find_flows(self, scan: _Scan) -> list[_Flow]:
        """Calls between the module's functions that pass a connection or pool (an
        argument, or the result assigned), grouped: a connection converts in all the
        functions it reaches or in none."""
        top = {q: f for f, q in scan.functions.items()}
        root: dict[cst.FunctionDef, cst.FunctionDef] = {}

        def find(fn: cst.FunctionDef) -> cst.FunctionDef:
            while root.get(fn, fn) is not fn:
                fn = root[fn]
            return fn

        edges: list[tuple[cst.Call, cst.FunctionDef, cst.FunctionDef | None, str]] = []
        for call, scope, parents in scan.call_sites:
            func = call.func
            callee: cst.FunctionDef | None = None
            if isinstance(func, cst.Name):
                callee = top.get(func.value)
            elif (
                isinstance(func, cst.Attribute)
                and isinstance(scope, cst.FunctionDef)
                and scope in scan.methods
                and isinstance(func.value, cst.Name)
                and func.value.value == scan.methods[scope][1]
            ):
                callee = top.get(f"{scan.methods[scope][0]}.{func.attr.value}")
            # `conn = connect()`, or `conn = await connect()` (code that is async already).
            assign = parents[-2] if len(parents) > 1 and isinstance(parents[-1], cst.Await) else (
                parents[-1] if parents else None
            )
            carried = any(self.type_of(a.value) in (CONNECTION, POOL) for a in call.args) or (
                isinstance(assign, cst.Assign)
                and any(
                    self.type_of(t.target) in (CONNECTION, POOL)
                    or self._assigned_type(t.target, scope) in (CONNECTION, POOL)
                    for t in assign.targets
                )
            )
            if callee is None or not carried:
                continue
            caller = scope if isinstance(scope, cst.FunctionDef) else None
            where = "" if caller is not None else "it is passed outside a function"
            edges.append((call, callee, caller, where))
        flows: dict[cst.FunctionDef, _Flow] = {}
        for _, callee, caller, _ in edges:
            if caller is not None and find(caller) is not find(callee):
                root[find(caller)] = find(callee)
        for call, callee, caller, where in edges:
            flow = flows.setdefault(find(callee), _Flow())
            flow.functions.add(callee)
            if caller is not None:
                flow.functions.add(caller)
            flow.calls.append(call)
            if where and not flow.reason:
                flow.reason = f"{where} (line {self.pos(call)[0]})"
        return list(flows.values())

    def _assigned_type(self, target: cst.BaseExpression, scope: cst.CSTNode | None) -> str:
        """The type the plan gives the uses of a name assigned in ``scope`` (``conn =
        connect()``: the target itself is not typed, its later reads are)."""
        if not isinstance(target, cst.Name) or scope is None:
            return ""
        found = ""
        type_of, name = self.type_of, target.value

        class Reads(cst.CSTVisitor):
            def visit_Name(self, node: cst.Name) -> None:
                nonlocal found
                if not found and node.value == name and node is not target:
                    found = type_of(node)

        scope.visit(Reads())
        return found

    def find_groups(self, scan: _Scan) -> list[_Group]:
        root: dict[str, str] = {}

        def find(cls: str) -> str:
            while root.get(cls, cls) != cls:
                cls = root[cls]
            return cls

        by_name = {q.rpartition(".")[2]: q for q in scan.bases}
        for cls, bases in scan.bases.items():
            for base in bases:
                if base in by_name:
                    root[find(cls)] = find(by_name[base])
        groups: dict[tuple[str, str], _Group] = {}
        foreign: list[tuple[cst.Attribute, tuple[cst.CSTNode, ...]]] = []
        for attr, parents in scan.attributes:
            method = scan.method_of(attr, parents)
            if method is None:
                if not self.qualified(attr):
                    foreign.append((attr, parents))
                continue
            key = (find(scan.methods[method][0]), attr.attr.value)
            group = groups.setdefault(key, _Group(attr.attr.value, ""))
            group.uses.append((attr, method, parents))
            if self.type_of(attr) == CONNECTION or _connect_target(self, parents):
                group.connection = True
        found = [g for g in groups.values() if g.connection]
        for (cls_root, _), group in groups.items():
            members = sorted(c for c in scan.bases if find(c) == cls_root)
            group.classes = ", ".join(f"`{c}`" for c in members)
        for group in found:
            for attr, _ in foreign:
                if attr.attr.value == group.attr and not group.reason:
                    line = self.pos(attr)[0]
                    group.reason = (
                        f"`{_code(attr)}` (line {line}) uses it outside the methods of its class"
                    )
            for attr, _, parents in group.uses:
                problem = _attribute_use_problem(self, attr, parents)
                if problem and not group.reason:
                    group.reason = f"{problem} (line {self.pos(attr)[0]})"
                if self.state.is_skipped(attr) and not group.reason:
                    group.reason = f"line {self.pos(attr)[0]} is marked to skip"
        return found

    # -- analysis of one function (original nodes) --------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.error_names.append(set())
        if node in self.forced:
            self.plans.append(_FnPlan(ok=False))
            return
        cached = self.cached.pop(node, None)
        if cached is not None:
            plan, error = cached
            self.plans.append(plan)
        else:
            plan = _FnPlan()
            self.plans.append(plan)
            if not self.in_async():
                plan.ok = False
                return
            error = self.try_analyse(node, plan)
        if error is not None:
            self.report(error.code, error.node, error.detail)
            if error.code is not NOT_UNDERSTOOD:
                detail = f"`{node.name.value}` keeps its blocking psycopg2 calls"
                self.report(NOT_UNDERSTOOD, node.name, detail)

    def try_analyse(self, fn: cst.FunctionDef, plan: _FnPlan) -> _Unsupported | None:
        try:
            self.analyse(fn, plan)
        except _Unsupported as exc:
            plan.ok = False
            return exc
        return None

    def check_origins(self, uses: _Uses) -> None:
        """Code that stays synchronous makes psycopg2 connections somewhere in the program:
        a connection this function did not make itself (a parameter, a helper's result)
        may be one of them, so its psycopg2 calls stay."""
        made_here: set[str] = set()
        for node, _parents in uses.nodes:
            if isinstance(node, cst.Assign) and isinstance(node.value, cst.Call):
                if self.name_of(node.value.func) == "psycopg2.connect":
                    made_here.update(
                        t.target.value for t in node.targets if isinstance(t.target, cst.Name)
                    )
            elif isinstance(node, cst.WithItem) and isinstance(node.item, cst.Call):
                if self.name_of(node.item.func) == "psycopg2.connect" and node.asname:
                    if isinstance(node.asname.name, cst.Name):
                        made_here.add(node.asname.name.value)
        for node, parents in uses.nodes:
            parent = parents[-1] if parents else None
            if isinstance(parent, cst.Attribute) and parent.attr is node:
                continue  # `self.conn`: the class decides (visit_Module)
            if (
                isinstance(node, cst.Name)
                and node.value not in made_here
                and self.type_of(node) == CONNECTION
            ):
                detail = (
                    f"`{node.value}` may be a connection that code staying synchronous made"
                    " (it stays psycopg2 there)"
                )
                raise _Unsupported(NOT_UNDERSTOOD, node, detail)

    def is_conn(self, node: cst.BaseExpression) -> bool:
        """A connection the function may convert: a typed local name, or a ``self.<attr>``
        whose class keeps it consistently (:meth:`visit_Module`)."""
        if isinstance(node, cst.Attribute):
            return node in self.conn_uses
        return isinstance(node, cst.Name) and self.type_of(node) == CONNECTION

    def analyse(self, fn: cst.FunctionDef, plan: _FnPlan) -> None:
        uses = _Uses()
        fn.body.visit(uses)
        if CONNECTION in self.state.plan.sync_types:
            self.check_origins(uses)
        cursors: dict[str, tuple[cst.BaseExpression, str]] = {}  # name -> (conn, rows)
        autocommits = _autocommit_lines(uses)  # `conn.autocommit = True` after its connect
        # 1. Cursor creations, connects, connection-level calls.
        for node, parents in uses.nodes:
            if isinstance(node, cst.Call):
                name = self.name_of(node.func)
                qual = name or self.qualified(node.func)
                if qual.startswith("psycopg2.sql."):
                    raise _Unsupported(SQL_COMPOSITION, node)
                receiver = node.func.value if isinstance(node.func, cst.Attribute) else None
                if name == "psycopg2.connect":
                    self.check_connect(node, parents)
                    plan.connects.add(node)
                elif name in POOL_CLASSES:
                    self.check_pool(node, parents)
                    plan.pools.add(node)
                elif name.startswith(f"{POOL}."):
                    self.pool_call(node, parents, plan)
                elif qual == JSON_ADAPTER:
                    if len(node.args) != 1 or node.args[0].keyword is not None or node.args[0].star:
                        raise _Unsupported(NOT_UNDERSTOOD, node, "Json() with a custom dumps")
                    plan.jsons.add(node)
                elif name in ("psycopg2.extras.execute_batch", "psycopg2.extras.execute_values"):
                    continue  # checked with the cursor uses
                elif receiver is not None and (
                    self.is_conn(receiver) or name.startswith(f"{CONNECTION}.")
                ):
                    assert isinstance(node.func, cst.Attribute)
                    if not self.is_conn(receiver):
                        raise _Unsupported(
                            NOT_UNDERSTOOD,
                            node,
                            "a connection is converted only in a local name or in"
                            " `self.<attr>` in the methods of its class",
                        )
                    attr = node.func.attr.value
                    if attr == "cursor":
                        self.cursor_creation(node, parents, plan, cursors)
                    elif attr in ("poll",):
                        raise _Unsupported(NOTIFY_POLL, node)
                    elif attr not in ("commit", "rollback", "close"):
                        raise _Unsupported(CONNECTION_SETTING, node, f"`{attr}()`")
            elif isinstance(node, cst.Attribute) and self.is_conn(node.value):
                parent = parents[-1] if parents else None
                if any(line in parents for line in autocommits):
                    continue  # asyncpg's own mode, if _idioms takes the connection
                if not (isinstance(parent, cst.Call) and parent.func is node):
                    what = node.attr.value
                    code = NOTIFY_POLL if what == "notifies" else CONNECTION_SETTING
                    raise _Unsupported(code, node, f"`{what}`")
            elif (
                isinstance(node, cst.Attribute)
                and node not in self.conn_uses
                and self.type_of(node) == CONNECTION
                and not self.qualified(node)
                and not self.name_of(node).startswith(f"{POOL}.")
            ):
                raise _Unsupported(
                    NOT_UNDERSTOOD,
                    node,
                    f"connection in `{_code(node)}`: converted only as `self.<attr>` in the"
                    " methods of the class that connects it",
                )
        # 2. Uses of each cursor.
        execs_by_cursor: dict[str, list[_Exec]] = {}
        for node, parents in uses.nodes:
            if not isinstance(node, cst.Name) or node.value not in cursors:
                continue
            parent = parents[-1] if parents else None
            if isinstance(parent, (cst.AsName, cst.AssignTarget)):
                continue  # the creation, checked above
            if isinstance(parent, cst.Attribute) and parent.value is node:
                self.cursor_member(node.value, parent, parents[:-1], plan, cursors, execs_by_cursor)
            elif isinstance(parent, cst.For) and parent.iter is node:
                self.pair_read(
                    node.value,
                    parent,
                    "iter-raw" if isinstance(parent.target, cst.Tuple) else "iter",
                    parent,
                    execs_by_cursor,
                )
            elif (
                isinstance(parent, cst.Arg)
                and len(parents) >= 2
                and isinstance(parents[-2], cst.Call)
            ):
                self.batch(node.value, parents[-2], parents[:-2], plan, cursors)
            else:
                raise _Unsupported(NOT_UNDERSTOOD, node, f"`{node.value}` used as a value")
        for name, execs in execs_by_cursor.items():
            for ex in execs:
                if ex.read is not None and ex.rowcount:
                    raise _Unsupported(NOT_UNDERSTOOD, ex.call, "rowcount after a fetch")
                if ex.read is not None:
                    plan.remove.add(ex.stmt)
                    plan.reads[ex.read] = ex
                plan.execs[ex.call] = ex
                self.check_query(ex.call, ex.rowcount)
            del name
        plan.acquires.update(_acquire_blocks(fn, uses, plan, cursors))
        _idioms(fn, uses, plan, cursors)
        for line in autocommits - plan.dropped:
            raise _Unsupported(CONNECTION_SETTING, line, "`autocommit`")

    def check_connect(self, node: cst.Call, parents: tuple[cst.CSTNode, ...]) -> None:
        parent = parents[-1] if parents else None
        ok_position = (
            (
                isinstance(parent, cst.Assign)
                and len(parent.targets) == 1
                and isinstance(parent.targets[0].target, (cst.Name, cst.Attribute))
            )
            or (
                isinstance(parent, cst.WithItem)
                and parent.asname is not None
                and isinstance(parent.asname.name, cst.Name)
                and len(parents) >= 2
                and isinstance(parents[-2], cst.With)
                and len(parents[-2].items) == 1
            )
            or isinstance(parent, cst.Return)
        )
        if not ok_position:
            raise _Unsupported(UNSUPPORTED_CONNECT, node)
        if isinstance(parent, cst.Assign) and isinstance(parent.targets[0].target, cst.Attribute):
            target = parent.targets[0].target
            if target not in self.conn_uses:
                raise _Unsupported(
                    UNSUPPORTED_CONNECT,
                    node,
                    f"`{_code(target)}`: a connection is converted in an attribute only as"
                    " `self.<attr>` in the methods of its class",
                )
        for arg in node.args:
            if arg.star:
                raise _Unsupported(UNSUPPORTED_CONNECT, node, "*args/**kwargs")
            if (
                arg.keyword is not None
                and arg.keyword.value not in CONNECT_KEYWORDS
                and arg.keyword.value != "connect_timeout"
            ):
                raise _Unsupported(UNSUPPORTED_CONNECT, node, f"`{arg.keyword.value}=`")
            if arg.keyword is None or arg.keyword.value == "dsn":
                text = _query_text(arg.value)
                if text is not None and "://" not in text:
                    try:
                        _parse_dsn(text)
                    except ValueError as exc:
                        raise _Unsupported(UNSUPPORTED_CONNECT, node, str(exc)) from None

    def check_pool(self, node: cst.Call, parents: tuple[cst.CSTNode, ...]) -> None:
        """``SimpleConnectionPool(minconn, maxconn, dsn/keywords)`` assigned to a name."""
        parent = parents[-1] if parents else None
        if not (
            isinstance(parent, cst.Assign)
            and len(parent.targets) == 1
            and isinstance(parent.targets[0].target, cst.Name)
        ) and not isinstance(parent, cst.Return):
            raise _Unsupported(UNSUPPORTED_CONNECT, node, "a pool is converted in a local name")
        sizes, rest = _pool_args(node)
        if len(sizes) != 2:
            raise _Unsupported(UNSUPPORTED_CONNECT, node, "pool without minconn and maxconn")
        self.check_connect(node.with_changes(args=rest), (cst.Return(),))

    def pool_call(self, node: cst.Call, parents: tuple[cst.CSTNode, ...], plan: _FnPlan) -> None:
        """``getconn()`` assigned to a name, ``putconn(conn)`` and ``closeall()`` statements."""
        assert isinstance(node.func, cst.Attribute)
        method = node.func.attr.value
        parent = parents[-1] if parents else None
        statement = (
            isinstance(parent, cst.Expr)
            and len(parents) >= 2
            and isinstance(parents[-2], cst.SimpleStatementLine)
            and len(parents[-2].body) == 1
        )
        if method == "getconn" and not node.args:
            if not (
                isinstance(parent, cst.Assign)
                and len(parent.targets) == 1
                and isinstance(parent.targets[0].target, cst.Name)
            ) and not isinstance(parent, cst.Return):
                raise _Unsupported(NOT_UNDERSTOOD, node, "getconn() not assigned to a name")
            plan.getconns.add(node)
        elif (
            method == "putconn"
            and statement
            and len(node.args) == 1
            and node.args[0].keyword is None
            and self.is_conn(node.args[0].value)
        ):
            plan.putconns.add(node)
        elif method == "closeall" and statement and not node.args:
            plan.closealls.add(node)
        else:
            raise _Unsupported(
                NOT_UNDERSTOOD, node, f"`{method}()` of a pool (key=/close= have no equivalent)"
            )

    def cursor_creation(
        self,
        node: cst.Call,
        parents: tuple[cst.CSTNode, ...],
        plan: _FnPlan,
        cursors: dict[str, tuple[cst.BaseExpression, str]],
    ) -> None:
        assert isinstance(node.func, cst.Attribute)
        rows = "tuple"
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value == "cursor_factory":
                factory = self.qualified(arg.value)
                if factory in ROW_FACTORIES:
                    rows = ROW_FACTORIES[factory]
                    plan.factories.append(arg.value)
                else:
                    raise _Unsupported(NOT_UNDERSTOOD, node, f"cursor_factory `{factory or '?'}`")
            elif arg.keyword is not None and arg.keyword.value in (
                "name",
                "withhold",
                "scrollable",
            ):
                raise _Unsupported(NAMED_CURSOR, node)
            elif arg.keyword is None:
                raise _Unsupported(NAMED_CURSOR, node)
            else:
                raise _Unsupported(NOT_UNDERSTOOD, node, f"cursor argument `{arg.keyword.value}`")
        conn = node.func.value
        if not isinstance(conn, (cst.Name, cst.Attribute)):
            raise _Unsupported(NOT_UNDERSTOOD, node, "cursor of an expression")
        parent = parents[-1] if parents else None
        target: cst.BaseExpression | None = None
        if isinstance(parent, cst.Assign) and len(parent.targets) == 1 and len(parents) >= 2:
            target = parent.targets[0].target
            plan.remove.add(parents[-2])
        elif (
            isinstance(parent, cst.WithItem)
            and parent.asname is not None
            and len(parents) >= 2
            and isinstance(parents[-2], cst.With)
            and len(parents[-2].items) == 1
        ):
            target = parent.asname.name
            with_node = parents[-2]
            assert isinstance(with_node, cst.With)
            plan.unwrap.add(with_node)
        if not isinstance(target, cst.Name):
            raise _Unsupported(NOT_UNDERSTOOD, node, "cursor not assigned to a name")
        if target.value in cursors:
            raise _Unsupported(NOT_UNDERSTOOD, node, f"cursor `{target.value}` created twice")
        cursors[target.value] = (conn, rows)

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
        if name == "rowcount" and not called:
            previous = [ex for ex in execs.get(cursor, []) if self.pos(ex.call) < self.pos(attr)]
            if not previous:
                raise _Unsupported(NOT_UNDERSTOOD, attr, "rowcount before any execute")
            ex = previous[-1]
            ex.rowcount = True
            plan.rowcounts[attr] = f"{cursor}_rowcount"
            return
        if name == "lastrowid":
            raise _Unsupported(LASTROWID, attr)
        if name == "description":
            raise _Unsupported(DESCRIPTION_USE, attr)
        if name in ("copy_expert", "copy_from", "copy_to"):
            raise _Unsupported(COPY, attr)
        if not called or not isinstance(parent, cst.Call):
            raise _Unsupported(NOT_UNDERSTOOD, attr, f"`{cursor}.{name}`")
        stmt_parents = parents[:-1]
        if name in ("execute", "executemany", "close"):
            if not (
                len(stmt_parents) >= 3
                and isinstance(stmt_parents[-1], cst.Expr)
                and isinstance(stmt_parents[-2], cst.SimpleStatementLine)
                and len(stmt_parents[-2].body) == 1
            ):
                raise _Unsupported(
                    NOT_UNDERSTOOD, parent, f"`{cursor}.{name}()` not used as a statement"
                )
            stmt = stmt_parents[-2]
            assert isinstance(stmt, cst.SimpleStatementLine)
            if name == "close":
                plan.remove.add(stmt)
                return
            conn, rows = cursors[cursor]
            if name == "executemany":
                plan.executemany[parent] = (conn, "executemany")
                self.check_query(parent, False, many=True)
                return
            ex = _Exec(parent, stmt, conn, cursor, rows)
            execs.setdefault(cursor, []).append(ex)
            block = stmt_parents[-3]
            if isinstance(block, cst.IndentedBlock) or isinstance(block, cst.Module):
                body = list(block.body)
                index = body.index(stmt)
                ex_next = body[index + 1] if index + 1 < len(body) else None
                self.next_stmt[id(ex)] = ex_next
            return
        if name in FETCHES:
            kind = {"fetchone": "one", "fetchall": "all", "fetchmany": "many"}[name]
            if kind == "one" and len(stmt_parents) >= 1:
                holder = stmt_parents[-1]
                if isinstance(holder, cst.Subscript) and holder.value is parent:
                    kind = "raw"
                elif (
                    isinstance(holder, cst.Assign)
                    and holder.value is parent
                    and all(isinstance(t.target, (cst.Tuple, cst.List)) for t in holder.targets)
                ):
                    kind = "raw"
            if kind == "many" and (
                len(parent.args) > 1 or (parent.args and parent.args[0].keyword is not None)
            ):
                raise _Unsupported(NOT_UNDERSTOOD, parent, "fetchmany arguments")
            if kind == "many" and not parent.args:
                raise _Unsupported(NOT_UNDERSTOOD, parent, "fetchmany() uses cursor.arraysize")
            self.pair_read(cursor, parent, kind, parent, execs)
            return
        raise _Unsupported(NOT_UNDERSTOOD, parent, f"`{cursor}.{name}()`")

    def pair_read(
        self,
        cursor: str,
        read: cst.CSTNode,
        kind: str,
        at: cst.CSTNode,
        execs: dict[str, list[_Exec]],
    ) -> None:
        previous = [ex for ex in execs.get(cursor, []) if self.pos(ex.call) < self.pos(at)]
        if not previous:
            raise _Unsupported(NOT_UNDERSTOOD, at, "fetch before any execute")
        ex = previous[-1]
        following = self.next_stmt.get(id(ex))
        if ex.read is not None or following is None or not _contains(following, read):
            raise _Unsupported(
                NOT_UNDERSTOOD, at, "the fetch must be in the statement right after its execute"
            )
        ex.read = read
        ex.read_kind = kind

    def batch(
        self,
        cursor: str,
        call: cst.Call,
        parents: tuple[cst.CSTNode, ...],
        plan: _FnPlan,
        cursors: dict[str, tuple[cst.BaseExpression, str]],
    ) -> None:
        name = self.name_of(call.func)
        if name == "psycopg2.extras.execute_batch":
            if (
                not (parents and isinstance(parents[-1], cst.Expr))
                or len(call.args) != 3
                or any(a.keyword is not None or a.star for a in call.args)
                or call.args[0].value is not None
                and not (
                    isinstance(call.args[0].value, cst.Name) and call.args[0].value.value == cursor
                )
            ):
                raise _Unsupported(
                    NOT_UNDERSTOOD, call, "execute_batch with page_size or in an expression"
                )
            plan.executemany[call] = (cursors[cursor][0], "execute_batch")
            self.check_query(call, False, many=True, offset=1)
            return
        if name == "psycopg2.extras.execute_values":
            plan.values[call] = self.check_values(call, cursors[cursor][0])
            return
        raise _Unsupported(NOT_UNDERSTOOD, call, f"cursor `{cursor}` passed to a function")

    def check_values(
        self, call: cst.Call, conn: cst.BaseExpression
    ) -> tuple[cst.BaseExpression, str, list[str] | None, bool]:
        """``execute_values(cur, "INSERT ... VALUES %s", rows[, template=, fetch=])``: the
        ``executemany`` query, when the row arity is known from a literal template or
        literal rows."""
        args = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
        positional = [a.value for a in call.args if a.keyword is None]
        if any(a.star for a in call.args) or set(args) - {"template", "fetch", "page_size"}:
            raise _Unsupported(NOT_UNDERSTOOD, call, "execute_values arguments")
        names = ["cur", "sql", "argslist", "template", "page_size", "fetch"]
        for index, value in enumerate(positional):
            args[names[index]] = value
        query, rows = args.get("sql"), args.get("argslist")
        pieces = _pieces(query) if query is not None else None
        text = "".join(t for _, t in pieces) if pieces is not None else None
        if text is None or rows is None or len(re.findall(r"%s", text.replace("%%", ""))) != 1:
            raise _Unsupported(
                NON_LITERAL_QUERY, call, "execute_values needs a literal query with one %s"
            )
        fetch_node = args.get("fetch")
        fetch = isinstance(fetch_node, cst.Name) and fetch_node.value == "True"
        if (
            fetch_node is not None
            and not fetch
            and not (isinstance(fetch_node, cst.Name) and fetch_node.value == "False")
        ):
            raise _Unsupported(NOT_UNDERSTOOD, call, "execute_values fetch= not a literal")
        template_node = args.get("template")
        if template_node is not None and not (
            isinstance(template_node, cst.Name) and template_node.value == "None"
        ):
            template = _query_text(template_node)
            if template is None:
                raise _Unsupported(NON_LITERAL_QUERY, template_node, "template")
        else:
            values = _arg_values(rows)
            arity = {len(v) if (v := _arg_values(e)) is not None else -1 for e in values or []}
            if values is None or len(arity) != 1 or -1 in arity:
                raise _Unsupported(
                    NOT_UNDERSTOOD,
                    call,
                    "execute_values: the row arity is unknown (give a literal template=)",
                )
            template = "(" + ", ".join(["%s"] * arity.pop()) + ")"
        assert pieces is not None
        self.values_template[call] = template
        texts = []
        for _, piece in pieces:
            head, found, tail = piece.replace("%%", "\0").partition("%s")
            if found:
                piece = head.replace("\0", "%%") + template + tail.replace("\0", "%%")
            texts.append(piece)
        try:
            joined, sources, in_params = convert_placeholders(SEP.join(texts))
        except ValueError as exc:
            raise _Unsupported(NOT_UNDERSTOOD, call, f"execute_values: {exc}") from None
        new_texts = joined.split(SEP)
        if (
            in_params
            or _first_word(joined.replace(SEP, "")) not in PREPARABLE
            or len(new_texts) != len(pieces)
            or any(
                (old == EXPR) != (new == EXPR)
                for (_, old), new in zip(pieces, new_texts, strict=True)
            )
        ):
            raise _Unsupported(NOT_UNDERSTOOD, call, "execute_values query")
        named = [str(x) for x in sources] if any(isinstance(x, str) for x in sources) else None
        self.values_text[call] = {id(p): t for (p, _), t in zip(pieces, new_texts, strict=True)}
        return conn, joined.replace(SEP, ""), named, fetch

    def check_query(
        self, call: cst.Call, rowcount: bool, many: bool = False, offset: int = 0
    ) -> None:
        query, params = _query_args(call, offset)
        if query is None:
            raise _Unsupported(NOT_UNDERSTOOD, call, "no query")
        text = _template(query)
        if isinstance(query, cst.Call) and self.qualified(query.func).startswith("psycopg2.sql."):
            raise _Unsupported(SQL_COMPOSITION, query)
        if text is None and _has_fstring(query):
            raise _Unsupported(NON_LITERAL_QUERY, query, "f-string with escape sequences")
        if text is None:
            if params is None and not rowcount:
                return
            raise _Unsupported(NON_LITERAL_QUERY, query)
        if rowcount and _first_word(text) not in COUNTED:
            raise _Unsupported(
                NOT_UNDERSTOOD, call, "rowcount of a statement that reports no count"
            )
        if ROW_TYPES.search(text) or (JSON_TYPES.search(text) and not self.connects_here):
            self.report(TYPE_DIFFERENCE, query)
        if params is None:
            return
        try:
            new_text, sources, in_params = convert_placeholders(text)
        except ValueError as exc:
            if str(exc) == "quoted":
                raise _Unsupported(QUOTED_PLACEHOLDER, query) from None
            raise _Unsupported(NOT_UNDERSTOOD, query, str(exc)) from None
        if sources and _first_word(new_text) not in PREPARABLE:
            raise _Unsupported(UTILITY_PARAMS, query)
        if sources and ";" in new_text.strip().rstrip(";"):
            raise _Unsupported(MULTI_STATEMENT, query)
        if _has_fstring(query) and _converted_pieces(query) is None:
            raise _Unsupported(
                NOT_UNDERSTOOD, query, "a placeholder next to an f-string expression"
            )
        if isinstance(params, cst.Name) and params.value == "None":
            return
        values = _arg_values(params)
        named = any(isinstance(s, str) for s in sources)
        if many:
            if in_params:
                raise _Unsupported(NOT_UNDERSTOOD, query, "IN %s in executemany")
            return
        if named:
            if isinstance(params, cst.Dict):
                keys = {
                    _query_text(e.key) for e in params.elements if isinstance(e, cst.DictElement)
                }
                if (
                    len(keys) != len(params.elements)
                    or None in keys
                    or not all(s in keys for s in sources)
                ):
                    raise _Unsupported(NOT_UNDERSTOOD, params, "parameter dict")
            elif not isinstance(params, cst.Name):
                raise _Unsupported(NOT_UNDERSTOOD, params, "named parameters from an expression")
        elif values is not None:
            if len(values) != len(sources):
                raise _Unsupported(
                    NOT_UNDERSTOOD, params, "parameter count does not match the placeholders"
                )
        elif in_params:
            raise _Unsupported(NOT_UNDERSTOOD, params, "IN %s with parameters from an expression")

    # -- rewriting (updated nodes) ----------------------------------------------
    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        plan = self.plans[-1]
        if plan.ok:
            for factory in plan.factories:
                self.remove_import_of(factory)
        self.plans.pop()
        self.error_names.pop()
        return updated_node

    def convert_query(
        self, original: cst.Call, updated: cst.Call, offset: int = 0, many: bool = False
    ) -> tuple[cst.BaseExpression, list[cst.Arg]]:
        query_o, params_o = _query_args(original, offset)
        query_u, params_u = _query_args(updated, offset)
        assert query_o is not None and query_u is not None
        text = _template(query_o)
        if (
            params_o is None
            or text is None
            or (isinstance(params_u, cst.Name) and params_u.value == "None")
        ):
            return query_u, []
        new_text, sources, in_params = convert_placeholders(text)
        if _has_fstring(query_o):
            query = _rebuild_template(query_o, query_u)
        else:
            query = _rebuild_string(query_o, query_u)
        assert params_u is not None
        if many:
            if any(isinstance(s, str) for s in sources):
                keys = [
                    cst.Element(
                        cst.Subscript(
                            value=cst.Name("p"),
                            slice=[cst.SubscriptElement(cst.Index(_literal_like(query_o, str(s))))],
                        )
                    )
                    for s in sources
                ]
                comp = cst.ListComp(
                    elt=cst.Tuple(keys), for_in=cst.CompFor(target=cst.Name("p"), iter=params_u)
                )
                return query, [cst.Arg(comp)]
            return query, [cst.Arg(params_u)]
        values = _arg_values(params_u)
        args: list[cst.Arg] = []
        if any(isinstance(s, str) for s in sources):
            if isinstance(params_u, cst.Dict):
                by_key = {
                    _query_text(e.key): e.value
                    for e in params_u.elements
                    if isinstance(e, cst.DictElement)
                }
                picked = [by_key[str(s)] for s in sources]
            else:
                picked = [
                    cst.Subscript(
                        value=params_u,
                        slice=[cst.SubscriptElement(cst.Index(_literal_like(query_o, str(s))))],
                    )
                    for s in sources
                ]
        elif values is not None:
            picked = list(values)
        else:
            return query, [cst.Arg(params_u, star="*")] if sources else []
        for index, value in enumerate(picked):
            if index in in_params:
                value = cst.Call(func=cst.Name("list"), args=[cst.Arg(value)])
            args.append(cst.Arg(value))
        return query, args

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
        ex = plan.execs.get(original_node)
        if ex is not None:
            ex.query = self.convert_query(original_node, updated_node)
            ex.like = updated_node
            self.done(original_node)
            if ex.read is not None:
                return updated_node  # its statement goes; the read runs the query
            return cst.Await(_method(ex.conn, "execute", ex.query, ex.like))
        if original_node in plan.executemany:
            conn, kind = plan.executemany[original_node]
            query, args = self.convert_query(
                original_node, updated_node, offset=1 if kind == "execute_batch" else 0, many=True
            )
            self.done(original_node)
            offset = 1 if kind == "execute_batch" else 0
            like = updated_node.with_changes(args=updated_node.args[offset:])
            return cst.Await(_method(conn, "executemany", (query, args), like))
        if original_node in plan.values:
            conn, text, named, fetch = plan.values[original_node]
            self.done(original_node)
            query_o, _ = _query_args(original_node, 1)
            query_u, _ = _query_args(updated_node, 1)
            assert query_o is not None and query_u is not None
            literal = _rebuild_template(query_o, query_u, self.values_text[original_node])
            del text
            rows_u = next(
                (a.value for a in updated_node.args if a.keyword and a.keyword.value == "argslist"),
                updated_node.args[2].value,
            )
            if named is not None:
                rows_u = cst.ListComp(
                    elt=cst.Tuple(
                        [
                            cst.Element(
                                cst.Subscript(
                                    value=cst.Name("p"),
                                    slice=[
                                        cst.SubscriptElement(cst.Index(_literal_like(query_o, n)))
                                    ],
                                )
                            )
                            for n in named
                        ]
                    ),
                    for_in=cst.CompFor(target=cst.Name("p"), iter=rows_u),
                )
            if not fetch:
                return cst.Await(_method(conn, "executemany", (literal, [cst.Arg(rows_u)])))
            fetched = cst.Await(_method(conn, "fetchmany", (literal, [cst.Arg(rows_u)])))
            return cst.ListComp(
                elt=cst.Call(func=cst.Name("tuple"), args=[cst.Arg(cst.Name("r"))]),
                for_in=cst.CompFor(target=cst.Name("r"), iter=fetched),
            )
        read = plan.reads.get(original_node)
        if read is not None:
            return self.read_expression(read, updated_node)
        if original_node in plan.connects:
            self.done(original_node)
            self.add_import("asyncpg")
            return cst.Await(
                cst.Call(
                    func=dotted("asyncpg.connect"),
                    args=self.connect_args(original_node, updated_node),
                )
            )
        if original_node in plan.pools:
            return self.create_pool(original_node, updated_node)
        if original_node in plan.getconns or original_node in plan.closealls:
            assert isinstance(updated_node.func, cst.Attribute)
            self.remove_import_of(original_node.func)
            verb = "acquire" if original_node in plan.getconns else "close"
            func = updated_node.func.with_changes(
                value=self.pool_value(updated_node.func.value), attr=cst.Name(verb)
            )
            return cst.Await(updated_node.with_changes(func=func))
        if original_node in plan.jsons:
            self.remove_import_of(original_node.func)
            self.drop_psycopg2_imports()
            self.add_import("json")
            return updated_node.with_changes(func=dotted("json.dumps"))
        method = (
            original_node.func.attr.value
            if isinstance(original_node.func, cst.Attribute)
            and self.is_conn(original_node.func.value)
            else ""
        )
        if method == "commit" and any(
            isinstance(e := line.body[0], cst.Expr) and e.value is original_node
            for line in plan.region_ends
        ):
            return updated_node  # ends a transaction block (leave_SimpleStatementLine)
        if method in ("commit", "rollback") and isinstance(updated_node.func, cst.Attribute):
            helper = f"_{method}_and_begin"
            self.use_helper(helper)
            return cst.Await(
                cst.Call(func=cst.Name(helper), args=[cst.Arg(updated_node.func.value)])
            )
        if method == "close":
            return cst.Await(updated_node)
        return updated_node

    def create_pool(self, original: cst.Call, updated: cst.Call) -> cst.Await:
        self.done(original)
        self.add_import("asyncpg")
        _, rest = _pool_args(original)
        sizes_u, rest_u = _pool_args(updated)
        args = self.connect_args(
            original.with_changes(args=rest), updated.with_changes(args=rest_u)
        )
        for keyword, arg in zip(("min_size", "max_size"), sizes_u, strict=True):
            args.append(keyword_arg(keyword, arg.value))
        if self.json:
            self.use_helper("_json_codecs")
            args.append(keyword_arg("init", cst.Name("_json_codecs")))
        return cst.Await(cst.Call(func=dotted("asyncpg.create_pool"), args=args))

    def pool_value(self, pool: cst.BaseExpression) -> cst.BaseExpression:
        """A module-level pool is read through its lazy accessor: ``(await _get_pool())``."""
        if isinstance(pool, cst.Name) and pool.value in self.module_pools:
            accessor = cst.Call(func=cst.Name(self.module_pools[pool.value][1]))
            return cst.Await(accessor, lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        return pool

    def lazy_pool(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.FlattenSentinel[cst.BaseStatement]:
        """``POOL = SimpleConnectionPool(...)`` at import time -> ``POOL = None`` and an
        accessor creating it on first use."""
        assign_o, assign_u = original.body[0], updated.body[0]
        assert isinstance(assign_o, cst.Assign) and isinstance(assign_u, cst.Assign)
        assert isinstance(assign_o.value, cst.Call) and isinstance(assign_u.value, cst.Call)
        target = assign_o.targets[0].target
        assert isinstance(target, cst.Name)
        accessor = self.module_pools[target.value][1]
        create = self.create_pool(assign_o.value, assign_u.value)
        name = target.value
        function: cst.BaseStatement = cst.parse_statement(
            f"async def {accessor}():\n"
            f'    """`{name}`, created on first use: a pool cannot be awaited at import time."""\n'
            f"    global {name}\n"
            f"    if {name} is None:\n"
            f"        {name} = CREATE\n"
            f"    return {name}\n"
        )

        class _Put(cst.CSTTransformer):
            def leave_Name(self, o: cst.Name, u: cst.Name) -> cst.BaseExpression:
                return create if u.value == "CREATE" else u

        filled = function.visit(_Put())
        assert isinstance(filled, cst.FunctionDef)
        function = filled
        none = updated.with_changes(body=[assign_u.with_changes(value=cst.Name("None"))])
        lines = [cst.EmptyLine(), cst.EmptyLine()]
        return cst.FlattenSentinel([none, function.with_changes(leading_lines=lines)])

    def setup(
        self, conn: cst.BaseExpression, pooled: bool, begin: bool = True
    ) -> list[cst.SimpleStatementLine]:
        """What follows a connect (json codecs, ``BEGIN``) or a pool's acquire (``BEGIN``:
        the pool's ``init`` registered the codecs). No ``BEGIN`` for a connection in
        asyncpg's idiom (:func:`_idioms`)."""
        out: list[cst.SimpleStatementLine] = []
        if self.json and not pooled:
            self.use_helper("_json_codecs")
            call = cst.Call(func=cst.Name("_json_codecs"), args=[cst.Arg(conn.deep_clone())])
            out.append(cst.SimpleStatementLine([cst.Expr(cst.Await(call))]))
        if begin:
            out.append(_begin(conn))
        return out

    def use_helper(self, name: str) -> None:
        self.helpers.add(name)
        for module in self.HELPER_SOURCES[name][0]:
            self.add_import(module)

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        if not self.helpers:
            return updated_node
        body: list[cst.BaseStatement] = list(updated_node.body)
        at = after_header(body)
        defined = {s.name.value for s in body if isinstance(s, (cst.FunctionDef, cst.ClassDef))}
        new: list[cst.BaseStatement] = []
        for name in sorted(self.helpers - defined):
            module = cst.parse_module(self.HELPER_SOURCES[name][1].lstrip("\n"))
            for index, stmt in enumerate(module.body):
                lines = (
                    [cst.EmptyLine(), cst.EmptyLine()]
                    if index == 0 or isinstance(stmt, (cst.FunctionDef, cst.ClassDef))
                    else []
                )
                new.append(stmt.with_changes(leading_lines=lines))
        after = body[at] if at < len(body) else None
        if isinstance(after, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            body[at] = after.with_changes(
                leading_lines=[
                    cst.EmptyLine(),
                    cst.EmptyLine(),
                    *[line for line in after.leading_lines if line.comment is not None],
                ]
            )
        body[at:at] = new
        return updated_node.with_changes(body=body)

    def done(self, original: cst.Call) -> None:
        self.remove_import_of(original.func)
        self.drop_psycopg2_imports()

    def drop_psycopg2_imports(self) -> None:
        # `import psycopg2.errors` binds `psycopg2` too, so remove_import_of cannot tell
        # which import a chain used; LibCST removes only the ones left unused.
        for module in ("psycopg2", "psycopg2.errors", "psycopg2.extensions", "psycopg2.extras"):
            self.remove_import(module)

    def read_expression(self, ex: _Exec, updated: cst.Call | None) -> cst.BaseExpression:
        assert ex.query is not None
        kind = ex.read_kind
        wrap = "tuple" if ex.rows == "tuple" else ex.rows
        if wrap in HELPERS:
            self.use_helper(wrap)
        if kind in ("one", "raw"):
            fetched = cst.Await(_method(ex.conn, "fetchrow", ex.query, ex.like))
            if kind == "raw":
                return fetched
            var = cst.Name("row")
            return cst.IfExp(
                test=cst.Comparison(
                    left=cst.NamedExpr(
                        target=var, value=fetched, lpar=[cst.LeftParen()], rpar=[cst.RightParen()]
                    ),
                    comparisons=[cst.ComparisonTarget(cst.IsNot(), cst.Name("None"))],
                ),
                body=cst.Call(func=cst.Name(wrap), args=[cst.Arg(var)]),
                orelse=cst.Name("None"),
                lpar=[cst.LeftParen()],
                rpar=[cst.RightParen()],
            )
        fetched = cst.Await(_method(ex.conn, "fetch", ex.query, ex.like))
        if kind == "iter-raw":
            return fetched
        source: cst.BaseExpression = fetched
        if kind == "many":
            assert updated is not None
            size = updated.args[0].value
            source = cst.Subscript(
                value=fetched.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()]),
                slice=[cst.SubscriptElement(cst.Slice(lower=None, upper=size))],
            )
        return cst.ListComp(
            elt=cst.Call(func=cst.Name(wrap), args=[cst.Arg(cst.Name("r"))]),
            for_in=cst.CompFor(target=cst.Name("r"), iter=source),
        )

    def connect_args(self, original: cst.Call, updated: cst.Call) -> list[cst.Arg]:
        args: list[cst.Arg] = []
        for arg_o, arg_u in zip(original.args, updated.args, strict=True):
            keyword = arg_o.keyword.value if arg_o.keyword is not None else "dsn"
            if keyword == "dsn":
                text = _query_text(arg_o.value)
                if text is None:
                    self.report(NON_LITERAL_DSN, arg_o.value)
                    args.append(cst.Arg(arg_u.value))
                elif "://" in text:
                    args.append(cst.Arg(arg_u.value))
                else:
                    for key, value in _parse_dsn(text):
                        args.append(_keyword(key, value))
            elif keyword == "connect_timeout":
                args.append(arg_u.with_changes(keyword=cst.Name("timeout")))
            else:
                args.append(arg_u.with_changes(keyword=cst.Name(CONNECT_KEYWORDS[keyword])))
        if args:
            args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return args

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.BaseExpression:
        plan = self.plan
        if plan is not None and original_node in plan.rowcounts:
            return cst.Name(plan.rowcounts[original_node])
        if (
            self.in_async()
            and original_node.attr.value == "pgcode"
            and isinstance(original_node.value, cst.Name)
            and original_node.value.value in self.error_names[-1]
        ):
            return updated_node.with_changes(attr=cst.Name("sqlstate"))
        return updated_node

    def leave_For(self, original_node: cst.For, updated_node: cst.For) -> cst.For:
        plan = self.plan
        ex = plan.reads.get(original_node) if plan is not None else None
        if ex is None:
            return updated_node
        return updated_node.with_changes(iter=self.read_expression(ex, None))

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement] | cst.RemovalSentinel:
        plan = self.plan
        if original_node in self.lazy_pools:
            return self.lazy_pool(original_node, updated_node)
        if plan is None:
            return updated_node
        if original_node in plan.remove:
            return cst.RemoveFromParent()
        if any(line is original_node for line, _, _ in plan.acquires.values()):
            return updated_node  # becomes `async with pool.acquire()` (leave_IndentedBlock)
        if original_node in plan.dropped:
            return cst.RemoveFromParent()
        if original_node in plan.region_ends:  # the commit ending a transaction block
            return _marker(REGION_END, updated_node.leading_lines)
        first = original_node.body[0] if len(original_node.body) == 1 else None
        if isinstance(first, cst.Expr) and isinstance(first.value, cst.Call):
            ex = plan.execs.get(first.value)
            if ex is not None and ex.rowcount:
                status = updated_node.body[0]
                assert isinstance(status, cst.Expr)
                expr = cst.Call(
                    func=cst.Name("int"),
                    args=[
                        cst.Arg(
                            cst.Subscript(
                                value=cst.Call(
                                    func=cst.Attribute(
                                        value=status.value.with_changes(
                                            lpar=[cst.LeftParen()], rpar=[cst.RightParen()]
                                        ),
                                        attr=cst.Name("rpartition"),
                                    ),
                                    args=[cst.Arg(cst.SimpleString('" "'))],
                                ),
                                slice=[cst.SubscriptElement(cst.Index(cst.Integer("2")))],
                            )
                        )
                    ],
                )
                return updated_node.with_changes(
                    body=[
                        cst.Assign(
                            targets=[cst.AssignTarget(cst.Name(f"{ex.cursor}_rowcount"))],
                            value=expr,
                        )
                    ]
                )
        if (
            isinstance(first, cst.Expr)
            and isinstance(first.value, cst.Call)
            and first.value in plan.putconns
        ):
            # psycopg2's putconn rolls back what was not committed; asyncpg's release
            # would complain about the open transaction.
            put = updated_node.body[0]
            assert isinstance(put, cst.Expr) and isinstance(put.value, cst.Call)
            assert isinstance(put.value.func, cst.Attribute)
            conn = put.value.args[0].value
            rollback = cst.SimpleStatementLine(
                [
                    cst.Expr(
                        cst.Await(_method(conn, "execute", (cst.SimpleString('"ROLLBACK"'), [])))
                    )
                ],
                leading_lines=updated_node.leading_lines,
            )
            release = put.value.with_changes(
                func=put.value.func.with_changes(
                    value=self.pool_value(put.value.func.value), attr=cst.Name("release")
                )
            )
            return cst.FlattenSentinel(
                [
                    rollback,
                    updated_node.with_changes(
                        body=[put.with_changes(value=cst.Await(release))], leading_lines=[]
                    ),
                ]
            )
        if (
            isinstance(first, (cst.Assign, cst.Return))
            and isinstance(first.value, cst.Call)
            and (first.value in plan.connects or first.value in plan.getconns)
        ):
            pooled = first.value in plan.getconns
            new = updated_node.body[0]
            assert isinstance(new, (cst.Assign, cst.Return))
            if isinstance(first, cst.Assign):
                target = first.targets[0].target
                kind = plan.idioms.get(first.value)
                after = self.setup(target, pooled, begin=kind is None)
                if kind == "ends":  # the statements up to the commit: one transaction
                    after.append(_marker(REGION_START, []))
                return cst.FlattenSentinel([updated_node, *after])
            var = cst.Name("conn")
            assert new.value is not None
            return cst.FlattenSentinel(
                [
                    cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(var)], new.value)]),
                    *self.setup(var, pooled),
                    updated_node.with_changes(body=[new.with_changes(value=var)]),
                ]
            )
        return updated_node

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        """``conn = pool.getconn()`` and the ``try`` that commits and puts it back become
        ``async with pool.acquire() as conn:`` / ``async with conn.transaction():``.
        Statements before them may have become several (a ``BEGIN`` after a connect), so
        the k-th ``try`` of the original block is the k-th of the updated one."""
        plan = self.plan
        if plan is not None and plan.region_ends:
            updated_node = _wrap_regions(updated_node)
        if plan is None or not any(s in plan.acquires for s in original_node.body):
            return updated_node
        tries = [s for s in original_node.body if isinstance(s, cst.Try)]
        new_tries = [s for s in updated_node.body if isinstance(s, cst.Try)]
        if len(tries) != len(new_tries):
            return updated_node
        body = list(updated_node.body)
        for old, new in zip(tries, new_tries, strict=True):
            if old not in plan.acquires:
                continue
            _line, conn, pool = plan.acquires[old]
            at = next(i for i, s in enumerate(body) if s is new)
            line = body[at - 1]
            assert isinstance(line, cst.SimpleStatementLine)
            assert isinstance(new.body, cst.IndentedBlock)
            statements: list[cst.BaseStatement] = list(new.body.body[:-1]) or [
                cst.SimpleStatementLine([cst.Pass()])
            ]
            acquire = cst.Call(
                func=cst.Attribute(self.pool_value(pool.deep_clone()), cst.Name("acquire"))
            )
            transaction = cst.With(
                items=[cst.WithItem(cst.Call(func=_dotted_attr(conn, "transaction")))],
                body=cst.IndentedBlock(statements),
                asynchronous=cst.Asynchronous(),
            )
            block = cst.With(
                items=[cst.WithItem(acquire, asname=cst.AsName(cst.Name(conn)))],
                body=cst.IndentedBlock([transaction]),
                asynchronous=cst.Asynchronous(),
                leading_lines=line.leading_lines,
            )
            body[at - 1 : at + 1] = [block]
        return updated_node.with_changes(body=body)

    def leave_With(
        self, original_node: cst.With, updated_node: cst.With
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement]:
        plan = self.plan
        if plan is None:
            return updated_node
        if original_node in plan.unwrap:
            body = updated_node.body
            assert isinstance(body, cst.IndentedBlock)
            return cst.FlattenSentinel(list(body.body))
        if original_node in plan.transaction_withs:  # asyncpg's idiom (_idioms)
            held = updated_node.items[0].item
            transaction = cst.Call(func=cst.Attribute(held, cst.Name("transaction")))
            return updated_node.with_changes(
                items=[cst.WithItem(transaction)], asynchronous=cst.Asynchronous()
            )
        if len(original_node.items) != 1 or original_node.asynchronous is not None:
            return updated_node
        item = original_node.items[0]
        is_connect = isinstance(item.item, cst.Call) and item.item in plan.connects
        if not is_connect and not self.is_conn(item.item):
            return updated_node
        body = updated_node.body
        assert isinstance(body, cst.IndentedBlock)
        statements: list[cst.BaseStatement] = []
        if is_connect:
            assert item.asname is not None
            target = item.asname.name
            assert isinstance(target, cst.Name)
            conn: cst.BaseExpression = target
            new_item = updated_node.items[0].item
            statements.append(
                cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(target)], new_item)])
            )
            statements.extend(self.setup(conn, False))
        else:
            conn = updated_node.items[0].item
        # psycopg2's `with conn:` commits on exit and rolls back on an exception, without
        # closing; conn.transaction() would refuse the transaction already open.
        self.use_helper("_commit_on_exit")
        self.use_helper("_commit_and_begin")
        self.use_helper("_rollback_and_begin")
        block = cst.Call(func=cst.Name("_commit_on_exit"), args=[cst.Arg(conn.deep_clone())])
        asname = updated_node.items[0].asname if not is_connect else None
        statements.append(
            updated_node.with_changes(
                items=[cst.WithItem(block, asname=asname)],
                asynchronous=cst.Asynchronous(),
                body=body,
                leading_lines=[],
            )
        )
        statements[0] = statements[0].with_changes(leading_lines=updated_node.leading_lines)
        return cst.FlattenSentinel(statements)

    def leave_Annotation(
        self, original_node: cst.Annotation, updated_node: cst.Annotation
    ) -> cst.Annotation:
        if self.plan is None or self.qualified(original_node.annotation) != CONNECTION:
            return updated_node
        self.remove_import_of(original_node.annotation)
        self.drop_psycopg2_imports()
        self.add_import("asyncpg")
        return updated_node.with_changes(annotation=dotted("asyncpg.Connection"))

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None and isinstance(node.name.name, cst.Name) and node.type is not None:
            types = node.type.elements if isinstance(node.type, cst.Tuple) else None
            exprs = [e.value for e in types] if types is not None else [node.type]
            if any(self.qualified(e) in self.EXCEPTION_TABLE for e in exprs):
                self.error_names[-1].add(node.name.name.value)

    def leave_ExceptHandler(
        self, original_node: cst.ExceptHandler, updated_node: cst.ExceptHandler
    ) -> cst.ExceptHandler:
        if (
            not self.in_async()
            or original_node.type is None
            or self.state.is_skipped(original_node)
        ):
            return updated_node
        if self.plans and not self.plans[-1].ok:
            return updated_node
        typ = original_node.type
        exprs = [e.value for e in typ.elements] if isinstance(typ, cst.Tuple) else [typ]
        if not any(self.qualified(e) in self.EXCEPTION_TABLE for e in exprs):
            return updated_node
        names: list[str] = []
        modules: set[str] = set()
        for expr in exprs:
            qual = self.qualified(expr)
            if qual in self.EXCEPTION_TABLE:
                self.remove_import_of(expr)
                self.drop_psycopg2_imports()
                names.extend(n for n in self.EXCEPTION_TABLE[qual] if n not in names)
                modules.update(n.rpartition(".")[0] for n in self.EXCEPTION_TABLE[qual] if "." in n)
            else:
                names.append(cst.Module([]).code_for_node(expr))
        for module in sorted(modules):
            self.add_import(module)
        if len(names) == 1:
            new_type: cst.BaseExpression = dotted(names[0])
        else:
            new_type = cst.Tuple([cst.Element(dotted(n)) for n in names])
        return updated_node.with_changes(type=new_type)


def _connect_target(db: Db, parents: tuple[cst.CSTNode, ...]) -> bool:
    """Whether the attribute with these ancestors is assigned ``psycopg2.connect(...)``."""
    return (
        len(parents) >= 2
        and isinstance(parents[-1], cst.AssignTarget)
        and isinstance(parents[-2], cst.Assign)
        and isinstance(parents[-2].value, cst.Call)
        and db.name_of(parents[-2].value.func) == "psycopg2.connect"
    )


def _stores_given(attr: cst.Attribute, parents: tuple[cst.CSTNode, ...]) -> bool:
    """``self.conn = conn``: the attribute is assigned a name (a connection made elsewhere)."""
    return (
        len(parents) >= 2
        and isinstance(parents[-1], cst.AssignTarget)
        and isinstance(parents[-2], cst.Assign)
        and isinstance(parents[-2].value, cst.Name)
        and parents[-2].value.value != "None"
    )


def _attribute_use_problem(db: Db, attr: cst.Attribute, parents: tuple[cst.CSTNode, ...]) -> str:
    """Why a use of ``self.<attr>`` cannot follow its connection's conversion, or ""."""
    parent = parents[-1] if parents else None
    here = f"`{_code(attr)}`"
    if isinstance(parent, cst.Attribute) and parent.value is attr:
        return ""  # self.conn.cursor() / commit() / ...: the method's analysis decides
    if isinstance(parent, cst.WithItem) and parent.item is attr:
        return ""
    if isinstance(parent, cst.AssignTarget) and len(parents) >= 2:
        assign = parents[-2]
        assert isinstance(assign, cst.Assign)
        value = assign.value
        if len(assign.targets) != 1:
            return f"{here} assigned in a chained assignment"
        if _connect_target(db, parents) or (isinstance(value, cst.Name) and value.value == "None"):
            return ""
        if isinstance(value, cst.Name) and db.type_of(value) == CONNECTION:
            return ""
        return f"{here} is assigned another value"
    if (
        isinstance(parent, cst.Comparison)
        and parent.left is attr
        and len(parent.comparisons) == 1
        and isinstance(parent.comparisons[0].operator, (cst.Is, cst.IsNot))
        and isinstance(parent.comparisons[0].comparator, cst.Name)
        and parent.comparisons[0].comparator.value == "None"
    ):
        return ""
    return f"{here} is used as a value"


def _contains(tree: cst.CSTNode, node: cst.CSTNode) -> bool:
    if tree is node:
        return True
    return any(_contains(child, node) for child in tree.children)


def _query_args(
    call: cst.Call, offset: int = 0
) -> tuple[cst.BaseExpression | None, cst.BaseExpression | None]:
    query: cst.BaseExpression | None = None
    params: cst.BaseExpression | None = None
    positional = [a for a in call.args if a.keyword is None][offset:]
    for index, arg in enumerate(positional):
        if index == 0:
            query = arg.value
        elif index == 1:
            params = arg.value
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in ("query", "sql"):
            query = arg.value
        elif arg.keyword is not None and arg.keyword.value in ("vars", "vars_list", "argslist"):
            params = arg.value
    return query, params


def _method(
    conn: cst.BaseExpression,
    name: str,
    query: tuple[cst.BaseExpression, Sequence[cst.Arg]],
    like: cst.Call | None = None,
) -> cst.Call:
    """``conn.<name>(query, *args)``, laid out like the call ``like`` it replaces."""
    text, args = query
    values = [cst.Arg(text), *args]
    old = list(like.args) if like is not None else []
    out: list[cst.Arg] = []
    for i, arg in enumerate(values):
        if i == len(values) - 1:
            comma = old[-1].comma if old else cst.MaybeSentinel.DEFAULT
        elif i < len(old) - 1:
            comma = old[i].comma
        else:
            comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        out.append(arg.with_changes(comma=comma))
    func = cst.Attribute(value=conn.deep_clone(), attr=cst.Name(name))
    if like is not None:
        return like.with_changes(func=func, args=out)
    return cst.Call(func=func, args=out)


def _dotted_attr(name: str, attr: str) -> cst.Attribute:
    return cst.Attribute(cst.Name(name), cst.Name(attr))


def _acquire_blocks(
    fn: cst.FunctionDef,
    uses: _Uses,
    plan: _FnPlan,
    cursors: Mapping[str, tuple[cst.BaseExpression, str]],
) -> dict[cst.Try, tuple[cst.SimpleStatementLine, str, cst.BaseExpression]]:
    """The ``try`` statements that can become ``async with pool.acquire() as conn:`` /
    ``async with conn.transaction():`` with the same commit/rollback behaviour:

        conn = pool.getconn()
        try:
            ...                   # no return/break/continue out of it, no other use of
            conn.commit()         # conn than its cursors, and nothing else commits
        finally:
            pool.putconn(conn)    # psycopg2 rolls back what was not committed

    The work commits exactly when the body runs to its end (``transaction()`` commits on
    a normal exit and rolls back on an exception; the pool gets the connection back in
    both cases); ``conn`` and its cursors are not used anywhere else in the function."""
    every_name = _AllNames()
    fn.body.visit(every_name)  # nested functions too: a closure may use the connection
    found: dict[cst.Try, tuple[cst.SimpleStatementLine, str, cst.BaseExpression]] = {}
    for node, parents in uses.nodes:
        if not isinstance(node, cst.Try) or not parents:
            continue
        block = parents[-1]
        if not isinstance(block, cst.IndentedBlock):
            continue
        at = next(i for i, s in enumerate(block.body) if s is node)
        line = block.body[at - 1] if at else None
        shape = _acquire_shape(line, node, plan)
        if shape is None:
            continue
        conn, pool = shape
        assert isinstance(line, cst.SimpleStatementLine)
        mine = {id(n) for n, _ in _walk(node)} | {id(n) for n, _ in _walk(line)}
        names = {conn} | {c for c, (expr, _) in cursors.items() if _code(expr) == conn}
        outside = any(n.value in names and id(n) not in mine for n in every_name.names)
        if outside or not _only_cursors(node, conn):
            continue
        found[node] = (line, conn, pool)
    return found


def _acquire_shape(
    line: cst.BaseStatement | None, node: cst.Try, plan: _FnPlan
) -> tuple[str, cst.BaseExpression] | None:
    """(connection name, pool) when ``line`` + ``node`` are getconn / try ... commit /
    finally putconn."""
    if not (
        isinstance(line, cst.SimpleStatementLine)
        and len(line.body) == 1
        and isinstance(assign := line.body[0], cst.Assign)
        and len(assign.targets) == 1
        and isinstance(target := assign.targets[0].target, cst.Name)
        and isinstance(get := assign.value, cst.Call)
        and get in plan.getconns
        and isinstance(get.func, cst.Attribute)
    ):
        return None
    conn, pool = target.value, get.func.value
    if node.handlers or node.orelse is not None or node.finalbody is None:
        return None
    final = node.finalbody.body.body
    if not (
        len(final) == 1
        and isinstance(final[0], cst.SimpleStatementLine)
        and len(final[0].body) == 1
        and isinstance(put := final[0].body[0], cst.Expr)
        and isinstance(put.value, cst.Call)
        and put.value in plan.putconns
        and isinstance(put.value.func, cst.Attribute)
        and _code(put.value.func.value) == _code(pool)
        and _code(put.value.args[0].value) == conn
    ):
        return None
    last = node.body.body[-1] if node.body.body else None
    if not (
        isinstance(last, cst.SimpleStatementLine)
        and len(last.body) == 1
        and isinstance(commit := last.body[0], cst.Expr)
        and isinstance(commit.value, cst.Call)
        and _code(commit.value) == f"{conn}.commit()"
    ):
        return None
    return conn, pool


def _walk(tree: cst.CSTNode) -> list[tuple[cst.CSTNode, tuple[cst.CSTNode, ...]]]:
    uses = _Uses()
    tree.visit(uses)
    return uses.nodes


def _only_cursors(node: cst.Try, conn: str) -> bool:
    """In the try's body but its last statement (the commit): ``conn`` only makes cursors,
    and nothing leaves the body early (return, a break/continue of an outer loop, yield)."""
    body = node.body.body[:-1]
    for statement in body:
        for child, parents in _walk(statement):
            if isinstance(child, (cst.Return, cst.Yield)):
                return False
            if isinstance(child, (cst.Break, cst.Continue)) and not any(
                isinstance(p, (cst.For, cst.While)) for p in parents
            ):
                return False
            if isinstance(child, cst.Name) and child.value == conn:
                parent = parents[-1] if parents else None
                call = parents[-2] if len(parents) >= 2 else None
                if not (
                    isinstance(parent, cst.Attribute)
                    and parent.value is child
                    and parent.attr.value == "cursor"
                    and isinstance(call, cst.Call)
                    and call.func is parent
                ):
                    return False
    return True


class _AllNames(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[cst.Name] = []

    def visit_Name(self, node: cst.Name) -> None:
        self.names.append(node)


REGION_START = "_asyncify_transaction_starts"
REGION_END = "_asyncify_transaction_ends"


def _marker(name: str, leading: Sequence[cst.EmptyLine]) -> cst.SimpleStatementLine:
    """A placeholder statement where a transaction block starts or ends: the block is
    built around the statements between them when their block is left (_wrap_regions)."""
    return cst.SimpleStatementLine([cst.Expr(cst.Name(name))], leading_lines=leading)


def _is_marker(statement: cst.BaseStatement, name: str) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, cst.Name)
        and statement.body[0].value.value == name
    )


def _wrap_regions(block: cst.IndentedBlock) -> cst.IndentedBlock:
    """``conn = await asyncpg.connect(...)`` [start] ... [end]: the statements between the
    markers go into ``async with conn.transaction():`` (the connect's target)."""
    body = list(block.body)
    while True:
        start = next((i for i, s in enumerate(body) if _is_marker(s, REGION_START)), None)
        if start is None:
            return block.with_changes(body=body)
        end = next(i for i, s in enumerate(body) if i > start and _is_marker(s, REGION_END))
        connect = next(
            s for s in reversed(body[:start])
            if isinstance(s, cst.SimpleStatementLine) and isinstance(s.body[0], cst.Assign)
        )
        assign = connect.body[0]
        assert isinstance(assign, cst.Assign)
        conn = assign.targets[0].target
        inner = body[start + 1 : end] or [cst.SimpleStatementLine([cst.Pass()])]
        first = inner[0]
        assert isinstance(first, (cst.SimpleStatementLine, cst.BaseCompoundStatement))
        with_block = cst.With(
            items=[cst.WithItem(cst.Call(func=cst.Attribute(conn, cst.Name("transaction"))))],
            body=cst.IndentedBlock([first.with_changes(leading_lines=[]), *inner[1:]]),
            asynchronous=cst.Asynchronous(),
            leading_lines=first.leading_lines,
        )
        body[start : end + 1] = [with_block]


def _autocommit_lines(uses: _Uses) -> set[cst.SimpleStatementLine]:
    """``conn.autocommit = True`` right after ``conn = psycopg2.connect(...)``."""
    found: set[cst.SimpleStatementLine] = set()
    for node, parents in uses.nodes:
        if not (
            isinstance(node, cst.SimpleStatementLine)
            and len(node.body) == 1
            and isinstance(assign := node.body[0], cst.Assign)
            and len(assign.targets) == 1
            and isinstance(target := assign.targets[0].target, cst.Attribute)
            and isinstance(target.value, cst.Name)
            and target.attr.value == "autocommit"
            and isinstance(assign.value, cst.Name)
            and assign.value.value == "True"
            and parents
            and isinstance(block := parents[-1], cst.IndentedBlock)
        ):
            continue
        at = next(i for i, s in enumerate(block.body) if s is node)
        before = block.body[at - 1] if at else None
        if (
            isinstance(before, cst.SimpleStatementLine)
            and len(before.body) == 1
            and isinstance(made := before.body[0], cst.Assign)
            and _code(made.targets[0].target) == target.value.value
            and isinstance(made.value, cst.Call)
            and _code(made.value.func).endswith("connect")
        ):
            found.add(node)
    return found


def _idioms(
    fn: cst.FunctionDef,
    uses: _Uses,
    plan: _FnPlan,
    cursors: Mapping[str, tuple[cst.BaseExpression, str]],
) -> None:
    """Connections this function makes (``conn = psycopg2.connect(...)``) whose every use
    fits asyncpg's own transactions, so no ``BEGIN`` emulation is needed:

    * ``blocks``: work only inside ``with conn:`` blocks (not nested), each becoming
      ``async with conn.transaction():`` (both commit on any normal exit, return included,
      and roll back on an exception);
    * ``ends``: ``conn.commit()`` once, in the connect's block, after the statements that
      use it: those become one ``async with conn.transaction():`` (nothing may leave them
      early: psycopg2 would not commit, ``transaction()`` would);
    * ``autocommit``: ``conn.autocommit = True`` right after the connect: asyncpg's own
      mode (no ``commit()``/``rollback()``/``with conn:`` then).

    ``conn`` may otherwise only make cursors (inside the transaction blocks, and its cursors
    are used only there) and be closed (outside them); anything else (passed to a helper,
    which might commit; returned; a nested function) keeps the emulation."""
    parents_of = {id(node): parents for node, parents in uses.nodes}
    every_name = _AllNames()
    fn.body.visit(every_name)
    for call in plan.connects:
        parents = parents_of.get(id(call), ())
        if len(parents) < 3 or not isinstance(parents[-1], cst.Assign):
            continue
        assign, line, block = parents[-1], parents[-2], parents[-3]
        if not (
            isinstance(line, cst.SimpleStatementLine)
            and len(line.body) == 1
            and isinstance(block, cst.IndentedBlock)
            and len(assign.targets) == 1
            and isinstance(assign.targets[0].target, cst.Name)
        ):
            continue
        conn = assign.targets[0].target.value
        kind = _idiom_kind(conn, assign, line, block, every_name, parents_of, cursors)
        if kind is None:
            continue
        plan.idioms[call] = kind[0]
        plan.transaction_withs.update(kind[1])
        plan.region_ends.update(kind[2])
        plan.dropped.update(kind[3])


def _idiom_kind(
    conn: str,
    assign: cst.Assign,
    line: cst.SimpleStatementLine,
    block: cst.IndentedBlock,
    every_name: _AllNames,
    parents_of: Mapping[int, tuple[cst.CSTNode, ...]],
    cursors: Mapping[str, tuple[cst.BaseExpression, str]],
) -> tuple[str, set[cst.With], set[cst.SimpleStatementLine], set[cst.SimpleStatementLine]] | None:
    withs: list[cst.With] = []
    commits: list[cst.SimpleStatementLine] = []
    autocommit: list[cst.SimpleStatementLine] = []
    statement: cst.SimpleStatementLine | None
    makes: list[tuple[cst.CSTNode, ...]] = []  # parents of each conn.cursor() call
    closes: list[tuple[cst.CSTNode, ...]] = []
    for name in every_name.names:
        if name.value != conn or name is assign.targets[0].target:
            continue
        parents = parents_of.get(id(name))
        if parents is None:
            return None  # in a nested function
        parent = parents[-1]
        if isinstance(parent, cst.WithItem) and parent.asname is None:
            with_node = parents[-2]
            if not isinstance(with_node, cst.With) or len(with_node.items) != 1:
                return None
            withs.append(with_node)
            continue
        if not (isinstance(parent, cst.Attribute) and parent.value is name):
            return None
        attr = parent.attr.value
        call = parents[-2] if len(parents) >= 2 else None
        statement = _statement_of(parents[:-2]) if isinstance(call, cst.Call) else None
        if attr == "cursor" and isinstance(call, cst.Call) and call.func is parent:
            makes.append(parents)
        elif attr == "close" and statement is not None:
            closes.append(parents)
        elif attr == "commit" and statement is not None:
            commits.append(statement)
        elif attr == "autocommit" and isinstance(parents[-2], cst.AssignTarget):
            statement_line = parents[-4] if len(parents) >= 4 else None
            if not isinstance(statement_line, cst.SimpleStatementLine):
                return None
            autocommit.append(statement_line)
        else:
            return None
    del line
    regions: list[tuple[cst.CSTNode, ...]]
    if autocommit:
        if commits or withs or len(autocommit) != 1:
            return None
        return "autocommit", set(), set(), set(autocommit)
    if commits and not withs:
        if len(commits) != 1 or not any(s is commits[0] for s in block.body):
            return None
        commit_line = commits[0]
        start = next(i for i, s in enumerate(block.body) if s is _connect_line(block, assign))
        end = next(i for i, s in enumerate(block.body) if s is commit_line)
        if end <= start:
            return None
        region = list(block.body[start + 1 : end])
        if not _no_early_exit(region):
            return None
        regions = [tuple(region)]
        if not _inside(makes, regions) or _inside_any(closes, regions):
            return None
        if not _cursors_inside(conn, cursors, every_name, parents_of, regions):
            return None
        return "ends", set(), {commit_line}, set()
    if withs and not commits:
        for w in withs:
            if any(other is not w and w in parents_of.get(id(other), ()) for other in withs):
                return None  # nested: the inner block would commit the outer's work
        regions = [tuple(w.body.body) for w in withs if isinstance(w.body, cst.IndentedBlock)]
        if not _inside(makes, regions) or _inside_any(closes, regions):
            return None
        if not _cursors_inside(conn, cursors, every_name, parents_of, regions):
            return None
        return "blocks", set(withs), set(), set()
    return None


def _connect_line(block: cst.IndentedBlock, assign: cst.Assign) -> cst.BaseStatement:
    return next(
        s for s in block.body
        if isinstance(s, cst.SimpleStatementLine) and any(b is assign for b in s.body)
    )


def _statement_of(parents: tuple[cst.CSTNode, ...]) -> cst.SimpleStatementLine | None:
    """The statement line when ``parents`` end in ``Expr`` inside a one-statement line."""
    if (
        len(parents) >= 2
        and isinstance(parents[-1], cst.Expr)
        and isinstance(parents[-2], cst.SimpleStatementLine)
        and len(parents[-2].body) == 1
    ):
        return parents[-2]
    return None


def _in_region(parents: tuple[cst.CSTNode, ...], region: tuple[cst.CSTNode, ...]) -> bool:
    return any(any(p is s for s in region) for p in parents)


def _inside(found: list[tuple[cst.CSTNode, ...]], regions: list[tuple[cst.CSTNode, ...]]) -> bool:
    return all(any(_in_region(parents, r) for r in regions) for parents in found)


def _inside_any(
    found: list[tuple[cst.CSTNode, ...]], regions: list[tuple[cst.CSTNode, ...]]
) -> bool:
    return any(_in_region(parents, r) for parents in found for r in regions)


def _cursors_inside(
    conn: str,
    cursors: Mapping[str, tuple[cst.BaseExpression, str]],
    every_name: _AllNames,
    parents_of: Mapping[int, tuple[cst.CSTNode, ...]],
    regions: list[tuple[cst.CSTNode, ...]],
) -> bool:
    """Each cursor of ``conn`` is used inside one region only (where it was made)."""
    for cursor, (expr, _rows) in cursors.items():
        if _code(expr) != conn:
            continue
        seen: set[int] = set()
        for name in every_name.names:
            if name.value != cursor:
                continue
            parents = parents_of.get(id(name))
            if parents is None:
                return False
            inside = [i for i, r in enumerate(regions) if _in_region(parents, r)]
            if not inside:
                return False
            seen.update(inside)
        if len(seen) > 1:
            return False
    return True


def _no_early_exit(region: Sequence[cst.BaseStatement]) -> bool:
    for statement in region:
        for child, parents in _walk(statement):
            if isinstance(child, (cst.Return, cst.Yield)):
                return False
            if isinstance(child, (cst.Break, cst.Continue)) and not any(
                isinstance(p, (cst.For, cst.While)) for p in parents
            ):
                return False
    return True


def _begin(conn: cst.BaseExpression) -> cst.SimpleStatementLine:
    return cst.SimpleStatementLine(
        [cst.Expr(cst.Await(_method(conn, "execute", (cst.SimpleString('"BEGIN"'), []))))]
    )


def _parse_dsn(text: str) -> list[tuple[str, str]]:
    """libpq ``key=value`` connection string -> asyncpg keyword pairs."""
    pairs: list[tuple[str, str]] = []
    for m in re.finditer(r"\s*(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|\S*)", text):
        key, value = m.group(1), m.group(2)
        if value.startswith("'"):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        if key == "connect_timeout":
            pairs.append(("timeout", value))
        elif key in CONNECT_KEYWORDS and key != "dsn":
            pairs.append((CONNECT_KEYWORDS[key], value))
        else:
            raise ValueError(f"connection parameter `{key}`")
    if not pairs and text.strip():
        raise ValueError("connection string not understood")
    return pairs


def _pool_args(call: cst.Call) -> tuple[list[cst.Arg], list[cst.Arg]]:
    """A pool constructor's (minconn, maxconn) and the arguments it passes to connect."""
    positional = [a for a in call.args if a.keyword is None and not a.star]
    sizes = positional[:2]
    by_name = {a.keyword.value: a for a in call.args if a.keyword is not None}
    for index, name in enumerate(("minconn", "maxconn")):
        if name in by_name and len(sizes) == index:
            sizes.append(by_name[name])
    rest = [a for a in call.args if all(a is not s for s in sizes)]
    return sizes, rest


def _keyword(key: str, value: str) -> cst.Arg:
    expr: cst.BaseExpression
    if key in ("port",) and value.isdigit():
        expr = cst.Integer(value)
    elif key == "timeout" and value.isdigit():
        expr = cst.Float(f"{int(value)}.0")
    else:
        expr = cst.SimpleString(repr(value))
    return keyword_arg(key, expr)


Command = command_for(Db)  # python -m libcst.tool codemod db.Command
