"""requests → httpx: the converted programs talk to a real server and print the same.

Each program runs before (requests) and after (httpx, converted by the installed
``asyncify run``) against a threaded ``http.server`` on 127.0.0.1; stdout, exit code and
written files must match, and no coroutine may be left unawaited.
"""

from __future__ import annotations

import time
from pathlib import Path

from tests.behaviour.harness import Code, run_both
from tests.behaviour.http_support import closed_port, http_server

__all__ = ["http_server"]  # the pytest fixture, used by name

EXAMPLES = Path(__file__).parents[2] / "examples"

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


def main():
    params = {"a": "1", "b": "x y"}
    show("get", requests.get(BASE + "/echo", params=params, headers={"X-Token": "t"}))
    show("json", post(BASE + "/json", json={"k": [1, 2]}))
    show("form", requests.post(BASE + "/form", data={"a": "1", "b": "2"}))
    show("raw-str", requests.put(BASE + "/raw", data="caf\\xe9"))
    show("raw-bytes", requests.patch(BASE + "/raw", data=b"\\x00\\x01"))
    show("get-body", requests.get(BASE + "/echo", data=b"xyz"))
    show("delete", requests.delete(BASE + "/echo"))
    show("basic-auth", requests.get(BASE + "/echo", auth=HTTPBasicAuth("ann", "pw")))
    show("tuple-auth", requests.get(BASE + "/echo", auth=("bob", "pw")))
    show("request", requests.request("OPTIONS", BASE + "/echo"))
    r = requests.get(BASE + "/redirect/3")
    codes = [h.status_code for h in r.history]
    print("redirects", codes, r.url.startswith(BASE), f"{r.url}" == r.url)
    # (a local assigned from different calls is untyped for now: one name per call)
    nofollow = requests.get(BASE + "/redirect/2", allow_redirects=False)
    print("no-follow", nofollow.status_code, nofollow.is_redirect, nofollow.headers["Location"])
    head = requests.head(BASE + "/redirect/1")
    print("head", head.status_code, len(head.history))
    requests.get(BASE + "/cookie")
    print("no carry-over", requests.get(BASE + "/cookies").json())
    for code in (200, 302, 404, 500):
        try:
            requests.get(BASE + f"/status/{code}", allow_redirects=False).raise_for_status()
            print(code, "no error")
        except HTTPError as e:
            print(code, "HTTPError", e.response.status_code)
    missing = requests.get(BASE + "/status/404")
    if not missing.ok:
        print("not ok", missing.status_code)
    try:
        requests.get(os.environ["CLOSED"] + "/echo")
    except ConnError:
        print("connection refused")
    try:
        requests.get(BASE + "/slow", timeout=0.3)
    except Timeout:
        print("timed out")
    try:
        requests.get(BASE + "/status/500").json()
        requests.get(BASE + "/nothing").raise_for_status()
    except requests.RequestException as e:
        print("request exception", type(e).__name__ in ("HTTPError", "HTTPStatusError"))
    total = 0
    for i in range(20):
        total += requests.get(BASE + "/echo", params={"i": i}).json()["query"][0][1] == str(i)
    print("loop", total)
    return 0


if __name__ == "__main__":
    sys.exit(main())
"""

SESSION = """\
import os

import requests

BASE = os.environ["BASE"]


class Api:
    def __init__(self, base, token):
        self.base = base
        self.session = requests.Session()
        self.session.headers.update({"X-Token": token})

    def echo(self, **params):
        r = self.session.get(self.base + "/echo", params=params)
        r.raise_for_status()
        return r.json()

    def head(self, path):
        return self.session.head(self.base + path).status_code

    def remember(self):
        self.session.get(self.base + "/cookie")
        return self.session.get(self.base + "/cookies").json()

    def close(self):
        self.session.close()


def run():
    api = Api(BASE, "secret")
    print(api.echo(q="1"))
    print(api.head("/redirect/1"), api.remember())
    api.close()
    with requests.Session() as s:
        s.headers["X-Token"] = "with"
        print(s.post(BASE + "/echo", data="abc", allow_redirects=True).json())
        r = s.get(BASE + "/status/500")
        print(r.ok, r.status_code)
        try:
            r.raise_for_status()
        except requests.HTTPError as e:
            print("http error", e.response.status_code)


if __name__ == "__main__":
    run()
"""


def test_one_shot_calls(tmp_path: Path, http_server: str) -> None:
    env = {"BASE": http_server, "CLOSED": f"http://127.0.0.1:{closed_port()}"}
    both = run_both(tmp_path, {"main.py": ONE_SHOT}, env=env)
    assert "import requests" not in both.converted["main.py"], both.converted["main.py"]
    # one short line per call; requests' client settings live in the compatibility module
    assert "async with _http_client() as client" in both.converted["main.py"]
    assert "return httpx.AsyncClient(" in both.converted["_async_compat.py"]
    assert "loop 20" in both.before.stdout, both.before.stderr
    assert "Basic YW5uOnB3" in both.before.stdout  # the auth header reached the server
    both.assert_same()


def test_sessions(tmp_path: Path, http_server: str) -> None:
    both = run_both(tmp_path, {"main.py": SESSION}, env={"BASE": http_server})
    assert "self.session = _http_client()" in both.converted["main.py"], both.converted["main.py"]
    assert "await self.session.aclose()" in both.converted["main.py"]
    assert "http error 500" in both.before.stdout, both.before.stderr
    both.assert_same()


def test_example_client(tmp_path: Path, http_server: str) -> None:
    files = {
        p.relative_to(EXAMPLES / "http_client").as_posix(): p.read_text()
        for p in (EXAMPLES / "http_client").rglob("*.py")
    }
    both = run_both(tmp_path, files, entry="main.py", env={"BASE": http_server})
    assert "import requests" not in both.converted["client.py"], both.converted["client.py"]
    assert both.before.stdout.count("\n") >= 5, both.before.stderr
    both.assert_same()


LOOP = """\
import os
import sys
import time

import requests

BASE = os.environ["BASE"]


def main():
    start = time.perf_counter()
    for i in range(1000):
        requests.get(BASE + "/echo")
    per_call = (time.perf_counter() - start) / 1000 * 1000
    print(f"{per_call:.3f} ms per call", file=sys.stderr)
    print("done")


if __name__ == "__main__":
    main()
"""


def test_one_shot_loop_cost(tmp_path: Path, http_server: str) -> None:
    """1,000 one-shot calls: the converted loop must not build a TLS context per call
    (~40 ms each, i.e. 40 s); with the shared context it costs about the same as requests."""
    started = time.perf_counter()
    both = run_both(tmp_path, {"main.py": LOOP}, env={"BASE": http_server})
    both.assert_same()
    print("original:", both.before.stderr.strip(), "| converted:", both.after.stderr.strip())
    per_call = float(both.after.stderr.split()[0])
    assert per_call < 10, both.after.stderr
    assert time.perf_counter() - started < 60


STREAMING = """\
import hashlib
import os

import requests

BASE = os.environ["BASE"]


def download(path):
    with requests.Session() as s:
        with s.get(BASE + "/bytes/100000", stream=True) as r:
            r.raise_for_status()
            with open(path, "wb") as f:
                for chunk in r.iter_content(chunk_size=8192):
                    f.write(chunk)
        print("download", r.status_code, r.headers["Content-Type"])


def one_shot_download(path):
    r = requests.get(BASE + "/bytes/5000", stream=True)
    print("one-shot", r.status_code, r.ok)
    with open(path, "wb") as f:
        for chunk in r.iter_content():
            f.write(chunk)
    print("written")


def chunk_sizes():
    with requests.get(BASE + "/bytes/10", stream=True) as r:
        for chunk in r.iter_content(4):
            print("chunk", len(chunk), chunk)
        count = 0
    with requests.get(BASE + "/bytes/7", stream=True) as r2:
        for chunk in r2.iter_content():
            count += 1
            print("default chunk", len(chunk))
    print("chunks", count)


def lines():
    with requests.get(BASE + "/stream", stream=True) as r:
        for line in r.iter_lines():
            print("line", type(line).__name__, line)
    s = requests.Session()
    with s.get(BASE + "/lines", stream=True) as r:
        for line in r.iter_lines():
            print("bytes line", line)
    with s.get(BASE + "/lines", stream=True) as r:
        for line in r.iter_lines(decode_unicode=True):
            print("str line", repr(line))
    with s.get(BASE + "/lines", stream=True) as r:
        texts = []
        for text in r.iter_content(64, decode_unicode=True):
            texts.append(text)
        print("text", sorted({type(t).__name__ for t in texts}), repr("".join(texts)))
    s.close()


def text_decoding():
    for encoding in ("latin-1", "utf-8"):
        for kind in ("plain", "octet"):
            r = requests.get(f"{BASE}/cafe/{encoding}/{kind}")
            print("text", encoding, kind, repr(r.text), r.content)
    with requests.Session() as s:
        print("session text", repr(s.get(BASE + "/cafe/latin-1/plain").text))


def arguments():
    body = "café"
    print(requests.post(BASE + "/raw", data=body).json())
    print(requests.post(BASE + "/raw", data=body.encode()).json())
    params = requests.get(BASE + "/echo", params={"a": 1, "skip": None, "flag": True})
    print(params.json()["query"], params.status_code == requests.codes.ok)
    headers = requests.get(BASE + "/echo", headers={"X-Token": None})
    print(headers.json()["x-token"], headers.status_code in (requests.codes.OKAY, 201))


def main(folder):
    download(os.path.join(folder, "big.bin"))
    one_shot_download(os.path.join(folder, "small.bin"))
    for name in ("big.bin", "small.bin"):
        with open(os.path.join(folder, name), "rb") as f:
            print(name, hashlib.sha256(f.read()).hexdigest()[:16])
    chunk_sizes()
    lines()
    text_decoding()
    arguments()


if __name__ == "__main__":
    main(os.environ["OUT"])
"""


def test_streaming_text_arguments(tmp_path: Path, http_server: str) -> None:
    """Streaming downloads (files compared), chunk sizes, byte/str lines, requests' text
    decoding without a charset, None/True params, a str data= variable, requests.codes."""
    both = run_both(tmp_path, {"main.py": STREAMING}, env={"BASE": http_server, "OUT": "."})
    converted = both.converted["main.py"]
    assert converted.count(".stream(") == 8, converted
    assert "aiter_bytes(1)" in converted and "aiter_lines()" in converted, converted
    assert "import requests" not in converted, converted
    before = both.before.stdout
    assert "chunk 4 b'\\x00\\x01\\x02\\x03'" in before and "chunks 7" in before, both.before.stderr
    assert "line bytes b'alpha'" in before and "str line 'trois café'" in before
    assert "text latin-1 plain 'café'" in before and "text utf-8 plain 'cafÃ©'" in before
    both.assert_same()


# A program that must keep requests: a session used at import time (AFY215), a custom
# AuthBase and an adapter with retries. asyncify keeps requests everywhere and runs the
# calls in worker threads (AFY217); requests' own objects (auth, adapters, responses,
# exceptions) all keep working as they did.
KEPT_SESSION = {
    "client.py": '''
import os

import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase

BASE = os.environ["BASE"]
SHARED = requests.Session()
SHARED.headers["X-Token"] = "shared"
print("at import", SHARED.get(BASE + "/echo").json()["x-token"])


class TokenAuth(AuthBase):
    def __call__(self, r):
        r.headers["X-Token"] = "from-auth"
        return r


class Backend:
    def __init__(self, session=None):
        self._client = session or requests.Session()
        self._client.mount("http://", HTTPAdapter(max_retries=2))

    def request(self, method, path, **kwargs):
        response = self._client.request(method, BASE + path, auth=TokenAuth(), **kwargs)
        return response.reason, response.json()


def shared(path):
    return SHARED.get(BASE + path).json()
''',
    "main.py": '''
import requests

import client


def main():
    backend = client.Backend()
    print(backend.request("GET", "/echo", params={"q": "1"}))
    print(backend.request("POST", "/echo", data=b"abc"))
    print(client.shared("/echo")["x-token"])
    try:
        r = requests.get(client.BASE + "/status/404")
        r.raise_for_status()
    except requests.HTTPError as e:
        print("http error", e.response.status_code, e.response.reason)


if __name__ == "__main__":
    main()
''',
}


def test_a_kept_session_keeps_requests_in_threads(tmp_path: Path, http_server: str) -> None:
    both = run_both(tmp_path, KEPT_SESSION, env={"BASE": http_server})
    converted = Code("".join(both.converted.values()))
    assert "httpx" not in converted, converted
    assert "await asyncio.to_thread(self._client.request" in both.converted["client.py"]
    assert "AFY215" in both.convert_output and "AFY217" in both.convert_output
    assert "from-auth" in both.before.stdout, both.before.stderr
    both.assert_same()


def test_http_client_thread_keeps_requests(tmp_path: Path, http_server: str) -> None:
    both = run_both(
        tmp_path,
        {"main.py": SESSION},
        env={"BASE": http_server},
        convert_args=("--http-client", "thread"),
    )
    assert "httpx" not in both.converted["main.py"], both.converted["main.py"]
    assert "asyncio.to_thread(self.session.get" in both.converted["main.py"]
    both.assert_same()


# A backend that takes its session from the caller: it becomes an httpx.AsyncClient, and
# the parameter says so (AFY216).
CALLER_SESSION = '''
import os
from typing import Optional

import requests

BASE = os.environ["BASE"]


class Response:
    def __init__(self, response: requests.Response) -> None:
        self._response: requests.Response = response

    @property
    def reason(self) -> str:
        return self._response.reason

    def json(self):
        return self._response.json()


class Backend:
    def __init__(self, session: Optional[requests.Session] = None) -> None:
        self._client: requests.Session = session or requests.Session()

    def http_request(self, method: str, path: str) -> Response:
        response: requests.Response = self._client.request(method=method, url=BASE + path)
        return Response(response=response)


def main():
    backend = Backend()
    r = backend.http_request("GET", "/echo")
    print(r.reason, r.json()["path"])
    print(backend.http_request("GET", "/status/418").reason)
    shared = Backend(requests.Session())
    print(shared.http_request("GET", "/cookie").json())


if __name__ == "__main__":
    main()
'''


def test_a_session_given_by_the_caller(tmp_path: Path, http_server: str) -> None:
    both = run_both(tmp_path, {"main.py": CALLER_SESSION}, env={"BASE": http_server})
    main = both.converted["main.py"]
    assert "session: Optional[httpx.AsyncClient] = None" in main, main
    assert "Backend(_http_client(" in main, main
    assert "AFY216" in both.convert_output
    both.assert_same()


CONFIGURED_SESSION = """\
import os

import requests
from requests.adapters import HTTPAdapter

BASE = os.environ["BASE"]


class Api:
    def __init__(self, token):
        self.session = requests.Session()
        self.session.headers["X-Token"] = token
        self.session.auth = ("ann", "pw")
        self.session.params = {"page": "1"}
        self.session.verify = False
        self.session.trust_env = False
        self.session.timeout = 0.2
        self.session.max_redirects = 1
        self.session.mount("http://", HTTPAdapter(max_retries=2))

    def echo(self):
        return self.session.get(BASE + "/echo").json()

    def slow(self):
        return self.session.get(BASE + "/slow").json()

    def redirects(self):
        try:
            return self.session.get(BASE + "/redirect/3").status_code
        except requests.TooManyRedirects:
            return "too many redirects"


def through_proxy():
    s = requests.Session()
    s.headers.update({"X-Token": "proxied"})
    s.proxies = {"http": BASE, "https": BASE}
    s.cookies.set("flavour", "oat")
    r = s.get("http://asyncify-test.invalid/echo")
    print(r.json()["x-token"], r.json()["path"], s.get(BASE + "/cookies").json())
    s.close()


def main():
    api = Api("secret")
    echo = api.echo()
    print(echo["x-token"], echo["auth"], echo["query"])
    print(api.slow(), api.redirects())
    through_proxy()


if __name__ == "__main__":
    main()
"""


def test_a_session_configured_by_attributes(tmp_path: Path, http_server: str) -> None:
    """Settings made after `requests.Session()` keep their meaning: headers, auth, params,
    cookies and max_redirects stay attributes; verify, trust_env, proxies and the mounted
    retries move into the AsyncClient call; the timeout requests ignored is not applied
    (the slow request still succeeds)."""
    both = run_both(tmp_path, {"main.py": CONFIGURED_SESSION}, env={"BASE": http_server})
    both.assert_same()
    assert "secret Basic YW5uOnB3 [['page', '1']]" in both.before.stdout, both.before.stderr
    assert "{'slow': True} too many redirects" in both.before.stdout
    assert "proxied /echo {'cookie': 'flavour=oat'}" in both.before.stdout
    converted = both.converted["main.py"]
    assert "verify=False, trust_env=False" in converted, converted
    assert 'mounts={"http://": httpx.AsyncHTTPTransport(' in converted
    assert "retries=2" in converted and "HTTPAdapter" not in converted
    assert "proxy=BASE" in converted and ".proxies" not in converted
    assert ".timeout" not in converted and ".verify" not in converted
    assert "AFY219" in both.convert_output and "AFY208" in both.convert_output
    assert "AFY205" in both.convert_output
