"""``urllib.request.urlopen`` → an awaited helper on httpx that keeps urllib's behaviour.

https://docs.python.org/3/library/urllib.request.html#urllib.request.urlopen, CPython's
Lib/urllib/request.py (``OpenerDirector``, ``AbstractHTTPHandler.do_request_``/``do_open``,
``HTTPRedirectHandler``, ``HTTPDefaultErrorHandler``) and httpx's transport API
(https://www.python-httpx.org/advanced/transports/). A call becomes
``await _urlopen(...)``, a helper asyncify adds once per module (with
``_urlopen_exchange``). Only the HTTP exchange moves to httpx; everything urllib decides
stays urllib's own code, run by the helper:

* ``urllib.request.HTTPHandler.do_request_`` adds urllib's headers (``User-agent:
  Python-urllib/3.x``, ``Content-type``/``Content-length`` for a body, ``Host``); the
  exchange adds what ``do_open`` and http.client do (``Connection: close``,
  ``Accept-Encoding: identity``, title-cased names), and no cookies, proxies or netrc;
* each non-2xx answer goes to ``urllib.request.HTTPRedirectHandler``, so redirects follow
  the running Python's rules (which codes, POST → GET on 301/302/303, 307/308 only for
  GET/HEAD, at most 10 hops and 4 per URL), and anything it does not follow raises
  ``urllib.error.HTTPError`` with the code, reason, headers and a readable body;
* connection failures raise ``urllib.error.URLError`` with the ``OSError`` as reason; a
  read timeout raises ``TimeoutError('timed out')`` as http.client does;
* the answer is a real ``http.client.HTTPResponse`` (``read``, ``status``, ``reason``,
  ``headers``, ``geturl()``, iteration, ``with``) over the body, which is read in full
  before ``urlopen`` returns (AFY706).

At run time, what the helper does not reproduce runs urllib itself in a worker thread:
schemes other than http/https, a proxy from the environment, an opener installed with
``install_opener()``, a body that is not bytes. A call with arguments the helper does not
take (``cafile``, ``capath``, ``cadefault``, ``*args``/``**kwargs``) stays
``asyncio.to_thread(urllib.request.urlopen, ...)`` (AFY705). The API is *weak*, as in
:mod:`blocking`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from asyncify.codemod import Api, Codemod, add_helpers
from asyncify.findings import Code
from asyncify.libcst_command import command_for
from asyncify.options import Options

from .blocking import in_thread

if TYPE_CHECKING:
    from asyncify.rewrite import RewriteState

URLOPEN = "urllib.request.urlopen"
PARAMETERS = ("url", "data", "timeout", "context")  # urlopen's, as the helper takes them
POSITIONAL = 3  # url, data, timeout
IMPORTS = (
    "asyncio", "http.client", "httpx", "io", "os", "socket", "ssl", "types", "urllib.error",
    "urllib.request",
)  # fmt: skip
# What runs urllib itself at run time: in a worker thread, or blocking with --no-to-thread
# (on a skipped line, so that converting the output again leaves it alone).
IN_THREAD = (
    "return await asyncio.to_thread(urllib.request.urlopen, request, timeout=seconds, "
    "context=context)"
)
BLOCKING = (
    "return urllib.request.urlopen(request, timeout=seconds, context=context)  # asyncify: skip"
)
OPEN = """
async def _urlopen(url, data=None, timeout: Any = ..., *, context=None) -> Any:
    # urllib.request.urlopen with the HTTP exchange on httpx (added by asyncify). urllib's
    # own handlers add the headers and decide each redirect and error, and the answer is
    # an http.client.HTTPResponse over the body read in full. Other schemes, proxies, an
    # opener set with install_opener() and bodies that are not bytes go to urllib itself.
    request = url if isinstance(url, urllib.request.Request) else urllib.request.Request(url)
    if data is not None:
        request.data = data
    seconds = socket.getdefaulttimeout() if timeout is ... else timeout

    class Next(urllib.request.OpenerDirector):
        def open(self, fullurl, data=None, timeout=None):
            return fullurl  # a redirect's next request, sent by the loop below

    opener = Next()
    prepare, redirect = urllib.request.HTTPHandler(), urllib.request.HTTPRedirectHandler()
    prepare.add_parent(opener)
    redirect.add_parent(opener)
    verify = context or ssl.create_default_context()
    async with httpx.AsyncHTTPTransport(verify=verify, trust_env=False) as transport:
        while True:
            proxies = urllib.request.getproxies()
            if (
                request.type not in ("http", "https")
                or (request.type in proxies and not urllib.request.proxy_bypass(request.host))
                or (context is None and getattr(urllib.request, "_opener", None) is not None)
                or not isinstance(request.data, (bytes, bytearray, memoryview, type(None)))
            ):
                {fallback}
            request.timeout = seconds
            prepare.do_request_(request)
            response = await _urlopen_exchange(transport, request, seconds)
            if 200 <= response.status < 300:
                return response
            handle = getattr(redirect, f"http_error_{response.status}", None)
            following = handle and handle(
                request, response, response.status, response.reason, response.headers
            )
            if not following:
                raise urllib.error.HTTPError(
                    request.full_url, response.status, response.reason, response.headers, response
                )
            request = following
"""
EXCHANGE = """
async def _urlopen_exchange(transport, request, seconds):
    # One request as http.client sends it for urllib, and its answer as an
    # http.client.HTTPResponse (added by asyncify).
    headers = dict(request.unredirected_hdrs)
    headers.update({k: v for k, v in request.headers.items() if k not in headers})
    headers["Connection"] = "close"
    headers = {"Accept-Encoding": "identity", **{k.title(): v for k, v in headers.items()}}
    body = request.data
    if body is None and request.get_method().upper() in ("PATCH", "POST", "PUT"):
        body = b""
    sent = httpx.Request(
        request.get_method(),
        request.full_url,
        headers=headers,
        content=None if body is None else bytes(body),
        extensions={"timeout": httpx.Timeout(seconds).as_dict()},
    )
    try:
        answer = await transport.handle_async_request(sent)
        try:
            content = b"".join([chunk async for chunk in answer.aiter_raw()])
        finally:
            await answer.aclose()
    except httpx.ReadTimeout:
        raise TimeoutError("timed out") from None
    except httpx.TimeoutException:
        raise urllib.error.URLError(TimeoutError("timed out")) from None
    except httpx.TransportError as error:
        reason, cause = None, error  # the socket's own error, as http.client would raise it
        while cause is not None:
            reason = cause if isinstance(cause, OSError) else reason
            nested = getattr(cause, "exceptions", None)  # the first of several attempts
            cause = nested[0] if nested else cause.__cause__ or cause.__context__
        if isinstance(reason, OSError) and type(reason).__module__ == "builtins" and reason.errno:
            reason = type(reason)(reason.errno, os.strerror(reason.errno))  # as the OS words it
        if isinstance(error, (httpx.ConnectError, httpx.WriteError)):
            raise urllib.error.URLError(reason or str(error)) from None
        raise reason or http.client.RemoteDisconnected(str(error)) from None
    if answer.headers.get("transfer-encoding", "").lower() == "chunked":  # as it came
        chunk = b"%x\\r\\n%s\\r\\n" % (len(content), content) if content else b""
        content = chunk + b"0\\r\\n\\r\\n"
    status = f"{answer.http_version} {answer.status_code} {answer.reason_phrase}\\r\\n"
    fields = [name + b": " + value + b"\\r\\n" for name, value in answer.headers.raw]
    raw = b"".join([status.encode("latin-1"), *fields, b"\\r\\n", content])
    sock: Any = types.SimpleNamespace(makefile=lambda mode: io.BufferedReader(io.BytesIO(raw)))
    response: Any = http.client.HTTPResponse(sock, method=request.get_method())
    response.begin()
    response.url = request.full_url
    response.msg = response.reason
    return response
"""

KEPT_IN_THREAD = Code(
    "AFY705",
    "urlopen call kept in a worker thread: an argument has no faithful httpx form",
    "drop cafile=/capath=/cadefault= (pass context=ssl.create_default_context(cafile=...)) "
    "or spell out *args/**kwargs, and run asyncify again",
    "note",
    doc="""
    `urllib.request.urlopen(...)` becomes `await _urlopen(...)`, a helper on httpx that
    asyncify adds to the module, except when the call has an argument the helper does not
    take: `cafile`, `capath` or `cadefault` (deprecated since Python 3.6, removed in 3.13),
    more than three positional arguments, or `*args`/`**kwargs` whose names asyncify cannot
    see. Such a call runs unchanged in a worker thread (`asyncio.to_thread`), like AFY701,
    and the response it returns reads from its socket without a thread.

    Before:

    ```python
    async def fetch(url):
        with urllib.request.urlopen(url, cafile="ca.pem") as r:
            return r.read()
    ```

    After (asyncify then converts the call):

    ```python
    async def fetch(url):
        with urllib.request.urlopen(url, context=ssl.create_default_context(cafile="ca.pem")) as r:
            return r.read()
    ```
    """,
)
READ_AT_ONCE = Code(
    "AFY706",
    "urlopen now reads the whole response body before it returns",
    "fine for ordinary responses; stream a large or endless body with httpx "
    "(`client.stream(...)`) instead",
    "note",
    doc="""
    `urllib.request.urlopen(...)` became `await _urlopen(...)`, which sends the request with
    httpx and reads the whole body before it returns a real `http.client.HTTPResponse`
    over it: `read()`, `readline()`, iteration, `status`, `reason`, `headers`, `geturl()`
    and `with` behave as before and no longer block. A note, because the body is now held
    in memory, an endless (streamed) response never returns, and an error while receiving
    the body is raised by `urlopen` rather than by `read()`.

    If the program streams large or endless bodies, use httpx's streaming API yourself.

    Before (converted):

    ```python
    with await _urlopen(url) as r:
        for line in r:
            handle(line)
    ```

    After:

    ```python
    async with httpx.AsyncClient() as client, client.stream("GET", url) as r:
        async for line in r.aiter_lines():
            handle(line)
    ```
    """,
)


class Urllib(Codemod):
    NAME = "urllib"
    DESCRIPTION = "urllib.request.urlopen → await an httpx helper that keeps urllib's behaviour"
    APIS = (Api(URLOPEN, weak=True),)

    def __init__(self, state: RewriteState) -> None:
        super().__init__(state)
        self.used = False

    def leave_Call(
        self, original_node: cst.Call, updated_node: cst.BaseExpression
    ) -> cst.BaseExpression:
        if not self.api_of(original_node) or not isinstance(updated_node, cst.Call):
            return updated_node
        if not self.should_convert(original_node):
            return updated_node
        problem = unsupported(original_node)
        if problem:
            detail = f"`{URLOPEN}`: {problem}"
            return in_thread(self, original_node, updated_node, KEPT_IN_THREAD, detail)
        self.report(READ_AT_ONCE, original_node)
        self.used = True
        for module in IMPORTS:
            self.add_import(module)
        self.add_import("typing", "Any")
        self.remove_import_of(original_node.func)
        return cst.Await(expression=updated_node.with_changes(func=cst.Name("_urlopen")))

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        if not self.used:
            return updated_node
        return add_helpers(updated_node, [open_source(self.state.options), EXCHANGE])


def open_source(options: Options) -> str:
    """``_urlopen`` for a run with ``options`` (what it does with what httpx cannot do)."""
    return OPEN.replace("{fallback}", IN_THREAD if options.to_thread else BLOCKING)


def unsupported(call: cst.Call) -> str:
    """Why ``_urlopen`` cannot take ``call``'s arguments ("" when it can)."""
    positional = 0
    for arg in call.args:
        if arg.star:
            return f"`{arg.star}` arguments (their names cannot be checked)"
        if arg.keyword is None:
            positional += 1
            if positional > POSITIONAL:
                return "more than three positional arguments"
        elif arg.keyword.value not in PARAMETERS:
            return f"`{arg.keyword.value}=` is not an argument asyncify maps"
    return ""


Command = command_for(Urllib)  # python -m libcst.tool codemod urlopen.Command
