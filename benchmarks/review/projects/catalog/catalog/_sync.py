"""Synchronous wrappers of the async API: one event loop per thread, kept between calls."""

import asyncio
import threading

_local = threading.local()


def run_sync(coro):
    if getattr(_local, "loop", None) is None:
        _local.loop = asyncio.new_event_loop()
    return _local.loop.run_until_complete(coro)
