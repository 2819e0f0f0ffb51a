import asyncio

from ._sync import run_sync
from .client import CatalogClient


async def load_prices_async(path, currency="EUR"):
    """Prices by SKU from a ``sku=cents`` file."""
    await asyncio.sleep(0.001)  # the share is slow
    prices = {}
    with open(path) as f:
        for line in f:
            sku, _, cents = line.strip().partition("=")
            if sku:
                prices[sku] = f"{int(cents) / 100:.2f} {currency}"
    return prices


def load_prices(path, currency="EUR"):
    return run_sync(load_prices_async(path, currency))


async def describe_async(client: CatalogClient, sku, prices):
    entry = await client.item_async(sku, details=True)
    return f"{entry['sku']} at {prices.get(sku, '?')} ({len(entry['query'])} params)"


def describe(client: CatalogClient, sku, prices):
    return run_sync(describe_async(client, sku, prices))
