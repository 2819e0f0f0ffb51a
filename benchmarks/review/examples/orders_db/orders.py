"""A small psycopg2 data-access layer for orders (converted by asyncify in docs/db.md)."""

from __future__ import annotations

import asyncpg


async def connect(dsn: str, schema: str) -> asyncpg.Connection:
    conn = await asyncpg.connect(dsn)
    await conn.execute("SET search_path TO " + schema)
    return conn


async def create_schema(conn: asyncpg.Connection) -> None:
    async with conn.transaction():
        await conn.execute(
            "CREATE TABLE orders (id serial PRIMARY KEY, customer text NOT NULL,"
            " item text NOT NULL, qty int NOT NULL CHECK (qty > 0), UNIQUE (customer, item))"
        )


async def add_order(conn: asyncpg.Connection, customer: str, item: str, qty: int) -> int:
    return await conn.fetchval(
        "INSERT INTO orders (customer, item, qty) VALUES ($1, $2, $3) RETURNING id",
        customer, item, qty,
    )


async def add_many(conn: asyncpg.Connection, rows: list[tuple[str, str, int]]) -> None:
    await conn.executemany("INSERT INTO orders (customer, item, qty) VALUES ($1, $2, $3)", rows)


async def add_batch(conn: asyncpg.Connection, rows: list[dict[str, object]]) -> None:
    await conn.executemany(
        "INSERT INTO orders (customer, item, qty) VALUES ($1, $2, $3)",
        [(row["who"], row["what"], row["n"]) for row in rows],
    )


async def find(conn: asyncpg.Connection, order_id: int) -> tuple[object, ...] | None:
    row = await conn.fetchrow("SELECT customer, item, qty FROM orders WHERE id = $1", order_id)
    return tuple(row) if row is not None else None


async def orders_of(conn: asyncpg.Connection, customers: tuple[str, ...]) -> list[tuple[object, ...]]:
    rows = await conn.fetch(
        "SELECT customer, item, qty FROM orders WHERE customer = ANY($1) ORDER BY id", customers
    )
    return [tuple(row) for row in rows]


async def report(conn: asyncpg.Connection) -> list[dict[str, object]]:
    rows = await conn.fetch(
        "SELECT customer, sum(qty)::int AS total FROM orders"
        " WHERE item LIKE $1 AND qty >= $2 AND qty < 100 + $2"
        " GROUP BY customer ORDER BY customer",
        "%", 1,
    )
    return [dict(row) for row in rows]


async def rename_item(conn: asyncpg.Connection, old: str, new: str) -> int:
    status = await conn.execute("UPDATE orders SET item = $1 WHERE item = $2", new, old)
    return int(status.split()[-1])


async def count(conn: asyncpg.Connection) -> int:
    return await conn.fetchval("SELECT count(*) FROM orders")


async def cheap_items(conn: asyncpg.Connection) -> list[str]:
    names = []
    for (item,) in await conn.fetch("SELECT DISTINCT item FROM orders WHERE qty < 3 AND item NOT LIKE '%x%' ORDER BY item"):
        names.append(item)
    return names
