"""``requests`` → ``httpx.AsyncClient``, keeping requests' behaviour.

Implements MAPPING.md §A with the httpx docs:
https://www.python-httpx.org/compatibility/ (differences from requests),
https://www.python-httpx.org/async/ (AsyncClient),
https://www.python-httpx.org/exceptions/ (exception hierarchy), and requests'
https://requests.readthedocs.io/en/latest/api/.

Design (docs/http.md):

* A one-shot ``requests.get(...)`` uses a throwaway Session in requests. It becomes
  ``await client.get(...)`` on a client opened by an ``async with`` that wraps the
  *statement* holding the call, one client per call, so cookies never carry over and the
  client is always closed. All those clients share one TLS context created once per module
  (``httpx.create_ssl_context()``): building a context costs ~40 ms, a client with a
  shared context ~0.1 ms.
* ``requests.Session()`` becomes ``httpx.AsyncClient(...)`` with requests' defaults
  (redirects followed, up to 30, no timeout); its request methods are awaited.
* Response attributes whose meaning differs are rewritten (``ok``, ``raise_for_status``,
  ``reason``, ``url``); exceptions map to the httpx classes that catch the same failures.
* What has no faithful rewrite gets a finding (codes AFY2nn) and is left to fail loudly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import libcst as cst

from asyncify import compat
from asyncify.codemod import (
    NO_SPACES,
    Api,
    Codemod,
    add_helpers,
    commas,
    dotted,
    keyword_arg,
)
from asyncify.codemods import http_aiohttp as aio
from asyncify.codemods import http_compat as rc
from asyncify.codemods import http_session as hs
from asyncify.codemods.blocking import in_thread
from asyncify.findings import Code
from asyncify.libcst_command import command_for

if TYPE_CHECKING:
    from asyncify.options import Options
    from asyncify.rewrite import RewriteState

# -- tables ---------------------------------------------------------------------------
METHODS = ("get", "post", "put", "patch", "delete", "head", "options")
ONE_SHOT = frozenset(f"requests.{m}" for m in (*METHODS, "request"))
SESSION = "requests.Session"
RESPONSE = "requests.Response"
SESSION_CALLS = frozenset(f"{SESSION}.{m}" for m in (*METHODS, "request", "send"))
# Arguments an AsyncClient method cannot take per request: such a call goes through
# RequestsClient.requests_request (AFY243, http_compat.py), or where that cannot take it,
# keeps its session on requests (AFY215) rather than becoming a call httpx rejects.
CLIENT_ONLY_ARGUMENTS = frozenset({"verify", "cert", "proxies"})
# Session-call keywords whose conversion depends on their value (a RequestsClient takes them).
RUN_TIME_KEYWORDS = CLIENT_ONLY_ARGUMENTS | {"stream"}
SESSION_CONSTRUCTORS = frozenset({SESSION, "requests.session"})
NO_BODY_METHODS = frozenset({"get", "delete", "head", "options"})
BODY_ARGS = frozenset({"data", "json", "files", "content"})
# Positional parameters after the URL (requests/api.py, sessions.py).
POSITIONAL = {
    "get": ("params",),
    "post": ("data", "json"),
    "put": ("data",),
    "patch": ("data",),
    "request": (
        "params",
        "data",
        "headers",
        "cookies",
        "files",
        "auth",
        "timeout",
        "allow_redirects",
        "proxies",
        "hooks",
        "stream",
        "verify",
        "cert",
        "json",
    ),
}
# The client that reproduces requests' defaults (MAPPING.md §A1).
CLIENT_DEFAULTS = (
    ("follow_redirects", "True"),
    ("timeout", "None"),
    ("max_redirects", "30"),
    ("event_hooks", '{"response": [_requests_text_encoding]}'),
)
# Response members: the same in both, renamed, or without an equivalent.
RESPONSE_KEPT = (
    "json",
    "text",
    "content",
    "status_code",
    "headers",
    "history",
    "cookies",
    "links",
    "encoding",
    "elapsed",
    "request",
)
RESPONSE_RENAMED = {"reason": "reason_phrase", "is_redirect": "has_redirect_location"}
RESPONSE_MISSING = frozenset({"raw", "apparent_encoding"})
RESPONSE_STREAMING = frozenset({"iter_content", "iter_lines"})
# requests exception -> httpx classes catching the same failures (MAPPING.md §A4).
EXCEPTIONS: dict[str, tuple[str, ...]] = {
    "requests.RequestException": (
        "httpx.HTTPError",
        "httpx.InvalidURL",
        "httpx.StreamError",
        "json.JSONDecodeError",
    ),
    "requests.HTTPError": ("httpx.HTTPStatusError",),
    "requests.ConnectionError": (
        "httpx.NetworkError",
        "httpx.ProxyError",
        "httpx.ConnectTimeout",
        "httpx.RemoteProtocolError",
    ),
    "requests.Timeout": ("httpx.TimeoutException",),
    "requests.ConnectTimeout": ("httpx.ConnectTimeout",),
    "requests.ReadTimeout": ("httpx.ReadTimeout",),
    "requests.TooManyRedirects": ("httpx.TooManyRedirects",),
    "requests.ProxyError": ("httpx.ProxyError",),
    "requests.MissingSchema": ("httpx.UnsupportedProtocol",),
    "requests.InvalidSchema": ("httpx.UnsupportedProtocol",),
    "requests.InvalidURL": ("httpx.InvalidURL",),
    "requests.JSONDecodeError": ("json.JSONDecodeError",),
    "requests.ChunkedEncodingError": ("httpx.RemoteProtocolError",),
    "requests.ContentDecodingError": ("httpx.DecodingError",),
    "requests.StreamConsumedError": ("httpx.StreamConsumed",),
}
APPROXIMATE_EXCEPTIONS = frozenset({"requests.SSLError", "requests.RetryError"})
OS_ERRORS = frozenset({"OSError", "IOError", "EnvironmentError"})
AUTH_BASE = "requests.auth.AuthBase"
ADAPTERS = frozenset(
    {
        "requests.adapters.HTTPAdapter",
        "urllib3.util.retry.Retry",
        "urllib3.util.Retry",
        "urllib3.Retry",
        "requests.packages.urllib3.util.retry.Retry",
        f"{SESSION}.mount",
    }
)
AUTH_CLASSES = {
    "requests.auth.HTTPBasicAuth": "httpx.BasicAuth",
    "requests.auth.HTTPDigestAuth": "httpx.DigestAuth",
}
SSL_CONTEXT = "_HTTPX_SSL_CONTEXT"
SSL_CONTEXT_SOURCE = (
    f"{SSL_CONTEXT} = httpx.create_ssl_context()  # shared by the clients asyncify made\n"
)
# Streaming (MAPPING.md §A3): iterators of a streamed response, and the members that
# httpx serves before the body is read (anything else needs `await r.aread()`).
STREAM_ITERS = frozenset({"iter_content", "iter_lines"})
STREAM_SAFE = frozenset(
    {
        "status_code",
        "headers",
        "ok",
        "url",
        "reason",
        "encoding",
        "raise_for_status",
        "is_redirect",
        "history",
        "cookies",
        "request",
        "links",
    }
)
STREAM_MARKER = "__asyncify_http_stream__"
REMOVED_MARKER = "__asyncify_http_removed__"  # a removed statement's comments
# Literal dict arguments whose `None` values requests drops (httpx sends `k=` or raises).
DROPS_NONE = frozenset({"params", "data", "headers"})
# requests.codes (requests/status_codes.py): value -> names; the names httpx.codes has too.
REQUESTS_CODES: dict[int, tuple[str, ...]] = {
    100: ("continue",),
    101: ("switching_protocols",),
    102: ("processing", "early-hints"),
    103: ("checkpoint",),
    122: ("uri_too_long", "request_uri_too_long"),
    200: ("ok", "okay", "all_ok", "all_okay", "all_good", "\\o/", "✓"),
    201: ("created",),
    202: ("accepted",),
    203: ("non_authoritative_info", "non_authoritative_information"),
    204: ("no_content",),
    205: ("reset_content", "reset"),
    206: ("partial_content", "partial"),
    207: ("multi_status", "multiple_status", "multi_stati", "multiple_stati"),
    208: ("already_reported",),
    226: ("im_used",),
    300: ("multiple_choices",),
    301: ("moved_permanently", "moved", "\\o-"),
    302: ("found",),
    303: ("see_other", "other"),
    304: ("not_modified",),
    305: ("use_proxy",),
    306: ("switch_proxy",),
    307: ("temporary_redirect", "temporary_moved", "temporary"),
    308: ("permanent_redirect", "resume_incomplete", "resume"),
    400: ("bad_request", "bad"),
    401: ("unauthorized",),
    402: ("payment_required", "payment"),
    403: ("forbidden",),
    404: ("not_found", "-o-"),
    405: ("method_not_allowed", "not_allowed"),
    406: ("not_acceptable",),
    407: ("proxy_authentication_required", "proxy_auth", "proxy_authentication"),
    408: ("request_timeout", "timeout"),
    409: ("conflict",),
    410: ("gone",),
    411: ("length_required",),
    412: ("precondition_failed", "precondition"),
    413: ("request_entity_too_large", "content_too_large"),
    414: ("request_uri_too_large", "uri_too_long"),
    415: ("unsupported_media_type", "unsupported_media", "media_type"),
    416: ("requested_range_not_satisfiable", "requested_range", "range_not_satisfiable"),
    417: ("expectation_failed",),
    418: ("im_a_teapot", "teapot", "i_am_a_teapot"),
    421: ("misdirected_request",),
    422: ("unprocessable_entity", "unprocessable", "unprocessable_content"),
    423: ("locked",),
    424: ("failed_dependency", "dependency"),
    425: ("unordered_collection", "unordered", "too_early"),
    426: ("upgrade_required", "upgrade"),
    428: ("precondition_required", "precondition"),
    429: ("too_many_requests", "too_many"),
    431: ("header_fields_too_large", "fields_too_large"),
    444: ("no_response", "none"),
    449: ("retry_with", "retry"),
    450: ("blocked_by_windows_parental_controls", "parental_controls"),
    451: ("unavailable_for_legal_reasons", "legal_reasons"),
    499: ("client_closed_request",),
    500: ("internal_server_error", "server_error", "/o\\", "✗"),
    501: ("not_implemented",),
    502: ("bad_gateway",),
    503: ("service_unavailable", "unavailable"),
    504: ("gateway_timeout",),
    505: ("http_version_not_supported", "http_version"),
    506: ("variant_also_negotiates",),
    507: ("insufficient_storage",),
    509: ("bandwidth_limit_exceeded", "bandwidth"),
    510: ("not_extended",),
    511: ("network_authentication_required", "network_auth", "network_authentication"),
}
HTTPX_CODES = [
    "ACCEPTED",
    "ALREADY_REPORTED",
    "BAD_GATEWAY",
    "BAD_REQUEST",
    "CONFLICT",
    "CONTINUE",
    "CREATED",
    "EARLY_HINTS",
    "EXPECTATION_FAILED",
    "FAILED_DEPENDENCY",
    "FORBIDDEN",
    "FOUND",
    "GATEWAY_TIMEOUT",
    "GONE",
    "HTTP_VERSION_NOT_SUPPORTED",
    "IM_A_TEAPOT",
    "IM_USED",
    "INSUFFICIENT_STORAGE",
    "INTERNAL_SERVER_ERROR",
    "LENGTH_REQUIRED",
    "LOCKED",
    "LOOP_DETECTED",
    "METHOD_NOT_ALLOWED",
    "MISDIRECTED_REQUEST",
    "MOVED_PERMANENTLY",
    "MULTIPLE_CHOICES",
    "MULTI_STATUS",
    "NETWORK_AUTHENTICATION_REQUIRED",
    "NON_AUTHORITATIVE_INFORMATION",
    "NOT_ACCEPTABLE",
    "NOT_EXTENDED",
    "NOT_FOUND",
    "NOT_IMPLEMENTED",
    "NOT_MODIFIED",
    "NO_CONTENT",
    "OK",
    "PARTIAL_CONTENT",
    "PAYMENT_REQUIRED",
    "PERMANENT_REDIRECT",
    "PRECONDITION_FAILED",
    "PRECONDITION_REQUIRED",
    "PROCESSING",
    "PROXY_AUTHENTICATION_REQUIRED",
    "REQUESTED_RANGE_NOT_SATISFIABLE",
    "REQUEST_ENTITY_TOO_LARGE",
    "REQUEST_HEADER_FIELDS_TOO_LARGE",
    "REQUEST_TIMEOUT",
    "REQUEST_URI_TOO_LONG",
    "RESET_CONTENT",
    "SEE_OTHER",
    "SERVICE_UNAVAILABLE",
    "SWITCHING_PROTOCOLS",
    "TEMPORARY_REDIRECT",
    "TOO_EARLY",
    "TOO_MANY_REQUESTS",
    "UNAUTHORIZED",
    "UNAVAILABLE_FOR_LEGAL_REASONS",
    "UNPROCESSABLE_ENTITY",
    "UNSUPPORTED_MEDIA_TYPE",
    "UPGRADE_REQUIRED",
    "USE_PROXY",
    "VARIANT_ALSO_NEGOTIATES",
]
CODES_IN_HTTPX: dict[str, str] = {
    "continue": "CONTINUE",
    "switching_protocols": "SWITCHING_PROTOCOLS",
    "processing": "PROCESSING",
    "ok": "OK",
    "created": "CREATED",
    "accepted": "ACCEPTED",
    "non_authoritative_information": "NON_AUTHORITATIVE_INFORMATION",
    "no_content": "NO_CONTENT",
    "reset_content": "RESET_CONTENT",
    "partial_content": "PARTIAL_CONTENT",
    "multi_status": "MULTI_STATUS",
    "already_reported": "ALREADY_REPORTED",
    "im_used": "IM_USED",
    "multiple_choices": "MULTIPLE_CHOICES",
    "moved_permanently": "MOVED_PERMANENTLY",
    "found": "FOUND",
    "see_other": "SEE_OTHER",
    "not_modified": "NOT_MODIFIED",
    "use_proxy": "USE_PROXY",
    "temporary_redirect": "TEMPORARY_REDIRECT",
    "permanent_redirect": "PERMANENT_REDIRECT",
    "bad_request": "BAD_REQUEST",
    "unauthorized": "UNAUTHORIZED",
    "payment_required": "PAYMENT_REQUIRED",
    "forbidden": "FORBIDDEN",
    "not_found": "NOT_FOUND",
    "method_not_allowed": "METHOD_NOT_ALLOWED",
    "not_acceptable": "NOT_ACCEPTABLE",
    "proxy_authentication_required": "PROXY_AUTHENTICATION_REQUIRED",
    "request_timeout": "REQUEST_TIMEOUT",
    "conflict": "CONFLICT",
    "gone": "GONE",
    "length_required": "LENGTH_REQUIRED",
    "precondition_failed": "PRECONDITION_FAILED",
    "request_entity_too_large": "REQUEST_ENTITY_TOO_LARGE",
    "unsupported_media_type": "UNSUPPORTED_MEDIA_TYPE",
    "requested_range_not_satisfiable": "REQUESTED_RANGE_NOT_SATISFIABLE",
    "expectation_failed": "EXPECTATION_FAILED",
    "im_a_teapot": "IM_A_TEAPOT",
    "misdirected_request": "MISDIRECTED_REQUEST",
    "unprocessable_entity": "UNPROCESSABLE_ENTITY",
    "locked": "LOCKED",
    "failed_dependency": "FAILED_DEPENDENCY",
    "too_early": "TOO_EARLY",
    "upgrade_required": "UPGRADE_REQUIRED",
    "precondition_required": "PRECONDITION_REQUIRED",
    "too_many_requests": "TOO_MANY_REQUESTS",
    "unavailable_for_legal_reasons": "UNAVAILABLE_FOR_LEGAL_REASONS",
    "internal_server_error": "INTERNAL_SERVER_ERROR",
    "not_implemented": "NOT_IMPLEMENTED",
    "bad_gateway": "BAD_GATEWAY",
    "service_unavailable": "SERVICE_UNAVAILABLE",
    "gateway_timeout": "GATEWAY_TIMEOUT",
    "http_version_not_supported": "HTTP_VERSION_NOT_SUPPORTED",
    "variant_also_negotiates": "VARIANT_ALSO_NEGOTIATES",
    "insufficient_storage": "INSUFFICIENT_STORAGE",
    "not_extended": "NOT_EXTENDED",
    "network_authentication_required": "NETWORK_AUTHENTICATION_REQUIRED",
}
CODE_VALUES = {name: value for value, names in REQUESTS_CODES.items() for name in names}
# requests' Response.text without a charset (requests/utils.py get_encoding_from_headers,
# models.py Response.text): ISO-8859-1 for text/*, UTF-8 for JSON, detection otherwise.
# httpx decodes all of them as UTF-8, so every client asyncify creates gets this hook.
ENCODING_HOOK = "_requests_text_encoding"
ENCODING_HOOK_SOURCE = f"""
async def {ENCODING_HOOK}(response: httpx.Response) -> None:
    # Decode a body without a charset as requests does (ISO-8859-1 for text/*, UTF-8 for
    # JSON, charset detection otherwise); added by asyncify. Comments, not a docstring: a
    # newline inside a string would not follow the file's line endings (CRLF).
    if response.charset_encoding is None:
        kind = response.headers.get("content-type", "").partition(";")[0]
        if "text" in kind:
            response.encoding = "ISO-8859-1"
        elif "application/json" in kind:
            response.encoding = "utf-8"
        else:
            response.default_encoding = lambda content: (
                charset_normalizer.detect(content)["encoding"] or "utf-8"
            )
"""
# One-shot calls' clients, in the program's compatibility module (asyncify/compat.py).
HTTP_CLIENT = "_http_client"
HTTP_CLIENT_SOURCE = f"""
def {HTTP_CLIENT}(**settings):
    # An httpx.AsyncClient with requests' defaults (added by asyncify): redirects followed
    # (up to 30), no timeout, a body without a charset decoded as requests does; a client
    # without TLS settings of its own shares one TLS context with the others.
    if not settings.keys() & {{"verify", "cert", "trust_env"}}:
        settings["verify"] = {SSL_CONTEXT}
    return httpx.AsyncClient(
        follow_redirects=True,
        timeout=None,
        max_redirects=30,
        event_hooks={{"response": [{ENCODING_HOOK}]}},
        **settings,
    )
"""
MARKERS = {
    "ok": "__asyncify_http_ok__",
    "url": "__asyncify_http_url__",
    # aiohttp: the body accessors are coroutines.
    "text": "__asyncify_http_text__",
    "content": "__asyncify_http_content__",
}

ONE_SHOT_IN_LOOP = Code(
    "AFY201",
    "one-shot requests call re-evaluated within one statement (comprehension, lambda, `while` "
    "test) is left synchronous",
    "move the call into its own statement (e.g. a for loop) so that each call gets its own client",
    doc="""
    A one-shot `requests.get(...)` (no session) is evaluated several times within one
    statement: in a comprehension, a lambda or a `while` condition. asyncify gives each
    one-shot call its own `async with httpx.AsyncClient(...)` block wrapped around the
    statement, which cannot be done per evaluation inside an expression.

    The call is left synchronous. Move it into a statement of its own and run asyncify again.

    Before:

    ```python
    bodies = [requests.get(url).text for url in urls]
    ```

    After (asyncify converts this form):

    ```python
    bodies = []
    for url in urls:
        bodies.append(requests.get(url).text)
    ```
    """,
)
CLIENT_LEVEL_ARG = Code(
    "AFY202",
    "per-request verify=/cert=/proxies= has no httpx equivalent: httpx takes them on the client "
    "only",
    "pass verify=/cert=/proxy= (or mounts=) to the AsyncClient constructor",
    doc="""
    `verify=`, `cert=` or `proxies=` is passed to a single request. requests accepts them per
    request; httpx takes them only on the client (`httpx.AsyncClient(verify=..., cert=...,
    proxy=...)`). For a one-shot call asyncify moves `verify=`/`cert=` to the call's own
    client; for a session's request (or `proxies=`) the client is shared, so moving the value
    would change every other request.

    The keyword is left in the call, where httpx rejects it: fix it before running the code.

    Before:

    ```python
    session = requests.Session()
    r = session.get(url, verify="/etc/ssl/internal-ca.pem")
    ```

    After:

    ```python
    internal = httpx.AsyncClient(verify="/etc/ssl/internal-ca.pem")
    r = await internal.get(url)
    ```
    """,
)
CUSTOM_AUTH = Code(
    "AFY203",
    "custom requests AuthBase: httpx calls httpx.Auth.auth_flow instead of __call__",
    "subclass httpx.Auth and yield the modified request from auth_flow",
    doc="""
    A custom `requests.auth.AuthBase` subclass is used. requests calls it as
    `auth(request)` and uses the returned request; httpx ignores `__call__` and drives
    `httpx.Auth.auth_flow`, a generator that yields requests.

    asyncify cannot rewrite the class's logic into a flow reliably, so it is left as is.

    Before:

    ```python
    class TokenAuth(requests.auth.AuthBase):
        def __init__(self, token):
            self.token = token

        def __call__(self, request):
            request.headers["Authorization"] = f"Bearer {self.token}"
            return request
    ```

    After:

    ```python
    class TokenAuth(httpx.Auth):
        def __init__(self, token):
            self.token = token

        def auth_flow(self, request):
            request.headers["Authorization"] = f"Bearer {self.token}"
            yield request
    ```
    """,
)
HOOKS = Code(
    "AFY204",
    "hooks= has no per-request equivalent: httpx event_hooks are client-level async functions "
    "whose return value is ignored",
    "pass event_hooks={'response': [async_fn]} to the AsyncClient and read the body there if "
    "needed",
    doc="""
    `hooks=` is passed to a request. requests calls hooks per request and uses a hook's
    return value as the new response; httpx has only client-level `event_hooks`, which must
    be async functions (on an `AsyncClient`) and whose return value is ignored.

    The keyword is left in the call (httpx rejects it). Move the hook to the client.

    Before:

    ```python
    def log(response, *args, **kwargs):
        print(response.status_code, response.url)

    requests.get(url, hooks={"response": log})
    ```

    After:

    ```python
    async def log(response):
        print(response.status_code, response.url)

    async with httpx.AsyncClient(event_hooks={"response": [log]}) as client:
        await client.get(url)
    ```
    """,
)
RETRIES = Code(
    "AFY205",
    "HTTPAdapter/Retry: httpx retries only connection failures, with no status_forcelist or "
    "backoff",
    "use httpx.AsyncHTTPTransport(retries=n) via mounts=, or a retry loop (e.g. tenacity) for "
    "statuses",
    doc="""
    A session mounts an `HTTPAdapter` with `max_retries` / `urllib3.Retry`. httpx retries
    only failed connections (`AsyncHTTPTransport(retries=n)`): there is no
    `status_forcelist`, no backoff and no retry of reads.

    asyncify cannot reproduce the retry policy, so the adapter is left for you to replace.

    Before:

    ```python
    retry = Retry(total=3, backoff_factor=0.5, status_forcelist=[502, 503])
    session.mount("https://", HTTPAdapter(max_retries=retry))
    ```

    After (connection retries in the transport, status retries in a loop or with tenacity):

    ```python
    client = httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(retries=3))

    async def get(url):
        for attempt in range(4):
            r = await client.get(url)
            if r.status_code not in (502, 503) or attempt == 3:
                return r
            await asyncio.sleep(0.5 * 2**attempt)
    ```
    """,
)
NO_EQUIVALENT = Code(
    "AFY206",
    "response attribute has no httpx equivalent",
    "read r.content / r.headers instead, or decode with charset_normalizer",
    doc="""
    The code reads a response attribute that httpx does not have: `r.raw` (the urllib3
    stream) or `r.apparent_encoding` (charset detection).

    There is no replacement with the same behaviour, so the attribute is left as is and fails
    at run time on an httpx response.

    Before:

    ```python
    encoding = r.apparent_encoding
    ```

    After:

    ```python
    import charset_normalizer

    best = charset_normalizer.from_bytes(r.content).best()
    encoding = best.encoding if best else "utf-8"
    ```
    """,
)
OS_ERROR = Code(
    "AFY207",
    "`except OSError` around converted requests calls: requests' errors are OSErrors, httpx's are "
    "not",
    "add httpx.HTTPError (and httpx.InvalidURL) to the except clause",
    doc="""
    An `except OSError` (or `IOError`, `EnvironmentError`) clause surrounds requests calls
    that were converted. Every requests exception is an `OSError`; httpx's are not, so after
    the conversion that clause would no longer catch network errors.

    asyncify converts the calls but cannot know whether the clause was meant for them or for
    other I/O in the block, so it flags the clause.

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
        async with httpx.AsyncClient() as client:
            data = (await client.get(url)).json()
    except (OSError, httpx.HTTPError, httpx.InvalidURL):
        data = None
    ```
    """,
)
QUERY_REPLACED = Code(
    "AFY208",
    "params= on a URL that already has a query: httpx 0.28 replaces the query, requests merges it",
    "merge explicitly: httpx.URL(url).copy_merge_params(params)",
    doc="""
    `params=` is passed with a URL that already has a query string. requests merges the two
    (`?a=1&b=2`); httpx 0.28 replaces the URL's query with `params` (`?b=2`).

    Whether the URL has a query is often known only at run time, so asyncify flags the call.

    Before:

    ```python
    requests.get("https://api.example.com/items?page=2", params={"size": 50})
    ```

    After:

    ```python
    url = httpx.URL("https://api.example.com/items?page=2").copy_merge_params({"size": 50})
    await client.get(url)
    ```
    """,
)
TUPLE_DATA = Code(
    "AFY209",
    "data= as a list of pairs: httpx takes a dict of lists, and the field order may change",
    "pass data={key: [values]} if the field order does not matter",
    doc="""
    `data=` is a list of `(key, value)` pairs. requests form-encodes the pairs in order;
    httpx takes a mapping (a dict of lists for repeated keys), so pairs cannot be passed
    through and the order of different keys may change.

    Before:

    ```python
    requests.post(url, data=[("tag", "a"), ("tag", "b"), ("name", "x")])
    ```

    After (if the order of different keys does not matter):

    ```python
    await client.post(url, data={"tag": ["a", "b"], "name": "x"})
    ```
    """,
)
MULTIPART_FILES = Code(
    "AFY210",
    "files=: httpx reads multipart files synchronously; an async (aiofiles) handle there hangs",
    "keep the open() that feeds files= synchronous (mark it `# asyncify: skip`)",
    doc="""
    `files=` uploads a file. httpx reads multipart file objects synchronously, so the file
    passed there must be an ordinary (sync) file object. If the `files` codemod turned the
    `open()` that feeds it into `aiofiles.open()`, the upload would hang or fail.

    Keep that `open()` synchronous: mark its line `# asyncify: skip`.

    Before:

    ```python
    with open(path, "rb") as fh:
        requests.post(url, files={"upload": fh})
    ```

    After:

    ```python
    with open(path, "rb") as fh:  # asyncify: skip
        requests.post(url, files={"upload": fh})
    ```
    """,
)
STREAMING = Code(
    "AFY211",
    "streamed response (stream=True, iter_content, iter_lines) is not converted",
    "use `async with client.stream(method, url) as r:` with `async for chunk in r.aiter_bytes(n)` "
    "(aiter_lines yields str)",
    doc="""
    The response is streamed (`stream=True`, `iter_content()`, `iter_lines()`) in a form
    asyncify does not convert. In httpx a streamed response lives inside
    `async with client.stream(...)` and is read with `async for` over `aiter_bytes()` /
    `aiter_lines()`; the block structure has to change, which asyncify does only in the
    simple cases. (Note `aiter_lines()` yields `str`, `iter_lines()` yielded `bytes`.)

    Before:

    ```python
    r = requests.get(url, stream=True)
    with open(target, "wb") as out:
        for chunk in r.iter_content(65536):
            out.write(chunk)
    ```

    After:

    ```python
    async with httpx.AsyncClient(follow_redirects=True) as client:
        async with client.stream("GET", url) as r:
            with open(target, "wb") as out:
                async for chunk in r.aiter_bytes(65536):
                    out.write(chunk)
    ```
    """,
)
DATA_VARIABLE = Code(
    "AFY213",
    "data= with a value that is not a literal: httpx sends a dict, str or bytes the same, but a "
    "list of pairs, a file or a generator fails",
    "pass data= a dict, or content= for a raw body (an async iterable for a generator or file)",
    doc="""
    `data=` is given a variable, not a literal. httpx sends a dict, `str` or `bytes` the way
    requests does, but a list of pairs, a file object or a generator fails (httpx wants
    `content=` for raw bodies, and an async iterable on an `AsyncClient`).

    asyncify cannot see the value's type, so check it.

    Before:

    ```python
    def upload(url, payload):
        return requests.post(url, data=payload)   # payload is a generator of bytes
    ```

    After:

    ```python
    async def upload(url, chunks):
        async def body():
            for chunk in chunks:
                yield chunk
        async with httpx.AsyncClient() as client:
            return await client.post(url, content=body())
    ```
    """,
)
FORWARDED_KWARGS = Code(
    "AFY214",
    "**kwargs forwarded into a requests call: requests-only keywords (allow_redirects, stream, "
    "verify, proxies, hooks) fail in httpx",
    "pass the keywords explicitly, or rename them for httpx (allow_redirects -> follow_redirects)",
    doc="""
    `**kwargs` are forwarded into a requests call. If they carry requests-only keywords
    (`allow_redirects`, `stream`, `verify`, `cert`, `proxies`, `hooks`), httpx raises
    `TypeError`; asyncify renames and moves such keywords only when they are written out.

    Before:

    ```python
    def get(url, **kwargs):
        return requests.get(url, **kwargs)

    get(url, allow_redirects=False)
    ```

    After (spell the keywords out, with httpx's names):

    ```python
    async def get(url, follow_redirects=True):
        async with httpx.AsyncClient() as client:
            return await client.get(url, follow_redirects=follow_redirects)

    await get(url, follow_redirects=False)
    ```
    """,
)
SYNC_SESSION = Code(
    "AFY215",
    "requests Session kept: it is used from code that stays synchronous",
    "make every function that uses the session async (or give the sync code its own session)",
    doc="""
    A `requests.Session` is used both from code that becomes async and from code that must
    stay synchronous (a pinned function: a property, a callback, import-time code, ...), or
    with a setting no async client takes where it is made (`trust_env` set later, a
    mounted adapter; `verify`, `cert`, `proxies` and per-request arguments convert through a
    `RequestsClient`, AFY243), or a class subclasses `requests.Session` (requests calls its
    methods itself). An `httpx.AsyncClient` cannot
    be used from synchronous code, so the session stays a requests session; and so that
    requests and httpx objects never meet, the whole program then keeps requests: its
    blocking calls in async code run in worker threads (AFY217).

    Make every user of the session async (see the other findings for why they stay
    synchronous), or give the synchronous code a session of its own, and run asyncify again
    for native httpx calls.

    Before:

    ```python
    SESSION = requests.Session()

    def fetch(url):            # becomes async
        return SESSION.get(url).json()

    atexit.register(lambda: SESSION.get(LOGOUT_URL))   # stays synchronous
    ```

    After:

    ```python
    SESSION = httpx.AsyncClient()

    async def fetch(url):
        return (await SESSION.get(url)).json()

    atexit.register(lambda: requests.get(LOGOUT_URL))   # its own one-shot request
    ```
    """,
)
CALLER_SESSION = Code(
    "AFY216",
    "a session given by the caller must now be an httpx.AsyncClient",
    "pass an httpx.AsyncClient where callers passed a requests.Session (callers in the "
    "project are converted; document the change for others)",
    doc="""
    A function or class takes a `requests.Session` from its caller (a parameter annotated
    `requests.Session`, or `session or requests.Session()`), and the session it uses became
    an `httpx.AsyncClient`. The parameter now takes an `httpx.AsyncClient`: code outside
    the converted tree that passes a `requests.Session` gets an error at the first request
    (`TypeError: object Response can't be used in 'await' expression`).

    This is part of the public API change that converting a library makes anyway (its
    functions became async); say so in its changelog.

    Before:

    ```python
    class Backend:
        def __init__(self, session: Optional[requests.Session] = None) -> None:
            self._client = session or requests.Session()
    ```

    After:

    ```python
    class Backend:
        def __init__(self, session: Optional[httpx.AsyncClient] = None) -> None:
            self._client = session or httpx.AsyncClient(...)
    ```
    """,
)
APPROXIMATE_EXCEPTION = Code(
    "AFY212",
    "requests exception without an exact httpx counterpart",
    "SSLError: catch httpx.ConnectError and inspect the cause; RetryError: catch the errors your "
    "retry loop raises",
    doc="""
    An `except` clause catches a requests exception that has no exact httpx counterpart:
    `requests.exceptions.SSLError` (httpx raises `ConnectError` for TLS failures) or
    `RetryError` (httpx has no retry policy that raises it).

    asyncify converts the other exceptions of the clause; this one needs a decision.

    Before:

    ```python
    try:
        r = requests.get(url)
    except requests.exceptions.SSLError:
        warn_certificate(url)
    ```

    After:

    ```python
    def caused_by_tls(error):
        while error is not None:
            if isinstance(error, ssl.SSLError):
                return True
            error = error.__cause__ or error.__context__
        return False

    try:
        r = await client.get(url)
    except httpx.ConnectError as error:
        if not caused_by_tls(error):
            raise
        warn_certificate(url)
    ```
    """,
)


class Http(Codemod):
    NAME = "http"
    DESCRIPTION = (
        "requests → httpx.AsyncClient (one client per one-shot call, sessions → AsyncClient)"
    )
    APIS = (
        *(Api(name, returns=RESPONSE) for name in sorted(ONE_SHOT)),
        *(
            Api(name, returns=SESSION, blocking=False, anywhere=True)
            for name in sorted(SESSION_CONSTRUCTORS)
        ),
        *(
            Api(name, returns=RESPONSE, run_time_keywords=RUN_TIME_KEYWORDS)
            for name in sorted(SESSION_CALLS)
        ),
        Api(f"{SESSION}.close"),
        Api(f"{SESSION}.__enter__", returns=SESSION, blocking=False),
        Api(f"{RESPONSE}.__enter__", returns=RESPONSE, blocking=False),
        Api(f"{RESPONSE}.ok", blocking=False),
        Api(f"{RESPONSE}.raise_for_status", blocking=False),
        Api(f"{RESPONSE}.url", blocking=False),
        *(Api(f"{RESPONSE}.{m}", blocking=False) for m in RESPONSE_KEPT),
        *(Api(f"{RESPONSE}.{m}", blocking=False) for m in sorted(RESPONSE_RENAMED)),
        *(
            Api(f"{RESPONSE}.{m}", blocking=False)
            for m in sorted(RESPONSE_MISSING | RESPONSE_STREAMING)
        ),
        *(Api(name, blocking=False) for name in sorted(ADAPTERS)),
        *(Api(name, blocking=False) for name in sorted(AUTH_CLASSES)),
        # Named so that a module that only catches them (around calls converted in another
        # module) gets this codemod too, and its `except` clauses the mapping.
        *(Api(name, blocking=False) for name in sorted(EXCEPTIONS.keys() - AUTH_CLASSES)),
    )

    @classmethod
    def apis_for(cls, options: Options) -> Sequence[Api]:
        """With aiohttp, ``r.json()`` awaits (``await r.text()``), and so does creating a
        session: ``ClientSession()`` needs a running loop, so a class creating one in
        ``__init__`` gets an async factory. With ``thread``, requests stays (HttpThreads)."""
        if options.http_client == "thread":
            return HttpThreads.APIS
        if options.http_client != "aiohttp":
            return cls.APIS
        awaits = {f"{RESPONSE}.json", *SESSION_CONSTRUCTORS}
        return tuple(
            dataclasses.replace(api, blocking=True) if api.name in awaits else api
            for api in cls.APIS
        )

    @classmethod
    def variant(cls, options: Options) -> type[Codemod]:
        if options.http_client == "httpx2":
            from asyncify.codemods.http_httpx2 import HttpHttpx2  # it subclasses Http

            return HttpHttpx2
        return HttpThreads if options.http_client == "thread" else cls

    ALIASES = {
        "requests.api": "requests",
        "requests.sessions.Session": SESSION,
        "requests.sessions.session": "requests.session",
        "requests.models.Response": RESPONSE,
        "requests.exceptions": "requests",
    }

    def __init__(self, state: RewriteState) -> None:
        super().__init__(state)
        self.aiohttp = state.options.http_client == "aiohttp"  # else httpx
        self.library = "aiohttp" if self.aiohttp else "httpx"
        self.helpers: set[str] = set()  # aiohttp helpers the module needs (http_aiohttp.py)
        self.error_names: list[str] = []  # `except requests.HTTPError as <name>` (aiohttp)
        self.error_members: dict[int, str] = {}  # id(e.response.<m>) -> ClientResponseError member
        self.elifs: set[int] = set()  # ids of `elif` If nodes
        self.used_names: set[str] = set()
        self.statements: list[_Statement] = []
        self.comprehensions = 0
        self.converted: list[tuple[int, int]] = []  # positions of converted requests calls
        self.client_names: list[str] = []
        self.functions: list[cst.FunctionDef] = []
        self.response_params: list[set[str]] = []
        self.keeps_requests: list[bool] = []  # per function: a sync one keeping requests calls
        self.finish = False  # placeholders for _Finish to replace
        self.checks: set[int] = set()  # ids of raise_for_status conditionals we made
        self.one_shot = False
        self.compat_used = False  # a RequestsClient was made: the module gets its classes
        self.client_helper = False  # one-shot clients made by HTTP_CLIENT (compat module)
        self.hook = False  # a client was made: the module gets the text-encoding hook
        # Sessions (one decision per session object, _analyse_sessions).
        self.session_uses: dict[tuple[str, str, str], list[cst.CSTNode]] = {}
        self.kept_constructors: set[int] = set()
        self.defaults: dict[int, str] = {}  # `x or requests.Session()`: id(call) -> "x"
        self.bound_nodes: set[int] = set()  # `session.get` handed to a followed parameter
        self.folds: dict[int, hs.Folded] = {}  # id(constructor call) -> its settings fold
        # Some session call in the program passes arguments decided at run time: every
        # session this file converts becomes a RequestsClient (http_compat.py).
        self.run_time = not self.aiohttp and SESSION in state.plan.run_time_types
        self.compat_keys: set[tuple[str, str, str]] = set()  # sessions made RequestsClient
        self.compat_constructors: set[int] = set()
        self.handed_constructors: set[int] = set()  # made in sync code, handed on: converted
        self.run_time_calls: set[int] = set()  # calls sent through requests_request()
        self.in_param = False
        self.session_params: set[int] = set()  # functions whose parameter got AFY216
        self.kept_calls: set[int] = set()  # ids of calls/with items on kept sessions
        self.kept_functions: set[str] = set()  # qualnames holding such calls
        self.kept_responses: set[tuple[str, str]] = set()  # (function, local name)
        self.kept_reports: list[tuple[cst.Call, str, Code]] = []
        # Session attributes set after construction (_analyse_settings, http_session.py).
        self.client_settings: dict[int, hs.Folded] = {}  # id(constructor call) -> moved in
        self.removed_statements: set[int] = set()
        self.folded_calls: set[int] = set()  # mount(...) / HTTPAdapter(...) calls moved
        self.setting_reports: list[tuple[cst.CSTNode, Code, str]] = []
        # Streams (per function, _analyse_streams): ids of original nodes.
        self.stream_sites: dict[int, _Stream] = {}
        self.stream_failures: dict[int, str] = {}
        self.stream_assigns: dict[int, int] = {}  # id(statement) -> id(call)
        self.stream_pending: dict[int, list[cst.WithItem]] = {}
        self.stream_fors: dict[int, tuple[str, list[cst.Arg]]] = {}
        self.stream_iter_calls: set[int] = set()

    # -- names ----------------------------------------------------------------------
    def visit_Module(self, node: cst.Module) -> None:
        survey = _Survey(self.state.is_async_function)
        node.visit(survey)  # one walk: LibCST visits cost more than the analysis
        self.used_names |= survey.names
        # Also on a second run (nothing left to plan): kept sessions must stay kept.
        self._analyse_sessions(survey)
        for call, detail, code in self.kept_reports:
            self.report(code, call, detail)
        for at, code, detail in self.setting_reports:
            self.report(code, at, detail)

    def fresh(self, base: str) -> str:
        name, i = base, 1
        while name in self.used_names:
            i += 1
            name = f"{base}_{i}"
        self.used_names.add(name)
        return name

    def _client_name(self, index: int) -> str:
        """``client``, ``client_2``…: names unused in the module. The names are reused from
        one statement to the next: a client is used only in the statement it wraps."""
        while len(self.client_names) <= index:
            self.client_names.append(self.fresh("session" if self.aiohttp else "client"))
        return self.client_names[index]

    def qualified(self, node: cst.BaseExpression) -> str:
        """Qualified name of a ``Name``/``a.b`` expression from this file's imports, with
        requests' aliases (``requests.exceptions.X`` is ``requests.X``)."""
        name = self.imported_name(node)
        for alias, target in self.ALIASES.items():
            if name == alias or name.startswith(alias + "."):
                return target + name[len(alias) :]
        return name

    # -- statements: where one-shot clients are opened -------------------------------
    def _push(self, node: cst.CSTNode) -> None:
        self.statements.append(_Statement(node, self.comprehensions))

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self._push(node)

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement] | cst.RemovalSentinel:
        frame = self._pop(original_node)
        if id(original_node) in self.removed_statements:
            if not any(line.comment for line in original_node.leading_lines):
                return cst.RemoveFromParent()
            # Its comments go to the next statement (_keep_comments).
            removed = cst.Expr(cst.Call(func=cst.Name(REMOVED_MARKER)))
            return cst.SimpleStatementLine([removed], leading_lines=original_node.leading_lines)
        result: cst.BaseStatement = updated_node
        call_id = self.stream_assigns.get(id(original_node))
        if call_id is not None and call_id in self.stream_pending:
            marker = cst.Call(
                func=cst.Name(STREAM_MARKER), args=[cst.Arg(cst.Integer(str(call_id)))]
            )
            return cst.SimpleStatementLine(
                body=[cst.Expr(marker)], leading_lines=original_node.leading_lines
            )
        if (
            isinstance(updated_node, cst.SimpleStatementLine)
            and len(updated_node.body) == 1
            and isinstance(updated_node.body[0], cst.Expr)
            and isinstance(updated_node.body[0].value, cst.IfExp)
            and id(updated_node.body[0].value) in self.checks
        ):
            check = updated_node.body[0].value
            result = cst.If(
                test=check.test,
                body=cst.IndentedBlock(body=[cst.SimpleStatementLine(body=[cst.Expr(check.body)])]),
                leading_lines=updated_node.leading_lines,
            )
        return self._wrap(frame, result)

    def _visit_compound(self, node: cst.CSTNode) -> None:
        self._push(node)

    def _pop(self, original: cst.CSTNode) -> _Statement:
        # An earlier codemod that replaced a statement by a FlattenSentinel stops the
        # pipeline from calling our leave_* for it: drop such frames here.
        while len(self.statements) > 1 and self.statements[-1].node is not original:
            self.statements.pop()
        return self.statements.pop()

    def _leave_compound(
        self, original: cst.CSTNode, updated: cst.BaseStatement
    ) -> cst.BaseStatement:
        return self._wrap(self._pop(original), updated)

    def visit_If(self, node: cst.If) -> None:
        if id(node) in self.elifs:
            top = self.statements[-1]
            self.statements.append(_Statement(node, self.comprehensions, owner=top.owner or top))
        else:
            self._push(node)
        if isinstance(node.orelse, cst.If):
            self.elifs.add(id(node.orelse))

    def leave_If(self, original_node: cst.If, updated_node: cst.If) -> cst.BaseStatement:
        frame = self._pop(original_node)
        if frame.owner is not None:  # an elif: its clients open around the whole `if`
            return updated_node
        return self._wrap(frame, updated_node)

    def visit_For(self, node: cst.For) -> None:
        self._visit_compound(node)

    def leave_For(self, original_node: cst.For, updated_node: cst.For) -> cst.BaseStatement:
        if id(original_node) in self.stream_fors:
            updated_node = self._stream_for(original_node, updated_node)
        return self._leave_compound(original_node, updated_node)

    def visit_With(self, node: cst.With) -> None:
        self._visit_compound(node)

    def visit_While(self, node: cst.While) -> None:
        self.statements.append(_Statement(node, self.comprehensions, reevaluated=True))

    def leave_While(self, original_node: cst.While, updated_node: cst.While) -> cst.BaseStatement:
        return self._leave_compound(original_node, updated_node)

    def visit_Match(self, node: cst.Match) -> None:
        self._visit_compound(node)

    def leave_Match(self, original_node: cst.Match, updated_node: cst.Match) -> cst.BaseStatement:
        return self._leave_compound(original_node, updated_node)

    def _wrap(self, frame: _Statement, stmt: cst.BaseStatement) -> cst.BaseStatement:
        if not frame.clients:
            return stmt
        items = [
            cst.WithItem(item=self._client(extra), asname=cst.AsName(name=cst.Name(name)))
            for name, extra in frame.clients
        ]
        leading = getattr(stmt, "leading_lines", ())  # comments stay above the `async with`
        inner = stmt.with_changes(leading_lines=[]) if leading else stmt
        return cst.With(
            items=items,
            body=cst.IndentedBlock(body=[inner]),
            asynchronous=cst.Asynchronous(),
            leading_lines=leading,
        )

    def _client(self, extra: Sequence[cst.Arg] | None) -> cst.Call:
        """A one-shot call's client; ``extra`` None: a RequestsClient (http_compat.py)."""
        if extra is None:
            self.hook = True
            self.compat_used = True
            return cst.Call(func=cst.Name(rc.CLIENT_CLASS))
        if self.aiohttp:
            self.hook = True
            return self._session_constructor(extra)
        if compat.SINK.get() is not None:  # one short call: the settings live there
            self.client_helper = True
            return cst.Call(
                func=cst.Name(HTTP_CLIENT),
                args=_commas([a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in extra]),
            )
        self.hook = True
        args = [
            cst.Arg(keyword=cst.Name(k), value=cst.parse_expression(v)) for k, v in CLIENT_DEFAULTS
        ]
        if not any(a.keyword and a.keyword.value == "verify" for a in extra):
            args.append(cst.Arg(keyword=cst.Name("verify"), value=cst.Name(SSL_CONTEXT)))
        args.extend(a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in extra)
        return cst.Call(func=dotted("httpx.AsyncClient"), args=_commas(args))

    def _session_constructor(self, extra: Sequence[cst.Arg] = ()) -> cst.Call:
        """``aiohttp.ClientSession(...)`` with requests' defaults (``SESSION_DEFAULTS``)."""
        self.add_import("aiohttp")
        self.helpers.add(aio.CHARSET_HELPER)
        args = [
            cst.Arg(keyword=cst.Name(k), value=cst.parse_expression(v))
            for k, v in aio.SESSION_DEFAULTS
        ]
        args.extend(a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in extra)
        return cst.Call(func=dotted(aio.SESSION_CLASS), args=_commas(args))

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self.comprehensions += 1

    def leave_ListComp(
        self, original_node: cst.ListComp, updated_node: cst.BaseExpression
    ) -> cst.BaseExpression:
        self.comprehensions -= 1
        return updated_node

    def visit_SetComp(self, node: cst.SetComp) -> None:
        self.comprehensions += 1

    def leave_SetComp(
        self, original_node: cst.SetComp, updated_node: cst.BaseExpression
    ) -> cst.BaseExpression:
        self.comprehensions -= 1
        return updated_node

    def visit_DictComp(self, node: cst.DictComp) -> None:
        self.comprehensions += 1

    def leave_DictComp(
        self, original_node: cst.DictComp, updated_node: cst.BaseExpression
    ) -> cst.BaseExpression:
        self.comprehensions -= 1
        return updated_node

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self.comprehensions += 1

    def leave_GeneratorExp(
        self, original_node: cst.GeneratorExp, updated_node: cst.BaseExpression
    ) -> cst.BaseExpression:
        self.comprehensions -= 1
        return updated_node

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        if self.removed_statements:
            updated_node = updated_node.with_changes(body=_keep_comments(updated_node.body))
        if self.finish:
            updated_node = updated_node.visit(_Finish())
        if self.aiohttp:
            return self._add_aiohttp_helpers(updated_node)
        if self.client_helper:
            updated_node = add_helpers(updated_node, [HTTP_CLIENT_SOURCE])
        if not self.one_shot and not self.hook:
            return updated_node
        # After the leading docstring and imports: LibCST adds `import httpx` before it.
        if self.hook:
            self.add_import("charset_normalizer")
            sources = [ENCODING_HOOK_SOURCE]
            if self.compat_used:
                if compat.SINK.get() is None:  # else they are the compatibility module's
                    for module in rc.IMPORTS:
                        self.add_import(module)
                sources += [rc.TRANSPORT_SOURCE, rc.CLIENT_SOURCE]
            updated_node = add_helpers(updated_node, sources)
        if self.one_shot and not self.client_helper:
            updated_node = add_helpers(updated_node, [SSL_CONTEXT_SOURCE])
        return updated_node

    def _add_aiohttp_helpers(self, module: cst.Module) -> cst.Module:
        """The helpers of http_aiohttp.py this module uses, after its imports."""
        sources = [
            (aio.READ_HELPER, aio.READ_SOURCE),
            (aio.CHARSET_HELPER, aio.CHARSET_SOURCE),
            (aio.TIMEOUT_HELPER, aio.TIMEOUT_SOURCE),
        ]
        wanted = [source for name, source in sources if name in self.helpers]
        if not wanted:
            return module
        if aio.READ_HELPER in self.helpers:
            self.add_import("collections.abc", "Awaitable")
        if aio.CHARSET_HELPER in self.helpers:
            self.add_import("charset_normalizer")
        return add_helpers(module, wanted)

    # -- calls ----------------------------------------------------------------------
    def leave_Call(
        self, original_node: cst.Call, updated_node: cst.BaseExpression
    ) -> cst.BaseExpression:
        if not isinstance(updated_node, cst.Call):
            return updated_node
        if self.in_async():
            updated_node = self._raises(original_node, updated_node)
        name = self.name_of(original_node.func)
        if name in ADAPTERS:
            if id(original_node) in self.folded_calls:  # moved into the client (reported)
                self.remove_import_of(original_node.func)
                return updated_node
            self.report(aio.NO_COUNTERPART if self.aiohttp else RETRIES, original_node, f"`{name}`")
            return updated_node
        if name in AUTH_CLASSES and self._responses_converted():
            if self.aiohttp:
                if name != "requests.auth.HTTPBasicAuth":
                    self.report(aio.AUTH, original_node, f"`{name}`")
                    return updated_node
                self._import_client(original_node.func)
                return updated_node.with_changes(func=dotted("aiohttp.BasicAuth"))
            self._import_client(original_node.func)
            return updated_node.with_changes(func=dotted(AUTH_CLASSES[name]))
        if name in SESSION_CONSTRUCTORS:
            if id(original_node) in self.kept_constructors or not (
                self.state.plan.async_functions or id(original_node) in self.handed_constructors
            ):
                return updated_node
            self._import_client(original_node.func)
            if id(original_node) in self.defaults and not self._session_param_reported():
                given = self.defaults[id(original_node)]
                self.report(CALLER_SESSION, original_node, f"`{given}`")
            if self.aiohttp:
                return self._session_constructor()
            settings = self.client_settings.get(id(original_node))
            if id(original_node) in self.compat_constructors:
                self.hook = True
                self.compat_used = True  # it has requests' defaults itself
                args = settings.arguments() if settings is not None else []
                func: cst.BaseExpression = cst.Name(rc.CLIENT_CLASS)
                return updated_node.with_changes(func=func, args=_commas(args))
            if compat.SINK.get() is not None:  # one short call: the defaults live there
                self.client_helper = True
                moved = settings.arguments() if settings is not None else []
                return updated_node.with_changes(func=cst.Name(HTTP_CLIENT), args=_commas(moved))
            self.hook = True
            args = [
                cst.Arg(keyword=cst.Name(k), value=cst.parse_expression(v))
                for k, v in CLIENT_DEFAULTS
            ]
            if settings is not None:
                args.extend(settings.arguments())
            return updated_node.with_changes(func=dotted("httpx.AsyncClient"), args=_commas(args))
        if name == f"{RESPONSE}.raise_for_status":
            if self.aiohttp:  # aiohttp raises on 4xx/5xx, as requests does
                return updated_node
            return self._raise_for_status(original_node, updated_node)
        if name == f"{RESPONSE}.json" and self.aiohttp:
            return self._aiohttp_json(original_node, updated_node)
        if name.startswith(f"{RESPONSE}.") and name.rpartition(".")[2] in RESPONSE_STREAMING:
            if id(original_node) not in self.stream_iter_calls:
                self.report(STREAMING, original_node, f"`.{name.rpartition('.')[2]}()`")
            return updated_node
        if name in ONE_SHOT or name in SESSION_CALLS or name == f"{SESSION}.close":
            if not self.should_convert(original_node) or id(original_node) in self.kept_calls:
                return updated_node
            if id(original_node) in self.run_time_calls:
                return self._run_time_request(original_node, updated_node)
            if id(original_node) in self.stream_sites:
                return self._stream_call(original_node, updated_node, name)
            return self._request(original_node, updated_node, name)
        return updated_node

    def _run_time_request(
        self, original: cst.Call, updated: cst.Call, method: str = "", client: str = ""
    ) -> cst.BaseExpression:
        """``session.get(url, verify=v, **kw)`` → ``await session.requests_request("GET", url,
        verify=v, **kw)``: the arguments stay requests' (http_compat.py applies them). A
        one-shot ``requests.get(url, **kw)`` is sent the same way by its own ``client``."""
        func = updated.func
        if client:
            func = cst.Attribute(value=cst.Name(client), attr=cst.Name(method))
        assert isinstance(func, cst.Attribute)
        method = func.attr.value
        positional = POSITIONAL.get(method, ())
        space = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        args: list[cst.Arg] = []
        if method != "request":
            args.append(cst.Arg(cst.SimpleString(f'"{method.upper()}"'), comma=space))
        given: list[str] = []
        follow = False
        for i, arg in enumerate(updated.args):
            if arg.keyword is None and not arg.star and method != "request" and 1 <= i:
                if i - 1 < len(positional):
                    arg = keyword_arg(positional[i - 1], arg.value).with_changes(comma=arg.comma)
            if arg.keyword is not None:
                follow = follow or arg.keyword.value == "allow_redirects"
                if arg.keyword.value in RUN_TIME_KEYWORDS:
                    given.append(f"`{arg.keyword.value}=`")
            if arg.star == "**":
                given.append(f"`**{cst.Module([]).code_for_node(arg.value)}`")
            args.append(arg)
        if method == "head" and not follow:  # requests' head() does not follow redirects
            stars = [a for a in args if a.star == "**"]
            extra = keyword_arg("allow_redirects", cst.Name("False"))
            if stars:  # `**{"allow_redirects": False, **kwargs}`, as head() sets it
                elements = [
                    cst.DictElement(cst.SimpleString('"allow_redirects"'), cst.Name("False")),
                    *(cst.StarredDictElement(a.value) for a in stars),
                ]
                extra = cst.Arg(cst.Dict(_commas_dict(elements)), star="**")
                args = [a for a in args if a.star != "**"]
            if args and args[-1].comma == cst.MaybeSentinel.DEFAULT:
                args[-1] = args[-1].with_changes(comma=space)
            args.append(extra)
        self.converted.append(self._pos(original))
        self.report(rc.RUN_TIME_REQUEST, original, ", ".join(dict.fromkeys(given)))
        call = updated.with_changes(func=func.with_changes(attr=cst.Name(rc.METHOD)), args=args)
        return cst.Await(expression=call)

    def _bound_request(self, method: cst.Attribute) -> cst.BaseExpression:
        """``session.get`` handed on as a value → ``functools.partial(client.request, "GET")``:
        httpx's ``get`` takes no body arguments, its ``request`` takes them all."""
        self.add_import("functools")
        verb = method.attr.value
        # a RequestsClient's requests_request() takes what the holder passes as it is
        request = rc.METHOD if self.run_time else "request"
        func = method.with_changes(attr=cst.Name(request))
        args = [cst.Arg(func)]
        if verb != "request":
            args.append(cst.Arg(cst.SimpleString(f'"{verb.upper()}"')))
        if verb == "head":  # requests' head() does not follow redirects
            redirects = "allow_redirects" if self.run_time else "follow_redirects"
            args.append(keyword_arg(redirects, cst.Name("False")))
        return cst.Call(func=dotted("functools.partial"), args=_commas(args))

    def _import_client(self, func: cst.BaseExpression) -> None:
        self.add_import(self.library)
        self.remove_import_of(func)

    def _aiohttp_json(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        """``r.json(**kw)`` → ``json.loads(await r.text(errors="replace"), **kw)``: requests
        decodes the text as ``r.text`` does and raises on an empty body, where aiohttp's
        ``json()`` returns None and rejects a non-JSON Content-Type."""
        if (
            not isinstance(original.func, cst.Attribute)
            or not isinstance(updated.func, cst.Attribute)
            or not self._responses_converted()
            or self._kept_response(original.func.value)
            or self._unconverted(original.func.value)
        ):
            return updated
        if not self.in_async():
            self.report(aio.SYNC_BODY, original, "`.json()`")
            return updated
        self.add_import("json")
        text = cst.Await(expression=self._text_call(updated.func.value))
        return cst.Call(func=dotted("json.loads"), args=_commas([cst.Arg(text), *updated.args]))

    def _unconverted(self, value: cst.BaseExpression) -> bool:
        """A requests call left as it is (in a comprehension, reported...): its response
        is still a requests Response."""
        return (
            isinstance(value, cst.Call)
            and self.name_of(value.func) in ONE_SHOT | SESSION_CALLS
            and self._pos(value) not in self.converted
        )

    @staticmethod
    def _text_call(response: cst.BaseExpression) -> cst.Call:
        """``r.text(errors="replace")``: requests decodes with errors="replace"."""
        return cst.Call(
            func=cst.Attribute(value=response, attr=cst.Name("text")),
            args=[keyword_arg("errors", cst.SimpleString('"replace"'))],
        )

    def _request(self, original: cst.Call, updated: cst.Call, name: str) -> cst.BaseExpression:
        method = name.rpartition(".")[2]
        func = updated.func
        if method == "close":
            assert isinstance(func, cst.Attribute)
            self.converted.append(self._pos(original))
            close = "close" if self.aiohttp else "aclose"
            return cst.Await(
                expression=updated.with_changes(func=func.with_changes(attr=cst.Name(close)))
            )
        if method == "send" and self.aiohttp:
            self.report(aio.NO_COUNTERPART, original, "`Session.send()`")
            return updated
        if method == "send":
            self.converted.append(self._pos(original))
            return cst.Await(expression=updated)
        one_shot = name in ONE_SHOT
        frame = self.statements[-1] if self.statements else None
        if one_shot and (
            frame is None or frame.reevaluated or self.comprehensions > frame.comprehensions
        ):
            self.report(ONE_SHOT_IN_LOOP, original, f"`{name}`")
            return updated
        if (
            one_shot
            and not self.aiohttp
            and _session_call_kept(original, one_shot=True)
            and _run_time_form(original, method)
        ):  # `requests.get(url, **kwargs)`: a RequestsClient of its own takes them
            assert frame is not None
            owner = frame.owner or frame
            client = self._client_name(len(owner.clients))
            owner.clients.append((client, None))
            self._import_client(original.func)
            return self._run_time_request(original, updated, method, client)
        if self.run_time and not one_shot and not isinstance(func, cst.Attribute):
            # `method(url, **kwargs)` holding `functools.partial(s.requests_request, "GET")`
            self.converted.append(self._pos(original))
            if _session_call_kept(original):
                self.report(rc.RUN_TIME_REQUEST, original, "a held request method")
            return cst.Await(expression=updated)
        args, client_args = self._arguments(original, updated, method, one_shot)
        if args is None:
            return updated
        if one_shot:
            assert frame is not None
            owner = frame.owner or frame
            client = self._client_name(len(owner.clients))
            owner.clients.append((client, client_args))
            self.one_shot = True
            self._import_client(original.func)
            receiver: cst.BaseExpression = cst.Name(client)
        elif not isinstance(func, cst.Attribute):  # `send = session.post` ... `send(url)`
            self.converted.append(self._pos(original))
            held = updated.with_changes(args=_commas(args))
            if self.aiohttp:
                self.helpers.add(aio.READ_HELPER)
                held = cst.Call(func=cst.Name(aio.READ_HELPER), args=[cst.Arg(held)])
            return cst.Await(expression=held)
        else:
            receiver = func.value
        self.converted.append(self._pos(original))
        if self.aiohttp:
            # requests returns the response with its body read: so does _read_response.
            self.helpers.add(aio.READ_HELPER)
            request = cst.Call(
                func=cst.Attribute(value=receiver, attr=cst.Name(method)), args=_commas(args)
            )
            return cst.Await(
                expression=cst.Call(func=cst.Name(aio.READ_HELPER), args=[cst.Arg(request)])
            )
        has_body = any(a.keyword and a.keyword.value in BODY_ARGS for a in args)
        if method in NO_BODY_METHODS and has_body:
            args = [cst.Arg(cst.SimpleString(f'"{method.upper()}"')), *args]
            method = "request"
        call = cst.Call(
            func=cst.Attribute(value=receiver, attr=cst.Name(method)), args=_commas(args)
        )
        return cst.Await(expression=call)

    def _pos(self, node: cst.CSTNode) -> tuple[int, int]:
        rng = self.state.positions.get(node)
        return (rng.start.line, rng.start.column) if rng else (0, 0)
    def _arguments(
        self, original: cst.Call, updated: cst.Call, method: str, one_shot: bool
    ) -> tuple[list[cst.Arg] | None, list[cst.Arg]]:
        """The call's arguments for httpx, and those that move to a one-shot client."""
        positional = POSITIONAL.get(method, ())
        args: list[cst.Arg] = []
        client_args: list[cst.Arg] = []
        head = 2 if method == "request" else 1
        follow_given = False
        url: cst.BaseExpression | None = None
        for i, (orig, arg) in enumerate(zip(original.args, updated.args, strict=True)):
            if arg.star:
                if arg.star == "**":
                    self.report(aio.FORWARDED_KWARGS if self.aiohttp else FORWARDED_KWARGS, orig)
                    return None, client_args  # may hold anything: the call stays requests
                args.append(arg)
                continue
            if arg.keyword is None:
                if i < head:
                    if i == head - 1:
                        url = orig.value
                    args.append(arg.with_changes(comma=cst.MaybeSentinel.DEFAULT))
                    continue
                index = i - head
                if index >= len(positional):
                    args.append(arg)
                    continue
                arg = arg.with_changes(
                    keyword=cst.Name(positional[index]),
                    equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
                )
            assert arg.keyword is not None
            key = arg.keyword.value
            arg = arg.with_changes(comma=cst.MaybeSentinel.DEFAULT)
            if key == "url":
                url = orig.value
            if self.aiohttp:
                converted = self._aiohttp_argument(key, orig, arg)
                if converted is None:
                    return None, client_args  # the call stays requests (reported)
                args.extend(converted)
                follow_given = follow_given or key == "allow_redirects"
                continue
            if key == "allow_redirects":
                follow_given = True
                args.append(arg.with_changes(keyword=cst.Name("follow_redirects")))
            elif key in ("verify", "cert") and one_shot:
                client_args.append(arg)
            # Arguments httpx does not take per request: the call stays requests (it
            # blocks, but behaves as before) rather than failing with TypeError.
            elif key in ("verify", "cert", "proxies"):
                self.report(CLIENT_LEVEL_ARG, orig, f"`{key}=`")
                return None, client_args
            elif key == "hooks":
                self.report(HOOKS, orig)
                return None, client_args
            elif key == "stream":
                why = self.stream_failures.get(id(original), "")
                self.report(STREAMING, orig, f"`stream=`{': ' + why if why else ''}")
                return None, client_args
            elif key == "files":
                self.report(MULTIPART_FILES, orig)
                args.append(arg)
            elif key == "params" and url is not None and _has_query(url):
                self.report(QUERY_REPLACED, orig)
                args.append(arg)
            elif key == "data":
                args.append(self._drop_none(key, self._data(orig, arg)))
            elif key in DROPS_NONE:
                args.append(self._drop_none(key, arg))
            elif key == "auth":
                self._auth(orig)
                args.append(arg)
            else:
                args.append(arg)
        if self.aiohttp:
            return self._aiohttp_extra(args, method, follow_given), client_args
        if method == "head" and not follow_given:
            args.append(keyword_arg("follow_redirects", cst.Name("False")))
        return args, client_args

    def _aiohttp_argument(self, key: str, orig: cst.Arg, arg: cst.Arg) -> list[cst.Arg] | None:
        """One requests keyword argument for an aiohttp request; None: not convertible."""
        value = orig.value
        if key == "verify" and (_is_literal(value, "True") or _is_literal(value, "False")):
            return [arg.with_changes(keyword=cst.Name("ssl"))]
        if key in ("verify", "cert", "proxies"):
            self.report(aio.CLIENT_ARG, orig, f"`{key}=`")
            return None
        if key == "hooks":
            self.report(aio.HOOKS, orig)
            return None
        if key == "files":
            self.report(aio.FILES, orig)
            return None
        if key == "stream":
            self.report(STREAMING, orig, "`stream=`: not converted for aiohttp")
            return None
        if key == "timeout":
            return [arg.with_changes(value=self._aiohttp_timeout(arg.value))]
        if key == "auth":
            return [self._aiohttp_auth(orig, arg)]
        if key == "data":
            kind = self._kind_of(value)
            if kind == "raw" or (isinstance(value, (cst.List, cst.Tuple)) and value.elements):
                pass  # aiohttp sends a list of pairs in order, as requests does
            elif kind != "mapping":
                self.report(aio.DATA_VARIABLE, orig)
            out = [self._drop_none(key, arg)]
            if kind == "raw":  # requests sends a raw body without a Content-Type
                out.append(
                    keyword_arg("skip_auto_headers", cst.parse_expression('["Content-Type"]'))
                )
            return out
        if key in DROPS_NONE:
            return [self._drop_none(key, arg)]
        return [arg]

    def _aiohttp_extra(self, args: list[cst.Arg], method: str, follow_given: bool) -> list[cst.Arg]:
        """requests follows up to 30 redirects, aiohttp 10 (head() follows none in both)."""
        follows = next(
            (a.value for a in args if a.keyword and a.keyword.value == "allow_redirects"), None
        )
        if (method == "head" and not follow_given) or (
            follows is not None and _is_literal(follows, "False")
        ):
            return args
        redirects = keyword_arg("max_redirects", cst.Integer(aio.MAX_REDIRECTS))
        return [*args, redirects]

    def _aiohttp_timeout(self, value: cst.BaseExpression) -> cst.BaseExpression:
        """requests' timeout (connect and each read; None: wait forever) as a ClientTimeout."""
        if _is_literal(value, "None"):
            return cst.parse_expression("aiohttp.ClientTimeout()")
        if isinstance(value, (cst.Integer, cst.Float)):
            return cst.Call(
                func=dotted("aiohttp.ClientTimeout"),
                args=_commas(
                    [
                        cst.Arg(keyword=cst.Name("sock_connect"), value=value),
                        cst.Arg(keyword=cst.Name("sock_read"), value=value),
                    ]
                ),
            )
        if isinstance(value, cst.Tuple) and len(value.elements) == 2:
            connect, read = (e.value for e in value.elements)
            return cst.Call(
                func=dotted("aiohttp.ClientTimeout"),
                args=_commas(
                    [
                        cst.Arg(keyword=cst.Name("sock_connect"), value=connect),
                        cst.Arg(keyword=cst.Name("sock_read"), value=read),
                    ]
                ),
            )
        self.helpers.add(aio.TIMEOUT_HELPER)
        return cst.Call(func=cst.Name(aio.TIMEOUT_HELPER), args=[cst.Arg(value)])

    def _aiohttp_auth(self, orig: cst.Arg, arg: cst.Arg) -> cst.Arg:
        """A literal ``(user, password)`` → ``aiohttp.BasicAuth(user, password)``;
        ``HTTPBasicAuth(...)`` is renamed in leave_Call; anything else is reported."""
        value = orig.value
        if isinstance(value, cst.Tuple) and len(value.elements) == 2:
            user, password = (e.value for e in arg.value.elements)  # type: ignore[attr-defined]
            return arg.with_changes(
                value=cst.Call(
                    func=dotted("aiohttp.BasicAuth"),
                    args=_commas([cst.Arg(user), cst.Arg(password)]),
                )
            )
        if not (isinstance(value, cst.Call) and self.qualified(value.func) in AUTH_CLASSES):
            self.report(aio.AUTH, orig)  # (HTTPDigestAuth is reported at its constructor)
        return arg

    def _data(self, orig: cst.Arg, arg: cst.Arg) -> cst.Arg:
        value = orig.value
        if isinstance(value, (cst.List, cst.Tuple)) and value.elements:
            self.report(TUPLE_DATA, orig)
            return arg
        if self._kind_of(value) == "raw":
            # httpx encodes a str content= as UTF-8, as urllib3 2 does a str body (INT;
            # MAPPING.md §A2's latin-1 holds for urllib3 1.x only). data=<raw> works in
            # httpx too, but prints a DeprecationWarning.
            content: cst.BaseExpression = arg.value
            return arg.with_changes(keyword=cst.Name("content"), value=content)
        if self._kind_of(value) != "mapping":
            self.report(DATA_VARIABLE, orig)
        return arg

    def _kind_of(self, value: cst.BaseExpression) -> str:
        """ "mapping" (a dict display, ``dict(...)``), "raw" (a str/bytes literal or
        ``<x>.encode(...)``), for a local only ever assigned one kind, else ""."""
        if isinstance(value, (cst.Dict, cst.DictComp)):
            return "mapping"
        if isinstance(value, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
            return "raw"
        if isinstance(value, cst.Call):
            if isinstance(value.func, cst.Name) and value.func.value == "dict":
                return "mapping"
            if isinstance(value.func, cst.Attribute) and value.func.attr.value == "encode":
                return "raw"
            return ""
        if not isinstance(value, cst.Name) or not self.functions:
            return ""
        values = [
            node.value
            for node in _walk(self.functions[-1])
            if isinstance(node, cst.Assign)
            and any(
                isinstance(t.target, cst.Name) and t.target.value == value.value
                for t in node.targets
            )
        ]
        kinds = {self._kind_of(v) for v in values}
        return kinds.pop() if len(kinds) == 1 else ""

    def _drop_none(self, key: str, arg: cst.Arg) -> cst.Arg:
        """requests drops `None` values of params/data/headers (and sends True as "True");
        httpx sends `k=` (raises for headers) and "true"."""
        value = arg.value
        if not isinstance(value, cst.Dict):
            return arg
        elements: list[cst.BaseDictElement] = []
        for element in value.elements:
            if isinstance(element, cst.DictElement):
                if _is_literal(element.value, "None"):
                    continue
                if (
                    key != "headers"
                    and isinstance(element.value, cst.Name)
                    and element.value.value in ("True", "False")
                ):
                    element = element.with_changes(
                        value=cst.SimpleString(f'"{element.value.value}"')
                    )
            elements.append(element)
        if len(elements) == len(value.elements) and all(
            a is b for a, b in zip(elements, value.elements, strict=True)
        ):
            return arg
        if elements:
            last = elements[-1]
            elements[-1] = last.with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return arg.with_changes(value=value.with_changes(elements=elements))

    def _auth(self, orig: cst.Arg) -> None:
        value = orig.value
        if isinstance(value, cst.Call):
            name = self.qualified(value.func)
            if name in AUTH_CLASSES:
                return
            if not isinstance(value.func, (cst.Name, cst.Attribute)) or name.startswith(
                "requests."
            ):
                self.report(CUSTOM_AUTH, orig)

    def _raise_for_status(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        """requests raises on 4xx/5xx only; httpx on any non-2xx (3xx, 304 too)."""
        if not self.should_convert(original) or not isinstance(updated.func, cst.Attribute):
            return updated
        if isinstance(original.func, cst.Attribute) and self._kept_response(original.func.value):
            return updated
        receiver = updated.func.value
        if isinstance(receiver, (cst.Name, cst.Attribute)) and not receiver.lpar:
            test: cst.BaseExpression = cst.Attribute(value=receiver, attr=cst.Name("is_error"))
            body: cst.BaseExpression = updated
        else:
            temp = cst.Name(self.fresh("response"))
            walrus = cst.NamedExpr(
                target=temp,
                value=receiver.with_changes(lpar=[], rpar=[]),
                lpar=[cst.LeftParen()],
                rpar=[cst.RightParen()],
            )
            test = cst.Attribute(value=walrus, attr=cst.Name("is_error"))
            body = updated.with_changes(func=updated.func.with_changes(value=temp))
        check = cst.IfExp(
            test=test,
            body=body,
            orelse=cst.Name("None"),
            lpar=[cst.LeftParen()],
            rpar=[cst.RightParen()],
        )
        self.checks.add(id(check))
        return check

    # -- response attributes ----------------------------------------------------------
    # The propagation transform expects an Attribute back from leave_Attribute, so a
    # member that becomes another kind of expression is marked here (a placeholder
    # attribute name) and replaced by _Finish once the whole module has been rewritten.
    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.BaseExpression
    ) -> cst.BaseExpression:
        if not isinstance(updated_node, cst.Attribute):
            return updated_node
        if id(original_node) in self.bound_nodes and id(original_node) not in self.kept_calls:
            return self._bound_request(updated_node)
        member = self.error_members.get(id(original_node))
        if member is not None and isinstance(updated_node.value, cst.Attribute):
            return updated_node.with_changes(value=updated_node.value.value, attr=cst.Name(member))
        name = self.name_of(original_node)
        value = original_node.value
        if not name and isinstance(value, cst.Name) and self.response_params:
            if value.value in self.response_params[-1]:
                name = f"{RESPONSE}.{original_node.attr.value}"
        codes = self.qualified(original_node)
        if codes.startswith("requests.codes.") and self.state.plan.async_functions:
            return self._status_code(original_node, codes.rpartition(".")[2])
        if not name.startswith(f"{RESPONSE}.") or not self._responses_converted():
            return updated_node
        if self._kept_response(original_node.value):
            return updated_node
        member = name.rpartition(".")[2]
        if self.aiohttp:
            return self._aiohttp_member(original_node, updated_node, member)
        if member in ("ok", "url"):
            self.finish = True
            return updated_node.with_changes(attr=cst.Name(MARKERS[member]))
        if member in RESPONSE_RENAMED:
            return updated_node.with_changes(attr=cst.Name(RESPONSE_RENAMED[member]))
        if member in RESPONSE_MISSING:
            self.report(NO_EQUIVALENT, original_node, f"`.{member}`")
        return updated_node

    def _aiohttp_member(
        self, original: cst.Attribute, updated: cst.Attribute, member: str
    ) -> cst.BaseExpression:
        """A requests response member on an aiohttp ClientResponse (http_aiohttp.py)."""
        if self._unconverted(original.value):
            return updated
        if member == "url":
            self.finish = True
            return updated.with_changes(attr=cst.Name(MARKERS[member]))
        if member in aio.RESPONSE_RENAMED:
            return updated.with_changes(attr=cst.Name(aio.RESPONSE_RENAMED[member]))
        if member in aio.RESPONSE_BODY:
            if not self.in_async():
                self.report(aio.SYNC_BODY, original, f"`.{member}`")
                return updated
            self.finish = True
            return updated.with_changes(attr=cst.Name(MARKERS[member]))
        if member in aio.RESPONSE_DIFFERENT:
            detail = f"`.{member}`: {aio.RESPONSE_DIFFERENT[member]}"
            self.report(aio.RESPONSE_MEMBER, original, detail)
        return updated

    def _status_code(self, original: cst.Attribute, name: str) -> cst.BaseExpression:
        """``requests.codes.<name>`` → ``httpx.codes.<NAME>``, or the int where httpx lacks
        the synonym (``okay``, ``teapot``, ``resume``...)."""
        self.remove_import_of(original)
        lower = name.lower()
        if lower in CODES_IN_HTTPX and not self.aiohttp:
            self.add_import("httpx")
            return dotted(f"httpx.codes.{CODES_IN_HTTPX[lower]}")
        if lower in CODE_VALUES:
            return cst.Integer(str(CODE_VALUES[lower]))
        return original

    def _responses_converted(self) -> bool:
        """Responses here come from httpx: inside async code, or in a synchronous function
        of a converting module (a helper taking a response as a parameter) unless that
        function keeps its own requests calls (pinned)."""
        if self.kept_constructors:  # a session of this file stays requests: so may responses
            return False
        if self.in_async():
            return True
        return bool(self.state.plan.async_functions) and not any(self.keeps_requests)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        keeps = False
        if not self.in_async():
            names = SESSION_CALLS | ONE_SHOT

            class Find(cst.CSTVisitor):
                def visit_Call(inner, call: cst.Call) -> None:  # noqa: N805
                    nonlocal keeps
                    keeps = keeps or self.name_of(call.func) in names

            node.body.visit(Find())
        self.keeps_requests.append(keeps)
        self.functions.append(node)
        if self.in_async() and not self.aiohttp:  # aiohttp: stream=True is reported (AFY211)
            self._analyse_streams(node)
        # Parameters annotated `requests.Response`: the plan does not type them yet.
        params = node.params
        self.response_params.append(
            {
                p.name.value
                for p in [*params.posonly_params, *params.params, *params.kwonly_params]
                if p.annotation is not None and self.qualified(p.annotation.annotation) == RESPONSE
            }
        )

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        self.keeps_requests.pop()
        self.response_params.pop()
        self.functions.pop()
        return updated_node

    def leave_Annotation(
        self, original_node: cst.Annotation, updated_node: cst.Annotation
    ) -> cst.Annotation:
        targets = (
            {RESPONSE: aio.RESPONSE_CLASS, SESSION: aio.SESSION_CLASS}
            if self.aiohttp
            else {RESPONSE: "httpx.Response", SESSION: "httpx.AsyncClient"}
        )
        if not self._responses_converted():
            return updated_node
        # `requests.Session`, and the names inside `Optional[requests.Session]`, `list[...]`
        codemod = self
        found: list[str] = []
        attrs: set[int] = set()

        class Names(cst.CSTTransformer):
            def swap(inner, node: cst.Name | cst.Attribute) -> cst.BaseExpression:  # noqa: N805
                name = targets.get(codemod.qualified(node))
                if name is None:
                    return node
                found.append(name)
                codemod._import_client(node)
                return dotted(name)

            def leave_Attribute(  # noqa: N802
                inner, original: cst.Attribute, updated: cst.Attribute
            ) -> cst.BaseExpression:
                return inner.swap(updated)

            def visit_Attribute(inner, node: cst.Attribute) -> None:  # noqa: N802
                attrs.add(id(node.attr))  # `requests.Session`'s `Session` is no name alone

            def leave_Name(  # noqa: N802
                inner, original: cst.Name, updated: cst.Name
            ) -> cst.BaseExpression:
                return updated if id(original) in attrs else inner.swap(updated)

        changed = updated_node.annotation.visit(Names())
        if not found:
            return updated_node
        if targets[SESSION] in found and self.in_param:
            self._report_session_param(original_node)
        assert isinstance(changed, cst.BaseExpression)
        return updated_node.with_changes(annotation=changed)

    def _report_session_param(self, annotation: cst.Annotation) -> None:
        if self.functions:
            self.session_params.add(id(self.functions[-1]))
        self.report(CALLER_SESSION, annotation, "a parameter annotated `requests.Session`")

    def _session_param_reported(self) -> bool:
        return bool(self.functions) and id(self.functions[-1]) in self.session_params

    def visit_Param(self, node: cst.Param) -> None:
        self.in_param = True

    def leave_Param(self, original_node: cst.Param, updated_node: cst.Param) -> cst.Param:
        self.in_param = False
        return updated_node

    # -- sessions: one decision per Session object of the file ------------------------
    def _analyse_sessions(self, survey: _Survey) -> None:
        """A Session (a local, a module global, or ``self.<attr>``) becomes an AsyncClient
        only if every blocking use of it in the file is a call that converts (in a function
        async in the plan); otherwise it stays requests everywhere (AFY215)."""
        state = self.state
        request_methods = frozenset({*METHODS, "request", "send", "close"})
        # aiohttp has no adapters and no prepared requests: a session using them stays.
        unconvertible = frozenset({"send", "mount"} if self.aiohttp else ())
        blocking = SESSION_CALLS | {f"{SESSION}.close"}
        constructors: list[tuple[cst.Call, tuple[str, str, str], str]] = []
        uses: list[tuple[cst.CSTNode, str, str, bool]] = []  # node, scope, receiver, converts
        parents, scopes, asyncs = survey.parents, survey.scopes, survey.asyncs
        attr_keys: dict[str, list[tuple[str, str, str]]] = {}
        for node in survey.nodes:
            if not isinstance(node, cst.Call):
                continue
            name = self.name_of(node.func)
            scope = scopes.get(id(node), "")
            if name in SESSION_CONSTRUCTORS:
                parent = parents.get(id(node))
                # `session or requests.Session()`: the default of a session given by a caller
                while isinstance(parent, cst.BooleanOperation):
                    given = parent.left if parent.left is not node else parent.right
                    self.defaults[id(node)] = cst.Module([]).code_for_node(given)
                    parent = parents.get(id(parent))
                key = ("expr", str(id(node)), scope)
                assigned: cst.BaseExpression | None = None
                if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
                    assigned = parent.targets[0].target
                elif isinstance(parent, cst.AnnAssign):
                    assigned = parent.target
                if assigned is not None:
                    target = assigned
                    if isinstance(target, cst.Name):
                        key = ("name", target.value, scope)
                        # `if not session: session = requests.Session()`: a default too
                        if target.value in _parameters_around(node, parents):
                            self.defaults.setdefault(id(node), target.value)
                    elif isinstance(target, cst.Attribute):
                        owner = target.value
                        cls = (
                            scope.rpartition(".")[0]
                            if isinstance(owner, cst.Name) and owner.value == "self"
                            else "?"
                        )
                        key = ("attr", target.attr.value, cls)
                        attr_keys.setdefault(target.attr.value, []).append(key)
                elif isinstance(parent, cst.WithItem) and parent.asname is not None:
                    target = parent.asname.name
                    if isinstance(target, cst.Name):
                        key = ("name", target.value, scope)
                constructors.append((node, key, scope))
            func = node.func
            if isinstance(func, cst.Attribute) and (
                name in blocking
                or func.attr.value in request_methods
                or func.attr.value in unconvertible
            ):
                kept = _session_call_kept(node)
                if kept and self.run_time and _run_time_form(node, func.attr.value):
                    # verify=/stream=flag/**kwargs: requests_request() takes them as they are
                    kept = False
                    self.run_time_calls.add(id(node))
                converts = (
                    name in blocking
                    and asyncs.get(scope, False)
                    and not state.is_skipped(node)
                    and not kept
                    and func.attr.value not in unconvertible
                )
                spelled = _spelled(func.value)
                if spelled:
                    uses.append((node, scope, spelled, converts))
        names = {(key[1], key[2]) for _, key, _ in constructors if key[0] == "name"}

        def key_of(scope: str, receiver: str) -> list[tuple[str, str, str]]:
            """The sessions a use may refer to: `self.X` in a method of the class that
            assigns it; else every session attribute named X (by name, as the type of
            `api.X` is often unknown); a local of this function or an enclosing one."""
            if receiver.startswith("."):
                attr = receiver.lstrip(".").removeprefix("self.")
                keys = attr_keys.get(attr, [])
                if receiver.startswith(".self."):
                    own = ("attr", attr, scope.rpartition(".")[0])
                    if own in keys:
                        return [own]
                return keys
            while True:
                if (receiver, scope) in names:
                    return [("name", receiver, scope)]
                if not scope:
                    return []
                scope = scope.rpartition(".<locals>.")[0] if ".<locals>." in scope else ""

        # `return session.post`, `f(session.get)`: a request method handed on as a value is
        # called where asyncify cannot follow it (`m = session.post; m(url)` it can follow).
        for node in survey.nodes:
            if not (isinstance(node, cst.Attribute) and node.attr.value in request_methods):
                continue
            parent = parents.get(id(node))
            if isinstance(parent, cst.Call) and parent.func is node:
                continue
            if isinstance(parent, cst.Assign) and all(
                isinstance(t.target, cst.Name) for t in parent.targets
            ):
                continue
            if isinstance(parent, cst.Arg):  # asyncio.to_thread(session.get, ...) is below
                call = parents.get(id(parent))
                if isinstance(call, cst.Call) and self.qualified(call.func) == "asyncio.to_thread":
                    continue
                # `self._call(self.session.get, url)`: the plan follows it to its calls,
                # which convert; the argument becomes a partial of the client's request()
                if (
                    not self.aiohttp
                    and self._pos(node) in self.state.plan.bound_methods
                    and (spelled := _spelled(node.value))
                ):
                    self.bound_nodes.add(id(node))
                    uses.append((node, scopes.get(id(node), ""), spelled, True))
                    continue
            if spelled := _spelled(node.value):
                uses.append((node, scopes.get(id(node), ""), spelled, False))
        # `asyncio.to_thread(session.get, url)`: a session asyncify (or you) kept before.
        for node in survey.nodes:
            if (
                isinstance(node, cst.Call)
                and node.args
                and self.qualified(node.func) == "asyncio.to_thread"
                and isinstance(method := node.args[0].value, cst.Attribute)
                and method.attr.value in request_methods
                and (spelled := _spelled(method.value))
            ):
                uses.append((node, scopes.get(id(node), ""), spelled, False))
        # `getattr(session, name)`: a method found by name, called where asyncify does not
        # follow it: the session stays requests.
        for node in survey.nodes:
            if (
                isinstance(node, cst.Call)
                and node.args
                and isinstance(node.func, cst.Name)
                and node.func.value == "getattr"
                and (spelled := _spelled(node.args[0].value))
            ):
                uses.append((node, scopes.get(id(node), ""), spelled, False))
        # `with <session>:` on an existing session stays a sync `with`: not convertible.
        for node in survey.nodes:
            if isinstance(node, cst.WithItem) and (spelled := _spelled(node.item)):
                uses.append((node, scopes.get(id(node), ""), spelled, False))
        bad: dict[tuple[str, str, str], list[str]] = {}
        for node, scope, spelled, converts in uses:
            for found in key_of(scope, spelled):
                self.session_uses.setdefault(found, []).append(node)
                if not converts:
                    bad.setdefault(found, []).append(scope or "<module>")
        if not self.aiohttp:  # settings httpx cannot take keep their session requests
            for key, why in self._unmovable_settings(survey, constructors, key_of).items():
                bad.setdefault(key, []).append(why)
        import_time: set[tuple[str, str, str]] = set()  # aiohttp: no running loop there
        # A session made in a synchronous function (`__init__`, a factory method) and kept
        # in a local that is handed on (to `self.session`, returned): its uses elsewhere are
        # the plan's (value flow); it converts unless sync code anywhere uses a session.
        followed = SESSION not in self.state.plan.sync_types
        handed: set[tuple[str, str]] = set()  # (local, scope): `self.x = s`, a method's `return s`
        project_calls = self.state.plan.project_calls
        for node in survey.nodes:
            scope = scopes.get(id(node), "")
            if isinstance(node, cst.Assign) and isinstance(node.value, cst.Name):
                for t in node.targets:
                    if _is_self_attribute(t.target):
                        handed.add((node.value.value, scope))
                        assert isinstance(t.target, cst.Attribute)
                        # its uses as `<anything>.x` in this file are its uses too
                        attr = t.target.attr.value
                        for _n, use_scope, spelled, converts in uses:
                            receiver = spelled.lstrip(".").rpartition(".")[2]
                            if not converts and spelled.startswith(".") and receiver == attr:
                                bad.setdefault(("name", node.value.value, scope), []).append(
                                    use_scope or "<module>"
                                )
            elif isinstance(node, cst.Return) and isinstance(node.value, cst.Name):
                if "." in scope and ".<locals>." not in scope:
                    handed.add((node.value.value, scope))
            elif isinstance(node, cst.Arg) and isinstance(node.value, cst.Name):
                # `Client(session=s)`: handed to the program's own code (value flow)
                call = parents.get(id(node))
                if isinstance(call, cst.Call) and self.state.end(call.func) in project_calls:
                    handed.add((node.value.value, scope))
            elif isinstance(node, cst.Comparison):  # `a.session == s`: compared, not used
                for side in (node.left, *(c.comparator for c in node.comparisons)):
                    if isinstance(side, cst.Name):
                        handed.add((side.value, scope))
        for call, key, scope in constructors:
            if (
                key[0] == "name"
                and followed
                and (key[1], key[2]) in handed
                and key not in self.session_uses
            ):
                self.handed_constructors.add(id(call))
                continue
            if key[0] != "attr" and scope and not asyncs.get(scope, False):
                bad.setdefault(key, []).append(scope)
            if self.aiohttp and not scope:
                import_time.add(key)
        for call, key, _ in constructors:
            if key not in bad and key not in import_time:
                continue
            self.kept_constructors.add(id(call))
            what = f"`self.{key[1]}`" if key[0] == "attr" else f"`{key[1]}`"
            if key[0] == "expr":
                what = "the session"
            if key in import_time:
                self.kept_reports.append((call, f"{what} stays requests", aio.IMPORT_TIME_SESSION))
            elif _local_to_sync_function(key, bad[key], survey):
                pass  # made, used and left in one synchronous function: requests meets nothing
            else:
                where = ", ".join(dict.fromkeys(bad[key]))
                self.kept_reports.append(
                    (call, f"{what} stays requests: used from {where}", SYNC_SESSION)
                )
            for node in self.session_uses.get(key, []):
                self.kept_calls.add(id(node))
                self.kept_functions.add(scopes.get(id(node), ""))
                parent = parents.get(id(node))
                if (
                    isinstance(parent, cst.Assign)
                    and len(parent.targets) == 1
                    and isinstance(parent.targets[0].target, cst.Name)
                ):
                    name = parent.targets[0].target.value
                    self.kept_responses.add((scopes.get(id(node), ""), name))
        for call, key, _ in constructors:
            if id(call) not in self.kept_constructors and key in self.compat_keys:
                self.compat_constructors.add(id(call))
        if self.state.plan.async_functions:
            converted = [c for c in constructors if id(c[0]) not in self.kept_constructors]
            self._analyse_settings(survey, converted, key_of)

    def _folded(
        self, call: cst.Call, receiver: str, following: Sequence[cst.BaseStatement]
    ) -> hs.Folded:
        """The settings after a construction that move into the client (one fold a call)."""
        folded = self.folds.get(id(call))
        if folded is None:
            folded = self.folds[id(call)] = hs.fold(following, receiver, _spelled, self.name_of)
        return folded

    def _unmovable_settings(
        self,
        survey: _Survey,
        constructors: Sequence[tuple[cst.Call, tuple[str, str, str], str]],
        key_of: Callable[[str, str], list[tuple[str, str, str]]],
    ) -> dict[tuple[str, str, str], str]:
        """Sessions with a setting an httpx client has no attribute for (`verify`, `cert`,
        `proxies`, `mount(...)`) that cannot move into its constructor, or read back: the
        client would raise AttributeError there, so the session stays requests. A
        RequestsClient has `verify`, `cert` and `proxies` attributes: a session whose only
        such settings are those becomes one (`compat_keys`), as does every session when
        some call passes them per request (`run_time`); its proxies and mounts are not
        folded into the constructor (a mounted transport would bypass its own)."""
        keys = {key for _, key, _ in constructors}
        found_keys, wanted = self._settings_scan(survey, constructors, key_of, keys)
        if not self.aiohttp:
            self.compat_keys = keys if self.run_time else wanted
            if self.compat_keys:
                for call, key, _scope in constructors:
                    if key in self.compat_keys and id(call) in self.folds:
                        self.folds[id(call)].without_transports()
                found_keys, _ = self._settings_scan(survey, constructors, key_of, keys)
        return found_keys

    def _settings_scan(
        self,
        survey: _Survey,
        constructors: Sequence[tuple[cst.Call, tuple[str, str, str], str]],
        key_of: Callable[[str, str], list[tuple[str, str, str]]],
        keys: set[tuple[str, str, str]],
    ) -> tuple[dict[tuple[str, str, str], str], set[tuple[str, str, str]]]:
        """(sessions with a setting that cannot move and why, sessions whose only such
        settings are attributes a RequestsClient has)."""
        moved: set[int] = set()
        for call, _key, _scope in constructors:
            found = _statements_after(call, survey.parents)
            if found is not None and id(call) not in self.defaults:
                moved.update(id(m.statement) for m in self._folded(call, *found).statements)
        unmovable = hs.CONSTRUCTOR_ONLY | hs.NO_COUNTERPART | {"mount"}
        unreadable = hs.CONSTRUCTOR_ONLY - {"trust_env"} | hs.NO_COUNTERPART  # httpx reads it
        found_keys: dict[tuple[str, str, str], str] = {}
        wanted: set[tuple[str, str, str]] = set()
        blocked: set[tuple[str, str, str]] = set()
        written: set[int] = set()  # `s.proxies` in `s.proxies[k] = v` / `s.proxies.update()`

        def found_for(key: tuple[str, str, str], attr: str, why: str) -> None:
            if attr in rc.ATTRIBUTES and not self.aiohttp:
                if key in self.compat_keys:
                    return  # a RequestsClient attribute
                wanted.add(key)
            else:
                blocked.add(key)
            found_keys.setdefault(key, why)

        for node in survey.nodes:
            scope = survey.scopes.get(id(node), "")
            if isinstance(node, cst.SimpleStatementLine):
                setting = hs.setting_of(node, _spelled)
                if setting is not None and setting.target is not None:
                    written.add(id(setting.target))
                if setting is not None and setting.call is not None:
                    func = setting.call.func
                    if isinstance(func, cst.Attribute):
                        written.add(id(func.value))
                if setting is None or setting.attr not in unmovable or id(node) in moved:
                    continue
                for key in set(key_of(scope, setting.receiver)) & keys:
                    found_for(key, setting.attr, f"`.{setting.attr}` set where it cannot move")
            elif isinstance(node, cst.Attribute) and node.attr.value in unreadable:
                if id(node) in written:
                    continue  # a setting: above
                for key in set(key_of(scope, _spelled(node.value))) & keys:
                    found_for(key, node.attr.value, f"`.{node.attr.value}` read back")
        return found_keys, wanted - blocked

    def _analyse_settings(
        self,
        survey: _Survey,
        constructors: Sequence[tuple[cst.Call, tuple[str, str, str], str]],
        key_of: Callable[[str, str], list[tuple[str, str, str]]],
    ) -> None:
        """Attributes set on a session that becomes a client (http_session.py): moved into
        its constructor when set right after it, kept where httpx has them with the same
        meaning, removed (an unread `timeout`), or reported."""
        parents, scopes = survey.parents, survey.scopes
        given: dict[int, str] = {}  # id(statement) -> why not moved
        for call, _key, _scope in constructors:
            found = _statements_after(call, parents)
            if found is None or self.aiohttp:  # aiohttp: reported below
                continue
            folded = self._folded(call, *found)
            given.update(folded.left)
            if id(call) in self.defaults:  # the session may be the caller's: not moved
                why = f"the session may be the caller's (`{self.defaults[id(call)]} or ...`)"
                given.update((id(moved.statement), why) for moved in folded.statements)
                continue
            if not folded.statements:
                continue
            self.client_settings[id(call)] = folded
            for moved in folded.statements:
                self.removed_statements.add(id(moved.statement))
                if moved.call is not None:
                    self.folded_calls.add(id(moved.call))
            for adapter, retries in folded.adapters:
                self.folded_calls.add(id(adapter))
                code = cst.Module([]).code_for_node
                detail = (
                    f"`{code(adapter)}` is now `AsyncHTTPTransport(retries={code(retries)})` in "
                    "the client's mounts: it retries failed connections only (requests also "
                    "retries failed reads)"
                )
                self.setting_reports.append((adapter, RETRIES, detail))
        keys = {key for _, key, _ in constructors}

        def sessions(scope: str, receiver: str, node: cst.BaseExpression | None) -> set[Key]:
            """The converted sessions of this file a receiver may be; a session made
            elsewhere (typed `requests.Session`) is `OTHER`: every session converts unless
            the whole program keeps requests (HttpThreads)."""
            found = set(key_of(scope, receiver)) & keys if receiver else set()
            if not found and node is not None and self.type_of(node) == SESSION:
                found.add(OTHER)
            return found

        settings: list[hs.Setting] = []
        for node in survey.nodes:
            if isinstance(node, cst.SimpleStatementLine):
                found_setting = hs.setting_of(node, _spelled)
                scope = scopes.get(id(node), "")
                if found_setting and sessions(
                    scope, found_setting.receiver, found_setting.session
                ):
                    settings.append(found_setting)
        targets = {id(s.target) for s in settings if s.target is not None}
        timeout_reads: dict[Key, cst.Attribute] = {}
        for node in survey.nodes:
            if not isinstance(node, cst.Attribute) or id(node) in targets:
                continue
            attr = node.attr.value
            if attr not in hs.CONSTRUCTOR_ONLY | hs.NO_COUNTERPART | {"timeout"}:
                continue
            read_keys = sessions(scopes.get(id(node), ""), _spelled(node.value), node.value)
            if not read_keys:
                continue
            if attr == "timeout":
                for key in read_keys:
                    timeout_reads.setdefault(key, node)
            elif self._compat(read_keys) and attr in rc.ATTRIBUTES:
                pass  # a RequestsClient attribute
            elif attr != "trust_env" or self.aiohttp:  # httpx can read trust_env back
                detail = f"`.{attr}` read back: {self.library} has no such client attribute"
                self.setting_reports.append((node, hs.CONSTRUCTOR_SETTING, detail))
        for setting in settings:
            if id(setting.statement) in self.removed_statements:
                continue
            setting_keys = sessions(
                scopes.get(id(setting.statement), ""), setting.receiver, setting.session
            )
            # A session made elsewhere: any read of `.timeout` on a session counts.
            read = next((timeout_reads[k] for k in setting_keys if k in timeout_reads), None)
            if OTHER in setting_keys and read is None and timeout_reads:
                read = next(iter(timeout_reads.values()))
            reason = given.get(id(setting.statement))
            if self._compat(setting_keys) and setting.attr in rc.ATTRIBUTES:
                continue  # a RequestsClient attribute, set as on the session
            if setting_keys == {OTHER}:
                reason = "the session is created elsewhere (set it where it is created)"
            self._report_setting(setting, read, reason)

    def _compat(self, keys: set[Key]) -> bool:
        """Every session these may be is a RequestsClient."""
        return bool(keys) and all(
            key in self.compat_keys or (key == OTHER and self.run_time) for key in keys
        )

    def _report_setting(
        self, setting: hs.Setting, timeout_read: cst.Attribute | None, why: str | None
    ) -> None:
        attr, node = setting.attr, setting.statement.body[0]
        session = setting.session
        spelled = cst.Module([]).code_for_node(session) if session else setting.receiver
        where = f"`{spelled}.{attr}`"
        if attr == "timeout" and setting.kind == "assign":
            if timeout_read is not None:
                line = self.state.positions[timeout_read].start.line
                detail = f"{where} is read back (line {line}): kept, so every request times out"
            else:
                self.removed_statements.add(id(setting.statement))
                detail = f"{where} removed: requests never applied it"
            self.setting_reports.append((node, hs.SESSION_TIMEOUT, detail))
        elif self.aiohttp and attr not in ("headers", "mount"):
            detail = f"{where} not moved: aiohttp's ClientSession takes settings in its constructor"
            self.setting_reports.append((node, hs.CONSTRUCTOR_SETTING, detail))
        elif attr in hs.CONSTRUCTOR_ONLY | hs.NO_COUNTERPART:
            detail = f"{where} not moved: " + (
                why or "not set right after the session is created, before it is used"
            )
            self.setting_reports.append((node, hs.CONSTRUCTOR_SETTING, detail))
        elif attr == "params":
            detail = f"{where} applies to every request of the client"
            self.setting_reports.append((node, QUERY_REPLACED, detail))
        elif attr == "hooks":
            self.setting_reports.append((node, HOOKS, where))

    def _scope(self) -> str:
        for frame in reversed(self.state.frames):
            if frame.is_function:
                return frame.qualname
        return ""

    def _kept_response(self, value: cst.BaseExpression) -> bool:
        """A response of a requests session that stays requests (original node)."""
        if isinstance(value, cst.Name):
            return (self._scope(), value.value) in self.kept_responses
        return isinstance(value, cst.Call) and id(value) in self.kept_calls

    # -- streaming: stream=True → async with client.stream(...) ------------------------
    def _analyse_streams(self, node: cst.FunctionDef) -> None:
        parents = _parents(node)
        nested = (cst.FunctionDef, cst.Lambda, cst.ClassDef)
        own: list[cst.CSTNode] = []  # nodes of this function, not of nested ones

        def inside_nested(n: cst.CSTNode) -> bool:
            p = parents.get(id(n))
            while p is not None and p is not node:
                if isinstance(p, nested):
                    return True
                p = parents.get(id(p))
            return False

        everything = _walk(node.body)
        own = [n for n in everything if not inside_nested(n)]
        streams: list[_Stream] = []
        for call in own:
            if not isinstance(call, cst.Call) or id(call) in self.kept_calls:
                continue
            name = self.name_of(call.func)
            stream_arg = _keyword(call, "stream")
            if (
                name not in ONE_SHOT and name not in SESSION_CALLS - {f"{SESSION}.send"}
            ) or stream_arg is None:
                continue
            if not _is_literal(stream_arg.value, "True") or self.state.is_skipped(call):
                continue
            parent = parents.get(id(call))
            if (
                isinstance(parent, cst.WithItem)
                and parent.asname is not None
                and isinstance(parent.asname.name, cst.Name)
            ):
                with_node = parents[id(parent)]
                assert isinstance(with_node, cst.With)
                streams.append(_Stream(call, parent.asname.name.value, "with", [with_node.body]))
                continue
            stmt = parents.get(id(parent))
            block = parents.get(id(stmt))
            if (
                isinstance(parent, cst.Assign)
                and len(parent.targets) == 1
                and isinstance(parent.targets[0].target, cst.Name)
                and isinstance(stmt, cst.SimpleStatementLine)
                and len(stmt.body) == 1
                and isinstance(block, cst.IndentedBlock)
            ):
                rest = list(block.body)[list(block.body).index(stmt) + 1 :]
                streams.append(_Stream(call, parent.targets[0].target.value, "assign", rest))
                self.stream_assigns[id(stmt)] = id(call)
                continue
            self.stream_failures[id(call)] = (
                "the response is not bound by `with ... as r` or `r = `"
            )
        regions: dict[int, _Stream] = {}
        for stream in streams:
            for part in stream.region:
                for n in _walk(part):
                    regions.setdefault(id(n), stream)
        bindings = set()
        for stream in streams:
            parent = parents[id(stream.call)]
            target = (
                parent.asname.name  # type: ignore[union-attr]
                if isinstance(parent, cst.WithItem)
                else parent.targets[0].target  # type: ignore[attr-defined]
            )
            bindings.add(id(target))
        for n in everything:
            if not isinstance(n, cst.Name) or id(n) in bindings:
                continue
            mine = [s for s in streams if s.name == n.value]
            if not mine:
                continue
            owner = regions.get(id(n))
            if owner is None or owner.name != n.value:
                # a use outside every block of this name (or in another stream's block)
                parent = parents.get(id(n))
                if isinstance(parent, cst.Attribute) and (
                    parent.attr is n or parent.attr.value in STREAM_SAFE
                ):
                    continue  # `x.r`, or a member httpx keeps after the stream is closed
                for s in mine:
                    s.failure = s.failure or f"`{n.value}` is used outside the streamed block"
                continue
            owner.failure = owner.failure or self._stream_use(n, owner, parents, inside_nested)
        for stream in streams:
            if stream.failure:
                self.stream_failures[id(stream.call)] = stream.failure
                self.stream_assigns = {
                    k: v for k, v in self.stream_assigns.items() if v != id(stream.call)
                }
                continue
            self.stream_sites[id(stream.call)] = stream
            self.stream_fors.update(stream.fors)
            self.stream_iter_calls |= stream.iter_calls

    def _stream_use(
        self,
        n: cst.Name,
        stream: _Stream,
        parents: dict[int, cst.CSTNode],
        inside_nested: Callable[[cst.CSTNode], bool],
    ) -> str:
        """ "" if the use of a streamed response converts, else why not."""
        parent = parents.get(id(n))
        if inside_nested(n):
            return f"`{n.value}` is used in a nested function"
        if isinstance(parent, cst.Attribute) and parent.attr is n:
            return ""
        if not isinstance(parent, cst.Attribute) or parent.value is not n:
            return f"`{n.value}` is used as a value (returned, stored or passed on)"
        member = parent.attr.value
        if member in STREAM_SAFE:
            return ""
        if member not in STREAM_ITERS:
            return f"`{n.value}.{member}` needs the body read (`await {n.value}.aread()`)"
        call = parents.get(id(parent))
        loop = parents.get(id(call))
        if not (
            isinstance(call, cst.Call)
            and call.func is parent
            and isinstance(loop, cst.For)
            and loop.iter is call
        ):
            return f"`{n.value}.{member}()` outside a `for` statement"
        spec = _iter_spec(call, loop)
        if isinstance(spec, str):
            return spec
        stream.fors[id(loop)] = spec
        stream.iter_calls.add(id(call))
        return ""

    def _stream_call(self, original: cst.Call, updated: cst.Call, name: str) -> cst.BaseExpression:
        stream = self.stream_sites[id(original)]
        method = name.rpartition(".")[2]
        keep = [
            i
            for i, a in enumerate(original.args)
            if not (a.keyword and a.keyword.value == "stream")
        ]
        args, client_args = self._arguments(
            original.with_changes(args=[original.args[i] for i in keep]),
            updated.with_changes(args=[updated.args[i] for i in keep]),
            method,
            name in ONE_SHOT,
        )
        assert args is not None
        if method != "request":
            args = [cst.Arg(cst.SimpleString(f'"{method.upper()}"')), *args]
        self.converted.append(self._pos(original))
        items: list[cst.WithItem] = []
        if name in ONE_SHOT:
            self.one_shot = True
            self._import_client(original.func)
            if stream.form == "with":
                frame = self.statements[-1]
                owner = frame.owner or frame
                client = self._client_name(len(owner.clients))
                owner.clients.append((client, client_args))
            else:
                client = self.fresh("client")
                items.append(
                    cst.WithItem(self._client(client_args), asname=cst.AsName(cst.Name(client)))
                )
            receiver: cst.BaseExpression = cst.Name(client)
        else:
            assert isinstance(updated.func, cst.Attribute)
            receiver = updated.func.value
        call = cst.Call(
            func=cst.Attribute(value=receiver, attr=cst.Name("stream")), args=_commas(args)
        )
        if stream.form == "assign":
            items.append(cst.WithItem(call, asname=cst.AsName(cst.Name(stream.name))))
            self.stream_pending[id(original)] = items
        return call

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        """``r = <stream>`` marker statements: the rest of the block goes into the
        ``async with ... as r:`` (the response is open until the block ends)."""
        body = _keep_comments(updated_node.body)
        for i in range(len(body) - 1, -1, -1):
            stmt = body[i]
            if not (
                isinstance(stmt, cst.SimpleStatementLine)
                and len(stmt.body) == 1
                and isinstance(stmt.body[0], cst.Expr)
                and isinstance(call := stmt.body[0].value, cst.Call)
                and _is_literal(call.func, STREAM_MARKER)
                and isinstance(key := call.args[0].value, cst.Integer)
            ):
                continue
            items = self.stream_pending.pop(int(key.value))
            rest = body[i + 1 :] or [cst.SimpleStatementLine([cst.Pass()])]
            with_node = cst.With(
                items=[
                    item.with_changes(
                        comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
                        if j < len(items) - 1
                        else cst.MaybeSentinel.DEFAULT
                    )
                    for j, item in enumerate(items)
                ],
                body=cst.IndentedBlock(body=rest),
                asynchronous=cst.Asynchronous(),
                leading_lines=stmt.leading_lines,
            )
            body = [*body[:i], with_node]
        return updated_node.with_changes(body=body)

    def _stream_for(self, original: cst.For, updated: cst.For) -> cst.For:
        method, args = self.stream_fors[id(original)]
        call = original.iter
        assert isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
        response = call.func.value
        assert isinstance(response, cst.Name)
        r = response.value
        if method == "lines_bytes":
            # requests' iter_lines() yields bytes; httpx's aiter_lines() str lines.
            var = updated.target.value if isinstance(updated.target, cst.Name) else "line"
            new_iter = cst.parse_expression(
                f'({var}.encode({r}.encoding or "utf-8") async for {var} in {r}.aiter_lines())'
            )
        else:
            new_iter = cst.Call(
                func=cst.Attribute(value=cst.Name(r), attr=cst.Name(method)), args=_commas(args)
            )
        return updated.with_changes(iter=new_iter, asynchronous=cst.Asynchronous())

    # -- with / except / classes ------------------------------------------------------
    def leave_With(self, original_node: cst.With, updated_node: cst.With) -> cst.BaseStatement:
        if self.in_async() and any(
            isinstance(item.item, cst.Call)
            and (
                (
                    self.name_of(item.item.func) in SESSION_CONSTRUCTORS
                    and id(item.item) not in self.kept_constructors
                )
                or id(item.item) in self.stream_sites
            )
            for item in original_node.items
        ):
            updated_node = updated_node.with_changes(asynchronous=cst.Asynchronous())
        return self._leave_compound(original_node, updated_node)

    def leave_Try(self, original_node: cst.Try, updated_node: cst.Try) -> cst.BaseStatement:
        rng = self.state.positions.get(original_node.body)
        if rng is None:
            return updated_node
        inside = any(
            (rng.start.line, rng.start.column) <= pos <= (rng.end.line, rng.end.column)
            for pos in self.converted
        )
        if inside:
            for handler in original_node.handlers:
                if handler.type is not None and any(
                    isinstance(e, cst.Name) and e.value in OS_ERRORS for e in _flatten(handler.type)
                ):
                    self.report(aio.OS_ERROR if self.aiohttp else OS_ERROR, handler)
        return updated_node

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        """aiohttp: ``e.response.status_code/reason/headers`` of a caught HTTPError →
        ``e.status/message/headers`` (ClientResponseError has no response)."""
        if (
            not self.aiohttp
            or node.type is None
            or not self.in_async()
            or node.name is None
            or not isinstance(node.name.name, cst.Name)
            or self._scope() in self.kept_functions
            or not any(self.qualified(e) == "requests.HTTPError" for e in _flatten(node.type))
        ):
            return
        error = node.name.name.value
        parents = _parents(node.body)
        # Only this module's own calls are sure to raise aiohttp's errors; a handler for
        # other modules' errors keeps requests' too, whose `e.response` has no `status`.
        own = self._own_requests_calls()
        for inner in _walk(node.body):
            if not (
                isinstance(inner, cst.Attribute)
                and inner.attr.value == "response"
                and _is_literal(inner.value, error)
            ):
                continue
            if not own:
                self.report(aio.ERROR_RESPONSE_USE, inner, f"`{error}.response`")
                continue
            outer = parents.get(id(inner))
            if isinstance(outer, cst.Attribute) and outer.value is inner:
                member = aio.ERROR_RESPONSE.get(outer.attr.value)
                if member is not None:
                    self.error_members[id(outer)] = member
                    continue
            self.report(aio.ERROR_RESPONSE_USE, inner, f"`{error}.response`")

    def leave_ExceptHandler(
        self, original_node: cst.ExceptHandler, updated_node: cst.ExceptHandler
    ) -> cst.ExceptHandler:
        if original_node.type is None or not self.in_async():
            return updated_node
        mapped_type = self._mapped_exceptions(original_node.type)
        if mapped_type is None:
            return updated_node
        return updated_node.with_changes(type=mapped_type)

    def _own_requests_calls(self) -> bool:
        """Whether this module makes requests calls itself (else it only catches errors)."""
        calls = ONE_SHOT | SESSION_CALLS | SESSION_CONSTRUCTORS
        return any(name in calls for name in self.state.plan.names.values())

    def _raises(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        """``pytest.raises(requests.HTTPError)`` / ``self.assertRaises(...)`` in a test that
        became async: the same exception mapping as an ``except`` clause."""
        spelled = cst.Module([]).code_for_node(original.func)
        if (
            (
                spelled not in ("pytest.raises", "raises")
                and not spelled.startswith("self.assertRaises")
            )
            or not original.args
            or original.args[0].keyword is not None
        ):
            return updated
        mapped_type = self._mapped_exceptions(original.args[0].value)
        if mapped_type is None:
            return updated
        return updated.with_changes(
            args=[updated.args[0].with_changes(value=mapped_type), *updated.args[1:]]
        )

    def _mapped_exceptions(self, original: cst.BaseExpression) -> cst.BaseExpression | None:
        """requests exception names → their httpx/aiohttp tuples; None if none is named."""
        elements = _flatten(original)
        mapped: list[str] = []
        changed = False
        exceptions = aio.EXCEPTIONS if self.aiohttp else EXCEPTIONS
        approximate = aio.APPROXIMATE_EXCEPTIONS if self.aiohttp else APPROXIMATE_EXCEPTIONS
        for element in elements:
            name = self.qualified(element)
            if name in exceptions:
                # Kept requests calls raise here too; and a module with no requests calls of
                # its own catches what other modules raise, some of which may keep requests.
                if self._scope() in self.kept_functions or not self._own_requests_calls():
                    mapped.append(cst.Module([]).code_for_node(element))
                else:
                    self.remove_import_of(element)
                mapped.extend(exceptions[name])
                changed = True
            else:
                if name in approximate:
                    code = aio.APPROXIMATE_EXCEPTION if self.aiohttp else APPROXIMATE_EXCEPTION
                    self.report(code, element, f"`{name}`")
                mapped.append(cst.Module([]).code_for_node(element))
        if not changed:
            return None
        unique = list(dict.fromkeys(mapped))
        for name in unique:
            if name.partition(".")[0] in ("httpx", "aiohttp", "asyncio", "json"):
                self.add_import(name.partition(".")[0])
        text = unique[0] if len(unique) == 1 else "(" + ", ".join(unique) + ")"
        return cst.parse_expression(text)

    def leave_ClassDef(
        self, original_node: cst.ClassDef, updated_node: cst.ClassDef
    ) -> cst.ClassDef:
        if any(self.qualified(base.value) == AUTH_BASE for base in original_node.bases):
            self.report(CUSTOM_AUTH, original_node, f"`{original_node.name.value}`")
        if any(self.qualified(base.value) == SESSION for base in original_node.bases):
            # requests calls its own methods on it: the class and its objects stay requests
            detail = f"`{original_node.name.value}` subclasses requests.Session"
            self.report(SYNC_SESSION, original_node, detail)
        return updated_node


class _Statement:
    """A statement that may get an ``async with`` of one-shot clients around it."""

    def __init__(
        self,
        node: cst.CSTNode | None,
        comprehensions: int,
        *,
        reevaluated: bool = False,
        owner: _Statement | None = None,
    ) -> None:
        self.node = node
        self.comprehensions = comprehensions
        self.reevaluated = reevaluated  # a `while` test runs again on each iteration
        self.owner = owner  # an `elif`: its clients open around the whole `if`
        self.clients: list[tuple[str, list[cst.Arg] | None]] = []


def _commas_dict(elements: Sequence[cst.BaseDictElement]) -> list[cst.BaseDictElement]:
    out = list(elements)
    for i, element in enumerate(out[:-1]):
        out[i] = element.with_changes(
            comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        )
    return out


def _commas(args: Sequence[cst.Arg]) -> list[cst.Arg]:
    """Arguments as PEP 8 writes them: ``k=v``, separated by ", "."""
    return commas([a.with_changes(equal=NO_SPACES) if a.keyword else a for a in args])


def _flatten(expr: cst.BaseExpression) -> list[cst.BaseExpression]:
    if isinstance(expr, cst.Tuple):
        return [e.value for e in expr.elements]
    return [expr]


def _has_query(url: cst.BaseExpression) -> bool:
    if isinstance(url, cst.SimpleString):
        value = url.evaluated_value
        return isinstance(value, str) and "?" in value
    if isinstance(url, cst.FormattedString):
        return any(isinstance(p, cst.FormattedStringText) and "?" in p.value for p in url.parts)
    return False


class _Finish(cst.CSTTransformer):
    """Replaces the placeholder attributes: ``r.ok`` → ``not r.is_error``, ``r.url`` →
    ``str(r.url)`` (requests' url is a str; httpx's an httpx.URL)."""

    def __init__(self) -> None:
        super().__init__()
        self.made: set[int] = set()  # ids of `(not r.is_error)` nodes made here

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.BaseExpression:
        if updated_node.attr.value == MARKERS["url"]:
            return cst.Call(
                func=cst.Name("str"),
                args=[cst.Arg(updated_node.with_changes(attr=cst.Name("url")))],
            )
        if updated_node.attr.value in (MARKERS["text"], MARKERS["content"]):
            # aiohttp: the body accessors are coroutines (the body has been read already).
            response = updated_node.value
            accessor = (
                Http._text_call(response)
                if updated_node.attr.value == MARKERS["text"]
                else cst.Call(func=cst.Attribute(value=response, attr=cst.Name("read")))
            )
            awaited = cst.Await(
                expression=accessor, lpar=[cst.LeftParen()], rpar=[cst.RightParen()]
            )
            self.made.add(id(awaited))
            return awaited
        if updated_node.attr.value == MARKERS["ok"]:
            node = cst.UnaryOperation(
                operator=cst.Not(),
                expression=updated_node.with_changes(attr=cst.Name("is_error")),
                lpar=[cst.LeftParen()],
                rpar=[cst.RightParen()],
            )
            self.made.add(id(node))
            return node
        return updated_node

    def _bare(self, expr: cst.BaseExpression) -> cst.BaseExpression:
        """Drop our parentheses where the expression stands alone."""
        if id(expr) in self.made and isinstance(expr, (cst.UnaryOperation, cst.Await)):
            return expr.with_changes(lpar=[], rpar=[])
        return expr

    def leave_UnaryOperation(
        self, original_node: cst.UnaryOperation, updated_node: cst.UnaryOperation
    ) -> cst.BaseExpression:
        inner = updated_node.expression
        if (
            isinstance(updated_node.operator, cst.Not)
            and id(inner) in self.made
            and isinstance(inner, cst.UnaryOperation)  # `not r.ok` → `r.is_error`
        ):
            return inner.expression.with_changes(lpar=updated_node.lpar, rpar=updated_node.rpar)
        return updated_node

    def leave_If(self, original_node: cst.If, updated_node: cst.If) -> cst.If:
        return updated_node.with_changes(test=self._bare(updated_node.test))

    def leave_While(self, original_node: cst.While, updated_node: cst.While) -> cst.While:
        return updated_node.with_changes(test=self._bare(updated_node.test))

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign) -> cst.Assign:
        return updated_node.with_changes(value=self._bare(updated_node.value))

    def leave_Return(self, original_node: cst.Return, updated_node: cst.Return) -> cst.Return:
        if updated_node.value is None:
            return updated_node
        return updated_node.with_changes(value=self._bare(updated_node.value))

    def leave_Arg(self, original_node: cst.Arg, updated_node: cst.Arg) -> cst.Arg:
        return updated_node.with_changes(value=self._bare(updated_node.value))

    def leave_FormattedStringExpression(
        self,
        original_node: cst.FormattedStringExpression,
        updated_node: cst.FormattedStringExpression,
    ) -> cst.FormattedStringExpression:
        return updated_node.with_changes(expression=self._bare(updated_node.expression))



# -- whole-module and per-function analyses -------------------------------------------
def _session_call_kept(call: cst.Call, one_shot: bool = False) -> bool:
    """A call httpx cannot take argument by argument (a one-shot call's own client takes
    `verify=` and `cert=`)."""
    for arg in call.args:
        if arg.star == "**":
            return True  # forwarded **kwargs may hold anything (AFY214)
        keyword = arg.keyword.value if arg.keyword else ""
        if keyword in CLIENT_ONLY_ARGUMENTS and not (one_shot and keyword != "proxies"):
            return True
        if keyword == "stream" and not (
            isinstance(arg.value, cst.Name) and arg.value.value in ("True", "False")
        ):
            return True  # streamed or not is decided at run time
    return False


def _run_time_form(call: cst.Call, method: str) -> bool:
    """A session call ``requests_request()`` can take with its arguments as they are: a
    verb or ``request`` (not ``send``), positional arguments after ``*args`` only in
    ``request`` (whose positional order it has)."""
    if method not in (*METHODS, "request"):
        return False
    return method == "request" or not any(arg.star == "*" for arg in call.args)


def _local_to_sync_function(
    key: tuple[str, str, str], used_from: Sequence[str], survey: _Survey
) -> bool:
    """A session in a local of a function that stays synchronous, used only there and only
    as a receiver (`s.get(...)`, `s.headers[...]`): it never reaches converted code, so it
    may stay requests without the rest of the program keeping requests."""
    kind, name, scope = key
    if kind != "name" or not scope or survey.asyncs.get(scope, False):
        return False
    if any(where != scope for where in used_from):
        return False
    for node in survey.nodes:
        if not (isinstance(node, cst.Name) and node.value == name):
            continue
        if survey.scopes.get(id(node)) != scope:
            return False  # a nested function or class sees it
        parent = survey.parents.get(id(node))
        if isinstance(parent, cst.Attribute) and parent.value is node:
            continue
        if isinstance(parent, (cst.AssignTarget, cst.AsName)):
            continue
        return False  # passed, returned, stored: it may reach converted code
    return True


def _is_self_attribute(node: cst.BaseExpression) -> bool:
    return (
        isinstance(node, cst.Attribute)
        and isinstance(node.value, cst.Name)
        and node.value.value == "self"
    )


def _parameters_around(node: cst.CSTNode, parents: Mapping[int, cst.CSTNode]) -> set[str]:
    """The parameter names of the function a node is in (none at module level)."""
    parent = parents.get(id(node))
    while parent is not None and not isinstance(parent, (cst.FunctionDef, cst.Lambda)):
        parent = parents.get(id(parent))
    if not isinstance(parent, cst.FunctionDef):
        return set()
    params = parent.params
    return {
        p.name.value
        for p in [*params.posonly_params, *params.params, *params.kwonly_params]
    }


class _Survey(cst.CSTVisitor):
    """Every node of a module in order, with its parent, the function around it, which
    functions are (or become) async, and every name used."""

    def __init__(self, is_async: Callable[[str], bool]) -> None:
        super().__init__()
        self.is_async = is_async
        self.nodes: list[cst.CSTNode] = []
        self.parents: dict[int, cst.CSTNode] = {}
        self.scopes: dict[int, str] = {}  # id(node) -> enclosing function's qualname, or ""
        self.asyncs: dict[str, bool] = {"": False}
        self.names: set[str] = set()
        self.path: list[cst.CSTNode] = []
        self.stack: list[tuple[str, bool]] = []  # (qualname, is_function)

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self.path:
            self.parents[id(node)] = self.path[-1]
        self.path.append(node)
        self.nodes.append(node)
        if isinstance(node, cst.Name):
            self.names.add(node.value)
        elif isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            parent = self.stack[-1] if self.stack else None
            name = "<lambda>" if isinstance(node, cst.Lambda) else node.name.value
            if parent is None:
                qual = name
            elif parent[1]:
                qual = f"{parent[0]}.<locals>.{name}"
            else:
                qual = f"{parent[0]}.{name}"
            self.stack.append((qual, not isinstance(node, cst.ClassDef)))
            if isinstance(node, cst.FunctionDef):
                self.asyncs[qual] = node.asynchronous is not None or self.is_async(qual)
            elif isinstance(node, cst.Lambda):
                self.asyncs[qual] = False
        functions = [q for q, f in self.stack if f]
        self.scopes[id(node)] = functions[-1] if functions else ""
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.path.pop()
        if isinstance(original_node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            self.stack.pop()


def _parents(root: cst.CSTNode) -> dict[int, cst.CSTNode]:
    """id(node) -> parent, for every node under ``root``."""
    parents: dict[int, cst.CSTNode] = {}
    stack: list[cst.CSTNode] = []

    class Walk(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            if stack:
                parents[id(node)] = stack[-1]
            stack.append(node)
            return True

        def on_leave(self, original_node: cst.CSTNode) -> None:
            stack.pop()

    root.visit(Walk())
    return parents


def _walk(root: cst.CSTNode) -> list[cst.CSTNode]:
    out: list[cst.CSTNode] = []

    class Walk(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            out.append(node)
            return True

    root.visit(Walk())
    return out


def _keyword(call: cst.Call, name: str) -> cst.Arg | None:
    return next((a for a in call.args if a.keyword and a.keyword.value == name), None)


def _is_literal(expr: cst.BaseExpression, value: str) -> bool:
    return isinstance(expr, cst.Name) and expr.value == value


def _only_written(loop: cst.For) -> bool:
    """The loop variable is only ever passed to ``<x>.write(var)``: chunk sizes are not
    observable, so requests' 1-byte default chunking need not be kept."""
    if not isinstance(loop.target, cst.Name):
        return False
    var = loop.target.value
    parents = _parents(loop)
    for node in _walk(loop.body):
        if isinstance(node, cst.Name) and node.value == var:
            arg = parents.get(id(node))
            call = parents.get(id(arg)) if arg is not None else None
            if not (
                isinstance(arg, cst.Arg)
                and isinstance(call, cst.Call)
                and len(call.args) == 1
                and isinstance(call.func, cst.Attribute)
                and call.func.attr.value == "write"
            ):
                return False
    return True


class _Stream:
    """A ``stream=True`` request converted to ``async with <client>.stream(...) as r``."""

    def __init__(self, call: cst.Call, name: str, form: str, region: Sequence[cst.CSTNode]):
        self.call = call
        self.name = name  # the response variable
        self.form = form  # "with" or "assign"
        self.region = region  # statements in which the response is open
        self.failure = ""
        self.fors: dict[int, tuple[str, list[cst.Arg]]] = {}  # id(For) -> (method, args)
        self.iter_calls: set[int] = set()


def _iter_spec(call: cst.Call, loop: cst.For) -> tuple[str, list[cst.Arg]] | str:
    """``r.iter_content(...)``/``r.iter_lines(...)`` → (httpx method, args), or why not."""
    assert isinstance(call.func, cst.Attribute)
    member = call.func.attr.value
    names = (
        ("chunk_size", "decode_unicode")
        if member == "iter_content"
        else ("chunk_size", "decode_unicode", "delimiter")
    )
    given: dict[str, cst.BaseExpression] = {}
    for i, arg in enumerate(call.args):
        if arg.star:
            return f"`{member}(*...)`"
        key = arg.keyword.value if arg.keyword else (names[i] if i < len(names) else "")
        given[key] = arg.value
    if "delimiter" in given:
        return "`iter_lines(delimiter=...)`"
    decode = given.get("decode_unicode")
    if decode is not None and not (_is_literal(decode, "True") or _is_literal(decode, "False")):
        return "`decode_unicode=` is not a literal"
    text = decode is not None and _is_literal(decode, "True")
    if member == "iter_lines":
        return ("aiter_lines" if text else "lines_bytes", [])
    size = given.get("chunk_size")
    method = "aiter_text" if text else "aiter_bytes"
    if size is None:  # requests' default: 1-byte chunks
        return (method, [] if _only_written(loop) else [cst.Arg(cst.Integer("1"))])
    if _is_literal(size, "None"):
        return (method, [])
    return (method, [cst.Arg(size)])


Key = tuple[str, str, str]  # a session of the file: ("name" | "attr" | "expr", name, scope)
OTHER: Key = ("other", "", "")  # a session made in another file


def _keep_comments(body: Sequence[cst.BaseStatement]) -> list[cst.BaseStatement]:
    """Drop the markers of removed statements, giving their comments to the statement
    after them (or to a ``pass`` ending the block)."""
    out: list[cst.BaseStatement] = []
    carried: list[cst.EmptyLine] = []
    for statement in body:
        if (
            isinstance(statement, cst.SimpleStatementLine)
            and len(statement.body) == 1
            and isinstance(statement.body[0], cst.Expr)
            and isinstance(call := statement.body[0].value, cst.Call)
            and _is_literal(call.func, REMOVED_MARKER)
        ):
            carried.extend(statement.leading_lines)
            continue
        if carried and isinstance(statement, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            statement = statement.with_changes(leading_lines=[*carried, *statement.leading_lines])
            carried = []
        out.append(statement)
    if carried:
        out.append(cst.SimpleStatementLine([cst.Pass()], leading_lines=carried))
    return out


def _statements_after(
    call: cst.Call, parents: dict[int, cst.CSTNode]
) -> tuple[str, Sequence[cst.BaseStatement]] | None:
    """``s = requests.Session()`` / ``self.s = ...`` (a statement of its own) or ``with
    requests.Session() as s:``: how the session is named, and the statements after it."""
    parent = parents.get(id(call))
    while isinstance(parent, cst.BooleanOperation):  # `session or requests.Session()`
        parent = parents.get(id(parent))
    if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
        receiver = _spelled(parent.targets[0].target)
        line = parents.get(id(parent))
        block = parents.get(id(line))
        if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1:
            if isinstance(block, (cst.IndentedBlock, cst.Module)):
                body = list(block.body)
                at = next(i for i, statement in enumerate(body) if statement is line)
                return receiver, body[at + 1 :]
    if isinstance(parent, cst.WithItem) and parent.asname is not None:
        with_node = parents.get(id(parent))
        receiver = _spelled(parent.asname.name)
        if isinstance(with_node, cst.With) and isinstance(with_node.body, cst.IndentedBlock):
            return receiver, with_node.body.body
    return None


def _spelled(receiver: cst.BaseExpression) -> str:
    """How a session use names its receiver: ``s``, ``.self.X`` or ``.X``; "" otherwise."""
    if isinstance(receiver, cst.Name):
        return receiver.value
    if isinstance(receiver, cst.Attribute):
        owner = receiver.value
        if isinstance(owner, cst.Name) and owner.value == "self":
            return ".self." + receiver.attr.value
        return "." + receiver.attr.value
    return ""


THREADED = Code(
    "AFY217",
    "requests call runs in a worker thread (asyncio.to_thread): requests stays",
    "resolve the AFY215 findings (or drop --http-client thread) for native async requests",
    "note",
    doc="""
    The program keeps using requests, and each blocking requests call in async code runs
    unchanged in a worker thread (`await asyncio.to_thread(session.get, url)`). Everything
    requests does stays exactly as it was (sessions, adapters, auth classes, hooks,
    encodings, exceptions); the event loop is not blocked while a request runs.

    This happens with `--http-client thread` (config `http-client = "thread"`), and by
    itself when some `requests.Session` cannot become an async client (AFY215, reported
    with it): requests and httpx objects must not meet (a session, an auth class or a
    response handed from converted code to code that keeps requests), so the whole program
    then keeps requests. Fix what AFY215 names and run asyncify again for native httpx
    calls. A streamed response (`stream=True`) still reads its body in the event loop's
    thread when iterated (AFY211).

    Before:

    ```python
    def fetch(session, url):
        return session.get(url, timeout=5).json()
    ```

    After:

    ```python
    async def fetch(session, url):
        return (await asyncio.to_thread(session.get, url, timeout=5)).json()
    ```
    """,
)


class HttpThreads(Codemod):
    """The ``http`` codemod with ``--http-client thread``: requests calls in async code run
    in worker threads, and nothing else of requests changes."""

    NAME = ""  # not a codemod of its own: Http.variant picks it
    DESCRIPTION = "requests calls in async code → await asyncio.to_thread(...)"
    APIS = (
        *(Api(name, returns=RESPONSE, keeps_callee=True) for name in sorted(ONE_SHOT)),
        *(
            Api(name, returns=SESSION, blocking=False)
            for name in sorted(SESSION_CONSTRUCTORS)
        ),
        *(Api(name, returns=RESPONSE, keeps_callee=True) for name in sorted(SESSION_CALLS)),
        Api(f"{SESSION}.close", keeps_callee=True),
        Api(f"{SESSION}.__enter__", returns=SESSION, blocking=False),
        Api(f"{RESPONSE}.__enter__", returns=RESPONSE, blocking=False),
        *(Api(f"{RESPONSE}.{m}", blocking=False) for m in sorted(RESPONSE_STREAMING)),
    )
    ALIASES = Http.ALIASES

    def leave_Call(
        self, original_node: cst.Call, updated_node: cst.BaseExpression
    ) -> cst.BaseExpression:
        api = self.api_of(original_node)
        if not api or not isinstance(updated_node, cst.Call) or not self.should_convert(
            original_node
        ):
            return updated_node
        if api.rpartition(".")[2] in RESPONSE_STREAMING:
            self.report(STREAMING, original_node, f"`.{api.rpartition('.')[2]}()`")
            return updated_node
        if api in SESSION_CONSTRUCTORS or api == f"{SESSION}.__enter__":
            return updated_node
        return in_thread(self, original_node, updated_node, THREADED, f"`{api}`")


Command = command_for(Http)  # python -m libcst.tool codemod http.Command
