"""Findings of the ``--db-client psycopg`` target (AFY420–AFY439): codemods/db_psycopg.py.

The shared psycopg2 analysis (codemods/db.py) reports its asyncpg codes; the psycopg target
reports these instead (:data:`FOR_ASYNCPG_CODE`), with hints about psycopg 3.
"""

from __future__ import annotations

from asyncify.findings import Code

CLIENT_BINDING = Code(
    "AFY420",
    "query needs psycopg2's client-side binding: its cursor is a psycopg.AsyncClientCursor",
    "nothing to do; to use server-side binding (prepared statements), rewrite the query"
    " (set_config()/pg_notify() instead of SET/NOTIFY parameters, one statement per execute)",
    level="note",
    doc="""
    psycopg 3's default cursor sends the parameters separately from the query (server-side
    binding). PostgreSQL then binds parameters only in SELECT/INSERT/UPDATE/DELETE/MERGE/
    VALUES, never in `SET`, `NOTIFY` or DDL; one `execute` cannot hold several statements
    with parameters; and a placeholder inside quotes (`'%s'`) stays the literal text `$1`
    instead of being substituted as psycopg2 does. A query asyncify cannot read (built at
    run time) may be any of these.

    For such a query asyncify creates the cursor as `psycopg.AsyncClientCursor(conn)`, which
    merges the parameters into the query on the client exactly like psycopg2
    (https://www.psycopg.org/psycopg3/docs/advanced/cursors.html#client-side-binding-cursors).

    Before:

    ```python
    cur = conn.cursor()
    cur.execute("SET search_path TO %s", (schema,))
    ```

    After (converted):

    ```python
    cur = psycopg.AsyncClientCursor(conn)
    await cur.execute("SET search_path TO %s", (schema,))
    ```

    To get server-side binding back, rewrite the statement: `SELECT set_config('search_path',
    %s, false)`.
    """,
)

NOT_UNDERSTOOD = Code(
    "AFY421",
    "database code not understood for psycopg 3; this function's psycopg2 calls were left"
    " unchanged",
    "bind cursors to names and call their methods as statements, or convert by hand",
    doc="""
    asyncify could not follow this function's psycopg2 code for the psycopg 3 target (a
    cursor passed to another function or used as a value, a `cursor_factory` it does not
    know, a pool method with `key=`, a connection made by code that stays synchronous,
    ...). Converting only part of a function's database code would mix psycopg2 and
    psycopg 3 objects, so **all** of its psycopg2 calls stay; the detail names the construct.

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

IN_TUPLE = Code(
    "AFY422",
    "`IN %s` with parameters from an expression: psycopg 3 cannot adapt a tuple",
    "write `= ANY(%s)` and pass a list: cur.execute('... WHERE id = ANY(%s)', (list(ids),))",
    doc="""
    psycopg2 adapts a tuple to `(1, 2, 3)`, so `WHERE id IN %s` works; psycopg 3 adapts no
    tuple, with either binding
    (https://www.psycopg.org/psycopg3/docs/basic/from_pg2.html#you-cannot-use-in-s-with-a-tuple).
    asyncify rewrites `IN %s` to `= ANY(%s)` with `list(...)` around the value when the
    parameters are a literal tuple or dict; here they come from an expression, so it cannot
    find the value to wrap, and the function keeps psycopg2.

    Before:

    ```python
    cur.execute("SELECT name FROM users WHERE id IN %s", params)
    ```

    After:

    ```python
    cur.execute("SELECT name FROM users WHERE id = ANY(%s)", (list(params[0]),))
    ```

    An empty tuple is an error in psycopg2 (`IN ()`) but matches no row with `ANY`.
    """,
)

TYPE_DIFFERENCE = Code(
    "AFY423",
    "uuid/inet/cidr/bytea/money values differ between psycopg2 and psycopg 3",
    "uuid arrives as uuid.UUID, inet/cidr as ipaddress objects, bytea as bytes, money as"
    " Decimal: convert with str()/memoryview() where the program relies on the old types",
    level="note",
    doc="""
    psycopg2 returns uuid, inet, cidr and money columns as `str` (unless `register_uuid()`/
    `register_ipaddress()` was called) and bytea as `memoryview`; psycopg 3 returns
    `uuid.UUID`, `ipaddress` objects, `Decimal` and `bytes`
    (https://www.psycopg.org/psycopg3/docs/basic/adapt.html). Printing or comparing such
    values with strings changes.

    Before:

    ```python
    cur.execute("SELECT id FROM users")  # id uuid
    print(cur.fetchone()[0] == "0b0e...")
    ```

    After:

    ```python
    await cur.execute("SELECT id FROM users")
    print(str((await cur.fetchone())[0]) == "0b0e...")
    ```
    """,
)

NAMED_CURSOR = Code(
    "AFY424",
    "named (server-side) cursor not converted for psycopg 3",
    "use `async with conn.cursor(name) as cur:` (an AsyncServerCursor) and `async for row in"
    " cur` by hand",
    doc="""
    psycopg 3 has server-side cursors too (`conn.cursor("name")` gives an
    `AsyncServerCursor`), but they always bind parameters on the server and declare the
    cursor differently (`withhold`, `scrollable`, `itersize`); asyncify leaves the function's
    psycopg2 code unchanged.

    Before:

    ```python
    cur = conn.cursor("big")
    cur.execute("SELECT * FROM events")
    for row in cur:
        handle(row)
    ```

    After:

    ```python
    async with conn.cursor("big") as cur:
        await cur.execute("SELECT * FROM events")
        async for row in cur:
            handle(row)
    ```
    """,
)

COPY = Code(
    "AFY425",
    "COPY (copy_expert/copy_from/copy_to) has a new API in psycopg 3",
    "use `async with cur.copy('COPY t FROM STDIN') as copy: await copy.write(data)`",
    doc="""
    psycopg 3 replaces the file-based `copy_from`/`copy_to`/`copy_expert` with
    `cursor.copy()`, a context manager that is written to or iterated
    (https://www.psycopg.org/psycopg3/docs/basic/copy.html).

    Before:

    ```python
    cur.copy_expert("COPY items TO STDOUT", f)
    ```

    After:

    ```python
    async with cur.copy("COPY items TO STDOUT") as copy:
        async for data in copy:
            f.write(data)
    ```
    """,
)

NOTIFY_POLL = Code(
    "AFY426",
    "LISTEN/NOTIFY polling (poll()/notifies) is not converted for psycopg 3",
    "use `async for notify in conn.notifies():` on an autocommit connection",
    doc="""
    psycopg2 collects notifications in `conn.notifies` after `conn.poll()`; psycopg 3
    delivers them through the async generator `conn.notifies()` or `add_notify_handler()`
    (https://www.psycopg.org/psycopg3/docs/advanced/async.html#asynchronous-notifications).

    Before:

    ```python
    conn.poll()
    while conn.notifies:
        print(conn.notifies.pop(0).payload)
    ```

    After:

    ```python
    async for notify in conn.notifies(timeout=0):
        print(notify.payload)
    ```
    """,
)

LASTROWID = Code(
    "AFY427",
    "cursor.lastrowid (an OID) has no psycopg 3 equivalent",
    "use `INSERT ... RETURNING id` and fetch the id",
    doc="""
    psycopg2's `lastrowid` is the OID of the inserted row (tables have no OIDs since
    PostgreSQL 12); psycopg 3 cursors do not have it.

    Before:

    ```python
    cur.execute("INSERT INTO t (v) VALUES (%s)", (v,))
    new = cur.lastrowid
    ```

    After:

    ```python
    await cur.execute("INSERT INTO t (v) VALUES (%s) RETURNING id", (v,))
    new = (await cur.fetchone())[0]
    ```
    """,
)

CONNECTION_SETTING = Code(
    "AFY428",
    "connection setting is read-only or gone on a psycopg 3 AsyncConnection",
    "await conn.set_autocommit(...) / set_isolation_level(...) / set_read_only(...); other"
    " psycopg2 connection methods have no direct equivalent",
    doc="""
    On an `AsyncConnection`, `autocommit`, `isolation_level`, `read_only` and `deferrable`
    are read-only properties (setting them raises AttributeError: "please use 'await
    .set_autocommit()'"), `set_session()` is gone, and other psycopg2 connection methods
    differ (https://www.psycopg.org/psycopg3/docs/api/connections.html). asyncify leaves
    the function's psycopg2 code unchanged.

    Before:

    ```python
    conn.autocommit = True
    ```

    After:

    ```python
    await conn.set_autocommit(True)
    ```
    """,
)

SQL_COMPOSITION = Code(
    "AFY429",
    "psycopg2.sql composition is not converted for psycopg 3",
    "psycopg.sql has the same classes (SQL, Identifier, Literal, Placeholder): import it"
    " instead and convert the function by hand",
    doc="""
    `psycopg.sql` keeps psycopg2.sql's API, but asyncify does not yet follow composed
    queries through the function, so it leaves the function's psycopg2 code unchanged.

    Before:

    ```python
    from psycopg2 import sql
    cur.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier(table)))
    ```

    After:

    ```python
    from psycopg import sql
    await cur.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier(table)))
    ```
    """,
)

UNSUPPORTED_CONNECT = Code(
    "AFY430",
    "psycopg2.connect() or a pool in a form the psycopg 3 target does not convert",
    "assign the connection to a name (`conn = psycopg2.connect(...)`) with literal keywords",
    doc="""
    asyncify converts `psycopg2.connect(...)` assigned to a name or attribute, returned, or
    as the item of a `with` statement, with a DSN and libpq keywords; `*args`/`**kwargs`,
    `connection_factory=`/`cursor_factory=` and other positions are left unchanged with the
    function's psycopg2 code.

    Before:

    ```python
    conns = [psycopg2.connect(dsn) for dsn in DSNS]
    ```

    After:

    ```python
    conns = [await psycopg.AsyncConnection.connect(dsn) for dsn in DSNS]
    ```
    """,
)

MODULE_POOL = Code(
    "AFY431",
    "connection pool created at import time stays psycopg2: a function using it cannot be"
    " converted",
    "use the pool only as `POOL.getconn()/putconn(c)/closeall()` in functions that convert;"
    " or create it in main() and pass it",
    doc="""
    A psycopg_pool.AsyncConnectionPool must be opened inside the event loop, so a pool made
    at import time is created on first use by an accessor (`await _get_pool()`). That needs
    every use of it to convert; here one cannot (the detail says which), so the pool and the
    functions using it stay psycopg2.

    Before:

    ```python
    POOL = SimpleConnectionPool(1, 4, DSN)

    def users():
        conn = POOL.getconn()
        helper(conn)  # the connection escapes
    ```

    After (converts):

    ```python
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
