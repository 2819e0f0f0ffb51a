import os
import sys

from shop.client import PriceClient
from shop.db import OrderRepo
from shop.service import OrderService


async def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    repo = await OrderRepo.create(os.environ["ASYNCIFY_TEST_PG_DSN"], os.environ["PGSCHEMA"])
    prices = PriceClient(os.environ["SHOP_URL"])
    service = OrderService(repo, prices)
    for sku in argv or ["apple", "kiwi"]:
        print("placed", sku, await service.place(sku, 2))
    print("\n".join(await service.report()))
    await prices.close()
    await repo.close()
    return 0
