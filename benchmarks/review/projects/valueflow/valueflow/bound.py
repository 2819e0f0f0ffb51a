"""Pattern 6: bound session methods handed to a helper that calls them."""

import httpx


class Api:
    def __init__(self, base):
        self.session = httpx.AsyncClient(follow_redirects=True, timeout=None)
        self.base = base

    async def _call(self, method, path, body=None):
        response = await self.session.request(method, self.base + path, json=body)
        return response.json()

    async def get(self, path):
        return await self._call("GET", path)

    async def post(self, path, body):
        return await self._call("POST", path, body)

    async def remove(self, path):
        return await self._call(method="DELETE", path=path)
