"""Use the client: search, create, handle errors (run with BASE=http://host:port)."""

from __future__ import annotations

import asyncio
import os

from client import ApiError, ServiceClient


async def report(client: ServiceClient) -> None:
    print("healthy:", await client.health())
    for term in ("cats", "dogs"):
        result = await client.search(term, page=2)
        print(term, result["query"], result["x-token"])
    print("created:", await client.create({"name": "widget", "tags": ["a", "b"]}))
    try:
        await client._get("/status/503")
    except ApiError as exc:
        print("error:", exc)


async def main() -> None:
    client = ServiceClient(os.environ["BASE"], token="demo")
    try:
        await report(client)
    finally:
        await client.close()


if __name__ == "__main__":
    asyncio.run(main())
