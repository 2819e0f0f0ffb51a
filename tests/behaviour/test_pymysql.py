"""PyMySQL on an async path: each call runs in a worker thread, against a real MariaDB/MySQL.

The server comes from ``ASYNCIFY_TEST_MYSQL`` (``host:port``, user root without a password,
database ``test``; default ``127.0.0.1:3306``). Unreachable: the test is skipped with the
reason, except under ``CI=true``, where it fails (as for PostgreSQL).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pymysql
import pytest

from tests.behaviour.harness import run_both

PROGRAM = """\
import os
import time

import pymysql

TABLE = os.environ["TABLE"]
HOST, PORT = os.environ["MYSQL"].rsplit(":", 1)


def connect():
    return pymysql.connect(host=HOST, port=int(PORT), user="root", password="", database="test")


def load(conn, name):
    with conn.cursor() as cur:
        cur.execute(f"SELECT value FROM {TABLE} WHERE name = %s", (name,))
        row = cur.fetchone()
    return row[0] if row else None


def main():
    time.sleep(0)  # on an async path
    conn = connect()
    cur = conn.cursor()
    cur.execute(f"CREATE TABLE {TABLE} (name VARCHAR(20) PRIMARY KEY, value INT)")
    cur.executemany(f"INSERT INTO {TABLE} VALUES (%s, %s)", [("a", 1), ("b", 2)])
    conn.commit()
    cur.execute(f"UPDATE {TABLE} SET value = 99 WHERE name = 'a'")
    conn.rollback()
    print("after rollback", load(conn, "a"), load(conn, "b"), load(conn, "zz"))
    try:
        cur.execute(f"INSERT INTO {TABLE} VALUES ('a', 3)")
    except pymysql.err.IntegrityError as error:
        print("integrity", error.args[0])
    cur.execute(f"SELECT name, value FROM {TABLE} ORDER BY name")
    print(cur.fetchall(), cur.rowcount)
    cur.execute(f"DROP TABLE {TABLE}")
    conn.close()


if __name__ == "__main__":
    main()
"""


def server() -> str:
    return os.environ.get("ASYNCIFY_TEST_MYSQL", "127.0.0.1:3306")


def require_mysql() -> None:
    host, port = server().rsplit(":", 1)
    try:
        pymysql.connect(host=host, port=int(port), user="root", database="test").close()
    except pymysql.err.MySQLError as exc:
        reason = f"MariaDB/MySQL not reachable at {server()} (set ASYNCIFY_TEST_MYSQL): {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


def test_pymysql_calls_in_threads_behave_the_same(tmp_path: Path) -> None:
    require_mysql()
    both = run_both(
        tmp_path,
        {"main.py": PROGRAM},
        env={"MYSQL": server(), "TABLE": f"afy_{uuid.uuid4().hex[:12]}"},
    )
    both.assert_same()
    assert "after rollback 1 2 None" in both.before.stdout
    assert "integrity 1062" in both.before.stdout
    converted = both.converted["main.py"]
    assert "await asyncio.to_thread(cur.executemany," in converted
    assert "await asyncio.to_thread(conn.rollback)" in converted
    assert "with conn.cursor() as cur:" in converted  # no I/O: not moved to a thread
