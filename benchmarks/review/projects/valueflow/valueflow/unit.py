"""Pattern 7: a @contextmanager that yields a project object."""

import asyncio
import contextlib


class UnitOfWork:
    def __init__(self):
        self.items = []

    async def add(self, x):
        await asyncio.sleep(0.001)
        self.items.append(x)


class Repo:
    @contextlib.contextmanager
    def unit_of_work(self):
        uow = UnitOfWork()
        yield uow
        print("committed", uow.items)
