"""urllib.request.urlopen → httpx (``_urlopen``): the converted programs print the same.

Each program runs before (urllib) and after (converted by the installed ``asyncify run``)
against the loopback server of ``http_support``: the headers urllib sends, redirects of
every code for GET, HEAD and POST, HTTPError with its body, URLError, timeouts, and the
response's attributes must all come out the same.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.behaviour.harness import run_both
from tests.behaviour.http_support import closed_port, http_server

__all__ = ["http_server"]  # the pytest fixture, used by name

PROGRAM = r'''
import json
import os
import urllib.error
import urllib.request
from urllib.request import Request, urlopen

BASE = os.environ["BASE"]


def short(url):
    return url.replace(BASE, "")


def show(label, r):
    print(label, r.status, r.reason, r.msg, r.getcode(), r.code, short(r.url), short(r.geturl()))
    print("  headers", [(k, v) for k, v in r.headers.items() if k != "Date"])
    print("  length", r.getheader("Content-Length"), r.getheaders()[-1], r.version)


def body(r):
    raw = r.read()  # empty for HEAD (kept as HEAD across redirects from Python 3.13 on)
    data = json.loads(raw) if raw else {}
    data.pop("headers", None)
    return data


def attempt(label, target, data=None, timeout=5):
    try:
        with urlopen(target, data, timeout) as r:
            show(label, r)
            print("  body", body(r))
    except urllib.error.HTTPError as e:
        print(label, "HTTPError", e.code, e.reason, e.msg, short(e.url), short(e.filename))
        print("  as text", str(e)[:60])
        print("  error body", e.read(), e.headers.get("Content-Type"), e.headers.get("Location"))
    except urllib.error.URLError as e:
        print(label, "URLError", type(e.reason).__name__, str(e))


def main():
    with urllib.request.urlopen(BASE + "/echo?x=1&y=a+b", timeout=5) as r:
        show("get", r)
        print("  body", r.read(8), r.read())
    headers = json.loads(urlopen(BASE + "/headers").read())["headers"]
    print("sent", sorted((k, BASE if k == "Host" else v) for k, v in headers))  # (Host goes first)
    print("lines", [line for line in urlopen(BASE + "/lines")])
    r = urlopen(BASE + "/stream")
    print("stream", r.readline(), r.readlines(), r.read(), r.headers["Transfer-Encoding"])
    attempt("redirects", BASE + "/redirect/3")
    attempt("too many", BASE + "/redirect/12")
    for code in (301, 302, 303, 307, 308):
        attempt(f"get {code}", BASE + f"/go/{code}?to=/echo%3Fvia%3D{code}")
        attempt(f"post {code}", BASE + f"/go/{code}?to=/echo", data=b"payload")
        attempt(f"head {code}", Request(BASE + f"/go/{code}?to=/echo", method="HEAD"))
        attempt(f"put {code}", Request(BASE + f"/go/{code}?to=/echo", data=b"x", method="PUT"))
    attempt("absolute", BASE + "/go/302?to=" + BASE + "/echo")
    attempt("no location", BASE + "/go/302")
    attempt("not allowed", BASE + "/go/302?to=gopher://elsewhere/")
    attempt("not modified", BASE + "/go/304?to=/echo")
    for code in (404, 500, 418):
        attempt(f"status {code}", BASE + f"/status/{code}")
    attempt("created", BASE + "/status/201")
    request = Request(BASE + "/echo", data=b"\x00\x01", headers={"X-Token": "t"}, method="PATCH")
    attempt("request", request)
    print("request after", request.get_method(), request.timeout, sorted(request.unredirected_hdrs))
    form = Request(BASE + "/form", data=b"a=1&b=2")
    attempt("form", form)
    kind = {"Content-Type": "application/json"}
    attempt("json", Request(BASE + "/raw", data=b'{"k": 1}', headers=kind))
    attempt("refused", "http://127.0.0.1:%s/" % os.environ["CLOSED"], timeout=5)
    try:
        urlopen(BASE + "/slow", timeout=0.3)
    except TimeoutError as e:
        print("timeout", type(e).__name__, e)
    try:
        urlopen(BASE + "/echo", data="text")
    except TypeError as e:
        print("str body", str(e)[:40])
    try:
        urlopen("nothing")
    except ValueError as e:
        print("no scheme", e)
    with open("local.txt", "wb") as f:
        f.write(b"from a file\n")
    with urlopen("file://" + os.path.abspath("local.txt")) as r:
        print("file", r.read(), r.headers["Content-length"])


if __name__ == "__main__":
    main()
'''


@pytest.mark.parametrize("to_thread", [True, False], ids=["to-thread", "no-to-thread"])
def test_urlopen_behaves_the_same(tmp_path: Path, http_server: str, to_thread: bool) -> None:
    flags = ("--select", "urllib") + (() if to_thread else ("--no-to-thread",))
    both = run_both(
        tmp_path,
        {"main.py": PROGRAM},
        env={"BASE": http_server, "CLOSED": str(closed_port())},
        convert_args=flags,
    )
    both.assert_same()
    converted = both.converted["main.py"]
    assert "with await _urlopen(BASE" in converted
    assert "async def main():" in converted
    fallback = "await asyncio.to_thread(urllib.request.urlopen, request"
    helpers = both.converted["_async_compat.py"]  # _urlopen is defined there
    assert (fallback in helpers) == to_thread
    assert "AFY706" in both.convert_output and "AFY705" not in both.convert_output
    # What the comparison is about (urllib's own choices, seen in the original's output).
    out = both.before.stdout
    assert "post 307 HTTPError 307" in out and "get 307 200" in out and "post 303 200" in out
    assert "too many HTTPError 302" in out and "status 404 HTTPError 404" in out
    assert "refused URLError ConnectionRefusedError" in out and "timeout TimeoutError" in out
    assert "('User-Agent', 'Python-urllib/" in out and "file b'from a file\\n'" in out
