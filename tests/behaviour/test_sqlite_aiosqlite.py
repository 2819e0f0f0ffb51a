"""sqlite3 → aiosqlite (``--sqlite-client aiosqlite``): connections made and used within
one function become aiosqlite connections; the converted program must print the same and
leave the same database file. A connection that leaves its function keeps the threads."""

from __future__ import annotations

from pathlib import Path

from tests.behaviour.harness import run_both
from tests.behaviour.test_sqlite import PROGRAM as PASSED_AROUND

AIOSQLITE = ("--sqlite-client", "aiosqlite")

PROGRAM = """\
import os
import sqlite3
import time

DB = os.path.join(os.environ.get("WORK", "."), "t.db")


def other_sees():
    conn = sqlite3.connect(DB)
    rows = conn.execute("SELECT name, value FROM kv ORDER BY name").fetchall()
    conn.close()
    return rows


def fill():
    conn = sqlite3.connect(DB)
    conn.execute("DROP TABLE IF EXISTS kv")
    conn.execute("CREATE TABLE kv (name TEXT PRIMARY KEY, value INTEGER)")
    cur = conn.cursor()
    cur.executemany("INSERT INTO kv VALUES (?, ?)", [("a", 1), ("b", 2), ("c", 3)])
    print("inserted", cur.rowcount)
    conn.commit()
    cur.execute("INSERT INTO kv VALUES (?, ?)", ("d", 4))
    print("lastrowid", cur.lastrowid)
    conn.rollback()
    print("after rollback", other_sees())
    try:
        with conn:
            conn.execute("INSERT INTO kv VALUES ('e', 5)")
            conn.execute("INSERT INTO kv VALUES ('a', 9)")
    except sqlite3.IntegrityError as error:
        print("integrity", error)
    with conn:
        conn.execute("UPDATE kv SET value = value * 10 WHERE name = ?", ("b",))
    print("after with", other_sees())
    conn.close()


def read():
    with sqlite3.connect(DB) as conn:
        conn.row_factory = sqlite3.Row
        cur = conn.execute("SELECT name, value FROM kv WHERE value > ? ORDER BY name", (1,))
        print("description", [d[0] for d in cur.description])
        first = cur.fetchone()
        print("row", first["name"], first["value"], tuple(first))
        print("many", [tuple(r) for r in cur.fetchmany(1)])
        print("rest", [tuple(r) for r in cur.fetchall()])
        for row in conn.execute("SELECT name FROM kv ORDER BY name DESC"):
            print("iter", row[0])
        total = conn.execute("SELECT sum(value) FROM kv").fetchone()[0]
        print("total", total, conn.total_changes)
    conn.close()


def main():
    time.sleep(0)  # on an async path
    fill()
    read()


if __name__ == "__main__":
    main()
"""


def test_local_connections_become_aiosqlite(tmp_path: Path) -> None:
    both = run_both(tmp_path, {"main.py": PROGRAM}, convert_args=AIOSQLITE)
    converted = both.converted["main.py"]
    assert "conn = await aiosqlite.connect(DB)" in converted, converted
    assert "await cur.executemany(" in converted and "to_thread" not in converted, converted
    assert "async for row in await conn.execute(" in converted, converted
    assert "await conn.rollback()" in converted and "finally:" in converted
    both.assert_same()  # stdout, and the database file each run leaves (t.db, byte for byte)
    assert "t.db" in both.before.files
    out = both.before.stdout
    assert "after rollback [('a', 1), ('b', 2), ('c', 3)]" in out, out
    assert "integrity UNIQUE constraint failed" in out
    assert "after with [('a', 1), ('b', 20), ('c', 3)]" in out
    assert "row b 20 ('b', 20)" in out and "total 24" in out


def test_connections_passed_around_keep_threads(tmp_path: Path) -> None:
    both = run_both(tmp_path, {"main.py": PASSED_AROUND}, convert_args=AIOSQLITE)
    converted = both.converted["main.py"]
    assert "aiosqlite" not in converted
    assert "await asyncio.to_thread(conn.rollback)" in converted
    assert "AFY440" in both.convert_output
    both.assert_same()

