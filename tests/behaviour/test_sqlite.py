"""sqlite3 on an async path: each call in a worker thread, on a connection opened with
check_same_thread=False; the converted program must print and store the same."""

from __future__ import annotations

from pathlib import Path

from tests.behaviour.harness import run_both

PROGRAM = """\
import os
import sqlite3
import time

DB = os.path.join(os.environ.get("WORK", "."), "t.db")


def setup():
    conn = sqlite3.connect(DB)
    conn.execute("DROP TABLE IF EXISTS kv")
    conn.execute("CREATE TABLE kv (name TEXT PRIMARY KEY, value INTEGER)")
    conn.commit()
    return conn


def load(conn, name):
    cur = conn.cursor()
    cur.execute("SELECT value FROM kv WHERE name = ?", (name,))
    row = cur.fetchone()
    return row[0] if row else None


def main():
    time.sleep(0)  # on an async path
    conn = setup()
    conn.executemany("INSERT INTO kv VALUES (?, ?)", [("a", 1), ("b", 2)])
    conn.commit()
    conn.execute("UPDATE kv SET value = 99 WHERE name = 'a'")
    conn.rollback()
    print("after rollback", load(conn, "a"), load(conn, "b"), load(conn, "zz"))
    try:
        with conn:
            conn.execute("INSERT INTO kv VALUES ('a', 3)")
    except sqlite3.IntegrityError as error:
        print("integrity", error)
    rows = conn.execute("SELECT name, value FROM kv ORDER BY name").fetchall()
    print(rows)
    conn.close()


if __name__ == "__main__":
    main()
"""


def test_sqlite3_calls_in_threads_behave_the_same(tmp_path: Path) -> None:
    both = run_both(tmp_path, {"main.py": PROGRAM})
    both.assert_same()
    assert "after rollback 1 2 None" in both.before.stdout
    assert "integrity UNIQUE constraint failed" in both.before.stdout
    converted = both.converted["main.py"]
    assert "await asyncio.to_thread(sqlite3.connect, DB, check_same_thread=False)" in converted
    assert "await asyncio.to_thread(conn.rollback)" in converted
