"""Exercise the orders layer: commits, rollbacks, errors, and what survives them."""

from __future__ import annotations

import asyncio
import os

import asyncpg

import orders


async def main() -> None:
    dsn = os.environ.get("ASYNCIFY_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
    schema = os.environ.get("ORDERS_SCHEMA", "orders_demo")
    conn = await orders.connect(dsn, schema)
    await orders.create_schema(conn)

    async with conn.transaction():
        first = await orders.add_order(conn, "ann", "apple", 2)
        await orders.add_order(conn, "bob", "pear", 1)
    print("found", await orders.find(conn, first), await orders.find(conn, 999))

    transaction = conn.transaction()
    await transaction.start()
    await orders.add_order(conn, "cid", "plum", 5)
    await transaction.rollback()  # cid's order is gone
    print("after rollback", await orders.count(conn))

    try:
        async with conn.transaction():
            await orders.add_order(conn, "dan", "fig", 1)
            await orders.add_order(conn, "ann", "apple", 9)  # duplicate: the whole block rolls back
    except asyncpg.IntegrityConstraintViolationError as exc:
        print("duplicate", exc.sqlstate)
    print("after failed block", await orders.count(conn))

    async with conn.transaction():
        await orders.add_many(conn, [("eve", "kiwi", 1), ("eve", "lime", 2)])
        await orders.add_batch(conn, [{"who": "fay", "what": "date", "n": 4}])
    print("renamed", await orders.rename_item(conn, "kiwi", "melon"))
    print("of", await orders.orders_of(conn, ("ann", "eve")))
    print("report", [dict(r) for r in await orders.report(conn)])
    print("cheap", await orders.cheap_items(conn))

    try:
        await orders.add_order(conn, "gus", "nut", 0)  # violates CHECK (qty > 0)
    except asyncpg.PostgresError as exc:
        print("rejected", type(exc).__name__ != "", exc.sqlstate)

    transaction = conn.transaction()
    await transaction.start()
    await orders.add_order(conn, "hal", "oat", 3)
    await conn.close()  # closed without commit: hal's order is lost

    again = await orders.connect(dsn, schema)
    print("final", await orders.count(again), await orders.orders_of(again, ("hal", "ann")))
    await again.close()


if __name__ == "__main__":
    asyncio.run(main())
