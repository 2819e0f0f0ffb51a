import asyncpg


class OrderRepo:
    @classmethod
    async def create(cls, dsn, schema):
        self = cls()
        self.conn = await asyncpg.connect(dsn)
        self.schema = schema
        await self.conn.execute(f"CREATE TABLE IF NOT EXISTS {schema}.orders (sku text, qty int, total int)")
        return self

    async def save(self, sku, qty, total):
        await self.conn.execute(
            f"INSERT INTO {self.schema}.orders (sku, qty, total) VALUES ($1, $2, $3)",
            sku, qty, total,
        )

    async def all(self):
        rows = await self.conn.fetch(f"SELECT sku, qty, total FROM {self.schema}.orders ORDER BY sku")
        return [tuple(row) for row in rows]

    async def close(self):
        await self.conn.close()
