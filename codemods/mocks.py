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
  ``time.sleep``, retargeted to ``asyncio.sleep`` (the converted code calls exactly that).
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

from asyncify.codemod import Api, Codemod, dotted
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
# Blocking API -> what the converted code calls instead, looked up at call time, so that a
# patch of the one is exactly a patch of the other.
RETARGETS = {"time.sleep": "asyncio.sleep"}
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

    `time.sleep` is retargeted (`patch("asyncio.sleep", new_callable=AsyncMock)`), because
    the converted code calls exactly `asyncio.sleep`; a patch of a name imported into one
    module (`patch("pkg.worker.sleep")`) is not, since `asyncio.sleep` is shared by every
    module. Where some calls of the API stay synchronous, the patch is kept and reported.

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
HTTP_MOCK_KEPT = Code(
    "AFY904",
    "requests mock not converted to respx",
    "mock the request with respx (`respx.get(url).mock(return_value=httpx.Response(...))`)",
    doc="""
    A test whose HTTP calls asyncify converted to httpx uses `responses` or
    `requests_mock` in a way that has no exact respx counterpart, so it is left as it is;
    those libraries only intercept `requests`, so the mock no longer applies to the
    converted code. What is converted (docs/mocks.md): `@responses.activate`,
    `responses.add(METHOD, url, json=/body=/status=/headers=/content_type=)` and its
    shortcuts (`responses.get(...)`), `len(responses.calls)`; `requests_mock.Mocker()` as a
    context manager or bare decorator, the `requests_mock` pytest fixture, their
    `.get(url, json=/text=/content=/status_code=/headers=)` registrations and
    `.called`/`.call_count`.

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

    converting: bool  # its requests calls became httpx: its HTTP mocks must be respx
    mockers: set[str] = field(default_factory=set)  # names bound to requests_mock mockers
    rename: str = ""  # the mocker parameter that becomes `respx_mock`
    registered: set[tuple[str, str]] = field(default_factory=set)  # responses (method, url)


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
        self.statement_calls: set[int] = set()  # calls that are a whole statement
        self.counted: set[int] = set()  # `responses.calls` inside len(...)
        self.decorators: set[int] = set()  # decorator expressions of converting functions
        self.mocker_contexts: set[int] = set()  # `requests_mock.Mocker()` in a with item

    @classmethod
    def concerns_plan(cls, plan: ModulePlan) -> bool:
        return bool(plan.patches) or any("requests" in r for r in plan.reaches.values())

    def _here(self) -> _Function | None:
        return self.functions[-1] if self.functions else None

    def _converting(self) -> bool:
        here = self._here()
        return here is not None and here.converting

    # -- functions: decorators and the mocker parameter --------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        qualname = self.state.frames[-1].qualname
        here = _Function("requests" in self.state.plan.reaches.get(qualname, ()))
        self.functions.append(here)
        if not here.converting:
            return
        params = [*node.params.posonly_params, *node.params.params]
        names = {p.name.value for p in [*params, *node.params.kwonly_params]}
        for i, decorator in enumerate(node.decorators):
            self.decorators.add(id(decorator.decorator))
            expr = decorator.decorator
            if isinstance(expr, cst.Call) and self.imported_name(expr.func) in MOCKERS:
                # requests_mock appends the mocker to the arguments; respx passes it as
                # `respx_mock=` only to the function right below it (it reads the
                # signature), so only an innermost, plain `Mocker()` converts.
                if expr.args or not params or i != len(node.decorators) - 1:
                    why = "a `Mocker` decorator with arguments or above other decorators"
                    self.report(HTTP_MOCK_KEPT, expr, why)
                else:
                    here.rename = params[-1].name.value
        if not here.rename and MOCKER_FIXTURE in names:
            here.rename = MOCKER_FIXTURE
        if here.rename and ROUTER in names:
            self.report(HTTP_MOCK_KEPT, node, f"`{ROUTER}` is already a parameter")
            here.rename = ""
        if here.rename:
            here.mockers.add(here.rename)

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
            new = self._activate(expr)
        elif name in MOCKERS and isinstance(expr, cst.Call) and here.rename:
            new = cst.parse_expression("respx.mock(assert_all_called=False)")
        else:
            return decorator
        if new is None:
            return decorator
        self.add_import("respx")
        self.remove_import_of(target)
        return decorator.with_changes(decorator=new)

    def _activate(self, expr: cst.BaseExpression) -> cst.BaseExpression | None:
        """``@responses.activate`` → ``@respx.mock``: the global router, which, like
        ``activate``, does not assert that every registered response was requested."""
        if not isinstance(expr, cst.Call):
            return dotted("respx.mock")
        args = []
        for arg in expr.args:
            if arg.keyword is None or arg.keyword.value != "assert_all_requests_are_fired":
                self.report(HTTP_MOCK_KEPT, expr, "`responses.activate` with other arguments")
                return None
            args.append(arg.with_changes(keyword=cst.Name("assert_all_called")))
        return cst.Call(func=dotted("respx.mock"), args=args)

    # -- statements and expressions the rewrite needs to know about --------------------
    def visit_Expr(self, node: cst.Expr) -> None:
        self.statement_calls.add(id(node.value))

    def visit_Call(self, node: cst.Call) -> None:
        if (
            isinstance(node.func, cst.Name)
            and node.func.value == "len"
            and len(node.args) == 1
            and self.imported_name(node.args[0].value) == RESPONSES_CALLS
        ):
            self.counted.add(id(node.args[0].value))

    def visit_With(self, node: cst.With) -> None:
        here = self._here()
        if here is None or not here.converting:
            return
        for item in node.items:
            call = item.item
            if (
                isinstance(call, cst.Call)
                and self.imported_name(call.func) in MOCKERS
                and not call.args
                and item.asname is not None
                and isinstance(item.asname.name, cst.Name)
            ):
                here.mockers.add(item.asname.name.value)
                self.mocker_contexts.add(id(call))

    # -- calls --------------------------------------------------------------------------
    def leave_Call(
        self, original_node: cst.Call, updated_node: cst.BaseExpression
    ) -> cst.BaseExpression:
        if not isinstance(updated_node, cst.Call):
            return updated_node
        pos = self.state.end(original_node.func)
        change = self.state.plan.patches.get(pos) if pos else None
        if change:
            return self._patch(original_node, updated_node, change)
        here = self._here()
        if here is None or not here.converting:
            return updated_node
        if id(original_node) in self.mocker_contexts:
            self.add_import("respx")
            self.remove_import_of(original_node.func)
            return cst.parse_expression("respx.mock(assert_all_called=False)")
        func = original_node.func
        if (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and func.value.value in here.mockers
        ):
            return self._mocker_call(original_node, updated_node, func.attr.value)
        name = self.imported_name(func)
        if name == RESPONSES_ADD or name in RESPONSES_SHORTCUTS:
            return self._responses_add(original_node, updated_node, name, here)
        if id(original_node) in self.decorators:
            return updated_node  # converted with its function, or reported there
        if name.partition(".")[0] in ("responses", "requests_mock"):
            self.report(HTTP_MOCK_KEPT, original_node, f"`{name}`")
        return updated_node

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.BaseExpression
    ) -> cst.BaseExpression:
        here = self._here()
        if here is None or not here.converting or not isinstance(updated_node, cst.Attribute):
            return updated_node
        if self.imported_name(original_node) == RESPONSES_CALLS:
            if id(original_node) not in self.counted:
                self.report(HTTP_MOCK_KEPT, original_node, "`responses.calls` beyond `len()`")
                return updated_node
            self.add_import("respx")
            self.remove_import_of(original_node)
            return dotted("respx.calls")
        value = original_node.value
        if isinstance(value, cst.Name) and value.value in here.mockers:
            attr = original_node.attr.value
            if attr in MOCKER_COUNTS:  # respx keeps them on the router's call list
                calls = cst.Attribute(value=updated_node.value, attr=cst.Name("calls"))
                return updated_node.with_changes(value=calls)
            if attr not in (*HTTP_METHODS, "request", "register_uri"):
                self.report(HTTP_MOCK_KEPT, original_node, f"`.{attr}` of a requests_mock")
        return updated_node

    # -- mock.patch ------------------------------------------------------------------
    def _patch(self, original: cst.Call, updated: cst.Call, change: str) -> cst.Call:
        is_object = isinstance(original.func, cst.Attribute) and original.func.attr.value == (
            "object"
        )
        if change == "async-generator":
            self.report(PATCH_ASYNC_GENERATOR, original)
            return updated
        kind, _, api = change.partition(":")
        if kind in ("replaced", "partial"):
            retargeted = self._retarget(updated, api, is_object) if kind == "replaced" else None
            if retargeted is None:
                why = "some of its calls stay synchronous" if kind == "partial" else "converted"
                self.report(PATCH_NOT_CALLED, original, f"`{api}` ({why})")
                return updated
            updated = retargeted
        return self._awaitable(updated, original, 2 if is_object else 1)

    def _retarget(self, call: cst.Call, api: str, is_object: bool) -> cst.Call | None:
        """``patch("time.sleep")`` → ``patch("asyncio.sleep")``: only a patch of the
        module attribute itself is exact (``pkg.mod.time.sleep`` is the same attribute)."""
        new = RETARGETS.get(api)
        if new is None or not call.args:
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
            return call.with_changes(args=[first.with_changes(value=cst.Name(new_module))])
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
        if args and args[-1].comma == cst.MaybeSentinel.DEFAULT:
            args[-1] = args[-1].with_changes(comma=_comma())
        args.append(_keyword("new_callable", self._async_mock_for(call.func)))
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
    def _responses_add(
        self, original: cst.Call, updated: cst.Call, name: str, here: _Function
    ) -> cst.BaseExpression:
        """``responses.add(responses.GET, url, json=..., status=...)`` →
        ``respx.get(url).mock(return_value=httpx.Response(status, json=...))``."""
        fields = _arguments(updated.args)
        if isinstance(fields, str):
            return self._kept(original, updated, fields)
        positional, given = fields
        if name == RESPONSES_ADD:
            if positional:
                given.setdefault("method", positional.pop(0))
            method_expr = given.pop("method", None)
            method = self._method(method_expr) if method_expr is not None else ""
        else:
            method = RESPONSES_SHORTCUTS[name]
        if positional:
            given.setdefault("url", positional.pop(0))
        url = given.pop("url", None)
        if not method or url is None or positional:
            return self._kept(original, updated, "a method and URL that are not literal")
        unknown = sorted(set(given) - RESPONSES_ARGS)
        if unknown:
            return self._kept(original, updated, f"`{unknown[0]}=`")
        problem = _url_problem(url, exact_query=True) or (
            "its result is used" if id(original) not in self.statement_calls else ""
        )
        key = (method, cst.Module([]).code_for_node(url))
        if not problem and key in here.registered:
            problem = "the same URL registered twice (responses returns them in turn)"
        if problem:
            return self._kept(original, updated, problem)
        here.registered.add(key)
        response = self._responses_response(given)
        if isinstance(response, str):
            return self._kept(original, updated, response)
        self.remove_import_of(original.func)
        return self._route(dotted("respx"), method, url, response)

    def _method(self, expr: cst.BaseExpression) -> str:
        constant = RESPONSES_CONSTANTS.get(self.imported_name(expr), "")
        if constant:
            return constant
        if isinstance(expr, cst.SimpleString):
            text = expr.evaluated_value
            if isinstance(text, str) and text.lower() in HTTP_METHODS:
                return text.lower()
        return ""

    def _responses_response(self, given: dict[str, cst.BaseExpression]) -> list[cst.Arg] | str:
        """httpx.Response arguments for responses' ``json``/``body``/``status``/
        ``headers``/``content_type`` (a str body is text, a bytes body content)."""
        out = [cst.Arg(given.get("status", cst.Integer("200")))]
        if "json" in given and "body" in given:
            return "both `json=` and `body=`"
        if "json" in given:
            out.append(_keyword("json", given["json"]))
        if "body" in given:
            body = given["body"]
            if not isinstance(body, cst.SimpleString) or "f" in body.prefix.lower():
                return "a `body=` that is not a string or bytes literal"
            out.append(_keyword("content" if "b" in body.prefix.lower() else "text", body))
        headers = given.get("headers")
        content_type = given.get("content_type")
        if content_type is not None and not (
            "json" in given and _literal(content_type) == "application/json"
        ):
            if headers is not None:
                return "both `headers=` and `content_type=`"
            headers = cst.Dict([cst.DictElement(cst.SimpleString('"Content-Type"'), content_type)])
        if headers is not None:
            out.append(_keyword("headers", headers))
        return out

    def _mocker_call(self, original: cst.Call, updated: cst.Call, attr: str) -> cst.BaseExpression:
        """``m.get(url, json=..., status_code=...)`` on a requests_mock mocker →
        ``m.get(url).mock(return_value=httpx.Response(status, json=...))``."""
        if attr not in (*HTTP_METHODS, "request", "register_uri"):
            if attr not in MOCKER_COUNTS:
                self.report(HTTP_MOCK_KEPT, original, f"`.{attr}()` of a requests_mock")
            return updated
        fields = _arguments(updated.args)
        if isinstance(fields, str):
            return self._kept(original, updated, fields)
        positional, given = fields
        method = attr
        if attr in ("request", "register_uri"):
            method_expr = positional.pop(0) if positional else given.pop("method", None)
            text = _literal(method_expr) if method_expr is not None else None
            method = text.lower() if isinstance(text, str) else ""
            if method not in HTTP_METHODS:
                return self._kept(original, updated, "a method that is not a literal")
        url = positional.pop(0) if positional else given.pop("url", None)
        if url is None or positional:
            return self._kept(original, updated, "a list of responses or no URL")
        unknown = sorted(set(given) - MOCKER_ARGS)
        if unknown:
            return self._kept(original, updated, f"`{unknown[0]}=`")
        problem = _url_problem(url, exact_query=False)
        if problem:
            return self._kept(original, updated, problem)
        out = [cst.Arg(given.get("status_code", cst.Integer("200")))]
        out += [_keyword(k, given[k]) for k in ("json", "text", "content", "headers") if k in given]
        func = updated.func
        assert isinstance(func, cst.Attribute)
        return self._route(func.value, method, url, out)

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
        value = cst.Call(func=dotted("httpx.Response"), args=_commas(response))
        return cst.Call(
            func=cst.Attribute(value=route, attr=cst.Name("mock")),
            args=[_keyword("return_value", value)],
        )

    def _kept(self, original: cst.Call, updated: cst.Call, why: str) -> cst.Call:
        self.report(HTTP_MOCK_KEPT, original, why)
        return updated


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


def _keyword(name: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(
        keyword=cst.Name(name),
        value=value,
        equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
        ),
    )


def _comma() -> cst.Comma:
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def _commas(args: Sequence[cst.Arg]) -> list[cst.Arg]:
    last = len(args) - 1
    return [
        a.with_changes(comma=_comma())
        if i < last
        else a.with_changes(comma=cst.MaybeSentinel.DEFAULT)
        for i, a in enumerate(args)
    ]


Command = command_for(Mocks)  # python -m libcst.tool codemod mocks.Command
