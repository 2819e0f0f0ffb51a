"""Pattern 3: a template-method factory; pattern 4: a subscripted generic base."""

from typing import Generic, TypeVar

import httpx

T = TypeVar("T")


class Base:
    def __init__(self, base):
        self.base = base
        self.session = self.create_session()

    def create_session(self):
        raise NotImplementedError

    async def fetch(self, path):
        return (await self.session.get(self.base + path)).json()["path"]


class Real(Base):
    def create_session(self):
        s = httpx.AsyncClient(follow_redirects=True, timeout=None)
        s.headers["X-Token"] = "made"
        return s


class Endpoint(Generic[T]):
    def __init__(self, base):
        self.base = base
        self.session = httpx.AsyncClient(follow_redirects=True, timeout=None)

    async def get(self, path):
        return (await self.session.get(self.base + path)).json()


class Orders(Endpoint[int]):
    async def count(self):
        return len((await self.get("/orders"))["path"])
