"""Pattern 2: a session made in one class and passed to another's constructor."""

import httpx


class Request:
    def __init__(self, base, http_session=None):
        self.base = base
        self.http_session = http_session

    async def get(self, path):
        return (await self.http_session.get(self.base + path)).json()["path"]


class Api:
    def __init__(self, base):
        self.http_session = httpx.AsyncClient(follow_redirects=True, timeout=None)
        self.base = base

    async def users(self):
        return await Request(self.base, http_session=self.http_session).get("/users")

    async def groups(self):
        return await Request(self.base, http_session=self.http_session).get("/groups")
