"""Sync contexts that have an async counterpart, so a function under them may become async.

Tables the plan (which functions may become async) and the rewrite (what they are
written as) share:

* caches: ``functools.lru_cache`` / ``functools.cache`` → async-lru's ``alru_cache``
  (https://github.com/aio-libs/async-lru: same ``maxsize``/``typed`` arguments, methods
  keyed by ``self`` as with ``lru_cache``, one call per key even when awaited
  concurrently).
* the call forms of ``pytest.raises`` and unittest's ``assertRaises`` family
  (https://docs.pytest.org/en/stable/reference/reference.html#pytest-raises,
  https://docs.python.org/3/library/unittest.html#unittest.TestCase.assertRaises):
  ``self.assertRaises(E, f, x, k=v)`` / ``(E, lambda: f(x))`` as a statement becomes
  ``with self.assertRaises(E): await f(x, k=v)``; every other argument goes to the
  callable in the call form, so the ``with`` form takes only those before it.
* handlers registered with a framework that awaits a coroutine handler: routes of Flask
  2+ (https://flask.palletsprojects.com/en/stable/async-await/, needs ``flask[async]``),
  Quart, FastAPI (https://fastapi.tiangolo.com/async/, also ``Depends``), aiohttp.web's
  ``RouteTableDef`` and ``web.get(path, handler)``, Starlette's ``Route``; Django views
  given to ``django.urls.path`` and Django's view decorators that accept
  coroutine functions (Django 5.0+,
  https://docs.djangoproject.com/en/stable/topics/async/#async-views). Matched by the
  qualified class of the object the decorator is taken from (``app = Flask(...)``;
  ``@app.get(...)``), as the plan resolves values, never by spelling.

Each conversion that brings in a package the program did not use before is reported
with :data:`NEW_DEPENDENCY`, naming the package to add to the project's requirements.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

from asyncify.findings import Code

# The decorator that caches a coroutine function's results, for each caching decorator:
# (module, name, extra arguments for a bare decorator).
ASYNC_CACHES: dict[str, tuple[str, str, str]] = {
    "functools.lru_cache": ("async_lru", "alru_cache", ""),
    "functools.cache": ("async_lru", "alru_cache", "maxsize=None"),
}
# Assertions with a call form `(E, [regex,] callable, *args, **kwargs)` and a `with` form
# `(E, [regex])`: the position of the callable.
RAISES_FUNCTIONS = {"pytest.raises": 1, "pytest.warns": 1}
RAISES_METHODS = {
    "assertRaises": 1,
    "assertRaisesRegex": 2,
    "assertWarns": 1,
    "assertWarnsRegex": 2,
}
# Distribution to install for a module a conversion starts to import.
PACKAGES = {"async_lru": "async-lru"}

_FLASK = frozenset(
    {"route", "get", "post", "put", "delete", "patch", "errorhandler", "before_request"}
)
_FASTAPI = frozenset(
    {"get", "post", "put", "delete", "patch", "options", "head", "trace", "api_route"}
    | {"exception_handler"}
)
_AIOHTTP = frozenset({"get", "post", "put", "delete", "patch", "head", "route", "view"})
# Classes whose instances register handlers with a decorator method, awaiting a coroutine
# handler: qualified class -> (those methods, the package to install for async handlers).
ASYNC_FRAMEWORKS: dict[str, tuple[frozenset[str], str]] = {
    "flask.Flask": (_FLASK, "flask[async]"),
    "flask.app.Flask": (_FLASK, "flask[async]"),
    "flask.Blueprint": (_FLASK, "flask[async]"),
    "flask.blueprints.Blueprint": (_FLASK, "flask[async]"),
    "quart.Quart": (_FLASK | {"websocket", "after_request"}, ""),
    "quart.Blueprint": (_FLASK | {"websocket", "after_request"}, ""),
    "fastapi.FastAPI": (_FASTAPI | {"websocket"}, ""),
    "fastapi.applications.FastAPI": (_FASTAPI | {"websocket"}, ""),
    "fastapi.APIRouter": (_FASTAPI | {"websocket"}, ""),
    "fastapi.routing.APIRouter": (_FASTAPI | {"websocket"}, ""),
    "aiohttp.web.RouteTableDef": (_AIOHTTP, ""),
    "aiohttp.web_routedef.RouteTableDef": (_AIOHTTP, ""),
}
# Decorators (functions) that accept a coroutine function and keep it one: the package
# version that does.
ASYNC_DECORATORS = {
    f"django.{name}": "django>=5.0"
    for name in (
        "views.decorators.http.require_GET",
        "views.decorators.http.require_POST",
        "views.decorators.http.require_safe",
        "views.decorators.http.require_http_methods",
        "views.decorators.csrf.csrf_exempt",
        "views.decorators.cache.never_cache",
        "contrib.auth.decorators.login_required",
    )
}
# Retry libraries whose decorators retry a coroutine function with asyncio.sleep between
# tries (backoff's README "Asynchronous code"; tenacity's "Async and retry").
ASYNC_DECORATORS.update(
    {
        "backoff.on_exception": "",
        "backoff.on_predicate": "",
        "backoff._decorator.on_exception": "",
        "backoff._decorator.on_predicate": "",
        "tenacity.retry": "",
    }
)
# Functions that take a handler and await it if it is a coroutine function: the position
# and the keyword of the handler among their arguments.
VIEW_REGISTRARS: dict[str, tuple[int, str]] = {
    "django.urls.path": (1, "view"),
    "django.urls.re_path": (1, "view"),
    "fastapi.Depends": (0, "dependency"),
    "fastapi.Security": (0, "dependency"),
    "fastapi.params.Depends": (0, "dependency"),
    "starlette.routing.Route": (1, "endpoint"),
    "starlette.routing.WebSocketRoute": (1, "endpoint"),
    **{f"aiohttp.web.{verb}": (1, "handler") for verb in ("get", "post", "put", "patch")},
    **{f"aiohttp.web.{verb}": (1, "handler") for verb in ("delete", "head", "view")},
    "aiohttp.web.route": (2, "handler"),
}
# Decorators that may sit above a cache (they do not call the function).
_ABOVE_CACHE = frozenset({"builtins.staticmethod", "builtins.classmethod", "abc.abstractmethod"})

NEW_DEPENDENCY = Code(
    "AFY130",
    "converted code needs a package the program did not use before",
    "add the package to the project's requirements",
    level="note",
    doc="""
    A conversion replaced something synchronous with its counterpart from another
    package: a `functools.lru_cache`/`functools.cache` on a function that became async is
    now async-lru's `alru_cache` (a `functools` cache would cache the coroutine object, which
    can be awaited only once). The finding names the package to install.

    It is also reported where a handler registered with a web framework became `async def`
    and the framework needs more to await it: Flask runs async views only with its `async`
    extra (`flask[async]`, which brings asgiref), and Django's view decorators
    (`login_required`, `require_GET`, ...) accept async views from Django 5.0 on. Quart,
    FastAPI and aiohttp.web await coroutine handlers as they are.

    The cache keeps its arguments (`maxsize`, `typed`), caches per argument set as before
    (for a method, per `self` too) and runs the function once per key even when several
    callers await it at the same time. Like any cached awaitable it belongs to the event
    loop that filled it: a program that runs several `asyncio.run` calls should clear it in
    between (`f.cache_clear()`).

    Before:

    ```python
    @functools.lru_cache(maxsize=None)
    def settings():
        return requests.get(SETTINGS_URL).json()
    ```

    After (add `async-lru` to the requirements):

    ```python
    from async_lru import alru_cache

    @alru_cache(maxsize=None)
    async def settings():
        async with httpx.AsyncClient() as client:
            return (await client.get(SETTINGS_URL)).json()
    ```
    """,
)


def async_cache_ok(decorators: Sequence[str], transparent: frozenset[str]) -> bool:
    """Whether a function with these decorators (qualified, top first) may become async
    under an async cache: exactly one caching decorator, nothing under it, and above it
    only decorators that do not call the function (``staticmethod`` and the like)."""
    caches = [i for i, dec in enumerate(decorators) if dec in ASYNC_CACHES]
    if len(caches) != 1 or caches[0] != len(decorators) - 1:
        return False
    above = decorators[: caches[0]]
    return all(dec in _ABOVE_CACHE or dec in transparent for dec in above)


def framework_handler(decorator: str) -> str | None:
    """For a decorator's qualified name (``flask.Flask.route``, ``fastapi.APIRouter.get``),
    None if it is not known to await a coroutine handler; else the package async handlers
    need ("" if none)."""
    if decorator in ASYNC_DECORATORS:
        return ASYNC_DECORATORS[decorator]
    owner, _, method = decorator.rpartition(".")
    methods, package = ASYNC_FRAMEWORKS.get(owner, (frozenset(), ""))
    return package if method in methods else None


def raises_callable(call: ast.Call, qualified: str, receiver: str) -> int | None:
    """The position of the callable in the call form of an assertion (``qualified`` is the
    callee's qualified name, ``receiver`` the name of ``self``, "" where unittest's methods,
    which return None, do not count), or None: a callable that is a name, an attribute or a
    lambda without parameters, and no ``*args`` up to it."""
    at = RAISES_FUNCTIONS.get(qualified)
    func = call.func
    if (
        at is None
        and isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id == receiver
        and receiver
    ):
        at = RAISES_METHODS.get(func.attr)
    if at is None or len(call.args) <= at:
        return None
    if any(isinstance(arg, ast.Starred) for arg in call.args[: at + 1]):
        return None
    target = call.args[at]
    if isinstance(target, ast.Lambda):
        a = target.args
        if a.posonlyargs or a.args or a.vararg or a.kwonlyargs or a.kwarg:
            return None
        return at
    return at if isinstance(target, (ast.Name, ast.Attribute)) else None
