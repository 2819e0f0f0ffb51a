"""Test doubles follow the conversion: awaitable ``mock.patch``, HTTP mocks → respx.

A test suite converted along with its project keeps mocking what it mocked:

* ``mock.patch("pkg.mod.fetch")`` / ``patch.object(Client, "get")`` (``unittest.mock``,
  ``mock``, pytest-mock's ``mocker.patch``) of a function that becomes async gets
  ``new_callable=AsyncMock`` (https://docs.python.org/3/library/unittest.mock.html#unittest.mock.AsyncMock):
  awaiting the mock's call gives its ``return_value``, raises its ``side_effect`` exception
  or returns the next item of a ``side_effect`` iterable, as calling the ``MagicMock`` did.
  (``patch`` picks ``AsyncMock`` by itself for an ``async def`` target; the explicit
  argument says so and survives a ``spec``-less refactoring.) ``new=Mock(...)`` and
  ``new_callable=MagicMock`` become ``AsyncMock``; any other ``new=`` is reported (AFY901).
* A patch of a blocking API that the converted code no longer calls (``requests.get`` is
  now ``httpx``) would silently stop intercepting: it is reported (AFY902), except
  ``time.sleep``, retargeted to ``asyncio.sleep`` where that intercepts the same calls
  (``Api.replaced_by``; the plan checks the conditions).
* ``responses`` (https://github.com/getsentry/responses) and ``requests_mock``
  (https://requests-mock.readthedocs.io) mocks in tests whose HTTP calls now go through
  httpx become respx routes (https://lundberg.github.io/respx/guide/), where the two
  libraries match requests the same way (docs/mocks.md); the rest is reported (AFY904).

The plan says which patch targets change (``ModulePlan.patches``) and which async
functions reach converted ``requests`` calls (``ModulePlan.reaches``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import libcst as cst

from asyncify.codemod import COMMA, Api, Codemod, commas, dotted, keyword_arg
from asyncify.findings import Code
from asyncify.libcst_command import command_for

if TYPE_CHECKING:
    from asyncify.plan import ModulePlan
    from asyncify.rewrite import RewriteState

# -- tables ---------------------------------------------------------------------------
MOCK_MODULES = ("unittest.mock", "mock")
PLAIN_MOCKS = frozenset(f"{m}.{c}" for m in MOCK_MODULES for c in ("Mock", "MagicMock"))
ASYNC_MOCKS = frozenset(f"{m}.AsyncMock" for m in MOCK_MODULES)
SPEC_ARGS = frozenset({"spec", "spec_set", "autospec"})  # patch derives AsyncMock from them
HTTP_METHODS = ("get", "post", "put", "patch", "delete", "head", "options")
RESPONSES_ADD = "responses.add"
RESPONSES_CONSTANTS = {f"responses.{m.upper()}": m for m in HTTP_METHODS}
RESPONSES_SHORTCUTS = {f"responses.{m}": m for m in HTTP_METHODS}
RESPONSES_ACTIVATE = "responses.activate"
RESPONSES_CALLS = "responses.calls"
RESPONSES_ARGS = frozenset({"json", "body", "status", "headers", "content_type"})
MOCKER = "requests_mock.Mocker"
MOCKERS = frozenset({MOCKER, "requests_mock.mock"})
MOCKER_FIXTURE = "requests_mock"  # the pytest fixture requests-mock ships
MOCKER_ARGS = frozenset({"json", "text", "content", "status_code", "headers"})
MOCKER_COUNTS = frozenset({"called", "call_count"})  # on respx, members of `.calls`
MOCKER_METHODS = frozenset({*HTTP_METHODS, "request", "register_uri"})
FIRED = "assert_all_requests_are_fired"  # responses.activate(...)'s; False by default
NOT_ALL_CALLED = "assert_all_called=False"  # requests_mock never checks that
ROUTER = "respx_mock"  # the name respx passes its router by (decorator and pytest fixture)

PATCH_NOT_AWAITABLE = Code(
    "AFY901",
    "patch replaces a function that became async with something that cannot be awaited",
    "pass an AsyncMock (`new_callable=AsyncMock`, `new=AsyncMock(...)`) or an async def",
    doc="""
    A `mock.patch` / `patch.object` replaces a function that became `async def` with a
    value of its own (`new=some_function`, `new=lambda: 1`, `new_callable=Factory`). The
    converted code now awaits what it calls: a plain function's result cannot be awaited,
    so the test would fail with `TypeError: object ... can't be used in 'await' expression`.

    asyncify rewrites `new=Mock(...)` / `MagicMock(...)` and `new_callable=Mock/MagicMock`
    into `AsyncMock` (same arguments: awaiting its call gives `return_value`, raises the
    `side_effect` exception, or returns the next `side_effect` item). Anything else is left
    to you.

    Before:

    ```python
    with patch("shop.client.fetch_price", new=lambda sku: 3):
        assert total(["a", "b"]) == 6
    ```

    After:

    ```python
    async def fake_price(sku):
        return 3

    with patch("shop.client.fetch_price", new=fake_price):
        assert await total(["a", "b"]) == 6
    ```
    """,
)
PATCH_NOT_CALLED = Code(
    "AFY902",
    "patch of a blocking API that the converted code no longer calls",
    "mock what the converted code calls (respx for httpx, the async function itself)",
    doc="""
    A test patches a blocking API (`requests.get`, `open`, `psycopg2.connect`, ...) that
    asyncify replaced in the code under test: the converted code calls httpx, aiofiles or
    asyncpg instead, so the patch intercepts nothing any more. The test would run the real
    thing (network, files, database) or pass without testing what it tested.

    A patch of `time.sleep` (the module attribute: `"time.sleep"`, `"pkg.mod.time.sleep"`,
    `patch.object(time, "sleep")`) becomes `patch("asyncio.sleep", new_callable=AsyncMock)`
    when that intercepts exactly the same calls: every `time.sleep` call of the project
    became `await asyncio.sleep(...)`, none was spelled `from time import sleep` (a patch of
    the module attribute never intercepted those; one of `asyncio.sleep` would), and the
    project called `asyncio.sleep` nowhere before. Otherwise, and for a patch of a name
    imported into one module (`patch("pkg.worker.sleep")`), the patch is reported.

    Before:

    ```python
    @patch("requests.get")
    def test_price(get):
        get.return_value.json.return_value = {"price": 3}
        assert price("a") == 3
    ```

    After (mock the HTTP layer the converted code uses, or the project function):

    ```python
    @respx.mock
    async def test_price():
        respx.get(f"{API}/price/a").mock(return_value=httpx.Response(200, json={"price": 3}))
        assert await price("a") == 3
    ```
    """,
)
PATCH_ASYNC_GENERATOR = Code(
    "AFY903",
    "patch replaces a generator that became an async generator",
    "give the mock an async iterator: `new=` an `async def` generator",
    doc="""
    A `mock.patch` replaces a generator function that became an async generator. The
    converted code iterates it with `async for`, which a `MagicMock` (or an `AsyncMock`,
    whose call returns a coroutine) does not support, so asyncify leaves the patch as it is.

    Before:

    ```python
    with patch("feed.lines", return_value=iter(["a", "b"])):
        assert collect() == ["a", "b"]
    ```

    After:

    ```python
    async def fake_lines(*args):
        for line in ["a", "b"]:
            yield line

    with patch("feed.lines", new=fake_lines):
        assert await collect() == ["a", "b"]
    ```
    """,
)
PATCH_CLASS = Code(
    "AFY905",
    "patch replaces a class whose methods became async",
    "make the methods the test uses AsyncMocks (`Mock.return_value.fetch = AsyncMock(...)`)",
    doc="""
    A `mock.patch` replaces a class (`patch("shop.client.Client")`) some of whose methods
    became `async def`. The patch gives a `MagicMock` class; its instances' methods are
    `MagicMock`s, whose results the converted code now awaits:
    `TypeError: object MagicMock can't be used in 'await' expression`.

    asyncify does not add `autospec=True` (which would make those methods `AsyncMock`s): it
    also checks every call's signature and forbids attributes the class does not have, so
    the test would check more than it did. Configure the methods the test uses as
    `AsyncMock`s.

    Before:

    ```python
    @patch("shop.cart.Client")
    def test_total(client_class):
        client_class.return_value.price.return_value = 3
        assert total(["a"]) == 3
    ```

    After:

    ```python
    @patch("shop.cart.Client")
    async def test_total(client_class):
        client_class.return_value.price = AsyncMock(return_value=3)
        assert await total(["a"]) == 3
    ```
    """,
)
REQUESTS_ERROR = Code(
    "AFY907",
    "a mock raises a requests exception into code converted to httpx or aiohttp",
    "raise the exception the converted code catches (e.g. httpx.HTTPStatusError), "
    "or build it from a real response",
    doc="""
    A `mock.patch(..., side_effect=requests.HTTPError(...))` (or `return_value=`) makes the
    patched function raise one of requests' exceptions. After the conversion the code around
    it catches httpx's (or aiohttp's) exceptions instead, so the exception goes uncaught and
    the test fails. asyncify cannot build the new exception for you: httpx's
    `HTTPStatusError` needs the request and the response it is about.

    Before (the code under test catches `requests.HTTPError`):

    ```python
    @mock.patch("weather.fetch_temp", side_effect=requests.HTTPError("x"))
    def test_fallback(fetch):
        assert weather.report("Oslo") == "unknown"
    ```

    After (it catches `httpx.HTTPStatusError`):

    ```python
    @mock.patch("weather.fetch_temp", new_callable=AsyncMock)
    async def test_fallback(fetch):
        request = httpx.Request("GET", "http://test")
        fetch.side_effect = httpx.HTTPStatusError(
            "x", request=request, response=httpx.Response(500, request=request)
        )
        assert await weather.report("Oslo") == "unknown"
    ```
    """,
)
PLAIN_MOCK_AWAITED = Code(
    "AFY908",
    "a plain Mock is passed to code that became async",
    "give the mock AsyncMock methods for what the code awaits (`m.load = AsyncMock(...)`)",
    doc="""
    A test builds a `Mock()` / `MagicMock()` and passes it to a function that became async.
    The converted function awaits the methods it calls on that object (`await
    cache.load(key)`), but a plain Mock's methods return plain values, so the await raises
    `TypeError: object ... can't be used in 'await' expression`. asyncify cannot tell which
    of the mock's methods the code awaits; set those to `AsyncMock`.

    Before:

    ```python
    def test_warm():
        cache = mock.Mock()
        cache.load.return_value = 5
        assert warm(cache, ["a"]) == {"a": 5}
    ```

    After:

    ```python
    async def test_warm():
        cache = mock.Mock()
        cache.load = mock.AsyncMock(return_value=5)
        assert await warm(cache, ["a"]) == {"a": 5}
    ```
    """,
)
REQUESTS_EXCEPTIONS = frozenset(
    f"{module}.{name}"
    for module in ("requests", "requests.exceptions")
    for name in (
        "HTTPError",
        "ConnectionError",
        "Timeout",
        "RequestException",
        "ConnectTimeout",
        "ReadTimeout",
        "TooManyRedirects",
    )
)
HTTP_MOCK_KEPT = Code(
    "AFY904",
    "requests mock not converted to respx",
    "mock the request with respx (`respx.get(url).mock(return_value=httpx.Response(...))`)",
    doc="""
    A test whose HTTP calls asyncify would convert to httpx uses `responses` or
    `requests_mock` in a way that has no exact respx counterpart. Those libraries only
    intercept `requests`, so the mock would no longer apply to converted code: the whole
    program keeps requests instead (its calls in async code run in worker threads, AFY217),
    where the mock still applies and the test still tests what it did. Convert the mock to
    respx by hand and run asyncify again for native httpx. What is converted
    (docs/mocks.md): `@responses.activate`,
    `responses.add(METHOD, url, json=/body=/status=/headers=/content_type=)` and its
    shortcuts (`responses.get(...)`), `len(responses.calls)`; `requests_mock.Mocker()` as a
    context manager or bare decorator, the `requests_mock` pytest fixture, their
    `.get(url, json=/text=/content=/status_code=/headers=)` registrations and
    `.called`/`.call_count`.

    With `--http-client aiohttp` nothing is converted (respx mocks httpx only): each test
    using these mocks gets this finding, and the program keeps requests.

    Not converted, with the reason in the finding: the same URL registered twice with
    `responses` (it returns the registrations in turn; a respx route keeps one), query
    strings and upper-case paths with `requests_mock` (it matches a subset of the query,
    case-insensitively), a URL without a path (respx would match every path), callbacks,
    matchers, exceptions as bodies, `responses.calls[...]` details, `request_history`.

    Before:

    ```python
    @responses.activate
    def test_price():
        responses.add(responses.GET, f"{API}/price/a", json={"price": 3})
        responses.add(responses.GET, f"{API}/price/a", json={"price": 4})
        assert [price("a"), price("a")] == [3, 4]
    ```

    After:

    ```python
    @respx.mock
    async def test_price():
        respx.get(f"{API}/price/a").mock(
            side_effect=[httpx.Response(200, json={"price": 3}),
                         httpx.Response(200, json={"price": 4})]
        )
        assert [await price("a"), await price("a")] == [3, 4]
    ```
    """,
)


@dataclass
class _Function:
    """What the mock rewrite knows about the function it is in."""

    converting: bool  # its requests calls became httpx, and its HTTP mocks convert
    mockers: set[str] = field(default_factory=set)  # names bound to requests_mock mockers
    rename: str = ""  # the mocker parameter that becomes `respx_mock`
    plain_mocks: set[str] = field(default_factory=set)  # names bound to `Mock()`/`MagicMock()`
    reported: set[str] = field(default_factory=set)


class _Uses(cst.CSTVisitor):
    """The calls, attributes and ``with`` items of a function, for the HTTP-mock scan."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[cst.Call] = []
        self.attributes: list[cst.Attribute] = []
        self.with_items: list[cst.WithItem] = []
        self.statements: set[int] = set()  # calls that are a whole statement
        self.lengths: set[int] = set()  # sole arguments of len(...)

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append(node)
        if isinstance(node.func, cst.Name) and node.func.value == "len" and len(node.args) == 1:
            self.lengths.add(id(node.args[0].value))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.attributes.append(node)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        self.with_items.append(node)

    def visit_Expr(self, node: cst.Expr) -> None:
        self.statements.add(id(node.value))


class Mocks(Codemod):
    NAME = "mocks"
    DESCRIPTION = "tests: mock.patch of async targets → AsyncMock; responses/requests_mock → respx"
    # Typed, so that `m.get(...)` on a mocker is not a call on a value of unknown type
    # (which would keep every project method named `post`, `put`... synchronous).
    APIS = (
        *(Api(name, returns=MOCKER, blocking=False) for name in sorted(MOCKERS)),
        Api(f"{MOCKER}.__enter__", returns=MOCKER, blocking=False),
    )
    FIXTURES = {MOCKER_FIXTURE: MOCKER}

    def __init__(self, state: RewriteState) -> None:
        super().__init__(state)
        self.functions: list[_Function] = []
        self.mocker_contexts: set[int] = set()  # `requests_mock.Mocker()` in a with item
        # Most modules that reach requests are the library itself: nothing to scan there.
        source = state.source
        self.http_mocks = "responses" in source or "requests_mock" in source
        self.httpx = state.options.http_client == "httpx"  # respx mocks httpx only

    @classmethod
    def concerns_plan(cls, plan: ModulePlan) -> bool:
        return bool(plan.patches or plan.pytest_tests or plan.testcases) or any(
            "requests" in r for r in plan.reaches.values()
        )

    def visit_Assign(self, node: cst.Assign) -> None:
        """``m = Mock()`` in a test: remembered, in case it is handed to code that awaits."""
        if (
            self.functions
            and len(node.targets) == 1
            and isinstance(node.targets[0].target, cst.Name)
            and isinstance(node.value, cst.Call)
            and self.imported_name(node.value.func) in PLAIN_MOCKS
        ):
            self.functions[-1].plain_mocks.add(node.targets[0].target.value)

    def _plain_mock_passed(self, call: cst.Call) -> None:
        """A plain Mock passed to a function that became async: the converted function
        awaits the mock's methods, which return plain values (TypeError at the await)."""
        here = self.functions[-1] if self.functions else None
        pos = self.state.end(call.func)
        site = self.state.plan.awaits.get(pos) if pos and here and here.plain_mocks else None
        if site is None or site.generator or here is None:
            return
        for arg in call.args:
            name = arg.value.value if isinstance(arg.value, cst.Name) else ""
            if name in here.plain_mocks and name not in here.reported:
                here.reported.add(name)
                self.report(PLAIN_MOCK_AWAITED, arg.value, f"`{name}`")

    def _here(self) -> _Function | None:
        here = self.functions[-1] if self.functions else None
        return here if here is not None and here.converting else None

    # -- functions: all of a test's HTTP mocks convert, or none ------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        qualname = self.state.frames[-1].qualname
        reaches = self.state.plan.reaches.get(qualname, ())
        here = _Function(self.http_mocks and "requests" in reaches)
        self.functions.append(here)
        if not here.converting:
            return
        if not self.httpx:  # aiohttp, httpx2: no respx counterpart to convert to
            here.converting = False
            if self._uses_http_mocks(node):
                client = self.state.options.http_client
                self.report(HTTP_MOCK_KEPT, node, f"respx does not mock {client}")
            return
        problems = self._scan(node, here)
        for where, why in problems:
            self.report(HTTP_MOCK_KEPT, where, why)
        if problems:  # half a conversion would mix two mocking libraries
            here.converting = False

    def _scan(self, node: cst.FunctionDef, here: _Function) -> list[tuple[cst.CSTNode, str]]:
        """Why this function's responses/requests_mock uses cannot all become respx."""
        problems: list[tuple[cst.CSTNode, str]] = []
        params = [*node.params.posonly_params, *node.params.params]
        names = {p.name.value for p in [*params, *node.params.kwonly_params]}
        for i, decorator in enumerate(node.decorators):
            expr = decorator.decorator
            target = expr.func if isinstance(expr, cst.Call) else expr
            name = self.imported_name(target)
            if name == RESPONSES_ACTIVATE and isinstance(expr, cst.Call):
                # `respx.mock(...)` would be a router of its own, not the `respx.get`
                # one: only the default (not asserting) converts, to bare `respx.mock`.
                if any(
                    a.keyword is None or a.keyword.value != FIRED or _literal_value(a) is not False
                    for a in expr.args
                ):
                    problems.append((expr, "`responses.activate` with arguments"))
            elif name in MOCKERS:
                # requests_mock appends the mocker to the arguments; respx passes it as
                # `respx_mock=` only to the function right below it (it reads the
                # signature), so only an innermost, plain `Mocker()` converts.
                if not isinstance(expr, cst.Call) or expr.args or not params:
                    problems.append((expr, "a `Mocker` decorator with arguments"))
                elif i != len(node.decorators) - 1:
                    problems.append((expr, "a `Mocker` decorator above other decorators"))
                else:
                    here.rename = params[-1].name.value
        if not here.rename and MOCKER_FIXTURE in names:
            here.rename = MOCKER_FIXTURE
        if here.rename and ROUTER in names:
            problems.append((node, f"`{ROUTER}` is already a parameter"))
        if here.rename:
            here.mockers.add(here.rename)
        uses = _Uses()
        node.body.visit(uses)
        for item in uses.with_items:
            call = item.item
            if isinstance(call, cst.Call) and self.imported_name(call.func) in MOCKERS:
                if call.args or item.asname is None or not isinstance(item.asname.name, cst.Name):
                    problems.append((call, "a `Mocker` with arguments or without `as`"))
                else:
                    here.mockers.add(item.asname.name.value)
                    self.mocker_contexts.add(id(call))
        registered: set[tuple[str, str]] = set()
        for call in uses.calls:
            why = self._call_problem(call, here, uses, registered)
            if why:
                problems.append((call, why))
        for attribute in uses.attributes:
            why = self._attribute_problem(attribute, here, uses)
            if why:
                problems.append((attribute, why))
        return problems

    def _uses_http_mocks(self, node: cst.FunctionDef) -> bool:
        uses = _Uses()
        node.visit(uses)
        names = {p.name.value for p in [*node.params.params, *node.params.kwonly_params]}
        return MOCKER_FIXTURE in names or any(
            self.imported_name(n).partition(".")[0] in ("responses", "requests_mock")
            for n in [*uses.attributes, *(c.func for c in uses.calls)]
        )

    def _call_problem(
        self, call: cst.Call, here: _Function, uses: _Uses, registered: set[tuple[str, str]]
    ) -> str:
        mocker_method = _mocker_method(call, here)
        if mocker_method:
            spec = self._mocker_spec(call, mocker_method)
            return spec if isinstance(spec, str) else ""
        name = self.imported_name(call.func)
        if name == RESPONSES_ADD or name in RESPONSES_SHORTCUTS:
            spec = self._responses_spec(call, name)
            if isinstance(spec, str):
                return spec
            if id(call) not in uses.statements:
                return "the result of `responses.add` is used"
            key = (spec[0], cst.Module([]).code_for_node(spec[1]))
            if key in registered:
                return "the same URL registered twice (responses returns them in turn)"
            registered.add(key)
            return ""
        if id(call) in self.mocker_contexts:
            return ""
        if name.partition(".")[0] in ("responses", "requests_mock"):
            return f"`{name}`"
        return ""

    def _attribute_problem(self, attribute: cst.Attribute, here: _Function, uses: _Uses) -> str:
        if self.imported_name(attribute) == RESPONSES_CALLS and id(attribute) not in uses.lengths:
            return "`responses.calls` beyond `len()`"
        value = attribute.value
        if isinstance(value, cst.Name) and value.value in here.mockers:
            attr = attribute.attr.value
            if attr not in MOCKER_COUNTS and attr not in MOCKER_METHODS:
                return f"`.{attr}` of a requests_mock mocker"
        return ""

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        here = self.functions.pop()
        if not here.converting:
            return updated_node
        decorators = [self._decorator(d, here) for d in updated_node.decorators]
        updated_node = updated_node.with_changes(decorators=decorators)
        if here.rename:
            renamed = updated_node.visit(_Rename(here.rename, ROUTER))
            assert isinstance(renamed, cst.FunctionDef)
            updated_node = renamed
        return updated_node

    def _decorator(self, decorator: cst.Decorator, here: _Function) -> cst.Decorator:
        expr = decorator.decorator
        target = expr.func if isinstance(expr, cst.Call) else expr
        name = self.imported_name(target)
        if name == RESPONSES_ACTIVATE:
            # The global router, which `respx.get` registers routes on and which, like
            # `activate`, does not assert that every registered response was requested.
            new: cst.BaseExpression = dotted("respx.mock")
        elif name in MOCKERS and here.rename:
            new = cst.parse_expression(f"respx.mock({NOT_ALL_CALLED})")
        else:
            return decorator
        self.add_import("respx")
        self.remove_import_of(target)
        return decorator.with_changes(decorator=new)

    # -- calls and attributes ----------------------------------------------------------
    def leave_Call(
        self, original_node: cst.Call, updated_node: cst.BaseExpression
    ) -> cst.BaseExpression:
        if not isinstance(updated_node, cst.Call):
            return updated_node
        self._plain_mock_passed(original_node)
        pos = self.state.end(original_node.func)
        change = self.state.plan.patches.get(pos) if pos else None
        if change:
            return self._patch(original_node, updated_node, change)
        here = self._here()
        if here is None:
            return updated_node
        if id(original_node) in self.mocker_contexts:
            self.add_import("respx")
            self.remove_import_of(original_node.func)
            return cst.parse_expression(f"respx.mock({NOT_ALL_CALLED})")
        method = _mocker_method(original_node, here)
        if method:
            spec = self._mocker_spec(updated_node, method)
            func = updated_node.func
            if isinstance(spec, str) or not isinstance(func, cst.Attribute):
                return updated_node
            return self._route(func.value, *spec)
        name = self.imported_name(original_node.func)
        if name == RESPONSES_ADD or name in RESPONSES_SHORTCUTS:
            spec = self._responses_spec(updated_node, name)
            if isinstance(spec, str):
                return updated_node
            self.remove_import_of(original_node.func)
            return self._route(dotted("respx"), *spec)
        return updated_node

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.BaseExpression
    ) -> cst.BaseExpression:
        here = self._here()
        if here is None or not isinstance(updated_node, cst.Attribute):
            return updated_node
        if self.imported_name(original_node) == RESPONSES_CALLS:
            self.add_import("respx")
            self.remove_import_of(original_node)
            return dotted("respx.calls")
        value = original_node.value
        if (
            isinstance(value, cst.Name)
            and value.value in here.mockers
            and original_node.attr.value in MOCKER_COUNTS
        ):  # respx keeps them on the router's call list
            calls = cst.Attribute(value=updated_node.value, attr=cst.Name("calls"))
            return updated_node.with_changes(value=calls)
        return updated_node

    # -- mock.patch ------------------------------------------------------------------
    def _patch(self, original: cst.Call, updated: cst.Call, change: str) -> cst.Call:
        is_object = isinstance(original.func, cst.Attribute) and original.func.attr.value == (
            "object"
        )
        if change == "async-generator":
            self.report(PATCH_ASYNC_GENERATOR, original)
            return updated
        if change.startswith("class:"):
            methods = ", ".join(f"`{m}`" for m in change[len("class:") :].split(","))
            self.report(PATCH_CLASS, original, f"its {methods} became async")
            return updated
        for arg in original.args:
            if arg.keyword and arg.keyword.value in ("side_effect", "return_value"):
                raised = arg.value.func if isinstance(arg.value, cst.Call) else arg.value
                if self.imported_name(raised) in REQUESTS_EXCEPTIONS:
                    self.report(REQUESTS_ERROR, arg.value, f"`{self.imported_name(raised)}`")
        kind, _, api = change.partition(":")
        api, _, new = api.partition(":")
        if kind in ("retarget", "replaced", "partial"):
            retargeted = self._retarget(updated, api, new, is_object) if new else None
            if retargeted is None:
                detail = f"`{api}`"
                if kind == "partial":
                    detail += " (some of its calls stay synchronous)"
                elif new:
                    detail += f" (only a patch of the module attribute becomes `{new}`)"
                self.report(PATCH_NOT_CALLED, original, detail)
                return updated
            updated = retargeted
        return self._awaitable(updated, original, 2 if is_object else 1)

    def _retarget(self, call: cst.Call, api: str, new: str, is_object: bool) -> cst.Call | None:
        """``patch("time.sleep")`` → ``patch("asyncio.sleep")``: only a patch of the
        module attribute itself is exact (``pkg.mod.time.sleep`` is the same attribute)."""
        if not call.args:
            return None
        first = call.args[0]
        if is_object:
            module, _, attr = api.rpartition(".")
            new_module, _, new_attr = new.rpartition(".")
            if len(call.args) < 2 or attr != new_attr:
                return None
            if self.imported_name(first.value) != module or not isinstance(first.value, cst.Name):
                return None
            self.add_import(new_module)
            self.remove_import_of(first.value)
            moved = first.with_changes(value=cst.Name(new_module))
            return call.with_changes(args=[moved, *call.args[1:]])
        value = first.value
        if not isinstance(value, cst.SimpleString) or first.keyword is not None:
            return None
        text = value.evaluated_value
        if not isinstance(text, str) or not (text == api or text.endswith(f".{api}")):
            return None
        quote = value.quote
        literal = cst.SimpleString(f"{value.prefix}{quote}{new}{quote}")
        return call.with_changes(args=[first.with_changes(value=literal), *call.args[1:]])

    def _awaitable(self, call: cst.Call, original: cst.Call, new_at: int) -> cst.Call:
        """The patch's replacement must be awaitable (see the module docstring)."""
        args = list(call.args)
        keyword = {a.keyword.value: i for i, a in enumerate(args) if a.keyword is not None}
        positional = sum(1 for a in args if a.keyword is None and not a.star)
        if "new" in keyword or positional > new_at:
            return self._async_value(call, original, keyword.get("new", new_at), instance=True)
        if "new_callable" in keyword:
            return self._async_value(call, original, keyword["new_callable"], instance=False)
        if SPEC_ARGS & keyword.keys():
            return call  # patch makes an AsyncMock from an async spec itself
        added = keyword_arg("new_callable", self._async_mock_for(call.func))
        if args and isinstance(args[-1].comma, cst.Comma):  # a trailing comma: keep it last
            between = call.whitespace_before_args
            comma = cst.Comma(
                whitespace_after=between
                if isinstance(between, cst.ParenthesizedWhitespace)
                else cst.SimpleWhitespace(" ")
            )
            added = added.with_changes(comma=args[-1].comma)
            args[-1] = args[-1].with_changes(comma=comma)
        elif args:
            args[-1] = args[-1].with_changes(comma=COMMA)
        args.append(added)
        return call.with_changes(args=args)

    def _async_value(self, call: cst.Call, original: cst.Call, at: int, instance: bool) -> cst.Call:
        """``new=Mock(...)`` / ``new_callable=MagicMock`` → ``AsyncMock``; anything
        else that is not an AsyncMock already is reported."""
        value = call.args[at].value
        if instance and not isinstance(value, cst.Call):
            factory: cst.BaseExpression = cst.Name("_")  # a value asyncify cannot see into
        else:
            factory = value.func if isinstance(value, cst.Call) else value
        name = self.imported_name(factory)
        if name in ASYNC_MOCKS:
            return call
        if name not in PLAIN_MOCKS:
            code = cst.Module([]).code_for_node(value)
            self.report(PATCH_NOT_AWAITABLE, original.args[at].value, f"`{code}`")
            return call
        new_factory = self._async_mock_like(factory, name)
        new_value = value.with_changes(func=new_factory) if instance else new_factory
        args = list(call.args)
        args[at] = args[at].with_changes(value=new_value)
        return call.with_changes(args=args)

    def _async_mock_like(self, factory: cst.BaseExpression, name: str) -> cst.BaseExpression:
        """``mock.MagicMock`` → ``mock.AsyncMock``; ``Mock`` → ``AsyncMock`` (imported)."""
        if isinstance(factory, cst.Attribute):
            return factory.with_changes(attr=cst.Name("AsyncMock"))
        module, _, plain = name.rpartition(".")
        self.add_import(module, "AsyncMock")
        self.remove_import(module, plain)
        return cst.Name("AsyncMock")

    def _async_mock_for(self, patcher: cst.BaseExpression) -> cst.BaseExpression:
        """``AsyncMock`` spelled from the module the patch came from (``mock.patch`` →
        ``mock.AsyncMock``); pytest-mock's ``mocker`` gets it from unittest.mock."""
        base = patcher
        if isinstance(base, cst.Attribute) and base.attr.value == "object":
            base = base.value
        if isinstance(base, cst.Attribute) and base.attr.value == "patch":
            module = base.value
            if not (isinstance(module, cst.Name) and module.value == "mocker"):
                return cst.Attribute(value=module, attr=cst.Name("AsyncMock"))
            self.add_import("unittest.mock", "AsyncMock")
            return cst.Name("AsyncMock")
        module_name = self.imported_name(base).rpartition(".")[0] or "unittest.mock"
        self.add_import(module_name, "AsyncMock")
        return cst.Name("AsyncMock")

    # -- responses / requests_mock → respx ----------------------------------------------
    def _responses_spec(self, call: cst.Call, name: str) -> _Spec | str:
        """``responses.add(responses.GET, url, json=..., status=...)`` / ``responses.get``
        as (method, url, httpx.Response arguments), or why it has no respx equivalent."""
        fields = _arguments(call.args)
        if isinstance(fields, str):
            return fields
        positional, given = fields
        if name == RESPONSES_ADD:
            method_expr = positional.pop(0) if positional else given.pop("method", None)
            method = self._method(method_expr) if method_expr is not None else ""
        else:
            method = RESPONSES_SHORTCUTS[name]
        url = positional.pop(0) if positional else given.pop("url", None)
        if not method or url is None or positional:
            return "a method or URL asyncify cannot read"
        unknown = sorted(set(given) - RESPONSES_ARGS)
        if unknown:
            return f"`{unknown[0]}=`"
        problem = _url_problem(url, exact_query=True)
        if problem:
            return problem
        response = _responses_response(given)
        return response if isinstance(response, str) else (method, url, response)

    def _method(self, expr: cst.BaseExpression) -> str:
        constant = RESPONSES_CONSTANTS.get(self.imported_name(expr), "")
        text = _literal(expr)
        if not constant and isinstance(text, str) and text.lower() in HTTP_METHODS:
            return text.lower()
        return constant

    def _mocker_spec(self, call: cst.Call, attr: str) -> _Spec | str:
        """``m.get(url, json=..., status_code=...)`` on a requests_mock mocker as
        (method, url, httpx.Response arguments), or why it has no respx equivalent."""
        if attr not in MOCKER_METHODS:
            return f"`.{attr}()` of a requests_mock mocker"
        fields = _arguments(call.args)
        if isinstance(fields, str):
            return fields
        positional, given = fields
        method = attr
        if attr in ("request", "register_uri"):
            method_expr = positional.pop(0) if positional else given.pop("method", None)
            text = _literal(method_expr) if method_expr is not None else None
            method = text.lower() if isinstance(text, str) else ""
            if method not in HTTP_METHODS:
                return "a method that is not a literal"
        url = positional.pop(0) if positional else given.pop("url", None)
        if url is None or positional:
            return "a list of responses, or no URL"
        unknown = sorted(set(given) - MOCKER_ARGS)
        if unknown:
            return f"`{unknown[0]}=`"
        problem = _url_problem(url, exact_query=False)
        if problem:
            return problem
        out = [cst.Arg(given.get("status_code", cst.Integer("200")))]
        keys = ("json", "text", "content", "headers")
        out += [keyword_arg(k, given[k]) for k in keys if k in given]
        return method, url, out

    def _route(
        self,
        router: cst.BaseExpression,
        method: str,
        url: cst.BaseExpression,
        response: list[cst.Arg],
    ) -> cst.Call:
        """``<router>.<method>(url).mock(return_value=httpx.Response(...))``."""
        self.add_import("respx")
        self.add_import("httpx")
        route = cst.Call(
            func=cst.Attribute(value=router, attr=cst.Name(method)), args=[cst.Arg(url)]
        )
        value = cst.Call(func=dotted("httpx.Response"), args=commas(response))
        return cst.Call(
            func=cst.Attribute(value=route, attr=cst.Name("mock")),
            args=[keyword_arg("return_value", value)],
        )


_Spec = tuple[str, cst.BaseExpression, list[cst.Arg]]  # method, URL, httpx.Response args


def _mocker_method(call: cst.Call, here: _Function) -> str:
    """``get`` for ``m.get(...)`` where ``m`` is a requests_mock mocker, else ""."""
    func = call.func
    if (
        isinstance(func, cst.Attribute)
        and isinstance(func.value, cst.Name)
        and func.value.value in here.mockers
    ):
        return func.attr.value
    return ""


def _responses_response(given: dict[str, cst.BaseExpression]) -> list[cst.Arg] | str:
    """httpx.Response arguments that give the bytes and headers responses would send.

    responses encodes a str body as UTF-8 and sends ``Content-Type: text/plain`` unless
    told otherwise (``application/json`` with ``json=``, ``; charset=utf-8`` for a
    non-ASCII str); ``httpx.Response(text=...)`` would always add ``charset=utf-8``,
    which changes how the client decodes an ASCII-declared body, so the body is passed
    as ``content=`` bytes with responses' header.
    """
    out = [cst.Arg(given.get("status", cst.Integer("200")))]
    if "json" in given and "body" in given:
        return "both `json=` and `body=`"
    if "json" in given:
        out.append(keyword_arg("json", given["json"]))
    if "body" in given:
        body = given["body"]
        if not isinstance(body, cst.SimpleString):
            return "a `body=` that is not a string or bytes literal"
        if "b" not in body.prefix.lower():
            body = cst.Call(func=cst.Attribute(value=body, attr=cst.Name("encode")))
        out.append(keyword_arg("content", body))
    default = "application/json" if "json" in given else "text/plain"
    text = _literal(given["body"]) if "body" in given else None
    if isinstance(text, str) and not text.isascii():  # responses/__init__.py, Response
        default = "text/plain; charset=utf-8"
    content_type = given.get("content_type")
    headers = given.get("headers")
    if content_type is None and default == "application/json":
        pass  # httpx's json= sends the same header
    elif content_type is not None and "json" in given and _literal(content_type) == default:
        pass
    else:
        value = content_type or cst.SimpleString(f'"{default}"')
        element = cst.DictElement(cst.SimpleString('"Content-Type"'), value)
        if headers is None:
            headers = cst.Dict([element])
        elif isinstance(headers, cst.Dict) and not any(
            isinstance(e, cst.DictElement)
            and isinstance(key := _literal(e.key), str)
            and key.lower() == "content-type"
            for e in headers.elements
        ):
            headers = headers.with_changes(elements=[element, *headers.elements])
        else:
            return "`headers=` that asyncify cannot merge the content type into"
    if headers is not None:
        out.append(keyword_arg("headers", headers))
    return out


class _Rename(cst.CSTTransformer):
    """Rename a parameter and its uses in one function (not attribute or keyword names)."""

    def __init__(self, old: str, new: str) -> None:
        super().__init__()
        self.old = old
        self.new = new

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        return (
            updated_node.with_changes(value=self.new)
            if updated_node.value == self.old
            else updated_node
        )

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.Attribute:
        return updated_node.with_changes(attr=original_node.attr)

    def leave_Arg(self, original_node: cst.Arg, updated_node: cst.Arg) -> cst.Arg:
        return updated_node.with_changes(keyword=original_node.keyword)


def _arguments(
    args: Sequence[cst.Arg],
) -> tuple[list[cst.BaseExpression], dict[str, cst.BaseExpression]] | str:
    """(positional values, keyword values), or why the call is too dynamic to rewrite."""
    positional: list[cst.BaseExpression] = []
    given: dict[str, cst.BaseExpression] = {}
    for arg in args:
        if arg.star:
            return "`*args`/`**kwargs`"
        if arg.keyword is None:
            positional.append(arg.value)
        else:
            given[arg.keyword.value] = arg.value
    return positional, given


def _literal_value(arg: cst.Arg) -> bool | None:
    """``True``/``False`` for an argument spelled so, else None."""
    value = arg.value
    if isinstance(value, cst.Name) and value.value in ("True", "False"):
        return value.value == "True"
    return None


def _literal(expr: cst.BaseExpression) -> str | bytes | None:
    if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString)):
        return expr.evaluated_value
    return None


def _url_problem(url: cst.BaseExpression, exact_query: bool) -> str:
    """Why respx would match this URL differently, for the parts that are literal."""
    text = _literal(url)
    if isinstance(url, cst.FormattedString):
        tail = "".join(p.value for p in url.parts if isinstance(p, cst.FormattedStringText))
        if "?" in tail and not exact_query:
            return "a query string (requests_mock matches a subset of it, respx all of it)"
        return ""
    if not isinstance(text, str):
        return ""
    parts = urlsplit(text)
    if not parts.path:
        return "a URL without a path (respx would match every path)"
    if parts.query and not exact_query:
        return "a query string (requests_mock matches a subset of it, respx all of it)"
    if not exact_query and parts.path != parts.path.lower():
        return "an upper-case path (requests_mock matches it case-insensitively)"
    return ""


Command = command_for(Mocks)  # python -m libcst.tool codemod mocks.Command
