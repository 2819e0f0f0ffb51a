"""psycopg2 → asyncpg: run the original and the conversion against the real PostgreSQL.

Each program runs on a fresh schema (db_support.Schema); the tests compare what the two
programs print *and* the table contents each leaves behind, which is where the
transaction semantics (commit, rollback, ``with conn:``, close without commit) show.
"""

from __future__ import annotations

from pathlib import Path

import psycopg2.extensions

from tests.behaviour.db_support import Schema, dsn, pg_schema, run_db_program

__all__ = ["pg_schema"]  # the pytest fixture, used by name

EXAMPLE = Path(__file__).parents[2] / "examples" / "orders_db"


def keyword_dsn() -> str:
    """The test DSN as a libpq key=value string, to test literal DSN conversion."""
    parts = psycopg2.extensions.parse_dsn(dsn())
    return " ".join(f"{k}={v}" for k, v in sorted(parts.items()))


PROGRAM = '''
import os

import psycopg2
from psycopg2 import errors
from psycopg2.extras import RealDictCursor

SCHEMA = os.environ["PGSCHEMA"]
DSN = os.environ["ASYNCIFY_TEST_PG_DSN"]


def other_sees(table):
    """What a second connection sees: only committed rows."""
    conn = psycopg2.connect(DSN)
    cur = conn.cursor()
    cur.execute("SET search_path TO " + SCHEMA)
    cur.execute("SELECT v FROM " + table + " ORDER BY v")
    rows = cur.fetchall()
    conn.close()
    return rows


def setup():
    with psycopg2.connect("__KEYWORD_DSN__") as conn:
        with conn.cursor() as cur:
            cur.execute("SET search_path TO " + SCHEMA)
            cur.execute("CREATE TABLE t (v int PRIMARY KEY, label text)")
            cur.execute("CREATE TABLE never (v int)")
    conn.close()


def transactions():
    conn = psycopg2.connect(DSN)
    cur = conn.cursor()
    cur.execute("SET search_path TO " + SCHEMA)
    cur.execute("INSERT INTO t VALUES (%s, %s)", (1, "one"))
    print("uncommitted, other sees", other_sees("t"))
    conn.commit()
    print("committed, other sees", other_sees("t"))
    cur.execute("INSERT INTO t VALUES (%s, %s)", (2, "two"))
    conn.rollback()
    print("rolled back, other sees", other_sees("t"))
    try:
        with conn:
            cur.execute("INSERT INTO t VALUES (%s, %s)", (3, "three"))
            cur.execute("INSERT INTO t VALUES (%s, %s)", (1, "dup"))
    except errors.UniqueViolation as exc:
        print("unique violation", exc.pgcode)
    print("after failed with, other sees", other_sees("t"))
    with conn:
        cur.execute("INSERT INTO t VALUES (%(v)s, %(label)s)", {"label": "four", "v": 4})
    print("after with, other sees", other_sees("t"))
    try:
        cur.execute("SELECT 1/0")
    except psycopg2.DataError as exc:
        print("data error", exc.pgcode)
    try:
        cur.execute("SELECT 1")
    except psycopg2.Error as exc:
        print("aborted transaction", exc.pgcode)
    conn.rollback()
    cur.execute("INSERT INTO never VALUES (1)")
    cur.execute("INSERT INTO t VALUES (5, 'five')")
    conn.close()
    print("closed without commit, other sees", other_sees("t"))


def queries():
    conn = psycopg2.connect(DSN)
    cur = conn.cursor()
    cur.execute("SET search_path TO " + SCHEMA)
    cur.execute("SELECT 10 %% 3, '100%%'", ())
    print("interpolated", cur.fetchone())
    cur.execute("SELECT '100%%'")
    print("not interpolated", cur.fetchone())
    cur.execute("SELECT label FROM t WHERE v = %(v)s OR v = %(v)s + 3", {"v": 1})
    print("named reused", cur.fetchall())
    cur.execute("SELECT v, label FROM t WHERE v IN %s ORDER BY v", ((1, 4, 9),))
    print("in", cur.fetchall())
    cur.execute("SELECT v FROM t WHERE v > %s", (100,))
    print("none", cur.fetchone())
    cur.execute("SELECT v FROM t ORDER BY v")
    print("many", cur.fetchmany(1))
    cur.execute("SELECT count(*) FROM t")
    print("count", cur.fetchone()[0])
    cur.execute("UPDATE t SET label = upper(label) WHERE v < %s", (10,))
    print("rowcount", cur.rowcount)
    cur.execute("SELECT v, label FROM t ORDER BY v")
    for row in cur:
        print("row", row, row == (row[0], row[1]))
    with conn.cursor(cursor_factory=RealDictCursor) as dcur:
        dcur.execute("SELECT v, label FROM t ORDER BY v")
        print("dicts", [dict(r) for r in dcur.fetchall()])
    cur.executemany("INSERT INTO t VALUES (%s, %s)", [(6, "six"), (7, "seven")])
    conn.commit()
    conn.close()


def main():
    setup()
    transactions()
    queries()


if __name__ == "__main__":
    main()
'''


def test_transactions_queries_rows_and_errors(tmp_path: Path, pg_schema: Schema) -> None:
    program = PROGRAM.replace("__KEYWORD_DSN__", keyword_dsn())
    both, before, after = run_db_program(tmp_path, pg_schema, {"main.py": program})
    converted = both.converted["main.py"]
    assert "psycopg2" not in converted, converted
    assert "asyncpg.connect(" in converted and ".cursor(" not in converted
    assert "dbname" not in converted  # the key=value DSN became keywords
    both.assert_same()
    assert after == before
    # The table contents prove the transaction semantics, not only equality.
    assert [v for v, _ in before["t"]] == [1, 4, 6, 7]
    assert before["never"] == []
    assert "uncommitted, other sees []" in both.before.stdout


def test_orders_example(tmp_path: Path, pg_schema: Schema) -> None:
    files = {p.name: p.read_text() for p in EXAMPLE.glob("*.py")}
    both, before, after = run_db_program(tmp_path, pg_schema, files)
    assert "import psycopg2" not in both.converted["orders.py"], both.converted["orders.py"]
    assert "async def main" in both.converted["main.py"]
    both.assert_same()
    assert after == before
    assert len(before["orders"]) == 5


# The acceptance example of connections held in attributes (tests/fixtures/db/
# class_connection.py): a class whose __init__ connects becomes an async factory and its
# `self.conn` converts in every method.
REPO = '''
import psycopg2


class OrderRepo:
    def __init__(self, dsn, schema):
        self.conn = psycopg2.connect(dsn)
        self.schema = schema
        cur = self.conn.cursor()
        cur.execute(f"CREATE TABLE IF NOT EXISTS {schema}.orders (sku text, qty int, total int)")
        self.conn.commit()

    def save(self, sku, qty, total):
        cur = self.conn.cursor()
        cur.execute(
            f"INSERT INTO {self.schema}.orders (sku, qty, total) VALUES (%s, %s, %s)",
            (sku, qty, total),
        )
        self.conn.commit()

    def all(self):
        cur = self.conn.cursor()
        cur.execute(f"SELECT sku, qty, total FROM {self.schema}.orders ORDER BY sku")
        return cur.fetchall()

    def close(self):
        self.conn.close()


def main(dsn, schema):
    repo = OrderRepo(dsn, schema)
    repo.save("a", 1, 2)
    print(repo.all())
    repo.close()
'''

# Transactions through `self.conn`: `with self.conn:` commits or rolls back, rollback(),
# close without commit loses the work.
LEDGER = '''
import psycopg2


class Ledger:
    def __init__(self, dsn, schema):
        self.conn = psycopg2.connect(dsn)
        cur = self.conn.cursor()
        cur.execute(f"SET search_path TO {schema}")
        cur.execute("CREATE TABLE accounts (id int PRIMARY KEY, balance int CHECK (balance >= 0))")
        cur.execute("INSERT INTO accounts VALUES (%s, %s), (%s, %s)", (1, 100, 2, 0))
        self.conn.commit()

    def transfer(self, src, dst, amount):
        with self.conn:
            cur = self.conn.cursor()
            cur.execute("UPDATE accounts SET balance = balance + %s WHERE id = %s", (amount, dst))
            cur.execute("UPDATE accounts SET balance = balance - %s WHERE id = %s", (amount, src))
            print("moved", cur.rowcount)

    def balance(self, account):
        cur = self.conn.cursor()
        cur.execute("SELECT balance FROM accounts WHERE id = %(id)s", {"id": account})
        return cur.fetchone()[0]

    def deposit(self, account, amount):
        cur = self.conn.cursor()
        cur.execute("UPDATE accounts SET balance = balance + %s WHERE id = %s", (amount, account))

    def undo(self):
        self.conn.rollback()

    def close(self):
        if self.conn is not None:
            self.conn.close()
'''

# One method uses COPY (no conversion): the whole class keeps psycopg2, consistently.
INVENTORY = '''
import sys

import psycopg2


class Inventory:
    def __init__(self, dsn, schema):
        self.conn = psycopg2.connect(dsn)
        self.schema = schema
        with self.conn:
            cur = self.conn.cursor()
            cur.execute(f"CREATE TABLE {schema}.stock (sku text, qty int)")

    def add(self, sku, qty):
        with self.conn:
            cur = self.conn.cursor()
            cur.execute(f"INSERT INTO {self.schema}.stock VALUES (%s, %s)", (sku, qty))

    def export(self):
        cur = self.conn.cursor()
        query = f"COPY (SELECT * FROM {self.schema}.stock ORDER BY sku) TO STDOUT"
        cur.copy_expert(query, sys.stdout)

    def close(self):
        self.conn.close()
'''

CLASSES_MAIN = '''
import os

import psycopg2
import repo
from inventory import Inventory
from ledger import Ledger
from repo import OrderRepo

DSN = os.environ["ASYNCIFY_TEST_PG_DSN"]
SCHEMA = os.environ["PGSCHEMA"]


def other_sees(query):
    conn = psycopg2.connect(DSN)
    cur = conn.cursor()
    cur.execute(query)
    rows = cur.fetchall()
    conn.close()
    return rows


def main():
    repo.main(DSN, SCHEMA)
    orders = OrderRepo(DSN, SCHEMA)
    orders.save("c", 3, 30)
    orders.save("b", 2, 20)
    print("all", orders.all())
    print("other sees", other_sees(f"SELECT sku FROM {SCHEMA}.orders ORDER BY sku"))
    orders.close()

    ledger = Ledger(DSN, SCHEMA)
    ledger.transfer(1, 2, 30)
    try:
        ledger.transfer(1, 2, 500)
    except psycopg2.IntegrityError as exc:
        print("refused", exc.pgcode)
    print("balances", ledger.balance(1), ledger.balance(2))
    ledger.deposit(2, 5)
    balances = f"SELECT balance FROM {SCHEMA}.accounts ORDER BY id"
    print("uncommitted", ledger.balance(2), other_sees(balances))
    ledger.undo()
    print("after undo", ledger.balance(2))
    ledger.deposit(2, 7)
    ledger.close()
    print("closed without commit", other_sees(balances))

    inventory = Inventory(DSN, SCHEMA)
    inventory.add("y", 2)
    inventory.add("x", 1)
    inventory.export()
    inventory.close()


if __name__ == "__main__":
    main()
'''


def test_connections_in_attributes(tmp_path: Path, pg_schema: Schema) -> None:
    files = {
        "main.py": CLASSES_MAIN,
        "repo.py": REPO,
        "ledger.py": LEDGER,
        "inventory.py": INVENTORY,
    }
    both, before, after = run_db_program(tmp_path, pg_schema, files)
    for name in ("repo.py", "ledger.py"):
        converted = both.converted[name]
        assert "psycopg2" not in converted, converted
        assert "self.conn = await asyncpg.connect(" in converted, converted
        assert 'await self.conn.execute("BEGIN")' in converted, converted
    assert "VALUES ($1, $2, $3)" in both.converted["repo.py"]
    # The class with an unconvertible method keeps psycopg2 everywhere, close() included.
    inventory = both.converted["inventory.py"]
    assert "self.conn = psycopg2.connect(" in inventory and "asyncpg" not in inventory
    assert "await self.conn" not in inventory, inventory
    assert "AFY401" in both.convert_output and "AFY405" in both.convert_output
    both.assert_same()
    assert after == before
    assert sorted(before["orders"]) == [("a", 1, 2), ("b", 2, 20), ("c", 3, 30)]
    assert sorted(before["accounts"]) == [(1, 70), (2, 30)]
    assert before["stock"] == [("x", 1), ("y", 2)]
    assert "refused 23514" in both.before.stdout
    assert "x\t1\ny\t2\n" in both.before.stdout


# Pools, row factories, json/jsonb and execute_values (issue #5 items 5 and 6).
POOLS_ROWS_JSON = '''
import os

import psycopg2
import psycopg2.pool
from psycopg2.extras import DictCursor, Json, NamedTupleCursor, execute_values

DSN = os.environ["ASYNCIFY_TEST_PG_DSN"]
SCHEMA = os.environ["PGSCHEMA"]
SHARED = psycopg2.pool.SimpleConnectionPool(1, 2, DSN)


def shared_count():
    conn = SHARED.getconn()
    cur = conn.cursor()
    cur.execute(f"SELECT count(*) FROM {SCHEMA}.items")
    count = cur.fetchone()[0]
    cur.execute(f"INSERT INTO {SCHEMA}.items VALUES (%s, %s)", (99, "never committed"))
    SHARED.putconn(conn)
    return count


def committed(query):
    conn = psycopg2.connect(DSN)
    cur = conn.cursor()
    cur.execute(query)
    rows = cur.fetchall()
    conn.close()
    return rows


def pooled():
    pool = psycopg2.pool.ThreadedConnectionPool(1, 3, DSN)
    conn = pool.getconn()
    cur = conn.cursor()
    cur.execute(f"CREATE TABLE {SCHEMA}.items (id int PRIMARY KEY, name text)")
    execute_values(cur, f"INSERT INTO {SCHEMA}.items (id, name) VALUES %s", [(1, "a"), (2, "b")])
    conn.commit()
    cur.execute(f"INSERT INTO {SCHEMA}.items VALUES (%s, %s)", (3, "lost"))
    pool.putconn(conn)  # not committed: putconn rolls it back
    print("after putconn", committed(f"SELECT id FROM {SCHEMA}.items ORDER BY id"))
    other = pool.getconn()
    cur2 = other.cursor()
    cur2.execute(f"SELECT count(*) FROM {SCHEMA}.items")
    print("pooled count", cur2.fetchone()[0])
    ids = execute_values(
        cur2,
        f"INSERT INTO {SCHEMA}.items (id, name) VALUES %s RETURNING id",
        [{"n": "c", "i": 4}, {"n": "d", "i": 5}],
        template="(%(i)s, %(n)s)",
        fetch=True,
    )
    print("returned", ids)
    other.commit()
    pool.putconn(other)
    pool.closeall()


def rows_and_json():
    conn = psycopg2.connect(DSN)
    cur = conn.cursor()
    cur.execute(f"CREATE TABLE {SCHEMA}.docs (id int, body jsonb, raw json)")
    cur.execute(
        f"INSERT INTO {SCHEMA}.docs VALUES (%s, %s, %s), (%s, %s, %s)",
        (1, Json({"k": [1, 2], "s": "x"}), Json("text"), 2, '{"a": null}', "[1.5, true]"),
    )
    conn.commit()
    cur.execute(f"SELECT id, body, raw FROM {SCHEMA}.docs ORDER BY id")
    for row in cur.fetchall():
        print("json", row, type(row[1]).__name__, type(row[2]).__name__)
    dcur = conn.cursor(cursor_factory=DictCursor)
    dcur.execute(f"SELECT id, name FROM {SCHEMA}.items ORDER BY id")
    rows = dcur.fetchall()
    print("dict rows", rows, rows[0][1], rows[0]["name"], dict(rows[1]), "id" in rows[0])
    dcur.execute(f"SELECT id, name FROM {SCHEMA}.items WHERE id = %s", (2,))
    print("dict row", dcur.fetchone())
    ncur = conn.cursor(cursor_factory=NamedTupleCursor)
    ncur.execute(f"SELECT id, name FROM {SCHEMA}.items ORDER BY id")
    named = ncur.fetchall()
    print("named rows", named, named[0].name, named[1][0], named[0]._asdict())
    ncur.execute(f"SELECT id, name FROM {SCHEMA}.items WHERE id = %s", (9,))
    print("named none", ncur.fetchone())
    conn.close()


def main():
    pooled()
    print("shared pool", shared_count(), shared_count())
    SHARED.closeall()
    rows_and_json()


if __name__ == "__main__":
    main()
'''


def test_pools_rows_json(tmp_path: Path, pg_schema: Schema) -> None:
    both, before, after = run_db_program(tmp_path, pg_schema, {"main.py": POOLS_ROWS_JSON})
    converted = both.converted["main.py"]
    assert "import psycopg2" not in converted and "from psycopg2" not in converted, converted
    assert "asyncpg.create_pool(" in converted and "init=_json_codecs" in converted
    assert "await pool.release(conn)" in converted and "fetchmany(" in converted
    assert "SHARED = None" in converted and "await (await _get_shared()).acquire()" in converted
    both.assert_same()
    assert after == before
    out = both.before.stdout
    assert "after putconn [(1,), (2,)]" in out
    assert "shared pool 4 4" in out
    rows = "[[1, 'a'], [2, 'b'], [4, 'c'], [5, 'd']]"
    assert f"dict rows {rows} a a {{'id': 2, 'name': 'b'}} True" in out
    assert "named rows [Record(id=1, name='a')" in out and "named none None" in out
    assert "json (1, {'k': [1, 2], 's': 'x'}, 'text') dict str" in out
    assert "json (2, {'a': None}, [1.5, True]) dict list" in out
    assert "returned [(4,), (5,)]" in out
    assert [r[0] for r in before["items"]] == [1, 2, 4, 5]


# Issue 15 pattern 8: a connection made in one module, handed to a class of another module
# that stores it (`self.conn = conn`) and runs queries on it.
HANDED_MAIN = '''
import os

import psycopg2

from store import Store

DSN = os.environ["ASYNCIFY_TEST_PG_DSN"]
SCHEMA = os.environ["PGSCHEMA"]


def main():
    conn = psycopg2.connect(DSN)
    store = Store(conn, SCHEMA)
    store.create()
    store.add("pen", 3)
    store.add("ink", 5)
    print(store.total())
    conn.close()


if __name__ == "__main__":
    main()
'''

HANDED_STORE = '''
class Store:
    def __init__(self, conn, schema):
        self.conn = conn
        self.schema = schema

    def create(self):
        cur = self.conn.cursor()
        cur.execute(f"CREATE TABLE IF NOT EXISTS {self.schema}.stock (sku text, qty int)")
        self.conn.commit()

    def add(self, sku, qty):
        cur = self.conn.cursor()
        cur.execute(f"INSERT INTO {self.schema}.stock VALUES (%s, %s)", (sku, qty))
        self.conn.commit()

    def total(self):
        cur = self.conn.cursor()
        cur.execute(f"SELECT sum(qty) FROM {self.schema}.stock")
        return cur.fetchone()[0]
'''


def test_connection_handed_to_another_module(tmp_path: Path, pg_schema: Schema) -> None:
    both, before, after = run_db_program(
        tmp_path, pg_schema, {"main.py": HANDED_MAIN, "store.py": HANDED_STORE}
    )
    assert "await asyncpg.connect(" in both.converted["main.py"], both.converted["main.py"]
    store = both.converted["store.py"]
    assert "async def total(self)" in store and "await self.conn" in store, store
    assert "psycopg2" not in store and "cursor" not in store, store
    both.assert_same()
    assert both.before.stdout == "8\n"
    assert after == before


# The same store, given a connection that a helper made at import time (so it stays
# psycopg2): the store's methods must keep their psycopg2 calls (AFY401), not be converted
# to asyncpg calls on a psycopg2 connection.
SYNC_MADE_MAIN = '''
import os

import psycopg2

from store import Store

DSN = os.environ["ASYNCIFY_TEST_PG_DSN"]
SCHEMA = os.environ["PGSCHEMA"]


def connect():
    return psycopg2.connect(DSN)


CONN = connect()


def main():
    store = Store(CONN, SCHEMA)
    store.create()
    store.add("pen", 3)
    store.add("ink", 5)
    print(store.total())
    CONN.close()


if __name__ == "__main__":
    main()
'''


def test_connection_made_by_sync_code_keeps_psycopg2(tmp_path: Path, pg_schema: Schema) -> None:
    both, before, after = run_db_program(
        tmp_path, pg_schema, {"main.py": SYNC_MADE_MAIN, "store.py": HANDED_STORE}
    )
    store = both.converted.get("store.py", HANDED_STORE)
    assert "asyncpg" not in store and "self.conn.cursor()" in store, store
    assert "AFY401" in both.convert_output or "AFY501" in both.convert_output
    both.assert_same()
    assert both.before.stdout == "8\n"
    assert after == before
