"""A small psycopg2 data-access layer for orders (converted by asyncify in docs/db.md)."""

from __future__ import annotations

import psycopg2
import psycopg2.extensions
from psycopg2.extras import RealDictCursor, execute_batch


def connect(dsn: str, schema: str) -> psycopg2.extensions.connection:
    conn = psycopg2.connect(dsn)
    cur = conn.cursor()
    cur.execute("SET search_path TO " + schema)
    conn.commit()
    return conn


def create_schema(conn: psycopg2.extensions.connection) -> None:
    with conn:
        with conn.cursor() as cur:
            cur.execute(
                "CREATE TABLE orders (id serial PRIMARY KEY, customer text NOT NULL,"
                " item text NOT NULL, qty int NOT NULL CHECK (qty > 0), UNIQUE (customer, item))"
            )


def add_order(conn: psycopg2.extensions.connection, customer: str, item: str, qty: int) -> int:
    cur = conn.cursor()
    cur.execute(
        "INSERT INTO orders (customer, item, qty) VALUES (%s, %s, %s) RETURNING id",
        (customer, item, qty),
    )
    order_id = cur.fetchone()[0]
    cur.close()
    return order_id


def add_many(conn: psycopg2.extensions.connection, rows: list[tuple[str, str, int]]) -> None:
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO orders (customer, item, qty) VALUES (%s, %s, %s)", rows)


def add_batch(conn: psycopg2.extensions.connection, rows: list[dict[str, object]]) -> None:
    with conn.cursor() as cur:
        execute_batch(
            cur, "INSERT INTO orders (customer, item, qty) VALUES (%(who)s, %(what)s, %(n)s)", rows
        )


def find(conn: psycopg2.extensions.connection, order_id: int) -> tuple[object, ...] | None:
    with conn.cursor() as cur:
        cur.execute("SELECT customer, item, qty FROM orders WHERE id = %s", (order_id,))
        return cur.fetchone()


def orders_of(conn: psycopg2.extensions.connection, customers: tuple[str, ...]) -> list[tuple[object, ...]]:
    with conn.cursor() as cur:
        cur.execute(
            "SELECT customer, item, qty FROM orders WHERE customer IN %s ORDER BY id", (customers,)
        )
        return cur.fetchall()


def report(conn: psycopg2.extensions.connection) -> list[dict[str, object]]:
    with conn.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute(
            "SELECT customer, sum(qty)::int AS total FROM orders"
            " WHERE item LIKE %(pattern)s AND qty >= %(min)s AND qty < 100 + %(min)s"
            " GROUP BY customer ORDER BY customer",
            {"pattern": "%", "min": 1},
        )
        return cur.fetchall()


def rename_item(conn: psycopg2.extensions.connection, old: str, new: str) -> int:
    with conn.cursor() as cur:
        cur.execute("UPDATE orders SET item = %s WHERE item = %s", (new, old))
        return cur.rowcount


def count(conn: psycopg2.extensions.connection) -> int:
    cur = conn.cursor()
    cur.execute("SELECT count(*) FROM orders")
    (n,) = cur.fetchone()
    return n


def cheap_items(conn: psycopg2.extensions.connection) -> list[str]:
    names = []
    cur = conn.cursor()
    cur.execute("SELECT DISTINCT item FROM orders WHERE qty < 3 AND item NOT LIKE '%%x%%' ORDER BY item", ())
    for (item,) in cur:
        names.append(item)
    return names
