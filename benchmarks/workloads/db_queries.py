"""Insert and read back rows with psycopg2 on a fresh table, committing in batches.

    python db_queries.py N [TABLE]    (N queries: N/2 inserts, then N/2 selects)

The DSN comes from $ASYNCIFY_TEST_PG_DSN (a postgresql:// URI).
"""

import os
import sys
import time

import psycopg2

DSN = os.environ.get("ASYNCIFY_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
BATCH = 100
TABLE = sys.argv[2] if len(sys.argv) > 2 else "bench_items"


def create_table(conn):
    cur = conn.cursor()
    cur.execute(f"DROP TABLE IF EXISTS {TABLE}")
    cur.execute(f"CREATE TABLE {TABLE} (id int PRIMARY KEY, name text NOT NULL, qty int NOT NULL)")
    cur.close()
    conn.commit()


def add_item(conn, item_id, name, qty):
    cur = conn.cursor()
    cur.execute(f"INSERT INTO {TABLE} (id, name, qty) VALUES (%s, %s, %s)", (item_id, name, qty))
    cur.close()


def find_item(conn, item_id):
    with conn.cursor() as cur:
        cur.execute(f"SELECT name, qty FROM {TABLE} WHERE id = %s", (item_id,))
        return cur.fetchone()


def drop_table(conn):
    with conn.cursor() as cur:
        cur.execute(f"DROP TABLE {TABLE}")
    conn.commit()


def main(n):
    conn = psycopg2.connect(DSN)
    create_table(conn)
    started = time.perf_counter()
    half = n // 2
    for i in range(half):
        add_item(conn, i, f"item-{i}", i % 17 + 1)
        if (i + 1) % BATCH == 0:
            conn.commit()
    conn.commit()
    total = 0
    names = set()
    for i in range(half):
        name, qty = find_item(conn, i)
        total += qty
        names.add(name[:6])
    conn.commit()
    elapsed = time.perf_counter() - started
    drop_table(conn)
    conn.close()
    print(half, "inserted", half, "selected", total, sorted(names))
    sys.stderr.write(f"loop-seconds {elapsed:.6f}\n")


if __name__ == "__main__":
    main(int(sys.argv[1]))
