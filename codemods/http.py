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

from collections.abc import Sequence
from typing import TYPE_CHECKING

import libcst as cst

from asyncify.codemod import Api, Codemod, dotted
from asyncify.findings import Code

if TYPE_CHECKING:
    from asyncify.rewrite import RewriteState

# -- tables ---------------------------------------------------------------------------
METHODS = ("get", "post", "put", "patch", "delete", "head", "options")
ONE_SHOT = frozenset(f"requests.{m}" for m in (*METHODS, "request"))
SESSION = "requests.Session"
RESPONSE = "requests.Response"
SESSION_CALLS = frozenset(f"{SESSION}.{m}" for m in (*METHODS, "request", "send"))
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
CLIENT_DEFAULTS = (("follow_redirects", "True"), ("timeout", "None"), ("max_redirects", "30"))
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
MARKERS = {"ok": "__asyncify_http_ok__", "url": "__asyncify_http_url__"}

ONE_SHOT_IN_LOOP = Code(
    "AFY201",
    "one-shot requests call re-evaluated within one statement (comprehension, lambda, `while` "
    "test) is left synchronous",
    "move the call into its own statement (e.g. a for loop) so that each call gets its own client",
)
CLIENT_LEVEL_ARG = Code(
    "AFY202",
    "per-request verify=/cert=/proxies= has no httpx equivalent: httpx takes them on the client "
    "only",
    "pass verify=/cert=/proxy= (or mounts=) to the AsyncClient constructor",
)
CUSTOM_AUTH = Code(
    "AFY203",
    "custom requests AuthBase: httpx calls httpx.Auth.auth_flow instead of __call__",
    "subclass httpx.Auth and yield the modified request from auth_flow",
)
HOOKS = Code(
    "AFY204",
    "hooks= has no per-request equivalent: httpx event_hooks are client-level async functions "
    "whose return value is ignored",
    "pass event_hooks={'response': [async_fn]} to the AsyncClient and read the body there if "
    "needed",
)
RETRIES = Code(
    "AFY205",
    "HTTPAdapter/Retry: httpx retries only connection failures, with no status_forcelist or "
    "backoff",
    "use httpx.AsyncHTTPTransport(retries=n) via mounts=, or a retry loop (e.g. tenacity) for "
    "statuses",
)
NO_EQUIVALENT = Code(
    "AFY206",
    "response attribute has no httpx equivalent",
    "read r.content / r.headers instead, or decode with charset_normalizer",
)
OS_ERROR = Code(
    "AFY207",
    "`except OSError` around converted requests calls: requests' errors are OSErrors, httpx's are "
    "not",
    "add httpx.HTTPError (and httpx.InvalidURL) to the except clause",
)
QUERY_REPLACED = Code(
    "AFY208",
    "params= on a URL that already has a query: httpx 0.28 replaces the query, requests merges it",
    "merge explicitly: httpx.URL(url).copy_merge_params(params)",
)
TUPLE_DATA = Code(
    "AFY209",
    "data= as a list of pairs: httpx takes a dict of lists, and the field order may change",
    "pass data={key: [values]} if the field order does not matter",
)
MULTIPART_FILES = Code(
    "AFY210",
    "files=: httpx reads multipart files synchronously; an async (aiofiles) handle there hangs",
    "keep the open() that feeds files= synchronous (mark it `# asyncify: skip`)",
)
STREAMING = Code(
    "AFY211",
    "streamed response (stream=True, iter_content, iter_lines) is not converted",
    "use `async with client.stream(method, url) as r:` with `async for chunk in r.aiter_bytes(n)` "
    "(aiter_lines yields str)",
)
APPROXIMATE_EXCEPTION = Code(
    "AFY212",
    "requests exception without an exact httpx counterpart",
    "SSLError: catch httpx.ConnectError and inspect the cause; RetryError: catch the errors your "
    "retry loop raises",
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
        *(Api(name, returns=RESPONSE) for name in sorted(SESSION_CALLS)),
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
    )
    ALIASES = {
        "requests.api": "requests",
        "requests.sessions.Session": SESSION,
        "requests.sessions.session": "requests.session",
        "requests.models.Response": RESPONSE,
        "requests.exceptions": "requests",
    }

    def __init__(self, state: RewriteState) -> None:
        super().__init__(state)
        self.elifs: set[int] = set()  # ids of `elif` If nodes
        self.used_names: set[str] = set()
        self.statements: list[_Statement] = []
        self.comprehensions = 0
        self.converted: list[tuple[int, int]] = []  # positions of converted requests calls
        self.client_names: list[str] = []
        self.response_params: list[set[str]] = []
        self.keeps_requests: list[bool] = []  # per function: a sync one keeping requests calls
        self.finish = False  # placeholders for _Finish to replace
        self.checks: set[int] = set()  # ids of raise_for_status conditionals we made
        self.one_shot = False

    # -- names ----------------------------------------------------------------------
    def visit_Module(self, node: cst.Module) -> None:
        class Names(cst.CSTVisitor):
            def __init__(self, out: set[str]) -> None:
                super().__init__()
                self.out = out

            def visit_Name(self, node: cst.Name) -> None:
                self.out.add(node.value)

        node.visit(Names(self.used_names))

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
            self.client_names.append(self.fresh("client"))
        return self.client_names[index]

    def qualified(self, node: cst.BaseExpression) -> str:
        """Qualified name of a ``Name``/``a.b`` expression from this file's imports."""
        parts: list[str] = []
        while isinstance(node, cst.Attribute):
            parts.append(node.attr.value)
            node = node.value
        if not isinstance(node, cst.Name) or node.value not in self.state.bindings:
            return ""
        module, obj, _ = self.state.bindings[node.value]
        head = f"{module}.{obj}" if obj else module
        name = ".".join([head, *reversed(parts)])
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
        result: cst.BaseStatement = updated_node
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

    def _client(self, extra: Sequence[cst.Arg]) -> cst.Call:
        args = [
            cst.Arg(keyword=cst.Name(k), value=cst.parse_expression(v)) for k, v in CLIENT_DEFAULTS
        ]
        if not any(a.keyword and a.keyword.value == "verify" for a in extra):
            args.append(cst.Arg(keyword=cst.Name("verify"), value=cst.Name(SSL_CONTEXT)))
        args.extend(a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in extra)
        return cst.Call(func=dotted("httpx.AsyncClient"), args=_commas(args))

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
        if self.finish:
            updated_node = updated_node.visit(_Finish())
        if not self.one_shot:
            return updated_node
        # After the leading docstring and imports: LibCST adds `import httpx` before it.
        body = list(updated_node.body)
        at = 0
        for i, stmt in enumerate(body):
            if isinstance(stmt, cst.SimpleStatementLine) and (
                all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body)
                or (
                    i == 0
                    and isinstance(stmt.body[0], cst.Expr)
                    and isinstance(stmt.body[0].value, cst.SimpleString)
                )
            ):
                at = i + 1
            else:
                break
        context = cst.parse_statement(
            f"{SSL_CONTEXT} = httpx.create_ssl_context()  # shared by the one-shot clients\n"
        )
        body.insert(at, context)
        return updated_node.with_changes(body=body)

    # -- calls ----------------------------------------------------------------------
    def leave_Call(
        self, original_node: cst.Call, updated_node: cst.BaseExpression
    ) -> cst.BaseExpression:
        if not isinstance(updated_node, cst.Call):
            return updated_node
        name = self.name_of(original_node.func)
        if name in ADAPTERS:
            self.report(RETRIES, original_node, f"`{name}`")
            return updated_node
        if name in AUTH_CLASSES and self._responses_converted():
            self._import_httpx(original_node.func)
            return updated_node.with_changes(func=dotted(AUTH_CLASSES[name]))
        if name in SESSION_CONSTRUCTORS:
            if not self.state.plan.async_functions:
                return updated_node
            self._import_httpx(original_node.func)
            args = [
                cst.Arg(keyword=cst.Name(k), value=cst.parse_expression(v))
                for k, v in CLIENT_DEFAULTS
            ]
            return updated_node.with_changes(func=dotted("httpx.AsyncClient"), args=_commas(args))
        if name == f"{RESPONSE}.raise_for_status":
            return self._raise_for_status(original_node, updated_node)
        if name.startswith(f"{RESPONSE}.") and name.rpartition(".")[2] in RESPONSE_STREAMING:
            self.report(STREAMING, original_node, f"`.{name.rpartition('.')[2]}()`")
            return updated_node
        if name in ONE_SHOT or name in SESSION_CALLS or name == f"{SESSION}.close":
            if not self.should_convert(original_node):
                return updated_node
            return self._request(original_node, updated_node, name)
        return updated_node

    def _import_httpx(self, func: cst.BaseExpression) -> None:
        self.add_import("httpx")
        self.remove_import_of(func)

    def _request(self, original: cst.Call, updated: cst.Call, name: str) -> cst.BaseExpression:
        method = name.rpartition(".")[2]
        func = updated.func
        if method == "close":
            assert isinstance(func, cst.Attribute)
            self.converted.append(self._pos(original))
            return cst.Await(
                expression=updated.with_changes(func=func.with_changes(attr=cst.Name("aclose")))
            )
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
        args, client_args = self._arguments(original, updated, method, one_shot)
        if args is None:
            return updated
        if one_shot:
            assert frame is not None
            owner = frame.owner or frame
            client = self._client_name(len(owner.clients))
            owner.clients.append((client, client_args))
            self.one_shot = True
            self._import_httpx(original.func)
            receiver: cst.BaseExpression = cst.Name(client)
        else:
            assert isinstance(func, cst.Attribute)
            receiver = func.value
        self.converted.append(self._pos(original))
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
            if key == "allow_redirects":
                follow_given = True
                args.append(arg.with_changes(keyword=cst.Name("follow_redirects")))
            elif key in ("verify", "cert") and one_shot:
                client_args.append(arg)
            elif key in ("verify", "cert", "proxies"):
                self.report(CLIENT_LEVEL_ARG, orig, f"`{key}=`")
                args.append(arg)
            elif key == "hooks":
                self.report(HOOKS, orig)
                args.append(arg)
            elif key == "stream":
                self.report(STREAMING, orig, "`stream=`")
                args.append(arg)
            elif key == "files":
                self.report(MULTIPART_FILES, orig)
                args.append(arg)
            elif key == "params" and url is not None and _has_query(url):
                self.report(QUERY_REPLACED, orig)
                args.append(arg)
            elif key == "data":
                args.append(self._data(orig, arg))
            elif key == "auth":
                self._auth(orig)
                args.append(arg)
            else:
                args.append(arg)
        if method == "head" and not follow_given:
            args.append(
                cst.Arg(keyword=cst.Name("follow_redirects"), value=cst.Name("False"), equal=_EQ)
            )
        return args, client_args

    def _data(self, orig: cst.Arg, arg: cst.Arg) -> cst.Arg:
        value = orig.value
        if isinstance(value, (cst.List, cst.Tuple)) and value.elements:
            self.report(TUPLE_DATA, orig)
            return arg
        if isinstance(value, cst.SimpleString):
            # httpx encodes a str content= as UTF-8, as urllib3 2 does a str body (INT;
            # MAPPING.md §A2's latin-1 holds for urllib3 1.x only).
            content: cst.BaseExpression = arg.value
            return arg.with_changes(keyword=cst.Name("content"), value=content)
        return arg

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
        name = self.name_of(original_node)
        value = original_node.value
        if not name and isinstance(value, cst.Name) and self.response_params:
            if value.value in self.response_params[-1]:
                name = f"{RESPONSE}.{original_node.attr.value}"
        if not name.startswith(f"{RESPONSE}.") or not self._responses_converted():
            return updated_node
        member = name.rpartition(".")[2]
        if member in ("ok", "url"):
            self.finish = True
            return updated_node.with_changes(attr=cst.Name(MARKERS[member]))
        if member in RESPONSE_RENAMED:
            return updated_node.with_changes(attr=cst.Name(RESPONSE_RENAMED[member]))
        if member in RESPONSE_MISSING:
            self.report(NO_EQUIVALENT, original_node, f"`.{member}`")
        return updated_node

    def _responses_converted(self) -> bool:
        """Responses here come from httpx: inside async code, or in a synchronous function
        of a converting module (a helper taking a response as a parameter) unless that
        function keeps its own requests calls (pinned)."""
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
        return updated_node

    def leave_Annotation(
        self, original_node: cst.Annotation, updated_node: cst.Annotation
    ) -> cst.Annotation:
        target = {RESPONSE: "httpx.Response", SESSION: "httpx.AsyncClient"}.get(
            self.qualified(original_node.annotation)
        )
        if target is None or not self._responses_converted():
            return updated_node
        self._import_httpx(original_node.annotation)
        return updated_node.with_changes(annotation=dotted(target))

    # -- with / except / classes ------------------------------------------------------
    def leave_With(self, original_node: cst.With, updated_node: cst.With) -> cst.BaseStatement:
        if self.in_async() and any(
            isinstance(item.item, cst.Call) and self.name_of(item.item.func) in SESSION_CONSTRUCTORS
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
                    self.report(OS_ERROR, handler)
        return updated_node

    def leave_ExceptHandler(
        self, original_node: cst.ExceptHandler, updated_node: cst.ExceptHandler
    ) -> cst.ExceptHandler:
        if original_node.type is None or not self.in_async():
            return updated_node
        elements = _flatten(original_node.type)
        mapped: list[str] = []
        changed = False
        for element in elements:
            name = self.qualified(element)
            if name in EXCEPTIONS:
                mapped.extend(EXCEPTIONS[name])
                self.remove_import_of(element)
                changed = True
            else:
                if name in APPROXIMATE_EXCEPTIONS:
                    self.report(APPROXIMATE_EXCEPTION, element, f"`{name}`")
                mapped.append(cst.Module([]).code_for_node(element))
        if not changed:
            return updated_node
        unique = list(dict.fromkeys(mapped))
        for name in unique:
            if name.startswith("httpx."):
                self.add_import("httpx")
            elif name.startswith("json."):
                self.add_import("json")
        text = unique[0] if len(unique) == 1 else "(" + ", ".join(unique) + ")"
        return updated_node.with_changes(type=cst.parse_expression(text))

    def leave_ClassDef(
        self, original_node: cst.ClassDef, updated_node: cst.ClassDef
    ) -> cst.ClassDef:
        if any(self.qualified(base.value) == AUTH_BASE for base in original_node.bases):
            self.report(CUSTOM_AUTH, original_node, f"`{original_node.name.value}`")
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
        self.clients: list[tuple[str, list[cst.Arg]]] = []


_EQ = cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace(""))


def _commas(args: Sequence[cst.Arg]) -> list[cst.Arg]:
    out = []
    for i, arg in enumerate(args):
        if arg.keyword is not None:
            arg = arg.with_changes(equal=_EQ)
        comma: cst.Comma | cst.MaybeSentinel = (
            cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            if i < len(args) - 1
            else cst.MaybeSentinel.DEFAULT
        )
        out.append(arg.with_changes(comma=comma))
    return out


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
        if id(expr) in self.made and isinstance(expr, cst.UnaryOperation):
            return expr.with_changes(lpar=[], rpar=[])
        return expr

    def leave_UnaryOperation(
        self, original_node: cst.UnaryOperation, updated_node: cst.UnaryOperation
    ) -> cst.BaseExpression:
        inner = updated_node.expression
        if isinstance(updated_node.operator, cst.Not) and id(inner) in self.made:
            assert isinstance(inner, cst.UnaryOperation)  # `not r.ok` → `r.is_error`
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
