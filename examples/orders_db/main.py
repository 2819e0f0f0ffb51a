"""Exercise the orders layer: commits, rollbacks, errors, and what survives them."""

from __future__ import annotations

import os

import psycopg2

import orders


def main() -> None:
    dsn = os.environ.get("ASYNCIFY_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
    schema = os.environ.get("ORDERS_SCHEMA", "orders_demo")
    conn = orders.connect(dsn, schema)
    orders.create_schema(conn)

    first = orders.add_order(conn, "ann", "apple", 2)
    orders.add_order(conn, "bob", "pear", 1)
    conn.commit()
    print("found", orders.find(conn, first), orders.find(conn, 999))

    orders.add_order(conn, "cid", "plum", 5)
    conn.rollback()  # cid's order is gone
    print("after rollback", orders.count(conn))

    try:
        with conn:
            orders.add_order(conn, "dan", "fig", 1)
            orders.add_order(conn, "ann", "apple", 9)  # duplicate: the whole block rolls back
    except psycopg2.IntegrityError as exc:
        print("duplicate", exc.pgcode)
    print("after failed block", orders.count(conn))

    with conn:
        orders.add_many(conn, [("eve", "kiwi", 1), ("eve", "lime", 2)])
        orders.add_batch(conn, [{"who": "fay", "what": "date", "n": 4}])
    print("renamed", orders.rename_item(conn, "kiwi", "melon"))
    conn.commit()
    print("of", orders.orders_of(conn, ("ann", "eve")))
    print("report", [dict(r) for r in orders.report(conn)])
    print("cheap", orders.cheap_items(conn))

    try:
        orders.add_order(conn, "gus", "nut", 0)  # violates CHECK (qty > 0)
    except psycopg2.Error as exc:
        print("rejected", type(exc).__name__ != "", exc.pgcode)
        conn.rollback()

    orders.add_order(conn, "hal", "oat", 3)
    conn.close()  # closed without commit: hal's order is lost

    again = orders.connect(dsn, schema)
    print("final", orders.count(again), orders.orders_of(again, ("hal", "ann")))
    again.close()


if __name__ == "__main__":
    main()
