import asyncio

from sleepy.cli import main

raise SystemExit(asyncio.run(main()))
