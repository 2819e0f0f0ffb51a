"""A small synchronous API client built on requests (converted in docs/http.md)."""

from __future__ import annotations

import httpx


class ApiError(Exception):
    pass


class ServiceClient:
    def __init__(self, base_url: str, token: str, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = httpx.AsyncClient(follow_redirects=True)
        self.session.headers.update({"X-Token": token, "Accept": "application/json"})

    async def _get(self, path: str, **params: object) -> dict:
        response = await self.session.get(self.base_url + path, params=params, timeout=self.timeout)
        if response.is_error:
            raise ApiError(f"GET {path}: {response.status_code} {response.reason_phrase}")
        return response.json()

    async def search(self, term: str, page: int = 1) -> dict:
        return await self._get("/echo", term=term, page=page)

    async def create(self, item: dict) -> dict:
        response = await self.session.post(self.base_url + "/json", json=item, timeout=self.timeout)
        response.raise_for_status()
        return response.json()["got"]

    async def health(self) -> bool:
        try:
            async with httpx.AsyncClient(follow_redirects=True) as client:
                response = await client.get(self.base_url + "/status/200", timeout=self.timeout)
            return not response.is_error
        except (httpx.ConnectError, httpx.ConnectTimeout):
            return False

    async def close(self) -> None:
        await self.session.aclose()
