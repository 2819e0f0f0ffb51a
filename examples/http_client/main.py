"""Use the client: search, create, handle errors (run with BASE=http://host:port)."""

from __future__ import annotations

import os

from client import ApiError, ServiceClient


def report(client: ServiceClient) -> None:
    print("healthy:", client.health())
    for term in ("cats", "dogs"):
        result = client.search(term, page=2)
        print(term, result["query"], result["x-token"])
    print("created:", client.create({"name": "widget", "tags": ["a", "b"]}))
    try:
        client._get("/status/503")
    except ApiError as exc:
        print("error:", exc)


def main() -> None:
    client = ServiceClient(os.environ["BASE"], token="demo")
    try:
        report(client)
    finally:
        client.close()


if __name__ == "__main__":
    main()
