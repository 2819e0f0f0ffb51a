"""A small synchronous API client built on requests (converted in docs/http.md)."""

from __future__ import annotations

import requests


class ApiError(Exception):
    pass


class ServiceClient:
    def __init__(self, base_url: str, token: str, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers.update({"X-Token": token, "Accept": "application/json"})

    def _get(self, path: str, **params: object) -> dict:
        response = self.session.get(self.base_url + path, params=params, timeout=self.timeout)
        if not response.ok:
            raise ApiError(f"GET {path}: {response.status_code} {response.reason}")
        return response.json()

    def search(self, term: str, page: int = 1) -> dict:
        return self._get("/echo", term=term, page=page)

    def create(self, item: dict) -> dict:
        response = self.session.post(self.base_url + "/json", json=item, timeout=self.timeout)
        response.raise_for_status()
        return response.json()["got"]

    def health(self) -> bool:
        try:
            return requests.get(self.base_url + "/status/200", timeout=self.timeout).ok
        except requests.ConnectionError:
            return False

    def close(self) -> None:
        self.session.close()
