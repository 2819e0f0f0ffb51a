import httpx

from ._sync import run_sync


class CatalogClient:
    """Talks to the catalog service; one HTTP session for all calls."""

    def __init__(self, base_url, token="t0ken"):
        self.base_url = base_url
        self.session = httpx.AsyncClient(follow_redirects=True, timeout=None)
        self.session.headers.update({"X-Token": token})
        self.calls = 0

    async def item_async(self, sku, *, details=False):
        """The catalog entry of ``sku``."""
        self.calls += 1
        params = {"sku": sku, "details": "yes" if details else "no"}
        r = await self.session.get(f"{self.base_url}/echo", params=params)
        r.raise_for_status()
        data = r.json()
        return {"sku": sku, "query": data["query"], "token": data["x-token"]}

    def item(self, sku, *, details=False):
        return run_sync(self.item_async(sku, details=details))

    async def order_async(self, sku, qty):
        r = await self.session.post(f"{self.base_url}/json", json={"sku": sku, "qty": qty})
        r.raise_for_status()
        return r.json()["got"]

    def order(self, sku, qty):
        return run_sync(self.order_async(sku, qty))

    async def status_async(self, code):
        return (await self.session.get(f"{self.base_url}/status/{code}")).status_code

    def status(self, code):
        return run_sync(self.status_async(code))

    async def _raw(self, path):
        return (await self.session.get(self.base_url + path)).text

    async def close_async(self):
        await self.session.aclose()

    def close(self):
        run_sync(self.close_async())
