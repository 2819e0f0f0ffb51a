import asyncio

from shop.cli import main

raise SystemExit(asyncio.run(main()))
