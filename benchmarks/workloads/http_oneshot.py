"""Fetch N records one by one with one-shot ``requests.get`` calls (a throwaway session each).

    python http_oneshot.py BASE_URL N

Prints a summary that does not depend on timing; the seconds spent in the loop go to stderr.
"""

import sys
import time

import requests


def fetch(base, i):
    response = requests.get(base + "/echo", params={"item": i, "kind": "one-shot"})
    response.raise_for_status()
    return response.json()


def main(base, n):
    started = time.perf_counter()
    total = 0
    methods = set()
    for i in range(n):
        record = fetch(base, i)
        methods.add(record["method"])
        total += int(dict(record["query"])["item"])
    elapsed = time.perf_counter() - started
    print(n, total, sorted(methods))
    sys.stderr.write(f"loop-seconds {elapsed:.6f}\n")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
