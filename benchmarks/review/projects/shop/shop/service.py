import asyncio

from .client import PriceClient
from .db import OrderRepo


class OrderService:
    def __init__(self, repo: OrderRepo, prices: PriceClient):
        self.repo = repo
        self.prices = prices

    async def place(self, sku, qty):
        total = await self.prices.price(sku) * qty
        await self.repo.save(sku, qty, total)
        await asyncio.sleep(0.001)  # rate limit
        return total

    async def report(self):
        return [f"{sku} x{qty} = {total}" for sku, qty, total in await self.repo.all()]
