"""requests calls whose arguments are decided at run time → RequestsClient (http_compat.py).

An API client written as real ones are: one ``_request`` forwards ``**kwargs`` into
``session.request(...)`` with ``verify=`` per request and a ``stream=`` flag; proxies are
set on the session only when given, after construction. The converted program must print
what the original prints against the loopback server, over plain HTTP, through a proxy
and over HTTPS with a self-signed certificate (verify=False, verify=<CA file>, and the
default, which fails in both).
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.behaviour.harness import run_both
from tests.behaviour.http_support import Handler, Server, http_server

__all__ = ["http_server"]  # the pytest fixture, used by name

API = """\
import requests


class Api:
    def __init__(self, base, verify=True, proxy=None, session=None):
        self.base = base
        self.verify = verify
        self.session = session or requests.Session()
        self.session.headers["X-Token"] = "t"
        if proxy:
            self.session.proxies.update({"http": proxy})

    def _request(self, method, path, stream=False, **kwargs):
        url = path if path.startswith("http") else self.base + path
        r = self.session.request(method, url, verify=self.verify, stream=stream, **kwargs)
        return r

    def get(self, path, **kwargs):
        return self._request("GET", path, **kwargs).json()

    def post(self, path, **kwargs):
        return self._request("POST", path, **kwargs).json()

    def head(self, path, **kwargs):
        return self.session.head(self.base + path, **kwargs)

    def status(self, path, flag):
        return self._request("GET", path, stream=flag).status_code
"""

MAIN = """\
import os
import sys

import requests

from api import Api

BASE = os.environ["BASE"]


def chunks():
    yield "caf"
    yield b"\\xc3\\xa9"


def main():
    api = Api(BASE)
    print("params", api.get("/echo", params={"a": 1, "b": None, "c": True, "d": [1, 2]}))
    print("form", api.post("/form", data={"x": True, "y": None, "z": 1.5}))
    print("pairs", api.post("/form", data=[("k", "1"), ("k", "2"), ("a", "b")]))
    print("raw", api.post("/raw", data="caf\\xe9"))
    print("chunks", api.post("/raw", data=chunks()))
    with open("payload.bin", "rb") as payload:
        print("file", api.post("/raw", data=payload)["raw"])
    print("json", api.post("/json", json={"k": [1, 2]}))
    print("json-bytes", api.post("/raw", json={"k": [1, 2], "e": "\\u00e9"}))
    r = api._request("GET", "/redirect/2", allow_redirects=False)
    print("no-follow", r.status_code, r.headers["Location"])
    print("follow", api.get("/redirect/2")["path"])
    print("head", api.head("/redirect/1").status_code)
    print("head-follow", api.head("/redirect/1", allow_redirects=True).status_code)
    print("timeout-tuple", api.get("/echo", timeout=(5, 5))["method"])
    print("auth", api.get("/echo", auth=("ann", "pw"))["auth"])
    print("streamed", api.status("/echo", True), api.status("/status/404", False))
    proxied = Api("http://proxied.invalid", proxy=BASE)
    print("proxy", proxied.get("/echo")["path"])
    secure = os.environ.get("SECURE")
    if secure:
        print("tls off", Api(secure, verify=False).get("/echo")["method"])
        print("tls ca", Api(secure, verify=os.environ["CA"]).get("/echo")["method"])
        try:
            Api(secure).get("/echo")
        except requests.exceptions.ConnectionError:
            print("tls default: refused")


if __name__ == "__main__":
    main()
"""


@pytest.fixture(scope="module")
def https_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(base URL, CA file) of an HTTPS server with a self-signed certificate for 127.0.0.1."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("openssl is needed to make the test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = Server(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", str(cert)
    finally:
        server.shutdown()
        server.server_close()


def test_run_time_arguments(
    tmp_path: Path, http_server: str, https_server: tuple[str, str]
) -> None:
    secure, ca = https_server
    env = {"BASE": http_server, "SECURE": secure, "CA": ca, "NO_PROXY": "", "no_proxy": ""}
    setup = {"payload.bin": b"\x00payload\xff"}
    both = run_both(tmp_path, {"api.py": API, "main.py": MAIN}, env=env, setup=setup)
    api = both.converted["api.py"]
    assert "self.session = session or RequestsClient(" in api, api
    assert "await self.session.requests_request(method, url, verify=self.verify" in api, api
    assert 'await self.session.requests_request("HEAD", ' in api, api
    assert "import requests" not in api, api
    assert "AFY243" in both.convert_output and "AFY215" not in both.convert_output
    for line in ("tls off GET", "tls ca GET", "tls default: refused", "proxy /echo"):
        assert line in both.before.stdout, both.before.stderr
    both.assert_same()


HELD = """\
import os

import requests


class Api:
    def __init__(self, base, proxies=None):
        self.base = base
        self.session = requests.Session()
        if proxies:
            self.session.proxies.update(proxies)

    def _call_method(self, method, url, request_kwargs):
        return method(url, **request_kwargs)

    def _make_call(self, method, endpoint, args=None, **kwargs):
        request_kwargs = {"params": args or {}, "timeout": 10, **kwargs}
        res = self._call_method(method, self.base + endpoint, request_kwargs)
        return res.json()

    def get(self, endpoint, args=None, **kwargs):
        return self._make_call(self.session.get, endpoint, args, **kwargs)

    def post(self, endpoint, **kwargs):
        return self._make_call(self.session.post, endpoint, **kwargs)


def main():
    api = Api(os.environ["BASE"])
    print(api.get("/echo", {"a": 1, "b": None}))
    print(api.post("/json", json={"k": 1}))
    print(api.get("/redirect/1", allow_redirects=False) if False else "skip")
    print(api.post("/form", data={"flag": True}))


if __name__ == "__main__":
    main()
"""


def test_bound_request_methods_handed_through_calls(tmp_path: Path, http_server: str) -> None:
    """`self._make_call(self.session.get, ...)` handed on to `_call_method`, which calls it
    with `**kwargs`: a partial of requests_request, awaited where it is called."""
    both = run_both(tmp_path, {"main.py": HELD}, env={"BASE": http_server})
    main = both.converted["main.py"]
    assert 'functools.partial(self.session.requests_request, "GET")' in main, main
    assert "return await method(url, **request_kwargs)" in main, main
    assert "'method': 'GET'" in both.before.stdout, both.before.stderr
    both.assert_same()
