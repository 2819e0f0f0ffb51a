"""A helper given the method that fetches one page, and calling it for each page."""

import asyncio


class Lister:
    def __init__(self):
        self.fetched = 0

    async def _iter_pages(self, list_function, last):
        results = []
        for page in range(1, last + 1):
            results.extend(await list_function(page=page))
        return results

    async def get_list(self, page):
        await asyncio.sleep(0.001)
        self.fetched += 1
        return [page * 10]

    async def get_all(self):
        return await self._iter_pages(self.get_list, 3)
