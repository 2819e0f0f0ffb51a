"""Pattern 1: a session parameter defaulted in a branch, with `or`, or through a local."""

import httpx


class BranchClient:
    def __init__(self, base, session=None):
        if not session:
            session = httpx.AsyncClient(follow_redirects=True, timeout=None)
        self.session = session
        self.base = base

    async def user(self, name):
        r = await self.session.get(self.base + "/users/" + name)
        return r.json()["path"]


class OrClient:
    def __init__(self, base, session=None):
        self.session = session or httpx.AsyncClient(follow_redirects=True, timeout=None)
        self.base = base

    async def user(self, name):
        return (await self.session.get(self.base + "/users/" + name)).json()["path"]


class LocalClient:
    def __init__(self, base):
        s = httpx.AsyncClient(follow_redirects=True, timeout=None)
        s.headers["X-Token"] = "secret"
        self.session = s
        self.base = base

    async def token(self):
        return (await self.session.get(self.base + "/token")).json()["token"]
