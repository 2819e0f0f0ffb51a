"""requests → aiohttp (``--http-client aiohttp``): the converted programs talk to a real
server and print the same.

Each program runs before (requests) and after (aiohttp.ClientSession, converted by the
installed ``asyncify run --http-client aiohttp``, or ``http-client = "aiohttp"`` in
``[tool.asyncify]``) against the threaded loopback server of ``http_support.py``; stdout,
exit code and written files must match, and no coroutine may be left unawaited.
"""

from __future__ import annotations

from pathlib import Path

from tests.behaviour.harness import run_both
from tests.behaviour.http_support import closed_port, http_server

__all__ = ["http_server"]  # the pytest fixture, used by name

AIOHTTP = ("--http-client", "aiohttp")

ONE_SHOT = """\
import os
import sys

import requests
from requests import HTTPError, post
from requests.auth import HTTPBasicAuth
from requests.exceptions import ConnectionError as ConnError, Timeout

BASE = os.environ["BASE"]


def show(label, r):
    print(label, r.status_code, r.ok, r.reason, r.url.replace(BASE, ""), r.json())


def text_of(path):
    r = requests.get(BASE + path)
    return r.text, r.content


def main():
    got = requests.get(
        BASE + "/echo?z=0",
        params={"a": "1", "b": "x y", "c": None, "d": True},
        headers={"X-Token": "t"},
    )
    show("get", got)
    show("json", post(BASE + "/json", json={"k": [1, 2], "s": "é"}))
    show("form", requests.post(BASE + "/form", data={"a": "1", "b": "2"}))
    show("pairs", requests.post(BASE + "/form", data=[("b", "1"), ("a", "2"), ("b", "3")]))
    show("raw-str", requests.put(BASE + "/raw", data="caf\\xe9"))
    show("raw-bytes", requests.patch(BASE + "/raw", data=b"\\x00\\x01"))
    show("get-body", requests.get(BASE + "/echo", data=b"xyz"))
    show("delete", requests.delete(BASE + "/echo"))
    show("basic-auth", requests.get(BASE + "/echo", auth=HTTPBasicAuth("ann", "pw")))
    show("tuple-auth", requests.get(BASE + "/echo", auth=("bob", "pw")))
    show("request", requests.request("OPTIONS", BASE + "/echo"))
    for kind in ("latin-1/plain", "utf-8/plain", "latin-1/octet", "utf-8/octet"):
        print("text", kind, text_of("/cafe/" + kind))
    r = requests.get(BASE + "/redirect/3")
    print("redirects", len(r.history), r.url.startswith(BASE), r.json()["path"])
    r30 = requests.get(BASE + "/redirect/30")
    print("30 redirects", r30.status_code)
    try:
        requests.get(BASE + "/redirect/31")
    except requests.TooManyRedirects:
        print("too many redirects")
    nofollow = requests.get(BASE + "/redirect/2", allow_redirects=False)
    print("no-follow", nofollow.status_code, nofollow.headers["location"])
    head = requests.head(BASE + "/redirect/1")
    print("head", head.status_code, head.text == "")
    requests.get(BASE + "/cookie")
    print("no carry-over", requests.get(BASE + "/cookies").json())
    for code in (200, 302, 404, 500):
        try:
            requests.get(BASE + f"/status/{code}", allow_redirects=False).raise_for_status()
            print(code, "no error")
        except HTTPError as e:
            print(code, "HTTPError", e.response.status_code, e.response.reason)
    missing = requests.get(BASE + "/status/404")
    if not missing.ok:
        print("not ok", missing.status_code, missing.json())
    try:
        requests.get(os.environ["CLOSED"] + "/echo")
    except ConnError:
        print("connection refused")
    try:
        requests.get(BASE + "/slow", timeout=0.3)
    except ConnError:
        print("wrongly a connection error")
    except Timeout:
        print("timed out")
    try:
        requests.get(BASE + "/slow", timeout=(2, 0.3))
    except requests.ReadTimeout:
        print("read timed out")
    print("slow but in time", requests.get(BASE + "/slow", timeout=5).json())
    try:
        requests.get(BASE + "/redirect/1", allow_redirects=False).json()
    except requests.RequestException as e:
        print("empty body", type(e).__name__ in ("JSONDecodeError",))
    try:
        requests.get(BASE + "/nothing").raise_for_status()
    except requests.RequestException:
        print("request exception")
    return 0


if __name__ == "__main__":
    sys.exit(main())
"""

SHARED_SESSION = """\
import os

import requests

BASE = os.environ["BASE"]
SHARED = requests.Session()


class Api:
    def __init__(self, base, token):
        self.base = base
        self.session = requests.Session()
        self.session.headers.update({"X-Token": token})

    def echo(self, **params):
        r = self.session.get(self.base + "/echo", params=params, timeout=self.timeout())
        r.raise_for_status()
        return r.json()

    def timeout(self):
        return (5, 5)

    def head(self, path):
        return self.session.head(self.base + path).status_code

    def remember(self):
        self.session.get(self.base + "/cookie")
        return self.session.get(self.base + "/cookies").json()

    def close(self):
        self.session.close()


def shared():
    return SHARED.get(BASE + "/echo").status_code


def run():
    api = Api(BASE, "secret")
    print(api.echo(q="1"))
    print(api.head("/redirect/1"), api.remember())
    api.close()
    print("shared", shared())
    with requests.Session() as s:
        s.headers["X-Token"] = "with"
        print(s.post(BASE + "/echo", data="abc", allow_redirects=True).json())
        s.get(BASE + "/cookie")
        print("kept", s.get(BASE + "/cookies").json())
        r = s.get(BASE + "/status/500")
        print(r.ok, r.status_code, r.text)
        try:
            r.raise_for_status()
        except requests.HTTPError as e:
            print("http error", e.response.status_code)


if __name__ == "__main__":
    run()
"""
# The same program without the module-level session: nothing keeps requests.
SESSION = (
    SHARED_SESSION.replace("SHARED = requests.Session()\n", "")
    .replace('def shared():\n    return SHARED.get(BASE + "/echo").status_code\n\n\n', "")
    .replace('    print("shared", shared())\n', "")
)

CONFIG = """\
[tool.asyncify]
http-client = "aiohttp"
"""


def test_one_shot_calls(tmp_path: Path, http_server: str) -> None:
    """GET/POST/PUT/PATCH/DELETE/OPTIONS, params, headers, form/pairs/raw/json bodies,
    basic auth, requests' text decoding, redirects (30 followed, 31 too many, not followed,
    HEAD), no cookie carry-over between one-shot calls, raise_for_status and HTTPError,
    connection refused, connect/read timeouts, an empty body's json()."""
    env = {"BASE": http_server, "CLOSED": f"http://127.0.0.1:{closed_port()}"}
    both = run_both(tmp_path, {"main.py": ONE_SHOT}, env=env, convert_args=AIOHTTP)
    converted = both.converted["main.py"]
    assert "import requests" not in converted, converted
    assert "async with aiohttp.ClientSession(" in converted
    assert "AFY234" in both.convert_output  # r.history (a tuple of aiohttp responses)
    for line in (
        "basic-auth 200 True OK /echo {'auth': 'Basic YW5uOnB3'",
        "text latin-1/plain ('café'",
        "text latin-1/octet ('捡曩'",  # charset detection's guess, kept
        "30 redirects 200",
        "too many redirects",
        "no carry-over {'cookie': None}",
        "404 HTTPError 404 Not Found",
        "302 no error",
        "connection refused",
        "timed out",
        "read timed out",
        "slow but in time",
        "empty body True",
    ):
        assert line in both.before.stdout, (line, both.before.stderr)
    both.assert_same()


def test_sessions(tmp_path: Path, http_server: str) -> None:
    """A session in __init__ (async factory), reused across calls with its headers and
    cookies, a `with` session, close(). The target comes from [tool.asyncify] here."""
    assert "SHARED" not in SESSION
    files = {"main.py": SESSION, "pyproject.toml": CONFIG}
    both = run_both(tmp_path, files, env={"BASE": http_server})
    converted = both.converted["main.py"]
    assert 'api = await Api.create(BASE, "secret")' in converted, converted
    assert "self.session = aiohttp.ClientSession(" in converted
    assert "async with aiohttp.ClientSession(" in converted
    assert "import requests" not in converted
    assert "kept {'cookie': 'flavour=oat'}" in both.before.stdout, both.before.stderr
    assert "http error 500" in both.before.stdout
    both.assert_same()


def test_an_import_time_session_keeps_requests(tmp_path: Path, http_server: str) -> None:
    """aiohttp cannot open a session at import time (AFY236): the program keeps requests,
    its calls in worker threads (AFY217), rather than mixing the two libraries."""
    files = {"main.py": SHARED_SESSION, "pyproject.toml": CONFIG}
    both = run_both(tmp_path, files, env={"BASE": http_server})
    converted = both.converted["main.py"]
    assert "aiohttp" not in converted, converted
    assert "await asyncio.to_thread(SHARED.get, BASE" in converted
    assert "AFY236" in both.convert_output and "AFY217" in both.convert_output
    assert "shared 200" in both.before.stdout, both.before.stderr
    both.assert_same()
