"""Sync contexts with an async counterpart (asyncify/contexts.py): the converted program
does the same thing. Each program runs before and after `asyncify run`."""

from __future__ import annotations

import re
from pathlib import Path

from tests.behaviour.harness import convert, run_both, run_project_tests
from tests.behaviour.http_support import closed_port, http_server

__all__ = ["http_server"]  # the pytest fixture, used by name

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


RAISES_LIB = """\
import time


class NotFound(Exception):
    pass


class Client:
    def search(self, q, limit=10):
        time.sleep(0)
        if not q:
            raise NotFound(q)
        return [q] * limit


def lookup(key, strict=False):
    time.sleep(0)
    if strict:
        raise KeyError(key)
    return key
"""

RAISES_TESTS = """\
import unittest

import pytest

from lib import Client, NotFound, lookup


class ClientTest(unittest.TestCase):
    def setUp(self):
        self.client = Client()

    def test_lambda_form(self):
        self.assertRaises(NotFound, lambda: self.client.search(""))

    def test_call_form(self):
        self.assertRaises(NotFound, self.client.search, "", limit=1)
        self.assertRaisesRegex(KeyError, "k", lookup, "k", strict=True)

    def test_no_error_fails(self):
        self.assertRaises(NotFound, self.client.search, "q")  # fails: nothing raised


def test_pytest_call_form():
    pytest.raises(NotFound, Client().search, "")
    pytest.raises(KeyError, lambda: lookup("x", strict=True))
    info = pytest.raises(KeyError, lookup, "y", strict=True)
    assert info.value.args == ("y",)


def test_pytest_no_error_fails():
    pytest.raises(KeyError, lookup, "x")  # fails: nothing raised
"""


def test_assert_raises_call_forms_become_with_blocks(tmp_path: Path) -> None:
    """The call forms of assertRaises/pytest.raises around library calls that become async:
    the converted suite has the same passes and failures (an un-awaited call would raise
    nothing, turning passes into failures and failures into passes)."""
    results = []
    for side in ("before", "after"):
        root = tmp_path / side
        (root / "tests").mkdir(parents=True)
        (root / "lib.py").write_text(RAISES_LIB)
        (root / "tests" / "test_lib.py").write_text(RAISES_TESTS)
        (root / "pyproject.toml").write_text(
            '[tool.pytest.ini_options]\nasyncio_default_fixture_loop_scope = "function"\n'
        )
        if side == "after":
            proc = convert(root)
            assert proc.returncode in (0, 1), proc.stdout + proc.stderr
        done = run_project_tests(root)
        outcomes = sorted(re.findall(r"^(PASSED|FAILED) (\S+)", done.stdout, re.M))
        results.append(outcomes)
    assert results[0] == results[1]
    assert [o for o, _ in results[0]].count("PASSED") == 3
    assert [o for o, _ in results[0]].count("FAILED") == 2
    converted = (tmp_path / "after" / "tests" / "test_lib.py").read_text()
    assert "lambda:" not in converted and "with self.assertRaises(NotFound):" in converted
    assert "async def search" in (tmp_path / "after" / "lib.py").read_text()


WEB_APP = """\
import time

from fastapi import APIRouter, Depends, FastAPI
from fastapi.testclient import TestClient
from flask import Blueprint, Flask

CALLS = []


def load(name):
    time.sleep(0)
    CALLS.append(name)
    return {"name": name, "calls": len(CALLS)}


app = Flask(__name__)
shop = Blueprint("shop", __name__)


@app.route("/")
def index():
    return load("index")


@shop.get("/items/<int:n>")
def item(n):
    data = load(f"item{n}")
    if n > 9:
        return {"error": "too big"}, 400
    return data


app.register_blueprint(shop)

api = FastAPI()
router = APIRouter(prefix="/v1")


def caller():
    return load("caller")["name"]


@api.get("/users/{uid}")
def user(uid: int, who=Depends(caller)):
    return {**load(f"user{uid}"), "who": who}


@router.post("/orders")
def order():
    return load("order")


api.include_router(router)


def main():
    flask_client = app.test_client()
    for url in ("/", "/items/3", "/items/12"):
        response = flask_client.get(url)
        print(url, response.status_code, response.get_json())
    fastapi_client = TestClient(api)
    print(fastapi_client.get("/users/7").json(), fastapi_client.post("/v1/orders").json())
    print(CALLS)


if __name__ == "__main__":
    main()
"""


def test_framework_handlers_become_async(tmp_path: Path) -> None:
    """Flask (with its async extra) and FastAPI routes made `async def` answer the same."""
    both = run_both(tmp_path, {"main.py": WEB_APP})
    both.assert_same()
    assert both.before.returncode == 0, both.before.stderr
    converted = both.converted["main.py"]
    for handler in ("index()", "item(n)", "user(uid: int, who=Depends(caller))", "caller()"):
        assert f"async def {handler}:" in converted
    assert "flask[async]" in both.convert_output


RETRIED = """\
import functools
import os
import time

import requests

BASE = os.environ["BASE"]
CLOSED = os.environ["CLOSED"]
ATTEMPTS = []


def retry(times=3, delay=0.0):
    def deco(f):
        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            for attempt in range(times):
                try:
                    return f(*args, **kwargs)
                except (requests.ConnectionError, requests.HTTPError):
                    print("retry", attempt)
                    time.sleep(delay)
            raise RuntimeError("gave up")

        return wrapper

    return deco


@retry(times=4)
def path_of(urls):
    url = urls[min(len(ATTEMPTS), len(urls) - 1)]
    ATTEMPTS.append(url)
    response = requests.get(url)
    response.raise_for_status()
    return response.json()["path"]


def main():
    print(path_of([CLOSED + "/echo", BASE + "/status/503", BASE + "/echo/ok"]))
    try:
        path_of([CLOSED + "/echo"])
    except RuntimeError as e:
        print(e, len(ATTEMPTS))


if __name__ == "__main__":
    main()
"""


def test_retry_decorator_around_requests(tmp_path: Path, http_server: str) -> None:
    """A retry wrapper that catches requests' errors and sleeps: its async copy catches
    the errors the converted calls raise (httpx's) and sleeps with asyncio.sleep."""
    env = {"BASE": http_server, "CLOSED": f"http://127.0.0.1:{closed_port()}"}
    both = run_both(tmp_path, {"main.py": RETRIED}, env=env)
    both.assert_same()
    assert "retry 1\n/echo/ok" in both.before.stdout and "gave up" in both.before.stdout
    converted = both.converted["main.py"]
    assert "async def path_of(urls):" in converted and "await asyncio.sleep(delay)" in converted
    assert "import requests" in converted  # the synchronous branch keeps requests' errors


RETRY_LIBRARIES = '''\
import time

import backoff
from tenacity import retry, stop_after_attempt

CALLS = []


@backoff.on_exception(backoff.constant, ValueError, max_tries=3, interval=0)
def flaky():
    CALLS.append(1)
    time.sleep(0)
    if len(CALLS) < 3:
        raise ValueError("again")
    return len(CALLS)


@backoff.on_predicate(backoff.constant, predicate=lambda r: r < 2, max_tries=5, interval=0)
def poll(state=[0]):
    time.sleep(0)
    state[0] += 1
    return state[0]


@retry(stop=stop_after_attempt(3))
def tries(box=[0]):
    time.sleep(0)
    box[0] += 1
    if box[0] < 2:
        raise KeyError("x")
    return box[0]


def main():
    print(flaky(), poll(), tries())


if __name__ == "__main__":
    main()
'''


def test_retry_library_decorators_retry_coroutines(tmp_path: Path) -> None:
    """backoff's and tenacity's decorators retry a coroutine function (with asyncio.sleep):
    the functions under them become async, retried as before."""
    both = run_both(tmp_path, {"main.py": RETRY_LIBRARIES})
    converted = both.converted["main.py"]
    for name in ("flaky", "poll", "tries"):
        assert f"async def {name}(" in converted, converted
    assert both.before.stdout == "3 2 2\n", both.before.stderr
    both.assert_same()
