"""Fetch N records over one ``requests.Session`` (a pooled keep-alive connection).

    python http_session.py BASE_URL N

Prints a summary that does not depend on timing; the seconds spent in the loop go to stderr.
"""

import sys
import time

import requests


def fetch(session, base, i):
    response = session.get(base + "/echo", params={"item": i, "kind": "session"})
    if not response.ok:
        raise RuntimeError(f"{response.status_code} {response.reason}")
    return response.json()


def main(base, n):
    started = time.perf_counter()
    total = 0
    with requests.Session() as session:
        session.headers.update({"X-Token": "bench"})
        tokens = set()
        for i in range(n):
            record = fetch(session, base, i)
            tokens.add(record["x-token"])
            total += int(dict(record["query"])["item"])
    elapsed = time.perf_counter() - started
    print(n, total, sorted(tokens))
    sys.stderr.write(f"loop-seconds {elapsed:.6f}\n")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
