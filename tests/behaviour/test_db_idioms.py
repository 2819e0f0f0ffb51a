"""psycopg2 transactions in asyncpg's own idiom, run against PostgreSQL: the original and
the conversion print the same and leave the same tables (issue 17 item 3)."""

from __future__ import annotations

from pathlib import Path

from tests.behaviour.db_support import Schema, pg_schema, run_db_program

__all__ = ["pg_schema"]  # the pytest fixture, used by name

POOLED = '''
import os

import psycopg2
import psycopg2.pool

DSN = os.environ["ASYNCIFY_TEST_PG_DSN"]
SCHEMA = os.environ["PGSCHEMA"]
SHARED = psycopg2.pool.SimpleConnectionPool(1, 2, DSN)


def other_sees():
    conn = psycopg2.connect(DSN)
    cur = conn.cursor()
    cur.execute(f"SELECT count(*) FROM {SCHEMA}.items")
    n = cur.fetchone()[0]
    conn.close()
    return n


def create(pool):
    conn = pool.getconn()
    try:
        cur = conn.cursor()
        cur.execute(f"CREATE TABLE {SCHEMA}.items (id int PRIMARY KEY, name text)")
        conn.commit()
    finally:
        pool.putconn(conn)


def add(pool, rows):
    conn = pool.getconn()
    try:
        cur = conn.cursor()
        for row in rows:
            cur.execute(f"INSERT INTO {SCHEMA}.items VALUES (%s, %s)", row)
        print("before commit, another connection sees", other_sees())
        conn.commit()
    finally:
        pool.putconn(conn)
    print("after commit, another connection sees", other_sees())


def count(pool):
    conn = pool.getconn()
    try:
        with conn.cursor() as cur:
            cur.execute(f"SELECT count(*) FROM {SCHEMA}.items")
            n = cur.fetchone()[0]
        conn.commit()
    finally:
        pool.putconn(conn)
    return n


def early(pool, row):
    # returns before its commit: the insert is rolled back when the connection goes back
    conn = pool.getconn()
    try:
        cur = conn.cursor()
        cur.execute(f"INSERT INTO {SCHEMA}.items VALUES (%s, %s)", row)
        if row[0] > 100:
            return "early"
        conn.commit()
    finally:
        pool.putconn(conn)
    return "committed"


def shared_add(row):
    conn = SHARED.getconn()
    try:
        cur = conn.cursor()
        cur.execute(f"INSERT INTO {SCHEMA}.items VALUES (%s, %s)", row)
        conn.commit()
    finally:
        SHARED.putconn(conn)


def main():
    pool = psycopg2.pool.SimpleConnectionPool(1, 3, DSN)
    create(pool)
    add(pool, [(1, "a"), (2, "b")])
    try:
        add(pool, [(3, "c"), (1, "duplicate")])
    except psycopg2.IntegrityError as exc:
        print("duplicate:", exc.pgcode, "rows now", count(pool))
    print(early(pool, (101, "rolled back")), count(pool))
    print(early(pool, (4, "d")), count(pool))
    shared_add((5, "e"))
    try:
        shared_add((5, "again"))
    except psycopg2.Error as exc:
        print("shared duplicate", type(exc).__name__ != "", count(pool))
    pool.closeall()
    SHARED.closeall()


if __name__ == "__main__":
    main()
'''


def test_pooled_transactions_become_acquire_and_transaction(
    tmp_path: Path, pg_schema: Schema
) -> None:
    both, before, after = run_db_program(tmp_path, pg_schema, {"main.py": POOLED})
    converted = both.converted["main.py"]
    # the common shape is asyncpg's idiom ...
    assert converted.count("async with pool.acquire() as conn:") == 3, converted
    assert "async with (await _get_shared()).acquire() as conn:" in converted
    assert converted.count("async with conn.transaction():") == 4
    # ... and only the function that returns before its commit keeps the emulation
    assert converted.count('await conn.execute("BEGIN")') == 2  # early() and other_sees()
    assert converted.count('"ROLLBACK"') == 1
    both.assert_same()
    assert after == before
    out = both.before.stdout.splitlines()
    assert out[:2] == [
        "before commit, another connection sees 0",
        "after commit, another connection sees 2",
    ]
    assert "duplicate: 23505 rows now 2" in out
    assert "early 2" in out and "committed 3" in out
    assert sorted(r[0] for r in before["items"]) == [1, 2, 4, 5]


CONNECTED = '''
import os

import psycopg2

DSN = os.environ["ASYNCIFY_TEST_PG_DSN"]
SCHEMA = os.environ["PGSCHEMA"]


def other_sees():
    conn = psycopg2.connect(DSN)
    cur = conn.cursor()
    cur.execute(f"SELECT count(*) FROM {SCHEMA}.t")
    n = cur.fetchone()[0]
    conn.close()
    return n


def create():
    conn = psycopg2.connect(DSN)
    cur = conn.cursor()
    cur.execute(f"CREATE TABLE {SCHEMA}.t (v int PRIMARY KEY)")
    conn.commit()
    conn.close()


def save(values):
    # statements, then commit: one transaction
    conn = psycopg2.connect(DSN)
    cur = conn.cursor()
    for v in values:
        cur.execute(f"INSERT INTO {SCHEMA}.t VALUES (%s)", (v,))
    print("save: before commit another connection sees", other_sees())
    conn.commit()
    conn.close()


def blocks(v):
    conn = psycopg2.connect(DSN)
    with conn:
        cur = conn.cursor()
        cur.execute(f"INSERT INTO {SCHEMA}.t VALUES (%s)", (v,))
    try:
        with conn:
            cur2 = conn.cursor()
            cur2.execute(f"INSERT INTO {SCHEMA}.t VALUES (%s)", (v + 100,))
            cur2.execute(f"INSERT INTO {SCHEMA}.t VALUES (%s)", (v,))  # duplicate
    except psycopg2.IntegrityError as exc:
        print("blocks: duplicate", exc.pgcode, "the block rolled back:", other_sees())
    conn.close()


def largest_below(limit):
    conn = psycopg2.connect(DSN)
    with conn:
        cur = conn.cursor()
        cur.execute(f"INSERT INTO {SCHEMA}.t VALUES (%s)", (limit,))
        cur.execute(f"SELECT v FROM {SCHEMA}.t ORDER BY v DESC")
        for (v,) in cur:
            if v < limit:
                return v  # the block still commits
    conn.close()


def auto(values):
    conn = psycopg2.connect(DSN)
    conn.autocommit = True
    cur = conn.cursor()
    for v in values:
        try:
            cur.execute(f"INSERT INTO {SCHEMA}.t VALUES (%s)", (v,))
        except psycopg2.IntegrityError:
            print("auto: duplicate", v, "the others stay:", other_sees())
    conn.close()


def lost(v):
    # no commit before close: the work is lost
    conn = psycopg2.connect(DSN)
    cur = conn.cursor()
    cur.execute(f"INSERT INTO {SCHEMA}.t VALUES (%s)", (v,))
    conn.close()


def main():
    create()
    save([1, 2])
    print("after save", other_sees())
    blocks(10)
    print("largest below 50:", largest_below(50), other_sees())
    auto([20, 1, 21])
    lost(99)
    print("end", other_sees())


if __name__ == "__main__":
    main()
'''


def test_connections_in_asyncpg_transactions(tmp_path: Path, pg_schema: Schema) -> None:
    both, before, after = run_db_program(tmp_path, pg_schema, {"main.py": CONNECTED})
    converted = both.converted["main.py"]
    assert converted.count("async with conn.transaction():") == 5, converted  # + create()
    assert "autocommit" not in converted
    # only lost(), which never commits, keeps the emulation
    assert converted.count('await conn.execute("BEGIN")') == 2, converted  # + other_sees()
    assert "_commit_and_begin" not in converted and "_commit_on_exit" not in converted
    both.assert_same()
    assert after == before
    out = both.before.stdout.splitlines()
    assert out == [
        "save: before commit another connection sees 0",
        "after save 2",
        "blocks: duplicate 23505 the block rolled back: 3",
        "largest below 50: 10 4",
        "auto: duplicate 1 the others stay: 5",
        "end 6",
    ]
