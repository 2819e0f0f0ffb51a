"""Sync contexts with an async counterpart (asyncify/contexts.py): the converted program
does the same thing. Each program runs before and after `asyncify run`."""

from __future__ import annotations

from pathlib import Path

from tests.behaviour.harness import run_both

CACHED = """\
import collections
import functools
import time
from functools import lru_cache

RUNS = collections.Counter()


@functools.lru_cache(maxsize=None)
def lookup(key):
    RUNS["lookup", key] += 1
    time.sleep(0)
    return f"value-{key}-{len(RUNS)}"


@lru_cache(maxsize=2)
def small(n):
    RUNS["small", n] += 1
    time.sleep(0)
    return n * 10


class Api:
    def __init__(self, name):
        self.name = name

    @functools.cache
    def fetch(self, path):
        RUNS[self.name, path] += 1
        time.sleep(0)
        return f"{self.name}:{path}:{len(RUNS)}"


def main():
    first = [lookup(k) for k in "abab"]
    sizes = [small(n) for n in (1, 2, 1, 3, 1)]  # maxsize=2: 1 is evicted by 3
    a, b = Api("a"), Api("b")
    fetched = [a.fetch("/x"), a.fetch("/x"), b.fetch("/x"), a.fetch("/y")]
    print(first, sizes, fetched)
    print(sorted(RUNS.items()))
    print(lookup.cache_info().hits, small.cache_info().currsize)
    # Once per key, while the key is cached.
    assert all(RUNS[k] == 1 for k in RUNS if k[0] != "small"), RUNS
    assert first[0] == first[2] and fetched[0] == fetched[1] != fetched[2]


if __name__ == "__main__":
    main()
"""


def test_lru_cache_becomes_alru_cache(tmp_path: Path) -> None:
    both = run_both(tmp_path, {"main.py": CACHED})
    both.assert_same()
    assert both.before.returncode == 0, both.before.stderr
    converted = both.converted["main.py"]
    assert "from async_lru import alru_cache" in converted
    assert "async def lookup(key):" in converted and "async def fetch(self, path):" in converted
    assert "lru_cache(" not in converted.replace("alru_cache(", "")
    assert "AFY130" in both.convert_output and "async-lru" in both.convert_output
