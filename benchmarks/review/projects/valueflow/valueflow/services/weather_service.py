"""Pattern 5: an adapter built from a class parameter with a project default."""

import httpx


class DefaultAdapter:
    def __init__(self, base):
        self.base = base
        self.session = httpx.AsyncClient(follow_redirects=True, timeout=None)

    async def post(self, path, data):
        return (await self.session.post(self.base + path, json=data)).json()
