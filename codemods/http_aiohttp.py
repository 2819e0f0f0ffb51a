"""The ``aiohttp`` target of the ``http`` codemod (``--http-client aiohttp``): tables,
finding codes and the helpers a converted module gets.

The requests analysis (which calls, sessions and responses convert) is ``http.py``'s;
this module holds only what differs for ``aiohttp.ClientSession``. Facts checked against
aiohttp 3.14 (``client.py``, ``client_reqrep.py``, ``client_exceptions.py``) and the docs:
https://docs.aiohttp.org/en/stable/client_reference.html,
https://docs.aiohttp.org/en/stable/client_advanced.html. Design: docs/http.md,
"The aiohttp target".

* A requests ``Response`` holds its body; an aiohttp response only once
  ``await r.read()`` has run (then ``text()``/``json()``/``read()`` work even after the
  session is closed). Every converted request is therefore
  ``await _read_response(session.get(...))``.
* ``r.text`` → ``await r.text(errors="replace")`` with a session-level
  ``fallback_charset_resolver`` reproducing requests' decoding of a body without a charset;
  ``r.json()`` → ``json.loads(await r.text(errors="replace"))`` (aiohttp's ``json()``
  returns None for an empty body and checks the Content-Type; requests raises).
"""

from __future__ import annotations

from asyncify.findings import Code

MODULE = "aiohttp"
SESSION_CLASS = "aiohttp.ClientSession"
RESPONSE_CLASS = "aiohttp.ClientResponse"
# requests' Session defaults: no timeout (aiohttp: 5 min total, 30 s connect), cookies
# accepted from IP-address hosts (aiohttp's default jar refuses them), proxies and .netrc
# from the environment (requests' trust_env=True), requests' text decoding.
SESSION_DEFAULTS = (
    ("timeout", "aiohttp.ClientTimeout()"),
    ("cookie_jar", "aiohttp.CookieJar(unsafe=True)"),
    ("trust_env", "True"),
    ("fallback_charset_resolver", "_requests_charset"),
)
# aiohttp raises TooManyRedirects once the count of redirects reaches max_redirects
# (default 10); requests follows up to 30. Verified against the loopback server.
MAX_REDIRECTS = "31"
READ_HELPER = "_read_response"
CHARSET_HELPER = "_requests_charset"
TIMEOUT_HELPER = "_requests_timeout"
# Helpers added once per converted module (comments, not docstrings: a newline inside a
# string would not follow the file's line endings).
READ_SOURCE = f"""
async def {READ_HELPER}(request: Awaitable[aiohttp.ClientResponse]) -> aiohttp.ClientResponse:
    # requests returns a response whose body has been read; aiohttp reads it on request and
    # keeps it, so text()/json()/read() also work after the session is closed. Added by
    # asyncify.
    response = await request
    await response.read()
    return response
"""
CHARSET_SOURCE = f"""
def {CHARSET_HELPER}(response: aiohttp.ClientResponse, body: bytes) -> str:
    # The encoding of a body without a charset, as requests decodes it: ISO-8859-1 for
    # text/*, charset detection otherwise (aiohttp already uses UTF-8 for JSON). Added by
    # asyncify.
    if "text" in response.content_type:
        return "ISO-8859-1"
    return charset_normalizer.detect(body)["encoding"] or "utf-8"
"""
TIMEOUT_SOURCE = f"""
def {TIMEOUT_HELPER}(timeout: float | tuple[float, float] | None) -> aiohttp.ClientTimeout:
    # requests' timeout= (seconds, a (connect, read) pair or None) as aiohttp's per-socket
    # timeouts; a number bounds the connect and each read, not the whole request. Added by
    # asyncify.
    connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    return aiohttp.ClientTimeout(sock_connect=connect, sock_read=read)
"""
# requests exception -> aiohttp classes catching the same failures (INT, aiohttp 3.14).
EXCEPTIONS: dict[str, tuple[str, ...]] = {
    "requests.RequestException": (
        "aiohttp.ClientError",
        "asyncio.TimeoutError",
        "json.JSONDecodeError",
    ),
    "requests.HTTPError": ("aiohttp.ClientResponseError",),
    "requests.ConnectionError": (
        "aiohttp.ClientOSError",
        "aiohttp.ClientConnectionResetError",
        "aiohttp.ServerDisconnectedError",
        "aiohttp.ConnectionTimeoutError",
        "aiohttp.ClientHttpProxyError",
    ),
    "requests.Timeout": ("asyncio.TimeoutError",),
    "requests.ConnectTimeout": ("aiohttp.ConnectionTimeoutError",),
    "requests.ReadTimeout": ("aiohttp.SocketTimeoutError",),
    "requests.TooManyRedirects": ("aiohttp.TooManyRedirects",),
    "requests.ProxyError": ("aiohttp.ClientProxyConnectionError", "aiohttp.ClientHttpProxyError"),
    "requests.MissingSchema": ("aiohttp.InvalidURL",),
    "requests.InvalidSchema": ("aiohttp.NonHttpUrlClientError",),
    "requests.InvalidURL": ("aiohttp.InvalidURL",),
    "requests.JSONDecodeError": ("json.JSONDecodeError",),
    "requests.ChunkedEncodingError": ("aiohttp.ClientPayloadError",),
    "requests.ContentDecodingError": ("aiohttp.ClientPayloadError",),
}
APPROXIMATE_EXCEPTIONS = frozenset(
    {"requests.SSLError", "requests.RetryError", "requests.StreamConsumedError"}
)
# Members of `e.response` in `except requests.HTTPError as e` that ClientResponseError has.
ERROR_RESPONSE = {"status_code": "status", "reason": "message", "headers": "headers"}
# Response members: renamed, read from the body (async), or without an equivalent.
RESPONSE_RENAMED = {"status_code": "status"}
RESPONSE_BODY = frozenset({"text", "content"})
RESPONSE_DIFFERENT = {
    "history": "a tuple of aiohttp responses (`.status`, not `.status_code`)",
    "cookies": "a SimpleCookie of Morsels (`r.cookies[k].value`), not a jar of str",
    "encoding": "read-only `r.get_encoding()`; decode with `await r.text(encoding=...)`",
    "elapsed": "no aiohttp equivalent; time the request yourself",
    "raw": "no aiohttp equivalent; `r.content` is the body stream",
    "apparent_encoding": "no aiohttp equivalent; use charset_normalizer on `await r.read()`",
    "links": 'a MultiDictProxy of MultiDictProxy (`r.links[rel]["url"]` is a yarl.URL)',
    "next": "no aiohttp equivalent",
    "request": "`r.request_info` (method, url, headers), not a PreparedRequest",
    "is_redirect": "no aiohttp equivalent: `r.status in (301, 302, 303, 307, 308)`",
    "is_permanent_redirect": "no aiohttp equivalent: `r.status in (301, 308)`",
}

CLIENT_ARG = Code(
    "AFY230",
    "per-request verify=/cert=/proxies= is not converted for aiohttp",
    "pass ssl=<SSLContext> (verify/cert) or proxy=<url> to the aiohttp request by hand",
    doc="""
    `cert=`, `proxies=` or a `verify=` that is not `True`/`False` is passed to a request,
    with `--http-client aiohttp`. aiohttp takes TLS settings as one `ssl=` argument (an
    `ssl.SSLContext`, `True` or `False`) and a single `proxy=` URL (HTTP proxies only), so
    the value cannot be passed through. (`verify=False`/`True` is converted to `ssl=`.)

    The call is left as a blocking requests call.

    Before:

    ```python
    r = requests.get(url, verify="/etc/ssl/internal-ca.pem", cert=("c.pem", "k.pem"))
    ```

    After:

    ```python
    context = ssl.create_default_context(cafile="/etc/ssl/internal-ca.pem")
    context.load_cert_chain("c.pem", "k.pem")
    async with aiohttp.ClientSession() as session:
        async with session.get(url, ssl=context) as r:
            body = await r.read()
    ```
    """,
)
HOOKS = Code(
    "AFY231",
    "hooks= has no aiohttp equivalent",
    "use a client middleware or trace_configs on the ClientSession, or call the hook after "
    "the request",
    doc="""
    `hooks=` is passed to a request, with `--http-client aiohttp`. requests calls a response
    hook per request and may replace the response with its return value; aiohttp has
    session-level `trace_configs` and middlewares, with other signatures.

    The call is left as a blocking requests call.

    Before:

    ```python
    requests.get(url, hooks={"response": log})
    ```

    After:

    ```python
    r = await session.get(url)
    log(r)
    ```
    """,
)
AUTH = Code(
    "AFY232",
    "auth= that is not a (user, password) pair or HTTPBasicAuth: aiohttp takes only "
    "aiohttp.BasicAuth",
    "pass auth=aiohttp.BasicAuth(user, password), or set the Authorization header yourself",
    doc="""
    The `auth=` of a request is a variable, `HTTPDigestAuth` or a custom `AuthBase`, with
    `--http-client aiohttp`. aiohttp's `auth=` accepts only an `aiohttp.BasicAuth`
    (digest authentication is a client middleware, `aiohttp.DigestAuthMiddleware`, in
    aiohttp 3.12+). A literal pair and `HTTPBasicAuth(u, p)` are converted.

    The argument is left as it is: a pair or a requests auth object fails in aiohttp.

    Before:

    ```python
    requests.get(url, auth=credentials)          # credentials = ("ann", "pw")
    ```

    After:

    ```python
    await session.get(url, auth=aiohttp.BasicAuth(*credentials))
    ```
    """,
)
FILES = Code(
    "AFY233",
    "files= has no aiohttp equivalent: multipart bodies are built with aiohttp.FormData",
    "build an aiohttp.FormData (add_field(name, fileobj, filename=...)) and pass it as data=",
    doc="""
    `files=` uploads a multipart body, with `--http-client aiohttp`. aiohttp has no
    `files=` argument: a multipart body is an `aiohttp.FormData`, and its file objects are
    read when the request is sent.

    The call is left as a blocking requests call.

    Before:

    ```python
    with open(path, "rb") as fh:
        requests.post(url, files={"upload": fh})
    ```

    After:

    ```python
    form = aiohttp.FormData()
    with open(path, "rb") as fh:
        form.add_field("upload", fh, filename=os.path.basename(path))
        r = await session.post(url, data=form)
    ```
    """,
)
RESPONSE_MEMBER = Code(
    "AFY234",
    "response attribute differs or is missing in aiohttp",
    "use the aiohttp counterpart named in the finding",
    doc="""
    The code reads a requests response attribute that aiohttp's `ClientResponse` does not
    have or has with another type: `history` (a tuple of aiohttp responses, whose status is
    `.status`), `cookies` (a `SimpleCookie` of `Morsel`s), `encoding`, `elapsed`, `raw`,
    `apparent_encoding`, `links`, `next`, `request`, `is_redirect`,
    `is_permanent_redirect`. The finding says what to use instead.

    The attribute is left as it is.

    Before:

    ```python
    print([h.status_code for h in r.history], r.cookies["session"])
    ```

    After:

    ```python
    print([h.status for h in r.history], r.cookies["session"].value)
    ```
    """,
)
SYNC_BODY = Code(
    "AFY235",
    "response body read in code that stays synchronous: aiohttp's text()/read()/json() "
    "must be awaited",
    "make the function async (see the other findings for why it stays synchronous), or pass "
    "it the body instead of the response",
    doc="""
    `r.text`, `r.content` or `r.json()` is used, with `--http-client aiohttp`, in a function
    that stays synchronous (a helper that only receives the response, a property, a
    lambda...). aiohttp's body accessors are coroutines (`await r.text()`), which cannot be
    awaited there.

    The expression is left as it is: on an aiohttp response it is a bound method, not the
    body. Pass the body instead, or make the function async.

    Before:

    ```python
    def show(r):
        print(r.status_code, r.text)
    ```

    After:

    ```python
    async def show(r):
        print(r.status, await r.text(errors="replace"))
    ```
    """,
)
IMPORT_TIME_SESSION = Code(
    "AFY236",
    "requests Session created at import time is kept: aiohttp.ClientSession must be created "
    "while the event loop runs",
    "create the session inside async code (e.g. in main() or an async factory) and pass it on",
    doc="""
    A `requests.Session()` is created at module level or in a class body, with
    `--http-client aiohttp`. `aiohttp.ClientSession()` (and its cookie jar) must be created
    while an event loop is running; at import time there is none (`RuntimeError: no running
    event loop`).

    The session stays a requests session, and its calls stay blocking.

    Before:

    ```python
    SESSION = requests.Session()

    def fetch(url):
        return SESSION.get(url).json()
    ```

    After:

    ```python
    async def fetch(session, url):
        r = await session.get(url)
        return await r.json()

    async def main():
        async with aiohttp.ClientSession() as session:
            await fetch(session, URL)
    ```
    """,
)
ERROR_RESPONSE_USE = Code(
    "AFY237",
    "`e.response` of an HTTPError: aiohttp's ClientResponseError carries status, message and "
    "headers, not the response",
    "use e.status / e.message / e.headers, or keep the response and call raise_for_status() on it",
    doc="""
    An `except requests.HTTPError as e` handler reads `e.response`, with `--http-client
    aiohttp`. `aiohttp.ClientResponseError` has no `response`; it carries `status`,
    `message` (the reason) and `headers`. `e.response.status_code`, `.reason` and `.headers`
    are converted; any other use is reported.

    Before:

    ```python
    except requests.HTTPError as e:
        log(e.response.json())
    ```

    After:

    ```python
    r = await session.get(url)
    if not r.ok:
        log(json.loads(await r.text()))
    ```
    """,
)
APPROXIMATE_EXCEPTION = Code(
    "AFY238",
    "requests exception without an exact aiohttp counterpart",
    "SSLError: catch aiohttp.ClientSSLError; RetryError: catch what your retry loop raises",
    doc="""
    An `except` clause catches `requests.exceptions.SSLError`, `RetryError` or
    `StreamConsumedError`, with `--http-client aiohttp`. aiohttp raises
    `ClientConnectorSSLError`/`ClientConnectorCertificateError` (both `ClientSSLError`)
    for TLS failures, has no retry policy and does not convert streamed responses.

    asyncify converts the other exceptions of the clause; this one is left for you.

    Before:

    ```python
    except requests.exceptions.SSLError:
        warn_certificate(url)
    ```

    After:

    ```python
    except aiohttp.ClientSSLError:
        warn_certificate(url)
    ```
    """,
)
OS_ERROR = Code(
    "AFY239",
    "`except OSError` around converted requests calls: requests' errors are OSErrors, "
    "aiohttp's ClientResponseError and InvalidURL are not",
    "add aiohttp.ClientError to the except clause",
    doc="""
    An `except OSError` (or `IOError`, `EnvironmentError`) clause surrounds requests calls
    converted to aiohttp. Every requests exception is an `OSError`; in aiohttp only the
    connection errors (`ClientOSError`) and timeouts are, so the clause would stop catching
    HTTP status errors, redirect loops and bad URLs.

    Before:

    ```python
    try:
        data = requests.get(url).json()
    except OSError:
        data = None
    ```

    After:

    ```python
    try:
        ...
    except (OSError, aiohttp.ClientError):
        data = None
    ```
    """,
)
NO_COUNTERPART = Code(
    "AFY240",
    "HTTPAdapter / Retry / Session.mount / Session.send have no aiohttp equivalent",
    "retry in a loop (or with a library such as tenacity); build requests with session.request",
    doc="""
    The code mounts a transport adapter (`HTTPAdapter`, `urllib3.Retry`, `s.mount()`) or
    sends a prepared request (`s.send(req)`), with `--http-client aiohttp`. aiohttp has no
    adapters, no retry policy and no prepared requests.

    Adapters are left as they are; a `send()` is left as a blocking requests call.

    Before:

    ```python
    session.mount("https://", HTTPAdapter(max_retries=Retry(total=3)))
    ```

    After:

    ```python
    for attempt in range(4):
        try:
            r = await session.get(url)
            break
        except aiohttp.ClientConnectionError:
            if attempt == 3:
                raise
    ```
    """,
)
FORWARDED_KWARGS = Code(
    "AFY241",
    "**kwargs forwarded into a requests call: requests-only keywords (timeout, verify, stream, "
    "hooks, files, proxies) fail in aiohttp",
    "pass the keywords explicitly so that asyncify converts them",
    doc="""
    `**kwargs` are forwarded into a requests call, with `--http-client aiohttp`. asyncify
    converts keywords only when they are written out (`timeout=` to an
    `aiohttp.ClientTimeout`, `verify=` to `ssl=`, `auth=` to `aiohttp.BasicAuth`, ...).

    The call is left as a blocking requests call.

    Before:

    ```python
    def get(url, **kwargs):
        return requests.get(url, **kwargs)
    ```

    After:

    ```python
    async def get(url, timeout=None):
        async with aiohttp.ClientSession() as session:
            return await session.get(url, timeout=aiohttp.ClientTimeout(sock_read=timeout))
    ```
    """,
)
DATA_VARIABLE = Code(
    "AFY242",
    "data= with a value that is not a literal: aiohttp adds a Content-Type to a str/bytes "
    "body that requests sends without one",
    'if the value is a str or bytes body, add skip_auto_headers=["Content-Type"]',
    doc="""
    `data=` is given a variable, with `--http-client aiohttp`. A dict or a list of pairs is
    form-encoded by both; but for a raw `str`/`bytes` body aiohttp adds
    `Content-Type: text/plain; charset=utf-8` / `application/octet-stream`, which requests
    does not send. For a literal body asyncify adds `skip_auto_headers=["Content-Type"]`;
    for a variable it cannot tell which it is (a form would lose its Content-Type).

    Before:

    ```python
    requests.post(url, data=payload)        # payload = b"..."
    ```

    After:

    ```python
    await session.post(url, data=payload, skip_auto_headers=["Content-Type"])
    ```
    """,
)
