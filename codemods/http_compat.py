"""``RequestsClient``: an ``httpx.AsyncClient`` for what a requests session decides at run time.

requests takes ``verify=``, ``cert=`` and ``proxies=`` per request and as session attributes
set at any time; httpx fixes them when the client is built. requests' session methods take
``stream=`` decided at run time and ``**kwargs`` forwarded from callers; httpx's take other
keywords (``follow_redirects``, ``content``) and stream with ``client.stream()``. Where a
program does any of this, asyncify used to keep the session requests (AFY215, the program
in worker threads). Instead, the session becomes a ``RequestsClient`` (this source, added to
the converted program) and such a call ``await session.requests_request(method, url,
...)`` with its arguments as they were:

* ``verify``, ``cert``, ``proxies`` are attributes, settable later, and per-request
  arguments, merged as requests merges them (sessions.py ``merge_environment_settings``:
  the request's value wins, then ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` and the proxy
  environment when ``trust_env``, then the session's); a transport keeps one
  ``httpx.AsyncHTTPTransport`` per (TLS setting, proxy) in use, so connections are pooled
  as before;
* ``requests_request`` takes requests' keywords: ``allow_redirects``, ``stream``,
  ``data`` of any kind requests sends (dict and pairs form-encoded with requests' value
  rules, str/bytes, a file read, an iterable of chunks sent chunked), ``params`` and
  ``headers`` without the ``None`` values requests drops, a ``(connect, read)`` timeout,
  ``auth=None`` meaning the session's.

Not reproduced, and reported where asyncify sees them: per-request ``hooks=`` (raises
TypeError), a streamed response read with ``.content`` before ``await r.aread()`` (httpx
raises ResponseNotRead), requests' CIDR entries in ``no_proxy``.
"""

from __future__ import annotations

from asyncify.findings import Code

CLIENT_CLASS = "RequestsClient"
TRANSPORT_CLASS = "_RequestsTransport"
METHOD = "requests_request"
EXTENSION = "asyncify.requests"
ENCODING_HOOK = "_requests_text_encoding"  # http.py's hook, in the same module
IMPORTS = ("os", "ssl", "urllib.parse", "urllib.request")
# Session attributes httpx takes only in its constructor that a RequestsClient has.
ATTRIBUTES = frozenset({"verify", "cert", "proxies"})

# Comments, not docstrings: a newline inside a string would not follow the file's line
# endings (CRLF).
TRANSPORT_SOURCE = f'''
class {TRANSPORT_CLASS}(httpx.AsyncBaseTransport):
    # Sends each request with the TLS and proxy settings requests would have used for it
    # (RequestsClient puts them in the request's extensions); added by asyncify.

    def __init__(self, trust_env: bool = True) -> None:
        self._trust_env = trust_env
        self._transports: dict[tuple, httpx.AsyncHTTPTransport] = {{}}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        verify, cert, session_proxies, proxies = request.extensions.get(
            "{EXTENSION}", (True, None, {{}}, {{}})
        )
        merged = {{k: v for k, v in session_proxies.items() if v is not None}}
        if self._trust_env:
            environment = urllib.request.getproxies_environment()
            no_proxy = proxies.get("no_proxy") or environment.pop("no", None)
            environment.pop("no", None)
            host = request.url.host
            if no_proxy and host and urllib.request.proxy_bypass_environment(
                host, {{"no": no_proxy}}
            ):
                environment = {{}}
            merged.update({{**environment, **proxies}})
        else:
            merged.update(proxies)
        scheme, host = request.url.scheme, request.url.host
        proxy = None
        for key in (f"{{scheme}}://{{host}}", scheme, f"all://{{host}}", "all"):
            if merged.get(key) is not None:
                proxy = merged[key]
                break
        key = (verify, cert, proxy)
        transport = self._transports.get(key)
        if transport is None:
            context = self._context(verify, cert, self._trust_env)
            transport = httpx.AsyncHTTPTransport(verify=context, proxy=proxy)
            self._transports[key] = transport
        return await transport.handle_async_request(request)

    async def aclose(self) -> None:
        for transport in self._transports.values():
            await transport.aclose()

    @staticmethod
    def _context(verify, cert, trust_env: bool) -> ssl.SSLContext:
        # requests' verify= (False, a CA bundle file or folder, True: certifi) and cert=
        if verify is False:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        elif isinstance(verify, ssl.SSLContext):
            context = verify
        elif isinstance(verify, str) and os.path.isdir(verify):
            context = ssl.create_default_context(capath=verify)
        elif isinstance(verify, str):
            context = ssl.create_default_context(cafile=verify)
        else:
            context = httpx.create_ssl_context(trust_env=trust_env)
        if isinstance(cert, tuple):
            context.load_cert_chain(*cert)
        elif cert:
            context.load_cert_chain(cert)
        return context
'''

CLIENT_SOURCE = f'''
class {CLIENT_CLASS}(httpx.AsyncClient):
    # An httpx.AsyncClient that also does what a requests.Session decided at run
    # time: verify, cert and proxies are attributes (settable later) and per-request
    # arguments, and {METHOD}() takes requests' keyword arguments as they are.
    # Added by asyncify.

    def __init__(
        self, *, verify=True, cert=None, proxies=None, trust_env: bool = True, **kwargs
    ) -> None:
        self.verify = verify
        self.cert = cert
        self.proxies = dict(proxies or {{}})
        # requests' defaults: redirects followed (30 at most), no timeout, its decoding
        kwargs.setdefault("follow_redirects", True)
        kwargs.setdefault("timeout", None)
        kwargs.setdefault("max_redirects", 30)
        kwargs.setdefault("event_hooks", {{"response": [{ENCODING_HOOK}]}})
        super().__init__(
            transport={TRANSPORT_CLASS}(trust_env), trust_env=trust_env, **kwargs
        )

    def _settings(self, verify=None, cert=None, proxies=None) -> tuple:
        if self.trust_env and (verify is True or verify is None):
            environ = os.environ
            bundle = environ.get("REQUESTS_CA_BUNDLE") or environ.get("CURL_CA_BUNDLE")
            verify = bundle or verify
        return (
            self.verify if verify is None else verify,
            self.cert if cert is None else cert,
            dict(self.proxies),
            dict(proxies or {{}}),
        )

    async def send(self, request: httpx.Request, **kwargs) -> httpx.Response:
        request.extensions.setdefault("{EXTENSION}", self._settings())
        return await super().send(request, **kwargs)

    async def {METHOD}(
        self,
        method,
        url,
        params=None,
        data=None,
        headers=None,
        cookies=None,
        files=None,
        auth=None,
        timeout=None,
        allow_redirects=True,
        proxies=None,
        hooks=None,
        stream=None,
        verify=None,
        cert=None,
        json=None,
    ) -> httpx.Response:
        if hooks:
            raise TypeError("hooks= per request: use the client's event_hooks")

        def values(pairs):
            # requests drops None values and sends the others with str() ("True")
            items = pairs.items() if hasattr(pairs, "items") else pairs
            kept = []
            for key, value in items:
                many = value if isinstance(value, (list, tuple)) else [value]
                for one in many:
                    if one is not None:
                        text = isinstance(one, (str, bytes))
                        kept.append((key, one if text else str(one)))
            return kept

        content = None
        if not data and json is not None:  # requests' bytes: json.dumps' default spacing
            from json import dumps  # here: a parameter is named json

            content = dumps(json, allow_nan=False).encode("utf-8")
            given = [*self.headers, *(headers or {{}})]
            if not any(key.lower() == "content-type" for key in given):
                headers = {{**(headers or {{}}), "Content-Type": "application/json"}}
            json = None
        elif isinstance(data, (str, bytes)):
            content, data = data, None
        elif hasattr(data, "read"):
            content, data = data.read(), None
        elif data is not None and not (
            hasattr(data, "items") or isinstance(data, (list, tuple))
        ):
            chunks = data

            async def body():
                for chunk in chunks:
                    yield chunk.encode() if isinstance(chunk, str) else chunk

            content, data = body(), None
        elif data and not files:
            given = [*self.headers, *(headers or {{}})]
            if not any(key.lower() == "content-type" for key in given):
                form = "application/x-www-form-urlencoded"
                headers = {{**(headers or {{}}), "Content-Type": form}}
            content, data = urllib.parse.urlencode(values(data)), None
        elif data:
            data = {{key: value for key, value in values(data)}}
        else:
            data = None
        if content is not None or data:
            json = None  # requests sends data= when both are given
        if isinstance(params, (dict, list, tuple)) or hasattr(params, "items"):
            params = values(params)
        if headers is not None:
            headers = {{k: v for k, v in headers.items() if v is not None}}
        if isinstance(timeout, tuple):
            connect, read = timeout
            timeout = httpx.Timeout(None, connect=connect, read=read, write=read)
        request = self.build_request(
            method,
            url,
            params=params,
            content=content,
            data=data,
            files=files,
            json=json,
            headers=headers,
            cookies=cookies,
            timeout=timeout,
            extensions={{"{EXTENSION}": self._settings(verify, cert, proxies)}},
        )
        return await self.send(
            request,
            auth=httpx.USE_CLIENT_DEFAULT if auth is None else auth,
            follow_redirects=allow_redirects,
            stream=bool(stream),
        )
'''

RUN_TIME_REQUEST = Code(
    "AFY243",
    "requests call with arguments decided at run time: sent through "
    "RequestsClient.requests_request",
    "review it; spell the keywords out with httpx's names to get a plain httpx call",
    doc="""
    A session's request passes arguments asyncify cannot convert one by one because their
    values are known only at run time: `verify=`, `cert=` or `proxies=` per request (httpx
    takes them on the client only), a `stream=` flag held in a variable, or forwarded
    `**kwargs` (which may hold requests-only keywords such as `allow_redirects`).

    The session becomes a `RequestsClient`, an `httpx.AsyncClient` subclass asyncify adds to
    the program, and the call `await session.requests_request(method, url, ...)` with the
    arguments unchanged: it applies them as requests does (TLS and proxy settings per
    request through one pooled transport each; `allow_redirects`, `data` of any kind,
    `None` values dropped, `(connect, read)` timeouts). What still differs: per-request
    `hooks=` raise TypeError, and a response streamed because the flag was true must be
    read with `await response.aread()` before `.content`, `.text` or `.json()`.

    Before:

    ```python
    class Api:
        def __init__(self, verify=True):
            self.session = requests.Session()
            self.verify = verify

        def call(self, method, url, **kwargs):
            return self.session.request(method, url, verify=self.verify, **kwargs)
    ```

    After:

    ```python
    class Api:
        def __init__(self, verify=True):
            self.session = RequestsClient(follow_redirects=True, ...)
            self.verify = verify

        async def call(self, method, url, **kwargs):
            return await self.session.requests_request(method, url, verify=self.verify, **kwargs)
    ```
    """,
)
