"""The plan: which functions become async, why, and what happens at each call site.

Input: the :class:`~asyncify.index.ModuleIndex` of every module and the tables of the
enabled codemods. Output: a frozen :class:`AsyncPlan`, the only thing that crosses from
whole-program analysis to the per-file rewrite.

1. Resolve every call site's callee (imports, re-exports, ``self``/``cls``/``super()``,
   typed locals and attributes) to a project function or a qualified external name.
2. *Pin* what must stay synchronous: functions Python or a sync library calls without
   ``await`` (dunders, properties, callbacks, lambdas, cached or wrapped functions,
   import-time code) and, transitively, everything they call. A pinned function keeps
   its blocking calls: slower, but the program still does the same thing.
3. *Seed* the functions that call a blocking API, and propagate to callers to a fixed
   point. For each async function, record the chain down to the blocking call.
4. Report each pin that keeps a blocking call synchronous as a finding at its cause.
"""

from __future__ import annotations

import fnmatch
import functools
import re
import sys
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from asyncify import stdlib_table, unchanged
from asyncify.codemod import Api
from asyncify.contexts import NEW_DEPENDENCY, async_cache_ok, framework_handler
from asyncify.findings import Code, Finding
from asyncify.index import (
    FULL_CONSUMERS,
    NONE,
    TEST_MODULE,
    TRANSPARENT_DECORATORS,
    BlockSite,
    CallSite,
    ClassInfo,
    FunctionInfo,
    FunctionRef,
    ModuleIndex,
    PatchSite,
    Pos,
    split_union,
)
from asyncify.plangraph import Blame, GraphNode, PlanGraph, blame_kept, merge_graphs
from asyncify.syncapi import SyncApi, Wrapper, plan_sync_api
from asyncify.unchanged import IdleCall

LAMBDA = Code(
    "AFY101",
    "call inside a lambda cannot be awaited",
    "turn the lambda into an `async def` and await it where it is called",
    doc="""
    A lambda calls a function that became async. A lambda's body is a single expression and
    Python has no async lambda, so `await` cannot be written there; whoever calls the lambda
    also calls it without `await`.

    asyncify leaves the called function synchronous (with everything it calls) instead of
    producing a lambda that returns an un-awaited coroutine. The program stays correct, but
    that function keeps blocking.

    Not reported: a test statement in the call form of `self.assertRaises(E, lambda:
    f(x))`, `assertRaisesRegex(E, regex, f, x)` or `pytest.raises(E, f, x)` (also
    `assertWarns`, `pytest.warns`) becomes the `with` form, `with self.assertRaises(E):
    await f(x)`, so `f` may become async; so does `info = pytest.raises(E, f, x)` (`with
    pytest.raises(E) as info:`).

    Before:

    ```python
    handlers = {"user": lambda uid: fetch_user(uid)}

    def handle(kind, uid):
        return handlers[kind](uid)
    ```

    After (a named async function, awaited where it is called):

    ```python
    async def _user(uid):
        return await fetch_user(uid)

    handlers = {"user": _user}

    async def handle(kind, uid):
        return await handlers[kind](uid)
    ```
    """,
)
SYNC_DUNDER = Code(
    "AFY102",
    "special method must stay synchronous",
    "move the blocking work out of the special method, e.g. into an async factory or method",
    doc="""
    A special method (`__len__`, `__eq__`, `__getitem__`, `__str__`, `__hash__`, ...) reaches
    a blocking call. Python calls special methods itself (`len(x)`, `x == y`, `x[k]`) and
    never awaits them, so they cannot be `async def`.

    asyncify keeps the method and everything it calls synchronous. (`__init__`, `__enter__`
    and `__iter__` are handled: async factory, `async with`, `async for`; this finding means
    that was not possible here.)

    Before:

    ```python
    class Catalog:
        def __len__(self):
            return len(requests.get(self.url).json())
    ```

    After (an explicit async method, called where `len()` was):

    ```python
    class Catalog:
        async def count(self):
            return len((await fetch_json(self.url)))

    n = await catalog.count()   # was: len(catalog)
    ```
    """,
)
PROPERTY = Code(
    "AFY103",
    "property must stay synchronous",
    "replace the property with an async method and await it at each use",
    doc="""
    A `@property` reaches a blocking call. Attribute access (`obj.data`) cannot be awaited:
    an async property would hand every reader a coroutine instead of the value.

    asyncify keeps the property and what it calls synchronous; changing `obj.data` into
    `await obj.data()` at every use would change the class's interface, so it is left to you.

    Before:

    ```python
    class Report:
        @property
        def rows(self):
            return requests.get(self.url).json()

    total = len(report.rows)
    ```

    After:

    ```python
    class Report:
        async def rows(self):
            async with httpx.AsyncClient() as client:
                return (await client.get(self.url)).json()

    total = len(await report.rows())
    ```
    """,
)
USED_AS_VALUE = Code(
    "AFY104",
    "function used as a value (callback, key=, target=) must stay synchronous",
    "pass an async function only to callers that await it, or wrap it with asyncio.run in a thread",
    doc="""
    A function that would become async is used as a value: passed as a callback, a `key=`,
    a `target=`, stored in a container, or handed to a library. Whoever calls it later calls
    it without `await`, so an async version would return a coroutine that never runs.

    asyncify keeps the function (and what it calls) synchronous. Where the code that calls
    it is your own, make that code await it; where it is a library (`sorted`, `threading`),
    do the waiting before handing over a plain value.

    Before:

    ```python
    def score(name):
        return requests.get(f"{API}/score/{name}").json()["score"]

    ranked = sorted(names, key=score)
    ```

    After:

    ```python
    async def score(name): ...          # now awaited explicitly

    scores = {name: await score(name) for name in names}
    ranked = sorted(names, key=scores.__getitem__)
    ```
    """,
)
CACHED = Code(
    "AFY105",
    "cached function must stay synchronous: a cached coroutine can be awaited only once",
    "cache the awaited result instead (e.g. async-lru's alru_cache)",
    doc="""
    A function decorated with `functools.lru_cache`/`cache` (or `cached_property`) reaches a
    blocking call. Caching an async function caches the *coroutine object*, which can be
    awaited only once: the second caller would get `RuntimeError: cannot reuse already
    awaited coroutine`.

    A function under `functools.lru_cache`/`functools.cache` alone (a `staticmethod` or
    `classmethod` above it is fine) becomes async with async-lru's `alru_cache` instead
    (AFY130 names the new package). The finding remains for `cached_property` and for a
    cache stacked on another decorator: asyncify keeps those synchronous. Cache the awaited
    result instead.

    Before:

    ```python
    @functools.lru_cache(maxsize=None)
    def settings():
        return requests.get(SETTINGS_URL).json()
    ```

    After (with the `async-lru` package):

    ```python
    from async_lru import alru_cache

    @alru_cache(maxsize=None)
    async def settings():
        async with httpx.AsyncClient() as client:
            return (await client.get(SETTINGS_URL)).json()
    ```
    """,
)
WRAPPED = Code(
    "AFY106",
    "decorated function must stay synchronous: the decorator calls it without await",
    "make the decorator async-aware, or mark the function `# asyncify: skip`",
    doc="""
    The function has a decorator that asyncify does not know, and the decorator's wrapper
    calls the function without `await` (or asyncify cannot see that it does). Making the
    function async would make the wrapper return a coroutine, skipping whatever the wrapper
    does after the call (retries, timing, error handling).

    asyncify keeps the decorated function synchronous. Make the decorator async-aware, or
    mark the function `# asyncify: skip` to silence the finding.

    A decorator written in the project whose wrapper only *calls* the function (`return
    f(...)`, `result = str(f(...))`, in a retry loop or a `try`; reading `f.__name__` is
    fine) is made async-aware automatically: it gets an `if inspect.iscoroutinefunction(f):`
    branch with an `async def` copy of the wrapper that awaits those calls (also for
    decorator factories such as `@retry(times=3)`), as below. The copy sleeps with
    `await asyncio.sleep(...)` where the wrapper calls `time.sleep(...)`. The finding
    remains for decorators from libraries, wrappers that do other blocking work or call a
    project function that does, that call the function inside a comprehension or a nested
    function, and for a decorator above `@staticmethod`/`@classmethod`.

    Before:

    ```python
    def retry(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            for attempt in range(3):
                try:
                    return fn(*args, **kwargs)
                except OSError:
                    time.sleep(attempt)
            return fn(*args, **kwargs)
        return wrapper
    ```

    After:

    ```python
    def retry(fn):
        if inspect.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def wrapper(*args, **kwargs):
                for attempt in range(3):
                    try:
                        return await fn(*args, **kwargs)
                    except OSError:
                        await asyncio.sleep(attempt)
                return await fn(*args, **kwargs)
        else:
            @functools.wraps(fn)
            def wrapper(*args, **kwargs):
                ...  # as before
        return wrapper
    ```
    """,
)
GENERATOR = Code(
    "AFY107",
    "generator cannot become an async generator",
    "return nothing and do not use the value of `yield from`, or consume it where it is created",
    doc="""
    A generator reaches a blocking call but cannot become an async generator: it returns a
    value (`return x`) or uses the value of `yield from` (`total = yield from part()`),
    which async generators cannot, or its generator object is used as a value (stored,
    passed on, given to `next()`) instead of being iterated where it is created, so
    asyncify cannot put `async for` at its uses. (A `yield from X` *statement* is fine: it
    becomes `async for _yielded in X: yield _yielded`, or a plain `for` when X is not an
    async generator.)

    asyncify keeps the generator (and what it calls) synchronous. Rewrite the part that has
    no async form, then run asyncify again.

    Before:

    ```python
    def all_rows(paths):
        count = 0
        for path in paths:
            count += yield from read_rows(path)   # read_rows reads files, returns a count
        return count
    ```

    After (asyncify can now convert it; the count is kept by the caller):

    ```python
    def all_rows(paths):
        for path in paths:
            yield from read_rows(path)
    ```
    """,
)
LAZY_CONSUMER = Code(
    "AFY108",
    "call in a generator expression that is not fully consumed cannot be awaited",
    "build a list first (`[await f(x) for x in xs]`) if evaluating every item is acceptable",
    doc="""
    A call that became async is inside a generator expression whose consumer may stop early
    (`any()`, `all()`, `next()`, `zip()`, a `for` loop that breaks, ...). There are no lazy
    awaits in a generator expression, and turning it into a list would call the function for
    every item, which the original code did not do.

    asyncify keeps the called function synchronous. If evaluating every item is acceptable,
    build a list; to keep the short-circuit, write the loop.

    Before:

    ```python
    if any(is_down(host) for host in hosts):
        alert()
    ```

    After:

    ```python
    for host in hosts:
        if await is_down(host):
            alert()
            break
    ```
    """,
)
LIBRARY_SUBCLASS = Code(
    "AFY110",
    "method of a subclass of a library class must stay synchronous",
    "the library calls it without await: wrap the library object instead of subclassing "
    "it, or convert this class by hand",
    doc="""
    The method belongs to a subclass of a library class (`requests.Session`, a psycopg2
    cursor, `threading.Thread.run`, `logging.Handler.emit`, …). The library calls such
    methods itself, synchronously: made async, they would return a coroutine that nobody
    awaits. So the method and everything it calls stay synchronous, and their blocking
    calls keep blocking.

    asyncify cannot convert the library's side of the call. Wrap the library object in a
    class of your own instead of subclassing it, and convert that.

    Before:

    ```python
    class Client(requests.Session):
        def version(self):
            return self.get(URL).json()
    ```

    After (by hand):

    ```python
    class Client:
        def __init__(self):
            self.http = httpx.AsyncClient(follow_redirects=True, timeout=None)

        async def version(self):
            return (await self.http.get(URL)).json()
    ```
    """,
)
UNKNOWN_RECEIVER = Code(
    "AFY109",
    "method call on a value of unknown type: same-named methods stay synchronous",
    "annotate the value's type so asyncify can tell which method it calls",
    doc="""
    A method is called on a value whose type asyncify could not determine (an unannotated
    parameter with no typed call sites, a value from a library), and one of your classes
    has a method of that name that would become async. If the value is an instance of that
    class, the call would need `await`; if not, it must not get one.

    This finding is for method names that builtin, standard library or converted library
    types also have (`execute`, `connect`, `run`, `send`, …): there the value may well be
    such an object, and a wrong `await` breaks as surely as a missing one, so the methods of
    that name stay synchronous (with everything they call) and the program keeps working.
    For names that builtin containers and strings share (`get`, `pop`, `read`, `write`,
    `close`, …) the value is more likely a dict or a file: those methods are converted, and
    the call gets this finding for you to check. (A name only your classes define is
    AFY111.) Annotate the value, or narrow it with `assert isinstance(value, Store)`, so
    asyncify can resolve it, then run it again.

    Before:

    ```python
    def save_all(store, items):
        for item in items:
            store.write(item)      # Store.write became async
    ```

    After (annotated; asyncify now converts it):

    ```python
    def save_all(store: Store, items):
        for item in items:
            store.write(item)
    ```
    """,
)
ASSUMED_RECEIVER = Code(
    "AFY111",
    "method call on a value of unknown type awaited: only project classes define the method",
    "check that the value is one of your objects; annotate it to make the call certain",
    doc="""
    A method is called on a value whose type asyncify could not determine, and the method's
    name is one that only classes of your project define (no builtin, standard library or
    converted library type has it): the value is taken to be one of those objects. All
    methods of that name become async together, or none does, and the call is awaited.

    If the value is in fact some other library's object with a method of the same name, the
    converted code fails loudly (`TypeError: object ... can't be used in 'await'
    expression`) where it runs. Check the call; annotate the value (or
    `assert isinstance(value, Backend)`) to make it certain, or put `# asyncify: skip` on the
    line to keep the methods of that name synchronous (AFY109).

    Before:

    ```python
    def migrate(backend, migrations):   # backend: from a plugin registry
        backend.apply_migrations(migrations)
    ```

    After:

    ```python
    async def migrate(backend, migrations):
        await backend.apply_migrations(migrations)
    ```
    """,
)
ADAPTIVE_AWAIT = Code(
    "AFY113",
    "method call on a value that may be one of your objects or something else: "
    "awaited if awaitable",
    "annotate the value (or narrow it with isinstance) so the call is awaited plainly",
    doc="""
    The value a method is called on comes from several places: some give an object of one of
    your classes, whose method became async, and others give something asyncify cannot see
    (an argument of unknown type, a library function's result, a test's mock). Pinning
    every method of that name synchronous would keep the whole call chain blocking, so the
    call is awaited *adaptively*: a small helper the module gets, `_await_if_awaitable`,
    awaits the result when it is awaitable (your object) and passes it through otherwise.

    The program behaves as before for both kinds of value. Check the site: if the value is
    always your object, annotate it to get a plain `await`.

    Before:

    ```python
    class Page:
        def __init__(self, site):
            self.site = site          # a Site, or whatever a caller passes

        def save(self, text):
            return self.site.post("edit", text=text)
    ```

    After:

    ```python
    class Page:
        def __init__(self, site):
            self.site = site

        async def save(self, text):
            return await _await_if_awaitable(self.site.post("edit", text=text))
    ```
    """,
)
UNRESOLVED_MODULE = Code(
    "AFY112",
    "call through a project import asyncify could not resolve: functions of that name stay "
    "synchronous",
    "make the import name one file (a package with __init__.py, or a unique module name)",
    doc="""
    A call goes through an import of your project that asyncify could not match to one
    file: `a/helpers.py` and `b/helpers.py` both exist and `app.py` imports `helpers`
    after putting one of the folders on `sys.path` itself. (A script imports the module
    beside it, `import helpers` in `a/main.py` is `a/helpers.py`: that asyncify resolves.)
    Any project function of the called name may be the one called, so those functions
    stay synchronous (with what they call): the program keeps working, only slower there.

    (Folders without `__init__.py` are namespace packages: `from services import
    weather_service` is resolved to `services/weather_service.py` as Python would; this
    finding is for names that stay ambiguous.)

    Before:

    ```python
    sys.path.insert(0, "a")   # a/helpers.py; b/helpers.py exists too
    import helpers

    def main():
        print(helpers.fetch("x"))
    ```

    After (imported by its name from the project root; asyncify converts it):

    ```python
    from a import helpers

    async def main():
        print(await helpers.fetch("x"))
    ```
    """,
)
BLOCKS_LOOP = Code(
    "AFY120",
    "blocking call reachable from async code",
    "convert it (`asyncify run`), run it in `await asyncio.to_thread(...)`, "
    "or use an async library",
    doc="""
    Reported by `asyncify check --blocking`, an audit of code that is already async: a
    blocking call (a `time.sleep`, `requests`, file or database call, subprocess, ...) runs
    on the event loop, in an `async def` or in a synchronous helper, method or property it
    calls. While it runs, every other task of the program waits.

    The audit only reports; `asyncify run` converts what it can.

    Before:

    ```python
    async def handler(request):
        time.sleep(0.5)
        return load_template("page.html")   # load_template calls open()
    ```

    After:

    ```python
    async def handler(request):
        await asyncio.sleep(0.5)
        return await asyncio.to_thread(load_template, "page.html")
    ```
    """,
)
IMPORT_TIME = Code(
    "AFY501",
    "call at import time cannot be awaited",
    "move the call into a function run under asyncio.run, or into the `__main__` block",
    doc="""
    A function that became async is called at import time: at module level, in a class
    body, or in a default argument. There is no event loop while a module is imported and
    `await` is not allowed there.

    asyncify keeps the function (and what it calls) synchronous. Move the call into code that
    runs under `asyncio.run`.

    Before:

    ```python
    CONFIG = load_config("settings.toml")   # load_config reads a file / the network

    def main():
        serve(CONFIG)
    ```

    After:

    ```python
    async def main():
        config = await load_config("settings.toml")
        await serve(config)
    ```
    """,
)
MAIN_GENERATOR = Code(
    "AFY502",
    "async generator used in the `__main__` block cannot be run by asyncio.run",
    "move the loop into an `async def main()` and call `asyncio.run(main())`",
    doc="""
    The `__main__` block iterates a generator that became an async generator.
    `asyncio.run()` takes a coroutine, not an async iterator, so the loop cannot simply be
    wrapped.

    Move the loop into an `async def main()`.

    Before:

    ```python
    if __name__ == "__main__":
        for line in tail(sys.argv[1]):
            print(line)
    ```

    After:

    ```python
    async def main():
        async for line in tail(sys.argv[1]):
            print(line)

    if __name__ == "__main__":
        asyncio.run(main())
    ```
    """,
)

_REASON_CODES = {
    "lambda": LAMBDA,
    "dunder": SYNC_DUNDER,
    "property": PROPERTY,
    "value": USED_AS_VALUE,
    "cache": CACHED,
    "decorator": WRAPPED,
    "generator": GENERATOR,
    "lazy": LAZY_CONSUMER,
    "import": IMPORT_TIME,
    "library": LIBRARY_SUBCLASS,
    "unknown": UNKNOWN_RECEIVER,
    "unresolved": UNRESOLVED_MODULE,
    "main-generator": MAIN_GENERATOR,
}


@dataclass(frozen=True)
class Pin:
    """Why a function must stay synchronous: a cause at a place."""

    kind: str  # key of _REASON_CODES
    detail: str
    path: str
    line: int
    col: int


@dataclass(frozen=True)
class AwaitSite:
    """A call to a function that becomes async, and how the rewrite handles it."""

    context: str  # "await" | "for" | "comp" | "consume:<f>" | "genexp:<f>" | "main" | "anext"
    generator: bool  # the callee becomes an async generator
    # A `for` loop over a generator with cleanup (try/finally, with): the sync generator
    # was closed as the loop ended (break, return, an exception); the async one is closed
    # by `contextlib.aclosing` at the same point, not later by the event loop.
    closing: bool = False


@dataclass(frozen=True)
class ModulePlan:
    """Everything the per-file rewrite needs to know about one module."""

    module: str
    path: str
    async_functions: frozenset[str]  # qualnames that become `async def`
    async_generators: frozenset[str]  # those of them that are generators
    awaits: Mapping[Pos, AwaitSite]  # by callee-expression end position
    maps: Mapping[Pos, str]  # list(map(f, xs)) with async f: position of f -> consumer
    names: Mapping[Pos, str]  # external qualified names of callee/attribute expressions
    types: Mapping[Pos, str]  # qualified types of name/attribute values
    findings: tuple[Finding, ...] = ()
    renames: Mapping[str, str] = field(default_factory=dict)  # qualname -> new name (protocols)
    sync_renames: frozenset[str] = frozenset()  # renamed but stay `def` (__aiter__ returning self)
    async_blocks: frozenset[Pos] = frozenset()  # with items / iterables needing async with/for
    # Iterables that may be a project object whose iteration became async, or something
    # else (a list): `async for x in _aiter_adaptive(v)` (AFY113).
    adaptive_blocks: frozenset[Pos] = frozenset()
    context_managers: frozenset[str] = frozenset()  # @contextmanager -> @asynccontextmanager
    # Functions returning a function that became async: `-> Callable[..., T]` gets
    # `Awaitable[T]`.
    callable_returns: frozenset[str] = frozenset()
    factories: Mapping[str, str] = field(default_factory=dict)  # class qualname -> factory name
    anywhere: bool = False  # holds an API that is rewritten even outside async code
    pytest_tests: frozenset[str] = frozenset()  # async tests: add @pytest.mark.asyncio
    async_fixtures: frozenset[str] = frozenset()  # @pytest.fixture -> @pytest_asyncio.fixture
    testcases: frozenset[str] = frozenset()  # unittest.TestCase -> IsolatedAsyncioTestCase
    # Project decorators (qualnames of the function that defines the wrapper) that wrap a
    # function that becomes async: they get an `inspect.iscoroutinefunction` branch.
    async_wrappers: frozenset[str] = frozenset()
    # Blocking APIs such a wrapper calls itself -> their awaitable twin for its async copy
    # (time.sleep -> asyncio.sleep).
    wrapper_twins: Mapping[str, str] = field(default_factory=dict)
    # Async functions under functools.lru_cache/cache: the cache becomes alru_cache.
    async_caches: frozenset[str] = frozenset()
    # --keep-sync-api: qualname -> the synchronous wrapper kept under its old name
    sync_wrappers: Mapping[str, Wrapper] = field(default_factory=dict)
    call_renames: Mapping[Pos, str] = field(default_factory=dict)  # callee end -> async name
    reexports: Mapping[str, str] = field(default_factory=dict)  # imported name -> its async name
    # mock.patch sites (callee end) whose target changes: "async" (a function that becomes
    # async), "async-generator", "class:<m1>,<m2>" (a class whose methods became async),
    # "retarget:<api>:<new>" (every call of a blocking API
    # became a call of <new>, called nowhere else), "replaced:<api>" (the converted code
    # no longer calls it), "partial:<api>" (some of its calls stay synchronous).
    patches: Mapping[Pos, str] = field(default_factory=dict)
    # Async functions (qualname) -> top-level packages of the converted blocking APIs they
    # reach ("requests", "time"): a test reaching "requests" needs respx, not responses.
    reaches: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Converted library types (`requests.Session`) whose blocking methods some function
    # that stays synchronous calls, anywhere in the program: an object of such a type
    # made where the rewrite cannot see all its uses (a local handed on, returned) must
    # stay sync; of any other type, every use the value flow found converts.
    sync_types: frozenset[str] = frozenset()
    # Bound request methods handed to a parameter that is only called (`self._call(
    # self.session.get, url)`): start (line, col) of the argument -> the method's name.
    bound_methods: Mapping[tuple[int, int], str] = field(default_factory=dict)
    # Types (`requests.Session`) some call of which, anywhere in the program, passes one of
    # its API's `run_time_keywords` not as a literal, or `**kwargs`: every object of such
    # a type the rewrite makes must take those arguments at run time.
    run_time_types: frozenset[str] = frozenset()
    # Calls (callee end) of the program's own functions and classes: what is passed to
    # them is followed by the value flow (a session handed to one is not lost).
    project_calls: frozenset[Pos] = frozenset()

    @property
    def changes_anything(self) -> bool:
        return bool(
            self.async_functions or self.awaits or self.maps or self.renames or self.anywhere
        ) or bool(
            self.testcases
            or self.reexports
            or self.patches
            or self.async_wrappers
            or self.callable_returns
        )


@dataclass(frozen=True)
class AsyncPlan:
    modules: Mapping[str, ModulePlan]  # by module name
    chains: Mapping[str, tuple[str, ...]]  # function -> [function, ..., blocking API @ place]
    pinned: Mapping[str, Pin] = field(default_factory=dict)
    plan_findings: tuple[Finding, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)  # dotted name -> "module:qualname"
    by_path: Mapping[str, ModulePlan] = field(default_factory=dict)
    # Calls of an `async def` function (not a generator) that are neither awaited nor run
    # as coroutines: (path, line, col, callee, callee's path). Verification reads them.
    unawaited: tuple[tuple[str, int, int, str, str], ...] = ()
    graph: PlanGraph = field(default_factory=PlanGraph)  # the HTML report's call graph
    # Blocking calls that made no function async, and why (the report says it when no
    # file changes).
    idle: tuple[IdleCall, ...] = ()

    def label(self, name: str) -> str:
        return self.labels.get(name, name)

    def for_module(self, module: str) -> ModulePlan | None:
        return self.modules.get(module)

    @property
    def async_functions(self) -> frozenset[str]:
        return frozenset(self.chains)

    def findings(self) -> list[Finding]:
        return sorted(self.plan_findings)

    def describe(self) -> list[str]:
        lines = []
        for name in sorted(self.chains):
            lines.append(
                f"{self.label(name)} → " + " → ".join(self.label(h) for h in self.chains[name][1:])
            )
        for finding in self.findings():
            lines.append(str(finding))
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "async_functions": [
                {"name": self.label(name), "chain": [self.label(h) for h in self.chains[name]]}
                for name in sorted(self.chains)
            ],
            "findings": [f.to_json() for f in self.findings()],
        }


@dataclass
class _Tables:
    apis: dict[str, Api]
    aliases: dict[str, str]
    returns: dict[str, str]
    iterates: dict[str, str]
    strong: frozenset[str]  # API names that seed even off an async path
    types: frozenset[str] = frozenset()  # every type some API returns
    anywhere: frozenset[str] = frozenset()  # APIs rewritten even outside async code
    fixtures: dict[str, str] = field(default_factory=dict)  # library pytest fixture -> type


class _Resolver:
    """Finishes the index's name resolution across modules."""

    def __init__(
        self,
        modules: Mapping[str, ModuleIndex],
        tables: _Tables,
        module_aliases: Mapping[str, str] | None = None,
    ) -> None:
        self.modules = modules
        self.tables = tables
        # Other names of project modules (namespace packages): alias -> module name.
        self.module_aliases = dict(module_aliases or {})
        self.functions: dict[str, FunctionInfo] = {}
        self.classes: dict[str, ClassInfo] = {}
        for mod in modules.values():
            for fn in mod.functions:
                self.functions[fn.name] = fn
            for cls in mod.classes:
                self.classes[cls.name] = cls
        self._global: dict[str, str] = {}
        self._value: dict[str, str] = {}
        self._callee: dict[str, str] = {}  # per resolution pass, like _value
        self._mro: dict[str, list[str]] = {}
        self._family: dict[str, list[str]] = {}
        # Methods of one name joined into one family: `x.m()` on a value of unknown type
        # may call any of them (_join_unknown).
        self.joined: dict[str, frozenset[str]] = {}
        # Calls of a value that may be a project function or something else: ref -> those
        self.partial_calls: dict[str, frozenset[str]] = {}
        self.mixed_members: set[str] = set()  # `x.m()` where x may be a library object
        self.star_unknown: set[str] = set()  # names a library's `import *` may bind
        self.dynamic: dict[str, list[str]] = {}  # getattr targets -> methods (one pass)
        self.adaptive: set[str] = set()  # callee refs on a MAYBE receiver (one pass)
        self._cycle_hits: set[str] = set()  # refs met again while being computed
        self.project_roots = frozenset(
            m.partition(".")[0] for m in (*modules, *self.module_aliases)
        )
        self._methods = {name: frozenset(c.methods) for name, c in self.classes.items()}
        self.callers: dict[str, list[CallSite]] = {}
        self.module_of = {fn.name: mod.module for mod in modules.values() for fn in mod.functions}
        # Calls of a parameter's value (`method(url)`), and value refs handed on anywhere.
        self.param_calls: dict[str, list[CallSite]] = {}
        self.escaping: set[str] = set()
        self.escape_counts: dict[str, int] = {}
        self._handed: dict[str, list[str]] | None = None
        for mod in modules.values():
            for sites in mod.calls.values():
                for site in sites:
                    if "@" in site.callee.rpartition(".")[2]:
                        self.param_calls.setdefault(site.callee, []).append(site)
            for escapes in mod.escapes.values():
                self.escaping.update(ref for ref, _, _ in escapes)
                for ref, _, _ in escapes:
                    self.escape_counts[ref] = self.escape_counts.get(ref, 0) + 1
        self.children: dict[str, set[str]] = {}
        for cls in self.classes.values():
            for base in cls.bases:
                self.children.setdefault(self.canonical(base), set()).add(cls.name)

    def descendants(self, cls: str) -> set[str]:
        found: set[str] = set()
        stack = [cls]
        while stack:
            for child in self.children.get(stack.pop(), ()):
                if child not in found:
                    found.add(child)
                    stack.append(child)
        return found

    def family(self, name: str) -> list[str]:
        """A method and every method it overrides or is overridden by (one dispatch family)."""
        found = self._family.get(name)
        if found is None:
            found = self._family[name] = self._find_family(name)
        return found

    def _find_family(self, name: str) -> list[str]:
        fn = self.functions.get(name)
        if fn is None:
            return []
        if not fn.cls or fn.kind == "staticmethod":  # no overrides: only what it was joined with
            return sorted(self.joined.get(name, frozenset()) - {name})
        method = name.rpartition(".")[2]
        related = set(self.mro(fn.cls)) | self.descendants(fn.cls)
        members = {
            f"{k}.{m}"
            for k in related
            for m in (method, PARTNER.get(method, method))
            if k in self.classes and m in self.classes[k].methods
        }
        for member in list(members) + [name]:
            members |= self.joined.get(member, frozenset())
        members.discard(name)
        return sorted(members)

    def reset(self, callers: dict[str, list[CallSite]]) -> None:
        """Start a new resolution pass that knows the call sites of every function."""
        self.callers = callers
        self._handed = None
        self._value = {}
        self._callee = {}
        self.dynamic = {}
        self.adaptive = set()

    def canonical(self, name: str, depth: int = 0) -> str:
        """Follow re-exports through project modules and codemod aliases."""
        if name in self._global:
            return self._global[name]
        result = name
        if depth < 20 and name not in self.functions and name not in self.classes:
            parts = name.split(".")
            for i in range(len(parts), 0, -1):  # `services.weather_service.f`: by its name
                module = self.module_aliases.get(".".join(parts[:i]))
                if module:
                    result = self.canonical(".".join([module, *parts[i:]]), depth + 1)
                    self._global[name] = result
                    return result
            for i in range(len(parts) - 1, 0, -1):
                mod = self.modules.get(".".join(parts[:i]))
                if mod is not None:
                    target = mod.aliases.get(parts[i]) or self._starred(mod, parts[i])
                    if target is not None:
                        result = self.canonical(".".join([target, *parts[i + 1 :]]), depth + 1)
                    break
            else:
                for i in range(len(parts), 0, -1):
                    alias = self.tables.aliases.get(".".join(parts[:i]))
                    if alias is not None:
                        result = ".".join([alias, *parts[i:]])
                        break
        self._global[name] = result
        return result

    def _starred(self, mod: ModuleIndex, name: str, depth: int = 0) -> str | None:
        """The module a ``from m import *`` of ``mod`` took ``name`` from, if it did."""
        if f"{mod.module}.{name}" in self.functions or f"{mod.module}.{name}" in self.classes:
            return None  # defined here (after the star import, it wins)
        for star in reversed(mod.stars):  # the last star import binds the name
            source = self.modules.get(star)
            if source is None:  # a library's `*` may define it: not followed
                self.star_unknown.add(f"{mod.module}.{name}")
                return None
            if depth > 10:
                continue
            public = name in source.exports if source.exports is not None else name[:1] != "_"
            if not public:
                continue
            full = f"{star}.{name}"
            if full in self.functions or full in self.classes or name in source.aliases:
                return full
            if self._starred(source, name, depth + 1):
                return full
        return None

    def mro(self, cls: str) -> list[str]:
        """The class and its project base classes, breadth first (callers only read it)."""
        cached = self._mro.get(cls)
        if cached is None:
            cached = self._mro[cls] = self._linearize(cls)
        return cached

    def _linearize(self, cls: str) -> list[str]:
        seen: list[str] = []
        queue = [cls]
        while queue:
            name = queue.pop(0)
            if name in seen or name not in self.classes:
                continue
            seen.append(name)
            queue.extend(self.canonical(b) for b in self.classes[name].bases)
        return seen

    def method(self, cls: str, name: str, skip_first: bool = False) -> str | None:
        for klass in self.mro(cls)[1 if skip_first else 0 :]:
            if name in self._methods[klass]:
                return f"{klass}.{name}"
        return None

    def callee(self, ref: str) -> str:
        """A callee ref -> a project function/class name or an external qualified name."""
        found = self._callee.get(ref)
        if found is None:
            found = self._callee[ref] = self._resolve_callee(ref)
        return found

    def _resolve_callee(self, ref: str) -> str:
        if ref.startswith("=") and not _VALUE_MARKS.search(ref[1:]):
            return self.callee(ref[1:])  # `f = helper; f()`
        if _holds_callable(ref):  # `m = self.get; m()`, `self.pick()(...)`
            found, complete = self.held(ref)
            if not found:
                return ""
            if not complete:
                self.partial_calls[ref] = found
                return ""
            return self.join(found)
        if ref.startswith("super:"):
            cls, _, name = ref[len("super:") :].rpartition(".")
            return self.method(cls, name, skip_first=True) or ""
        if "@" in ref.rpartition(".")[2]:  # `adapter(base)`: a parameter holding a class
            held = self.value(ref)
            if held.startswith(CLASS):
                return held[len(CLASS) :]
            functions, complete = self.held_parameter(ref)
            if functions and not complete:
                self.partial_calls[ref] = functions
                return ""
            return self.join(functions) if functions else self.bound_api(ref)[0]
        base, member = _split_member(ref)
        if base is not None:
            owner = self.value(base)
            if owner.startswith(CLASS):  # `factory.create()` on a class held in a value
                return self.method(owner[len(CLASS) :], member) or ""
            if owner.startswith(MAYBE):  # maybe a project object: awaited adaptively
                methods = {
                    method
                    for cls in owner[len(MAYBE) :].split("|")
                    if (method := self.method(cls, member)) is not None
                }
                fns = [self.functions.get(m) for m in methods]
                if not fns or any(
                    fn is None or fn.is_generator or _is_property(fn) for fn in fns
                ):
                    return f"?.{member}"
                self.adaptive.add(ref)
                return self.join(frozenset(methods))
            if owner.startswith(UNION):  # one of several project classes: any of their m
                methods = {
                    self.method(cls, member) or "" for cls in owner[len(UNION) :].split("|")
                }
                if "" in methods or not methods <= self.functions.keys():
                    return f"?.{member}"
                return self.join(frozenset(methods))
            if not owner:
                return f"?.{member}"
            if owner == MIXED:  # maybe a library object: no join of project methods
                self.mixed_members.add(member)
                return f"?.{member}"
            if owner.startswith(MODULE):  # `self._objects.Manager`: a module kept in a value
                return self.callee(f"{owner[len(MODULE) :]}.{member}")
            if owner in self.classes:
                # `obj.save()` where obj is declared a base class that lacks save: obj is
                # some subclass's object, of a type asyncify does not know
                return self.method(owner, member) or self.inherited(owner, member) or (
                    f"?.{member}"
                )
            return self.canonical(f"{owner}.{member}")
        name = self.canonical(ref)
        if name not in self.functions:
            cls, _, meth = name.rpartition(".")
            if cls in self.classes:
                return (
                    self.method(cls, meth)
                    or self.inherited(cls, meth)
                    or self.in_subclasses(cls, meth)
                    or name
                )
        return name

    def argument(self, fn: FunctionInfo, param: str, site: CallSite) -> str | None:
        """The value ref ``site`` passes for ``param`` of ``fn`` ("" if unknown), or None
        if it leaves the parameter to its default."""
        kwargs = dict(site.kwargs)
        if param in kwargs:
            return kwargs[param]
        position = fn.params.index(param) - (1 if fn.kind in ("method", "classmethod") else 0)
        if 0 <= position < len(site.args):
            return site.args[position]
        return "" if site.starred else None

    def held_parameter(self, ref: str, depth: int = 0) -> tuple[frozenset[str], bool]:
        """The project functions every call passes for a parameter that the function only
        calls (`self._iter_pages(self.get_list)` ... `list_function(page=n)`), and whether
        it can be nothing else (not handed on, every argument a known function)."""
        fn_name, _, param = ref.rpartition("@")
        fn = self.functions.get(fn_name)
        sites = self.callers.get(fn_name, [])
        if fn is None or param not in fn.params or not sites or not self.stays_inside(ref):
            return frozenset(), False
        found: set[str] = set()
        complete = True
        for site in sites:
            arg = self.argument(fn, param, site)
            if arg is None:  # left to its default
                arg = dict(fn.defaults).get(param, "")
                if arg == NONE:
                    continue
            if not arg:
                return frozenset(found), False
            held, whole = self.held(arg, depth + 1)
            found |= held
            complete = complete and whole
        return frozenset(found), complete and bool(found)

    def bound_api(self, ref: str, depth: int = 0) -> tuple[str, frozenset[str]]:
        """``method(url)`` where every call of the function passes for parameter ``method``
        a bound request method of one converted library object (`self._call(self.session.get,
        url)`), or a parameter of its own that is such (`self._send(method, url)` in
        `_call(self, method, url)`), and the function only calls it, with the URL alone as
        positional argument (and `**kwargs` where the API takes them at run time), or hands
        it on to such a function: the API it calls and the methods (verbs) it may be;
        ("", {}) otherwise."""
        fn_name, _, param = ref.rpartition("@")
        fn = self.functions.get(fn_name)
        sites = self.callers.get(fn_name, [])
        if fn is None or param not in fn.params or not sites or depth > 5:
            return "", frozenset()
        if not self._only_called(ref):
            return "", frozenset()
        apis: set[str] = set()
        for site in sites:
            arg = self.argument(fn, param, site)
            if arg and "@" in arg.rpartition(".")[2]:  # the caller's parameter, handed on
                api, verbs = self.bound_api(arg, depth + 1)
                if not api:
                    return "", frozenset()
                apis.update(f"{api.rpartition('.')[0]}.{verb}" for verb in verbs)
                continue
            base, member = _split_member(arg or "")
            if base is None:
                return "", frozenset()
            owner = self.value(base)
            api = self.canonical(f"{owner}.{member}") if owner else ""
            if api not in self.tables.apis or not self.tables.apis[api].blocking:
                return "", frozenset()
            apis.add(api)
        receivers = {a.rpartition(".")[0] for a in apis}
        verbs = frozenset(a.rpartition(".")[2] for a in apis)
        # One receiver type; HEAD (no redirects in requests) only alone.
        if len(receivers) != 1 or ("head" in verbs and len(verbs) > 1):
            return "", frozenset()
        if any(c.starred for c in self.param_calls.get(ref, ())) and not all(
            self.tables.apis[a].run_time_keywords for a in apis
        ):
            return "", frozenset()
        return min(apis), verbs

    def _only_called(self, ref: str) -> bool:
        """A parameter whose value, here and wherever it is handed on to (`reach`), is only
        called with one positional argument (`**kwargs` checked by the caller)."""
        reached = self.reach(ref)
        return reached is not None and not any(
            len(c.args) > 1 for r in reached for c in self.param_calls.get(r, ())
        )

    def stays_inside(self, ref: str) -> bool:
        """A parameter's value escapes nowhere, or only to parameters of the program's own
        functions where it escapes nowhere (followed there)."""
        return self.reach(ref) is not None

    def reach(self, ref: str, depth: int = 0) -> frozenset[str] | None:
        """The parameter and those of the program's own functions it is handed on to,
        transitively; None if it escapes anywhere else (or the chain is deeper than 5)."""
        if ref not in self.escaping:
            return frozenset({ref})
        handed = self.handed_on().get(ref)
        if handed is None or depth > 5:
            return None
        found = {ref}
        for target in handed:
            further = self.reach(target, depth + 1)
            if further is None:
                return None
            found |= further
        return frozenset(found)

    def handed_on(self) -> dict[str, list[str]]:
        """Parameter refs -> the parameters of the program's own functions they are passed
        to, for those passed only so (each place they escape is such an argument)."""
        if self._handed is not None:
            return self._handed
        passed: dict[str, list[str]] = {}
        for name, sites in self.callers.items():
            fn = self.functions.get(name)
            if fn is None:
                continue
            skip = 1 if fn.kind in ("method", "classmethod") else 0
            for site in sites:
                for i, arg in enumerate(site.args):
                    if "@" in arg.rpartition(".")[2] and i + skip < len(fn.params):
                        passed.setdefault(arg, []).append(f"{name}@{fn.params[i + skip]}")
                for key, arg in site.kwargs:
                    if "@" in arg.rpartition(".")[2] and key in fn.params:
                        passed.setdefault(arg, []).append(f"{name}@{key}")
        self._handed = {
            ref: targets
            for ref, targets in passed.items()
            if len(targets) == self.escape_counts.get(ref, 0)
        }
        return self._handed

    def in_subclasses(self, cls: str, name: str) -> str:
        """``self.m()`` in a mixin that does not define m: the classes that mix it in do
        (they are one family for this call, async together or not at all)."""
        found = frozenset(
            m for sub in self.descendants(cls) if (m := self.method(sub, name)) is not None
        )
        found = frozenset(m for m in found if m in self.functions)
        return self.join(found) if found else ""

    def held(self, ref: str, depth: int = 0) -> tuple[frozenset[str], bool]:
        """The project functions a callable value may be, and whether it can be nothing
        else: a function (`=f`), a bound method (`C#m`, `x.m`), what a function returns."""
        if depth > 10:
            return frozenset(), False
        if ref.startswith(GETATTR):  # the methods it may find; complete if obj's class is known
            found = frozenset(_dynamic_methods(self, ref[len(GETATTR) :]))
            owner = ref[len(GETATTR) :].rpartition("^")[0]
            return found, bool(found) and self.value(owner) in self.classes
        if ref.startswith("{"):
            parts = [self.held(part, depth + 1) for part in split_union(ref)]
            return frozenset().union(*(f for f, _ in parts)), all(c for _, c in parts)
        if "@" in ref.rpartition(".")[2]:
            return self.held_parameter(ref, depth)
        if ref.startswith("=") and not _VALUE_MARKS.search(ref[1:]):
            name = self.callee(ref[1:])
            return (frozenset({name}), True) if name in self.functions else (frozenset(), False)
        if not _VALUE_MARKS.search(ref) and "#" not in ref:  # `run(job)`: a function's name
            name = self.callee(ref)
            if name in self.functions and not _is_property(self.functions[name]):
                return frozenset({name}), True
        if ref.endswith("()"):
            fn = self.functions.get(self.callee(ref[:-2]))
            if fn is None or not fn.returns_value:
                return frozenset(), False
            if fn.returns_value.startswith(GETATTR) and fn.returns_value.endswith("^*"):
                return frozenset(), False  # `return getattr(self, name)`: most likely data
            return self.held(fn.returns_value, depth + 1)
        last = ref.rpartition(".")[2]
        if "#" in last:  # `self.get` read as a value, in a method of the class
            cls, _, attr = ref.rpartition("#")
            name = self.method(self.canonical(cls), attr) or ""
        else:
            base, member = _split_member(ref)
            owner = self.value(base) if base is not None else ""
            name = self.method(owner, member) or "" if owner in self.classes else ""
        fn = self.functions.get(name)
        if fn is None or _is_property(fn):
            return frozenset(), False
        return frozenset({name}), True

    def join(self, names: frozenset[str]) -> str:
        """Make functions that one call may reach one family (with their overrides and
        the groups they are already in); its representative."""
        if len(names) > 1:
            group = frozenset(names).union(*(self.family(n) for n in names))
            for name in group:
                self.joined[name] = group
            self._family.clear()  # families computed before the join are stale
        return min(names)

    def inherited(self, cls: str, name: str) -> str:
        """``self.get()`` in a subclass of ``requests.Session`` is ``requests.Session.get``."""
        for klass in self.mro(cls):
            for base in (self.canonical(b) for b in self.classes[klass].bases):
                if base not in self.classes and base in self.tables.types:
                    return self.canonical(f"{base}.{name}")
        return ""

    def value(self, ref: str, depth: int = 0) -> str:
        """A value ref -> its type: a project class or an external qualified type."""
        if ref in self._value:
            found = self._value[ref]
            if found == PENDING:  # a cycle: it adds nothing the other sources do not
                self._cycle_hits.add(ref)
            return found
        self._value[ref] = PENDING
        outer_hits, self._cycle_hits = self._cycle_hits, set()
        result = self._compute_value(ref, depth)
        hits = self._cycle_hits - {ref}
        if hits:  # inside a cycle still open above: computed again once it closes
            del self._value[ref]
        else:
            self._value[ref] = result
        self._cycle_hits = outer_hits | hits
        return "" if result == PENDING else result

    def _compute_value(self, ref: str, depth: int) -> str:
        result = ""
        if depth < 20:
            if ref.startswith(GETATTR):  # `getattr(gl, name)`: one of gl's attributes
                result = self._dynamic_attribute(ref[len(GETATTR) :], depth)
            elif ref.startswith("=") and not _VALUE_MARKS.search(ref[1:]):
                name = self.canonical(ref[1:])
                if name in self.modules:
                    result = f"{MODULE}{name}"
                elif name in self.classes:  # `adapter=DefaultAdapter`: the class itself
                    result = f"{CLASS}{name}"
            elif ref == NONE:
                result = NONE
            elif ref.startswith("{") and ref.endswith("}"):
                result = self.one_type({self.value(part, depth + 1) for part in split_union(ref)})
            elif ref.endswith("()"):
                result = self._call_result(ref[:-2], depth)
            elif "@" in ref.rpartition(".")[2]:
                fn_name, _, param = ref.rpartition("@")
                result = self._parameter(fn_name, param, depth)
            elif "#" in ref.rpartition(".")[2]:
                cls, _, attr = ref.rpartition("#")
                result = self._attribute(self.canonical(cls), attr, depth)
            else:
                base, member = _split_member(ref)
                if base is not None:
                    owner = self.value(base, depth + 1)
                    if owner in self.classes:
                        result = self._attribute(owner, member, depth)
                    elif owner.startswith(MAYBE):  # maybe ours: its attribute, maybe
                        result = self.one_type(
                            {
                                "",
                                *(
                                    self._attribute(cls, member, depth)
                                    for cls in owner[len(MAYBE) :].split("|")
                                ),
                            }
                        )
                    elif owner.startswith(UNION):
                        result = self.one_type(
                            {
                                self._attribute(cls, member, depth)
                                for cls in owner[len(UNION) :].split("|")
                            }
                        )
                    elif owner:
                        result = self.tables.returns.get(f"{owner}.{member}", "")
        return result

    def _call_result(self, callee_ref: str, depth: int) -> str:
        base, member = _split_member(callee_ref)
        if member == "__enter__" and base is not None and base.endswith("()"):
            # `with repo.unit_of_work() as uow`: a @contextmanager generator yields uow
            fn = self.functions.get(self.callee(base[:-2]))
            if fn is not None and fn.is_generator and CONTEXT_MANAGER in fn.decorators:
                return self.value(fn.yields_value, depth + 1) if fn.yields_value else ""
        if member == "__enter__" and base is not None:
            owner = self.value(base, depth + 1)
            if owner in self.classes:
                enter = self.method(owner, "__enter__")
                fn = self.functions.get(enter or "")
                return self.value(f"{fn.returns}()", depth + 1) if fn and fn.returns else owner
            return self.tables.returns.get(f"{owner}.__enter__", owner)
        name = self.callee(callee_ref)
        if name in self.classes:
            return name
        fn = self.functions.get(name)
        if fn is not None:
            if fn.returns:
                return self.value(f"{self.canonical(fn.returns)}()", depth + 1)
            # A method's overrides may run instead (`self.create_session()` in a base
            # class whose subclass returns the session); one that returns None or only
            # raises says nothing about the value.
            returns = {
                f.returns_value
                for f in [fn, *(self.functions[m] for m in self.family(name))]
                if not f.returns
            }
            found = {self.value(ref, depth + 1) if ref else "" for ref in returns}
            return self.one_type(found)
        if name in self.tables.returns:
            return self.tables.returns[name]
        # An instance of a type the codemods know (`r: requests.Response`).
        if name in self.tables.types:
            return name
        if self.library_name(name):
            last = name.rpartition(".")[2]
            # An instance of another library's class (`gql.Client(...)`, by its CapWords
            # spelling; not a CONSTANT holding who knows what): not a project object, so
            # its methods are that library's, whatever their names.
            if last[:1].isupper() and not last.isupper():
                return f"{EXTERNAL}{name}"
            # What another library's function returns (`lib.make_client()`): maybe one.
            return MIXED
        if name in self.star_unknown:  # a name a library's `from lib import *` may bind
            return MIXED
        return ""

    def library_name(self, name: str) -> bool:
        """A dotted name in a module outside the project (not a builtin, not a value, not
        an API a codemod converts)."""
        return (
            "." in name
            and name.partition(".")[0] not in self.project_roots
            and not name.startswith(("builtins.", "?", "super:", EXTERNAL, MODULE, MIXED))
            and not _VALUE_MARKS.search(name)
            and name not in self.tables.apis
        )

    def _parameter(self, fn_name: str, param: str, depth: int) -> str:
        """The type every call passes for an unannotated parameter, if they all agree."""
        fn = self.functions.get(fn_name)
        sites = self.callers.get(fn_name, [])
        if fn is None or param not in fn.params:
            return ""
        default = dict(fn.defaults).get(param)
        if not sites:  # a test or fixture: pytest passes the fixture of that name
            fixture = self.fixture(fn_name, param)
            if fixture is None:  # a fixture a library ships (`requests_mock`)
                # A public API's `session=None`: its own default is all the project passes.
                return self.tables.fixtures.get(param, NONE if default == NONE else "")
            ref = fixture.yields_value if fixture.is_generator else fixture.returns_value
            return self.value(ref, depth + 1) if ref else ""
        position = fn.params.index(param) - (1 if fn.kind in ("method", "classmethod") else 0)
        found: set[str] = set()
        for site in sites:
            kwargs = dict(site.kwargs)
            if param in kwargs:
                ref = kwargs[param]
            elif 0 <= position < len(site.args):
                ref = site.args[position]
            elif default is not None and not site.starred:
                ref = default  # not passed: the default (None says nothing of the value)
            else:
                ref = ""
            found.add(self.value(ref, depth + 1) if ref else "")
        return self.one_type(found)

    def one_type(self, found: set[str]) -> str:
        """The type of a value that is one of ``found``: that type if there is one; MIXED
        if some are not project classes (so `x.m()` is no call of a project method only);
        else unknown. None beside other values says nothing (a default, a `return None`
        on one path): the value is used as the others."""
        if len(found) > 1:
            found = found - {NONE, PENDING}
        if len(found) == 1:
            return next(iter(found))
        classes: set[str] = set()  # the project classes it may be an object of
        uncertain = False  # it may also be something else (unknown, a library's object)
        for t in found:
            if t in self.classes:
                classes.add(t)
            elif t.startswith(UNION):
                classes.update(t[len(UNION) :].split("|"))
            elif t.startswith(MAYBE):
                classes.update(t[len(MAYBE) :].split("|"))
                uncertain = True
            elif not t.startswith((CLASS, MODULE)):
                uncertain = True
        if classes and not uncertain:
            # one of several project classes: `x.m()` calls m of each (joined)
            return UNION + "|".join(sorted(classes)) if len(classes) > 1 else classes.pop()
        if classes:  # one of the project's objects, or something else
            return MAYBE + "|".join(sorted(classes))
        if any(t and t not in self.classes for t in found):
            return MIXED
        return ""

    def fixture(self, fn_name: str, param: str) -> FunctionInfo | None:
        """The pytest fixture ``param`` seen from ``fn_name``: its module, then conftests."""
        module = self.module_of.get(fn_name, "")
        scopes = [module]
        parts = module.split(".")
        for i in range(len(parts) - 1, -1, -1):
            scopes.append(".".join([*parts[:i], "conftest"]))
        for scope in scopes:
            fixture = self.functions.get(f"{scope}.{param}")
            if fixture is not None and "pytest.fixture" in fixture.decorators:
                return fixture
        return None

    def _dynamic_attribute(self, target: str, depth: int) -> str:
        """``getattr(obj, name)`` on a project object: one of the values its class (bases,
        subclasses) keeps in attributes of that name prefix, or something else."""
        owner, _, pattern = target.rpartition("^")
        typ = self.value(owner, depth + 1) if owner != "?" else ""
        if typ not in self.classes:
            return ""
        prefix, exact = pattern.rstrip("*"), not pattern.endswith("*")
        found = {""}  # a method, a class attribute, something set elsewhere
        for klass in [*self.mro(typ), *sorted(self.descendants(typ))]:
            for name, ref in self.classes[klass].attributes:
                if ((name == prefix) if exact else name.startswith(prefix)) and ref:
                    found.add(self.value(ref, depth + 1))
        return self.one_type(found)

    def _attribute(self, cls: str, attr: str, depth: int) -> str:
        """The declared type of ``self.<attr>`` (`manager: FileManager` in the class body,
        the nearest in the MRO), else every value assigned to it in the class, its bases
        and its subclasses (``self`` may be one of them); None says nothing of the value."""
        for klass in self.mro(cls):
            if attr in self.classes[klass].declared:
                ref = dict(self.classes[klass].attributes).get(attr, "")
                return self.value(ref, depth + 1) if ref else ""
        found = {
            self.value(ref, depth + 1) if ref else ""
            for klass in [*self.mro(cls), *sorted(self.descendants(cls))]
            for name, ref in self.classes[klass].attributes
            if name == attr
        }
        return self.one_type(found) if found else ""


_VALUE_MARKS = re.compile(r"[()#@{=]")
EXTERNAL = "external:"  # a value type: an instance of a library class no table describes
MODULE = "module:"  # a value type: a module object (`self._objects = objects`)
CLASS = "class:"  # a value type: a project class itself (`adapter=DefaultAdapter`)
UNION = "union:"  # a value type: one of several project classes (`union:pkg.A|pkg.B`)
MAYBE = "maybe:"  # a value type: a project class's object, or something unknown
PENDING = "pending:"  # a value being computed (met again: a cycle, which adds nothing)
GETATTR = "getattr:"  # a value ref: `getattr(obj, name)` (index.dynamic_attribute)
# A value type: one of several types, some not the project's (a library object or one of
# the project's): a method called on it is not joined with the project's (AFY109).
MIXED = "mixed:"


def _arguments_for(
    r: _Resolver,
    resolved: Sequence[tuple[ModuleIndex, str, CallSite, str]],
    accept: Callable[[str, str], bool],
) -> Iterable[tuple[ModuleIndex, FunctionRef, str]]:
    """For each call of a project function and each of its parameters that ``accept``s
    (function name, parameter), the value reads (FunctionRefs) of the argument passed for
    it, as `self.get` or `x.get`: (module, ref, the argument's value ref)."""
    for mod, owner, site, name in resolved:
        callee = r.functions.get(name)
        if callee is None:
            continue
        for param in callee.params:
            if not accept(name, param):
                continue
            arg = r.argument(callee, param, site) or ""
            for ref in mod.refs.get(owner, ()) if arg else ():
                if ref.target in (arg, arg.replace("#", "."), arg.removeprefix("=")):
                    yield mod, ref, arg


def _holds_callable(ref: str) -> bool:
    """A callee ref that is a value being called (a local, a call's result), not a name or
    a method looked up on a value."""
    if ref.startswith("{") and ref.endswith("}"):  # `x = a if c else b` ... `x()`
        return True
    if ref.startswith(GETATTR):  # `getattr(self, "do_" + name)(...)`, not `getattr(...).m`
        return "." not in ref.rpartition("^")[2]
    if ref.startswith("=") and not _VALUE_MARKS.search(ref[1:]):
        return True
    return ref.endswith("()") or "#" in ref.rpartition(".")[2]


def _split_member(ref: str) -> tuple[str | None, str]:
    """Split ``<value-ref>.member``; (None, ref) if ``ref`` is a global dotted name."""
    base, dot, member = ref.rpartition(".")
    if not dot:
        return None, ref
    if ref.startswith(GETATTR) and "." in ref.rpartition("^")[2]:
        return base, member  # `getattr(gl, name).get`
    if _VALUE_MARKS.search(base):  # global dotted names have none of these
        return base, member
    return None, ref


def _site_kind(site: CallSite, callee: FunctionInfo) -> tuple[str, str] | None:
    """Why a call site forces its callee to stay synchronous, as (kind, detail), or None."""
    ctx = site.context
    if ctx.startswith("sync:"):
        why = ctx[len("sync:") :]
        if why == "lambda":
            return "lambda", "called inside a lambda"
        if why.startswith("`# asyncify: skip`"):
            return "skip", "called on a `# asyncify: skip` line"
        if why == "import time":
            return "import", "called at import time"
        return "import", f"called at definition time, in a {why}"
    if ctx.startswith("genexp:"):
        consumer = ctx[len("genexp:") :]
        if consumer not in FULL_CONSUMERS:
            where = f"`{consumer}(...)`" if consumer else "a lazily consumed generator expression"
            return "lazy", f"called in a generator expression passed to {where}"
    if callee.is_generator:
        if ctx == "main":
            return "main-generator", "async generator called in the `__main__` block"
        if ctx == "with" and CONTEXT_MANAGER in callee.decorators:
            return None
        if ctx in ("await", "with"):
            return "generator", "its generator object is used as a value, not iterated in place"
    return None


CONTEXT_MANAGER = "contextlib.contextmanager"
# Protocol methods and their async counterparts; partners become async together.
PROTOCOL = {
    "__enter__": "__aenter__",
    "__exit__": "__aexit__",
    "__iter__": "__aiter__",
    "__next__": "__anext__",
}
PARTNER = {
    "__enter__": "__exit__",
    "__exit__": "__enter__",
    "__iter__": "__next__",
    "__next__": "__iter__",
}


def build_plan(
    indexes: Sequence[ModuleIndex],
    apis: Iterable[Api],
    aliases: Mapping[str, str],
    iterates: Mapping[str, str] | None = None,
    strong: Iterable[str] = (),
    frozen: Iterable[str] = (),
    audit: bool = False,
    declined: Iterable[str] = (),
    keep_sync_api: bool = False,
    fixtures: Mapping[str, str] | None = None,
    entry_points: frozenset[str] = frozenset(),
    module_aliases: Mapping[str, str] | None = None,
) -> AsyncPlan:
    """Plan the conversion. Modules whose path is in ``frozen`` stay exactly as they are
    (their output failed verification, or a reviewer rejected a change that cannot be left
    out alone): their functions, and all they call, stay sync. Functions named in
    ``declined`` (dotted names; rejected in ``run --interactive``) stay sync like functions
    marked ``# asyncify: skip``."""
    frozen_paths = frozenset(frozen)
    declined_names = frozenset(declined)
    api_list = list(apis)
    strong_set = frozenset(strong)
    tables = _Tables(
        apis={a.name: a for a in api_list},
        aliases=dict(aliases),
        returns={a.name: a.returns for a in api_list if a.returns},
        iterates=dict(iterates or {}),
        strong=frozenset(a.name for a in api_list if not a.weak or a.name in strong_set),
        types=frozenset(a.returns for a in api_list if a.returns),
        anywhere=frozenset(a.name for a in api_list if a.anywhere),
        fixtures=dict(fixtures or {}),
    )
    modules = {m.module: m for m in indexes}
    r = _Resolver(modules, tables, module_aliases)
    functions = r.functions
    path_of = {fn.name: m.path for m in indexes for fn in m.functions}

    # Resolve every call site: (owner, site, callee name). Each pass knows the callers
    # found by the previous one, which types unannotated parameters; stop when stable.
    resolved: list[tuple[ModuleIndex, str, CallSite, str]] = []
    for _ in range(4):
        before = resolved
        resolved = [
            (mod, owner, site, r.callee(site.callee))
            for mod in indexes
            for owner, sites in mod.calls.items()
            for site in sites
        ]
        if [x[3] for x in resolved] == [x[3] for x in before]:
            break
        known: dict[str, list[CallSite]] = {}
        for _mod, _owner, site, name in resolved:
            if name in r.classes:  # `C(x)` passes x to C.__init__ (its own or inherited)
                name = r.method(name, "__init__") or ""
            if name in functions:
                known.setdefault(name, []).append(site)
        r.reset(known)

    # `x.m()` on a value of unknown type, m a name no builtin, stdlib or converted library
    # type has: it calls one of the project's methods named m, which become one family.
    joined = _join_unknown(r, resolved, tables)
    assumed = {(mod.path, site.pos) for mod, _, site, name in resolved if name in joined}
    resolved = [(mod, owner, site, joined.get(name, name)) for mod, owner, site, name in resolved]

    callers: dict[str, list[tuple[str, CallSite, ModuleIndex]]] = {}
    callees: dict[str, set[str]] = {}
    seeds: dict[str, tuple[str, str, int, bool]] = {}  # fn -> (api, path, line, strong)
    blocks_on: dict[str, set[str]] = {}  # fn -> every blocking API it calls itself
    module_level: list[IdleCall] = []  # blocking calls at module level (import time)
    for mod, owner, site, name in resolved:
        if not owner and name in tables.apis and tables.apis[name].blocking and not site.skip:
            module_level.append(IdleCall(mod.path, site.line, name, unchanged.MODULE))
        if name in functions:
            callers.setdefault(name, []).append((owner, site, mod))
            callees.setdefault(owner, set()).add(name)
        elif (
            name in tables.apis
            and tables.apis[name].blocking
            and owner in functions
            and not functions[owner].is_async  # already async: its callers already await
        ):
            blocks_on.setdefault(owner, set()).add(name)
            if site.skip or site.context.startswith("sync:"):
                continue
            if not site.context.startswith("genexp:") or site.context[7:] in FULL_CONSUMERS:
                strong_seed = name in tables.strong
                prior = seeds.get(owner)
                if prior is None or (strong_seed and not prior[3]):
                    seeds[owner] = (name, mod.path, site.line, strong_seed)

    # `list(map(f, xs))`: the consumer calls f in the owner's frame, where it becomes
    # `[await f(_item) for _item in xs]`; so the owner must become async too.
    for mod in indexes:
        for owner, refs in mod.refs.items():
            for ref in refs:
                consumer = ref.context.removeprefix("map:consume:")
                target = r.callee(ref.target)
                if (
                    ref.context.startswith("map:consume:")
                    and consumer in ("list", "tuple", "set")
                    and target in functions
                    and owner in functions
                ):
                    pseudo = CallSite(ref.pos, ref.line, ref.col, ref.target, "await")
                    callers.setdefault(target, []).append((owner, pseudo, mod))
                    callees.setdefault(owner, set()).add(target)

    # `with x` / `for y in x` where x's class has __enter__/__iter__: implicit calls.
    blocks: list[tuple[ModuleIndex, str, BlockSite, list[str], bool]] = []
    for mod in indexes:
        for owner, block_sites in mod.blocks.items():
            for block in block_sites:
                targets, maybe = _protocol_targets(r, block)
                if not targets:
                    continue
                blocks.append((mod, owner, block, targets, maybe))
                ctx = block.context if block.context.startswith("sync:") else "await"
                if block.context == "main":
                    ctx = "sync:`with`/`for` at module level"
                pseudo = CallSite(block.pos, block.line, block.col, targets[0], ctx)
                for target in targets:
                    callers.setdefault(target, []).append((owner, pseudo, mod))
                    callees.setdefault(owner, set()).add(target)

    # `next(it)` where it is a project iterator: a call of its __next__ (`await anext(it)`
    # if that becomes __anext__).
    next_calls: list[tuple[ModuleIndex, str, CallSite, str]] = []
    for mod, owner, site, name in resolved:
        if name == "builtins.next" and site.args and site.args[0]:
            typ = r.value(site.args[0])
            method = r.method(typ, "__next__") if typ in r.classes else None
            if method is not None and method in functions:
                next_calls.append((mod, owner, site, method))
                callers.setdefault(method, []).append((owner, site, mod))
                callees.setdefault(owner, set()).add(method)

    # Async factories: a class whose own __init__ reaches a blocking call gets
    # `async def create(...)`, and each construction `C(...)` becomes `await C.create(...)`.
    factories = _factories(
        r, resolved, callers, callees, indexes, {f for f, s in seeds.items() if s[3]}
    )

    # Pin what must stay synchronous, and everything it calls.
    pins: dict[str, Pin] = {}
    # A wrapper's async copy may call, instead of what it blocks on, an awaitable twin
    # taking the same arguments; anything else it blocks on keeps its decorator sync-only.
    twin_of = {name: api.replaced_by for name, api in tables.apis.items() if api.replaced_by}

    def twins_of(wrapper: str) -> dict[str, str] | None:
        apis = blocks_on.get(wrapper, set())
        return {a: twin_of[a] for a in apis} if apis <= twin_of.keys() else None

    wrapped: dict[str, tuple[str, ...]] = {}  # decorated fn -> its decorators' wrapper makers
    cached: set[str] = set()  # functions under a cache that has an async counterpart
    for fn in functions.values():
        if fn.is_async:
            continue
        if path_of[fn.name] in frozen_paths:
            pins[fn.name] = Pin(
                "frozen", "its file is left unchanged", path_of[fn.name], fn.line, fn.col
            )
        elif fn.name in declined_names:
            pins[fn.name] = Pin("skip", "rejected in review", path_of[fn.name], fn.line, fn.col)
        elif fn.sync_reason and _reason_kind(fn.sync_reason) == "decorator" and (
            makers := _async_aware(fn, r, seeds, callees, frozen_paths, path_of, twins_of)
        ) is not None:
            wrapped[fn.name] = makers  # its decorators get an async branch if it is async
        elif _reason_kind(fn.sync_reason) == "cache" and async_cache_ok(
            fn.decorators, TRANSPARENT_DECORATORS
        ):
            cached.add(fn.name)  # lru_cache -> alru_cache if it becomes async
        elif fn.sync_reason and not (fn.qualname.endswith(".__init__") and fn.cls in factories):
            kind = _reason_kind(fn.sync_reason)
            pins[fn.name] = Pin(kind, fn.sync_reason, path_of[fn.name], fn.line, fn.col)
        elif fn.generator_blocker:
            pins[fn.name] = Pin(
                "generator", fn.generator_blocker, path_of[fn.name], fn.line, fn.col
            )
    for mod, _, site, name in resolved:
        if name in factories:
            name = f"{name}.__init__"
            if site.context == "main":
                detail = "constructed in the `__main__` block, outside the program's event loop"
                pins.setdefault(name, Pin("import", detail, mod.path, site.line, site.col))
        callee = functions.get(name)
        if callee is None or callee.is_async or name in pins:
            continue
        if mod.path in frozen_paths:  # its module-level code stays as it is too
            pins[name] = Pin(
                "frozen", "called from a file left unchanged", mod.path, site.line, site.col
            )
            continue
        why = _site_kind(site, callee)
        if why is not None:
            pins[name] = Pin(why[0], why[1], mod.path, site.line, site.col)
    # Functions handed to a parameter whose every call is followed (held_parameter): the
    # positions of those arguments are no use as a value.
    followed = {
        (mod.module, ref.pos)
        for mod, ref, _arg in _arguments_for(
            r, resolved, lambda name, param: r.held_parameter(f"{name}@{param}")[1]
        )
    }
    maps: dict[str, dict[Pos, str]] = {}
    for mod in indexes:
        for refs in mod.refs.values():
            for ref in refs:
                name = r.callee(ref.target)
                used = functions.get(name)
                if used is None or used.is_async:
                    continue
                consumer = ref.context.removeprefix("map:consume:")
                if (
                    ref.context.startswith("map:consume:")
                    and consumer in ("list", "tuple", "set")
                    and not used.is_generator
                ):
                    maps.setdefault(mod.module, {})[ref.pos] = consumer
                elif ref.context.startswith("held:") and r.held(ref.context[5:])[1]:
                    continue  # every call of the value it is held in is followed
                elif (mod.module, ref.pos) in followed:
                    continue  # handed to a parameter whose every call is followed
                elif name not in pins:
                    pins[name] = Pin("value", "used as a value", mod.path, ref.line, ref.col)
    # A function value handed on (an argument, stored, in a container), or called where it
    # may also be something else, is used as a value after all.
    for mod in indexes:
        for escapes in mod.escapes.values():
            for value_ref, line, col in escapes:
                if value_ref.startswith(GETATTR) and value_ref.endswith("^*"):
                    continue  # `d[k] = getattr(obj, name)`: most likely a data attribute
                if value_ref in r.handed_on() and r.stays_inside(value_ref):
                    continue  # a parameter handed on to one of ours, followed there
                for name in r.held(value_ref)[0]:
                    if not functions[name].is_async:
                        pins.setdefault(name, Pin("value", "used as a value", mod.path, line, col))
    for mod, _, site, _name in resolved:
        for name in r.partial_calls.get(site.callee, ()):
            if not functions[name].is_async:
                detail = "called through a value that may be something else"
                pins.setdefault(name, Pin("value", detail, mod.path, site.line, site.col))
    # An __iter__ that returns an iterator cannot await (its __aiter__ must be a plain
    # method): if it does blocking work itself, it stays as it is.
    for fn in functions.values():
        if fn.qualname.endswith(".__iter__") and not fn.is_generator and not fn.is_async:
            if fn.name in seeds or callees.get(fn.name):
                detail = "an `__iter__` that returns an iterator cannot await"
                pins.setdefault(fn.name, Pin("dunder", detail, path_of[fn.name], fn.line, fn.col))
    # Methods of subclasses of library classes are called by the library, without await.
    methods_of: dict[str, list[FunctionInfo]] = {}
    for fn in functions.values():
        if fn.cls:
            methods_of.setdefault(fn.cls, []).append(fn)
    for cls in r.classes.values():
        for base in (r.canonical(b) for b in cls.bases):
            if base in r.classes:
                continue
            if base.partition(".")[0] in r.project_roots:
                continue  # a project name asyncify could not follow
            called = _library_callbacks(base, tables)
            for fn in methods_of.get(cls.name, ()):
                if not fn.is_async and called(fn.qualname.rpartition(".")[2]):
                    detail = f"a method of a subclass of `{base}`, which calls it without await"
                    pins.setdefault(
                        fn.name, Pin("library", detail, path_of[fn.name], fn.line, fn.col)
                    )
    # `x.m()` where x's type is unknown may call any project method named m. In a caller
    # that becomes async anyway the call is awaited adaptively (AFY113); in one that stays
    # sync, a coroutine would reach it, so those methods stay sync (AFY109), unless m is a
    # name that containers and strings use everywhere (then a finding only, below).
    unknown_calls: dict[str, tuple[str, int, int]] = {}
    unknown_owners: dict[str, set[str]] = {}
    for mod, owner, site, name in resolved:
        if name.startswith("?.") and not site.skip and name[2:] not in COMMON_METHODS:
            unknown_calls.setdefault(name[2:], (mod.path, site.line, site.col))
            unknown_owners.setdefault(name[2:], set()).add(owner)
    # `x.m` read as a value off a value of unknown type: the bound method may be called
    # anywhere, without await.
    unknown_values: dict[str, tuple[str, int, int]] = {}
    for mod in indexes:
        for refs in mod.refs.values():
            for ref in refs:
                member = ref.target[2:]
                if ref.target.startswith("?.") and member not in COMMON_METHODS:
                    unknown_values.setdefault(member, (mod.path, ref.line, ref.col))
    for fn in functions.values():
        method = fn.qualname.rpartition(".")[2]
        if fn.cls and method in unknown_values and not fn.is_async and not _is_property(fn):
            path, line, col = unknown_values[method]
            detail = f"`.{method}` is read off a value of unknown type at {path}:{line}"
            pins.setdefault(fn.name, Pin("unknown", detail, path, line, col))
    # `helpers.f()` where `helpers` could be two project files: any function f may be
    # the one called, so they stay sync (AFY112).
    unresolved = _unresolved_modules(r, resolved)
    for fn in functions.values():
        short = fn.qualname.rpartition(".")[2]
        if not fn.cls and short in unresolved and not fn.is_async:
            path, line, col, dotted_name = unresolved[short]
            detail = f"`{dotted_name}()` may call it"
            pins.setdefault(fn.name, Pin("unresolved", detail, path, line, col))
    base_pins = dict(pins)

    def solve(
        sync_names: set[str],
    ) -> tuple[dict[str, Pin], dict[str, Pin], dict[str, str], dict[str, str]]:
        """Pins (with methods named in ``sync_names`` pinned for their unknown calls), what
        they keep sync, and the functions that become async (hop) or would (wanted)."""
        pins = dict(base_pins)
        for fn in functions.values():
            method = fn.qualname.rpartition(".")[2]
            if fn.cls and method in sync_names and not fn.is_async:
                path, line, col = unknown_calls[method]
                detail = f"`.{method}()` is also called on a value of unknown type at {path}:{line}"
                pins.setdefault(fn.name, Pin("unknown", detail, path, line, col))
        # A call through the base class may reach any override: a family is pinned together.
        for name, pin in list(pins.items()):
            for member in r.family(name):
                if member not in pins and not functions[member].is_async:
                    pins[member] = pin
        pinned = dict(pins)
        queue = deque(pinned)
        while queue:
            name = queue.popleft()
            # What a pinned function calls stays sync, and so does its override family.
            for down in [*callees.get(name, ()), *r.family(name)]:
                if down not in pinned and not functions[down].is_async:
                    pinned[down] = pinned[name]
                    queue.append(down)

        # Seed and propagate to callers; remember the hop that made each function async.
        hop: dict[str, str] = {}
        wanted: dict[str, str] = {}  # would be async if nothing were pinned

        def propagate(start: Iterable[str], target: dict[str, str], respect_pins: bool) -> None:
            work = deque(start)
            while work:
                name = work.popleft()
                for member in r.family(name):  # overrides must all be async, or none
                    if member in target or functions[member].is_async:
                        continue
                    if respect_pins and member in pinned:
                        continue
                    target[member] = name
                    work.append(member)
                for owner, site, _ in callers.get(name, ()):
                    if not owner or owner in target or functions[owner].is_async:
                        continue
                    if respect_pins and owner in pinned:
                        continue
                    if site.context.startswith("sync:") or site.skip:
                        continue
                    target[owner] = name
                    work.append(owner)

        strong_seeds = {f: s for f, s in seeds.items() if s[3]}
        for fn_name, (api, path, line, _) in strong_seeds.items():
            wanted[fn_name] = f"{api} @ {path}:{line}"
            if fn_name not in pinned:
                hop[fn_name] = wanted[fn_name]
        propagate(list(hop), hop, respect_pins=True)
        propagate(list(wanted), wanted, respect_pins=False)
        # Weak seeds (e.g. open()) join only once some async function calls them.
        changed = True
        while changed:
            changed = False
            for fn_name, (api, path, line, strong_seed) in seeds.items():
                if strong_seed or fn_name in hop or fn_name in pinned:
                    continue
                if any(
                    owner in hop
                    for owner, site, _ in callers.get(fn_name, ())
                    if site.context != "main"
                ):
                    hop[fn_name] = f"{api} @ {path}:{line}"
                    propagate([fn_name], hop, respect_pins=True)
                    changed = True
        return pins, pinned, hop, wanted

    sync_names: set[str] = set()
    while True:
        pins, pinned, hop, wanted = solve(sync_names)
        async_names = {fn.rpartition(".")[2] for fn in hop if functions[fn].cls}
        stays_sync = {
            method
            for method, owners in unknown_owners.items()
            if method in async_names
            and any(
                owner not in hop and not (owner in functions and functions[owner].is_async)
                for owner in owners
            )
        }
        if stays_sync <= sync_names:
            break
        sync_names |= stays_sync
    adaptive_names = {m for m in async_names if m in unknown_owners} - sync_names

    chains: dict[str, tuple[str, ...]] = {}
    for name in hop:
        chain = [name]
        cur = name
        while cur in hop and len(chain) < 50:
            cur = hop[cur]
            chain.append(cur)
        chains[name] = tuple(chain)

    # Findings: a pin that keeps something wanted synchronous, reported at its cause.
    findings: list[Finding] = []
    reported: set[tuple[str, int, int, str]] = set()
    # A wrapper that stays synchronous for synchronous functions, with an async copy.
    copied = {
        _wrapper_of(functions[maker])
        for fn_name, makers in wrapped.items()
        if fn_name in hop
        for maker in makers
    }
    label_of = {fn.name: f"{mod.module}:{fn.qualname}" for mod in indexes for fn in mod.functions}
    for name, pin in pins.items():
        if name not in wanted or name in hop or name in copied or pin.kind in ("skip", "frozen"):
            continue
        code = _REASON_CODES[pin.kind]
        key = (pin.path, pin.line, pin.col, code.code)
        if key in reported:
            continue
        reported.add(key)
        qualname = functions[name].qualname
        detail = f"`{qualname}` stays synchronous ({pin.detail}); it reaches {_leaf(wanted, name)}"
        chain = _chain(wanted, name, label_of)
        if len(chain) > 2:  # through other functions: the chain, as `asyncify plan` shows it
            detail += f" ({' → '.join(chain)})"
        findings.append(code.at(pin.path, pin.line, pin.col, detail))

    # Handlers a framework awaits, made async: the package that framework needs for them.
    for fn_name in wrapped:
        packages = {_framework_handler(r, d) for d in functions[fn_name].decorators}
        for package in sorted(p for p in packages if p and fn_name in hop):
            fn = functions[fn_name]
            detail = f"`{package}`: `{fn.qualname}` is now an async handler"
            findings.append(NEW_DEPENDENCY.at(path_of[fn_name], fn.line, fn.col, detail))

    if audit:
        findings.extend(_audit(functions, resolved, callees, hop, tables, pinned))

    # Calls on values of unknown type taken to call the project's methods of that name.
    for mod, owner, site, name in resolved:
        caller = functions.get(owner)
        awaited = owner in hop or (caller is not None and caller.is_async)
        if (mod.path, site.pos) in assumed and name in hop and awaited:
            detail = f"`.{name.rpartition('.')[2]}()`, taken to be `{functions[name].qualname}`"
            others = len(r.family(name))
            if others:
                detail += f" or one of {others} more method{'s' if others > 1 else ''} of that name"
            findings.append(ASSUMED_RECEIVER.at(mod.path, site.line, site.col, detail))
    # Calls on values of unknown type to a method name that became async.
    async_methods: dict[str, list[str]] = {}
    for n in sorted(hop):
        if functions[n].cls:
            async_methods.setdefault(n.rpartition(".")[2], []).append(functions[n].qualname)
    for mod, owner, site, name in resolved:
        if name.startswith("?.") and name[2:] in async_methods and not site.skip:
            caller = functions.get(owner)
            awaiting = owner in hop or (caller is not None and caller.is_async)
            if site.awaited or (
                awaiting and name[2:] in adaptive_names and site.context == "await"
            ):
                continue  # awaited, or awaited adaptively (AFY113)
            if owner in hop or owner in functions:
                which = " / ".join(f"`{q}`" for q in async_methods[name[2:]][:3])
                detail = (
                    f"`.{name[2:]}()` is not awaited (most likely a dict's, a file's, ...); "
                    f"if the value is one of your objects ({which}, now async), it gets a "
                    "coroutine here"
                )
                findings.append(UNKNOWN_RECEIVER.at(mod.path, site.line, site.col, detail))

    sync = (
        plan_sync_api(
            indexes,
            hop,
            functions,
            {c.name: c.methods for c in r.classes.values()},
            r.family,
            factories,
            CONTEXT_MANAGER,
            only=None if keep_sync_api else {r.canonical(n) for n in entry_points},
            entry_points={r.canonical(n) for n in entry_points},
        )
        if keep_sync_api or entry_points
        else SyncApi()
    )
    findings.extend(sync.findings)
    call_renames: dict[str, dict[Pos, str]] = {}
    # What tests' mock.patch targets become, and which converted APIs each async function
    # reaches (codemods/mocks.py).
    converted = _converted_apis(resolved, functions, hop, tables)
    reaches = _reaches(converted, callers, functions, hop)
    patches = _patches(r, indexes, resolved, hop, converted, tables)

    # Per-module plans.
    module_plans: dict[str, ModulePlan] = {}
    wrappers_by_path: dict[str, set[str]] = {}  # decorators that get an async branch
    wrapper_twins: dict[str, dict[str, str]] = {}  # by path: blocking API -> awaitable twin
    for fn_name, makers in wrapped.items():
        if fn_name in hop:
            for maker in makers:
                wrappers_by_path.setdefault(path_of[maker], set()).add(functions[maker].qualname)
                twins = twins_of(_wrapper_of(functions[maker])) or {}
                wrapper_twins.setdefault(path_of[maker], {}).update(twins)
    awaits: dict[str, dict[Pos, AwaitSite]] = {}
    names: dict[str, dict[Pos, str]] = {}
    interesting = _interest(tables)
    for mod, owner, site, name in resolved:
        caller = functions.get(owner)
        awaiting = owner in hop or (caller is not None and caller.is_async)
        if name in factories and f"{name}.__init__" in hop and awaiting:
            awaits.setdefault(mod.module, {})[site.pos] = AwaitSite(
                f"factory:{factories[name]}", False
            )
        elif name in hop:
            # Callers that become async, callers that were async already, the main block.
            if awaiting and site.callee in r.adaptive and site.context == "await":
                awaits.setdefault(mod.module, {})[site.pos] = AwaitSite("adaptive", False)
                detail = f"`.{name.rpartition('.')[2]}()`, maybe `{functions[name].qualname}`"
                findings.append(ADAPTIVE_AWAIT.at(mod.path, site.line, site.col, detail))
            elif awaiting or (not owner and site.context == "main"):
                callee = functions[name]
                awaits.setdefault(mod.module, {})[site.pos] = AwaitSite(
                    site.context,
                    callee.is_generator,
                    closing=callee.is_generator and callee.cleanup and site.context == "for",
                )
                if name in sync.renames:
                    call_renames.setdefault(mod.module, {})[site.pos] = sync.renames[name]
        elif (
            name.startswith("?.")
            and name[2:] in adaptive_names
            and awaiting
            and site.context == "await"
            and not site.skip
            and not site.awaited
        ):
            awaits.setdefault(mod.module, {})[site.pos] = AwaitSite("adaptive", False)
            detail = f"`.{name[2:]}()` on a value of unknown type, maybe one of your objects"
            findings.append(ADAPTIVE_AWAIT.at(mod.path, site.line, site.col, detail))
        elif name not in functions and _is_interesting(name, interesting):
            names.setdefault(mod.module, {})[site.pos] = name
    for mod, owner, site, method in next_calls:
        caller = functions.get(owner)
        if method in hop and (owner in hop or (caller is not None and caller.is_async)):
            awaits.setdefault(mod.module, {})[site.pos] = AwaitSite("anext", False)
    bound_methods: dict[str, dict[tuple[int, int], str]] = {}
    for mod, ref, arg in _arguments_for(
        r,
        resolved,
        # only a function that awaits its calls
        lambda name, param: name in hop and bool(r.bound_api(f"{name}@{param}")[0]),
    ):
        if ref.target == arg and ref.context == "value":
            bound_methods.setdefault(mod.module, {})[(ref.line, ref.col)] = arg.rpartition(".")[2]
    # Converted types used, or made by a blocking call (`psycopg2.connect`), in code that
    # stays synchronous: an object of such a type met elsewhere may be a sync one.
    sync_types = frozenset(
        api_type
        for _mod, owner, site, name in resolved
        if name in tables.apis
        and tables.apis[name].blocking
        and owner not in hop
        and not (owner in functions and functions[owner].is_async)
        for api_type in (name.rpartition(".")[0], tables.apis[name].returns)
        if api_type in tables.types
    )
    run_time_types = frozenset(
        name.rpartition(".")[0]
        for _mod, _owner, site, name in resolved
        if name in tables.apis
        and (keywords := tables.apis[name].run_time_keywords)
        and (
            site.starred
            or any(key in keywords and key not in site.constants for key, _ in site.kwargs)
        )
    )
    project_calls: dict[str, set[Pos]] = {}
    for mod, _owner, site, name in resolved:
        if name in functions or name in r.classes:
            project_calls.setdefault(mod.module, set()).add(site.pos)
    types: dict[str, dict[Pos, str]] = {}
    for mod in indexes:
        for vsite in mod.values:
            typ = r.value(vsite.ref)
            if typ and typ not in r.classes and _is_interesting(typ, interesting):
                types.setdefault(mod.module, {})[vsite.pos] = typ
            if vsite.is_attribute:
                receiver, member = _split_member(vsite.ref)
                if receiver is None and "#" in vsite.ref:
                    continue
                owner_type = r.value(receiver) if receiver else ""
                member_name = (
                    f"{owner_type}.{member}" if owner_type and owner_type not in r.classes else ""
                )
                if member_name and _is_interesting(member_name, interesting):
                    names.setdefault(mod.module, {}).setdefault(vsite.pos, r.canonical(member_name))
    for mod in indexes:  # external names used as values: `except requests.HTTPError`
        for refs in mod.refs.values():
            for ref in refs:
                target = r.canonical(ref.target)
                if target not in functions and _is_interesting(target, interesting):
                    names.setdefault(mod.module, {}).setdefault(ref.pos, target)
    findings_by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        findings_by_path.setdefault(finding.path, []).append(finding)
    testcases: dict[str, set[str]] = {}  # module -> TestCase classes to make async
    for name in hop:
        root = _testcase_root(r, functions[name].cls) if functions[name].cls else None
        if root is not None:
            module = next(m.module for m in indexes if any(c.name == root for c in m.classes))
            testcases.setdefault(module, set()).add(root[len(module) + 1 :])
    # Blocking calls already inside `async def` code are converted too (fixing asyncio code).
    fix_async = {
        mod.module
        for mod, owner, site, name in resolved
        if owner in functions and functions[owner].is_async and name in tables.apis
    }
    async_blocks: dict[str, set[Pos]] = {}
    adaptive_blocks: dict[str, set[Pos]] = {}
    for mod, owner, block, targets, maybe in blocks:
        if owner in hop and maybe and any(t in hop for t in targets):
            adaptive_blocks.setdefault(mod.module, set()).add(block.pos)
            detail = "iterated with `async for` over `_aiter_adaptive(...)`: maybe your object"
            findings.append(ADAPTIVE_AWAIT.at(mod.path, block.line, block.col, detail))
        elif owner in hop and all(t in hop for t in targets):
            async_blocks.setdefault(mod.module, set()).add(block.pos)
    for mod in indexes:
        mine = {fn.qualname for fn in mod.functions if fn.name in hop}
        gens = {fn.qualname for fn in mod.functions if fn.name in hop and fn.is_generator}
        renames = {
            fn.qualname: PROTOCOL[fn.qualname.rpartition(".")[2]]
            for fn in mod.functions
            if fn.name in hop and fn.cls and fn.qualname.rpartition(".")[2] in PROTOCOL
        }
        module_factories = {
            fn.qualname.rpartition(".")[0]: factories[fn.cls]
            for fn in mod.functions
            if fn.name in hop and fn.cls in factories and fn.qualname.endswith(".__init__")
        }
        renames.update({f"{cls}.__init__": ASYNC_INIT for cls in module_factories})
        tests = _test_roles(r, mod, hop)
        renames.update(tests.renames)
        renames.update(
            {fn.qualname: sync.renames[fn.name] for fn in mod.functions if fn.name in sync.renames}
        )
        # An __iter__ that returns an iterator (not a generator) becomes a plain __aiter__.
        sync_renames = {q for q in renames if q.endswith(".__iter__") and q not in gens}
        module_plans[mod.module] = ModulePlan(
            async_wrappers=frozenset(wrappers_by_path.get(mod.path, ())),
            wrapper_twins=wrapper_twins.get(mod.path, {}),
            async_caches=frozenset(fn.qualname for fn in mod.functions if fn.name in cached)
            & frozenset(mine),
            module=mod.module,
            path=mod.path,
            async_functions=frozenset(mine - sync_renames),
            async_generators=frozenset(gens),
            renames=renames,
            sync_renames=frozenset(sync_renames),
            async_blocks=frozenset(async_blocks.get(mod.module, ())),
            adaptive_blocks=frozenset(adaptive_blocks.get(mod.module, ())),
            factories=module_factories,
            pytest_tests=frozenset(tests.pytest_tests),
            async_fixtures=frozenset(tests.fixtures),
            testcases=frozenset(testcases.get(mod.module, ())),
            patches=patches.get(mod.module, {}),
            reaches={fn.qualname: reaches[fn.name] for fn in mod.functions if fn.name in reaches},
            anywhere=mod.module in fix_async
            or any(n in tables.anywhere for n in names.get(mod.module, {}).values()),
            context_managers=frozenset(
                fn.qualname
                for fn in mod.functions
                if fn.name in hop and CONTEXT_MANAGER in fn.decorators
            ),
            callable_returns=frozenset(
                fn.qualname for fn in mod.functions if _returns_async(r, fn, hop)
            ),
            awaits=awaits.get(mod.module, {}),
            maps=maps.get(mod.module, {}) if mine or awaits.get(mod.module) else {},
            names=names.get(mod.module, {}),
            types=types.get(mod.module, {}),
            sync_types=sync_types,
            run_time_types=run_time_types,
            project_calls=frozenset(project_calls.get(mod.module, ())),
            bound_methods=bound_methods.get(mod.module, {}),
            findings=tuple(sorted(findings_by_path.get(mod.path, []))),
            sync_wrappers={
                fn.qualname: sync.wrappers[fn.name]
                for fn in mod.functions
                if fn.name in sync.wrappers
            },
            reexports=_reexports(r, mod, sync.renames) if sync.renames else {},
        )
    # Only keep map rewrites whose function actually became async.
    for mod in indexes:
        plan = module_plans[mod.module]
        if plan.maps:
            keep = {}
            for refs in mod.refs.values():
                for ref in refs:
                    target = r.callee(ref.target)
                    if ref.pos in plan.maps and target in hop:
                        keep[ref.pos] = plan.maps[ref.pos]
                        if target in sync.renames:
                            call_renames.setdefault(mod.module, {})[ref.pos] = sync.renames[target]
            module_plans[mod.module] = _replace_maps(plan, keep)
    for module, renamed in call_renames.items():
        module_plans[module] = replace(module_plans[module], call_renames=renamed)
    unawaited = tuple(
        sorted(
            (mod.path, site.line, site.col, name, path_of[name])
            for mod, _owner, site, name in resolved
            if name in functions
            and functions[name].is_async
            and not functions[name].is_generator
            and not site.awaited
            and not site.skip
            and site.context in ("await", "main")
        )
    )
    idle = [
        IdleCall(path, line, api, unchanged.PINNED if strong_seed else unchanged.WEAK)
        for fn_name, (api, path, line, strong_seed) in seeds.items()
        if fn_name not in hop
    ]
    return AsyncPlan(
        unawaited=unawaited,
        idle=tuple(sorted({*idle, *module_level})),
        modules=module_plans,
        chains=chains,
        pinned={k: v for k, v in pinned.items() if k in wanted},
        plan_findings=tuple(sorted(findings)),
        labels={fn.name: f"{mod.module}:{fn.qualname}" for mod in indexes for fn in mod.functions},
        by_path={m.path: m for m in module_plans.values()},
        graph=_graph(indexes, callees, seeds, hop, wanted, pinned),
    )


def _graph(
    indexes: Sequence[ModuleIndex],
    callees: Mapping[str, set[str]],
    seeds: Mapping[str, tuple[str, str, int, bool]],
    hop: Mapping[str, str],
    wanted: Mapping[str, str],
    pinned: Mapping[str, Pin],
) -> PlanGraph:
    """The plan's call graph, for the HTML report and `plan --format dot|mermaid`."""
    nodes = {
        fn.name: GraphNode(
            f"{mod.module}:{fn.qualname}", mod.module, mod.path, fn.line, fn.is_async
        )
        for mod in indexes
        for fn in mod.functions
    }
    reaching = hop.keys() | wanted.keys()
    blames = {
        name: Blame(
            _REASON_CODES[pin.kind].code if pin.kind in _REASON_CODES else pin.kind,
            pin.path,
            pin.line,
            pin.col,
            pin.detail,
        )
        for name, pin in pinned.items()
        if name in wanted
    }
    return PlanGraph(
        nodes=nodes,
        calls={k: tuple(sorted(v & nodes.keys())) for k, v in callees.items() if k in nodes},
        blocking={f: f"{s[0]} @ {s[1]}:{s[2]}" for f, s in seeds.items() if f in reaching},
        hops=dict(hop),
        wanted={k: v for k, v in wanted.items() if k not in hop},
        kept=blame_kept(wanted, hop, blames),
    )


def merge_plans(plans: Sequence[AsyncPlan]) -> AsyncPlan:
    """One report over separately planned programs (folders of scripts).

    Names that two programs share (each has a ``main.main``) are told apart by the file.
    """
    if len(plans) == 1:
        return plans[0]
    chains: dict[str, tuple[str, ...]] = {}
    labels: dict[str, str] = {}
    modules: dict[str, ModulePlan] = {}
    by_path: dict[str, ModulePlan] = {}
    for plan in plans:
        paths = {m.module: m.path for m in plan.modules.values()}
        for name, chain in plan.chains.items():
            label = plan.label(name)
            module = label.partition(":")[0]
            key = name if name not in chains else f"{paths.get(module, '?')}::{name}"
            chains[key] = tuple(plan.label(hop) for hop in chain)
            labels[key] = label if name == key else f"{label} ({paths.get(module, '?')})"
        for module, mplan in plan.modules.items():
            modules[module if module not in modules else f"{mplan.path}::{module}"] = mplan
        by_path.update(plan.by_path)
    return AsyncPlan(
        graph=merge_graphs(plan.graph for plan in plans),
        modules=modules,
        chains=chains,
        plan_findings=tuple(sorted(f for p in plans for f in p.plan_findings)),
        labels=labels,
        by_path=by_path,
        unawaited=tuple(u for p in plans for u in p.unawaited),
        idle=tuple(sorted({i for p in plans for i in p.idle})),
    )


ASYNC_INIT = "_async_init"
UNITTEST_BASES = frozenset({"unittest.TestCase", "unittest.case.TestCase"})
UNITTEST_RENAMES = {"setUp": "asyncSetUp", "tearDown": "asyncTearDown"}


def _converted_apis(
    resolved: Sequence[tuple[ModuleIndex, str, CallSite, str]],
    functions: Mapping[str, FunctionInfo],
    hop: Mapping[str, str],
    tables: _Tables,
) -> dict[str, dict[str, bool]]:
    """Blocking APIs that converted code stops calling: api -> {owner: converted?}.

    A call is converted where its function is (or becomes) async; elsewhere it stays.
    APIs whose conversion still calls the same function (``to_thread``) are left out.
    """
    found: dict[str, dict[str, bool]] = {}
    for _mod, owner, site, name in resolved:
        api = tables.apis.get(name)
        if api is None or not api.blocking or api.keeps_callee:
            continue
        fn = functions.get(owner)
        done = fn is not None and (owner in hop or fn.is_async) and not site.skip
        sites = found.setdefault(name, {})
        sites[owner] = sites.get(owner, True) and done
    return found


def _reaches(
    converted: Mapping[str, Mapping[str, bool]],
    callers: Mapping[str, list[tuple[str, CallSite, ModuleIndex]]],
    functions: Mapping[str, FunctionInfo],
    hop: Mapping[str, str],
) -> dict[str, frozenset[str]]:
    """Async function -> top-level packages of the converted APIs it reaches by awaits."""
    starts: dict[str, set[str]] = {}  # package -> functions calling its converted APIs
    for api, sites in converted.items():
        starts.setdefault(api.split(".")[0], set()).update(o for o, done in sites.items() if done)
    out: dict[str, set[str]] = {}
    for root, owners in starts.items():
        work = deque(sorted(owners))
        seen = set(work)
        while work:
            name = work.popleft()
            out.setdefault(name, set()).add(root)
            for owner, _site, _mod in callers.get(name, ()):
                fn = functions.get(owner)
                if fn is not None and owner not in seen and (owner in hop or fn.is_async):
                    seen.add(owner)
                    work.append(owner)
    return {name: frozenset(roots) for name, roots in out.items()}


def _patches(
    r: _Resolver,
    indexes: Sequence[ModuleIndex],
    resolved: Sequence[tuple[ModuleIndex, str, CallSite, str]],
    hop: Mapping[str, str],
    converted: Mapping[str, Mapping[str, bool]],
    tables: _Tables,
) -> dict[str, dict[Pos, str]]:
    """What each mock.patch target becomes (see ``ModulePlan.patches``), by module."""
    if not any(mod.patches for mod in indexes):
        return {}
    called = {name for _mod, _owner, _site, name in resolved}
    # `from time import sleep`: a patch of `time.sleep` never intercepted those calls.
    by_name = {target for mod in indexes for target in mod.aliases.values()}
    out: dict[str, dict[Pos, str]] = {}
    for mod in indexes:
        for patch in mod.patches:
            target = _patch_target(r, patch)
            if target in hop:
                generator = r.functions[target].is_generator
                change = "async-generator" if generator else "async"
            elif target in r.classes:  # a class whose instances' methods became async
                methods = sorted(
                    {m for k in r.mro(target) for m in r.classes[k].methods if f"{k}.{m}" in hop}
                )
                if not methods:
                    continue
                change = f"class:{','.join(methods)}"
            elif target in converted and any(converted[target].values()):
                whole = all(converted[target].values())
                new = tables.apis[target].replaced_by
                if whole and new and new not in called and target not in by_name:
                    change = f"retarget:{target}:{new}"
                else:
                    change = f"{'replaced' if whole else 'partial'}:{target}"
            else:
                continue
            out.setdefault(mod.module, {})[patch.pos] = change
    return out


def _patch_target(r: _Resolver, patch: PatchSite) -> str:
    """The function or API a patch replaces: ``"pkg.mod.f"`` is looked up where it is
    *used* (``pkg.mod``), which may be an import of ``pkg.api.f``: follow it."""
    if patch.kind == "patch":
        name = r.canonical(patch.target)
        return name if name in r.functions else r.callee(name)
    ref, attr = patch.target, patch.attribute
    if any(mark in ref for mark in "()#@{"):  # an instance: its class's method
        owner = r.value(ref)
    else:
        owner = r.canonical(ref)
    if owner in r.classes:
        return r.method(owner, attr) or r.inherited(owner, attr)
    return r.callee(f"{owner}.{attr}") if owner else ""


def _testcase_root(r: _Resolver, cls: str) -> str | None:
    """The project class that derives directly from unittest.TestCase, if ``cls`` is one."""
    for klass in r.mro(cls):
        if any(r.canonical(base) in UNITTEST_BASES for base in r.classes[klass].bases):
            return klass
    return None


@dataclass
class _TestRoles:
    pytest_tests: set[str] = field(default_factory=set)
    fixtures: set[str] = field(default_factory=set)
    renames: dict[str, str] = field(default_factory=dict)


def _test_roles(r: _Resolver, mod: ModuleIndex, hop: Mapping[str, str]) -> _TestRoles:
    """What test frameworks need for the functions of ``mod`` that become async."""
    roles = _TestRoles()
    is_test_module = TEST_MODULE.match(mod.path.rpartition("/")[2]) is not None
    for fn in mod.functions:
        if fn.name not in hop:
            continue
        simple = fn.qualname.rpartition(".")[2]
        in_testcase = bool(fn.cls) and _testcase_root(r, fn.cls) is not None
        if in_testcase:
            if simple in UNITTEST_RENAMES:
                roles.renames[fn.qualname] = UNITTEST_RENAMES[simple]
        elif is_test_module and "pytest.fixture" in fn.decorators:
            roles.fixtures.add(fn.qualname)
        elif is_test_module and simple.startswith("test"):
            owner = fn.cls.rpartition(".")[2] if fn.cls else ""
            if not fn.cls and "." not in fn.qualname or owner.startswith("Test"):
                roles.pytest_tests.add(fn.qualname)
    return roles


def _dynamic_methods(r: _Resolver, target: str) -> list[str]:
    """The project methods ``getattr(<owner>, <name>)`` may return (target
    ``owner^name`` or ``owner^prefix*``): of the owner's class, its bases and subclasses
    when its type is known; else of any class, if a prefix narrows the name."""
    found = r.dynamic.get(target)
    if found is None:
        found = r.dynamic[target] = _find_dynamic_methods(r, target)
    return found


def _find_dynamic_methods(r: _Resolver, target: str) -> list[str]:
    owner, _, pattern = target.rpartition("^")
    prefix, exact = pattern.rstrip("*"), not pattern.endswith("*")
    typ = r.value(owner) if owner != "?" else ""
    if typ in r.classes:
        classes = {*r.mro(typ), *r.descendants(typ)}
    elif prefix:
        classes = set(r.classes)
    else:
        return []
    found = []
    for cls in classes:
        for method in r.classes[cls].methods if cls in r.classes else ():
            if method.startswith("__") or (not prefix and method.startswith("_")):
                continue  # a name built at run time is no special or private method
            if (method == prefix) if exact else method.startswith(prefix):
                name = f"{cls}.{method}"
                if name in r.functions and not _is_property(r.functions[name]):
                    found.append(name)
    return sorted(found)


def _join_unknown(
    r: _Resolver, resolved: Sequence[tuple[ModuleIndex, str, CallSite, str]], tables: _Tables
) -> dict[str, str]:
    """``?.m`` -> the project method that stands for every method named m.

    For a name that only project classes define (not a method of builtin or standard
    library types, nor of a type a codemod converts), a call on a value of unknown type
    calls one of those methods; they are joined into one dispatch family, async together
    or not at all, so the call is awaited exactly when whichever one it reaches is async.
    """
    library = _library_method_names(tables)
    # A module-level function of the same name: the value may be a module.
    functions = {fn.name.rpartition(".")[2] for fn in r.functions.values() if not fn.cls}
    wanted = {
        name[2:]
        for _, _, site, name in resolved
        if name.startswith("?.")
        and not site.skip
        and name[2:] not in library
        and name[2:] not in r.mixed_members
        and name[2:] not in functions
    }
    if not wanted:
        return {}
    candidates: dict[str, list[str]] = {}
    for fn in r.functions.values():
        method = fn.qualname.rpartition(".")[2]
        if fn.cls and method in wanted and not _is_property(fn):
            candidates.setdefault(method, []).append(fn.name)
    return {f"?.{method}": r.join(frozenset(names)) for method, names in candidates.items()}


def _returns_async(r: _Resolver, fn: FunctionInfo, hop: Mapping[str, str]) -> bool:
    """``fn`` returns a function (or bound method) that is async in the converted code."""
    if not fn.returns_value:
        return False
    found, complete = r.held(fn.returns_value)
    return bool(found) and complete and all(n in hop or r.functions[n].is_async for n in found)


def _is_property(fn: FunctionInfo) -> bool:
    return any(
        d.endswith(("property", ".setter", ".getter", ".deleter")) for d in fn.decorators
    )


def _library_method_names(tables: _Tables) -> frozenset[str]:
    """Method names of builtin and standard library types and of the converted libraries'
    types: on a value of unknown type, such a call may well be the library's."""
    found = set(_STDLIB_METHOD_NAMES)
    for name in tables.apis:
        owner, _, method = name.rpartition(".")
        if owner in tables.types or owner.rpartition(".")[2][:1].isupper():
            found.add(method)
    return frozenset(found)


def _stdlib_method_names() -> frozenset[str]:
    """Public method names of common builtin and standard library types: a shipped table
    (:mod:`asyncify.stdlib_table`), never an import."""
    return stdlib_table.METHOD_NAMES


_STDLIB_METHOD_NAMES = _stdlib_method_names()


def _factories(
    r: _Resolver,
    resolved: Sequence[tuple[ModuleIndex, str, CallSite, str]],
    callers: dict[str, list[tuple[str, CallSite, ModuleIndex]]],
    callees: dict[str, set[str]],
    indexes: Sequence[ModuleIndex],
    seeds: set[str],
) -> dict[str, str]:
    """Classes whose ``__init__`` should become an async factory; adds construction edges.

    Only a class with no subclasses in the project, never used as a value (passed as a
    factory, stored), whose own ``__init__`` reaches a blocking call.
    """
    valued = {
        r.canonical(ref.target) for mod in indexes for refs in mod.refs.values() for ref in refs
    }
    factories: dict[str, str] = {}
    for _ in range(5):
        reach = set(seeds)
        work = deque(seeds)
        while work:
            name = work.popleft()
            for owner, _site, _mod in callers.get(name, ()):
                if owner and owner not in reach:
                    reach.add(owner)
                    work.append(owner)
        found = False
        for cls in r.classes.values():
            init = r.functions.get(f"{cls.name}.__init__")
            if (
                init is None
                or cls.name in factories
                or init.is_async
                or init.name not in reach
                or r.children.get(cls.name)
                or cls.name in valued
                or (init.sync_reason and "called by Python" not in init.sync_reason)
            ):
                continue
            sites = [(mod, owner, site) for mod, owner, site, name in resolved if name == cls.name]
            if not sites:  # constructed only outside the project: keep its API
                continue
            factories[cls.name] = "create" if "create" not in cls.methods else "create_async"
            found = True
            for mod, owner, site in sites:
                callers.setdefault(init.name, []).append((owner, site, mod))
                callees.setdefault(owner, set()).add(init.name)
        if not found:
            break
    return factories


def _audit(
    functions: Mapping[str, FunctionInfo],
    resolved: Sequence[tuple[ModuleIndex, str, CallSite, str]],
    callees: Mapping[str, set[str]],
    hop: Mapping[str, str],
    tables: _Tables,
    pinned: Mapping[str, Pin],
) -> list[Finding]:
    """Blocking calls that run on the event loop: in async functions, or in synchronous
    functions that async code calls (through helpers, methods, attributes)."""
    asynchronous = {name for name, fn in functions.items() if fn.is_async} | set(hop)
    reached_from: dict[str, str] = {}
    work = deque(sorted(asynchronous))
    while work:
        name = work.popleft()
        for callee in sorted(callees.get(name, ())):
            if callee not in asynchronous and callee not in reached_from:
                reached_from[callee] = name
                work.append(callee)
    found: list[Finding] = []
    for mod, owner, site, name in resolved:
        api = tables.apis.get(name)
        if api is None or not api.blocking or site.skip or not owner:
            continue
        if owner in hop and owner not in pinned:
            continue  # converted by `asyncify run`
        if owner not in asynchronous and owner not in reached_from:
            continue
        chain = [owner]
        while chain[-1] in reached_from and len(chain) < 20:
            chain.append(reached_from[chain[-1]])
        path = " ← ".join(functions[n].qualname for n in chain)
        detail = f"`{name}` in {path}"
        if owner in asynchronous:
            detail += " (`asyncify run` converts it)"
        found.append(BLOCKS_LOOP.at(mod.path, site.line, site.col, detail))
    return found


# Method names of builtin containers, strings and files: `x.get()` on an unknown x is far
# more often a dict than a project object, so these only get a finding.
COMMON_METHODS = frozenset(
    {
        "get",
        "pop",
        "items",
        "keys",
        "values",
        "append",
        "extend",
        "update",
        "setdefault",
        "copy",
        "clear",
        "add",
        "remove",
        "discard",
        "index",
        "count",
        "sort",
        "insert",
        "join",
        "split",
        "strip",
        "format",
        "encode",
        "decode",
        "startswith",
        "endswith",
        "replace",
        "lower",
        "upper",
        "read",
        "write",
        "close",
        "readline",
        "readlines",
    }
)
# Library base classes whose subclasses' methods the library calls synchronously.
CALLBACK_BASES: dict[str, tuple[str, ...]] = {
    "threading.Thread": ("run",),
    "socketserver.BaseRequestHandler": ("setup", "handle", "finish"),
    "http.server.BaseHTTPRequestHandler": ("do_*", "handle*", "log_message"),
    "logging.Handler": ("emit", "flush", "close"),
    "json.JSONEncoder": ("default",),
    "unittest.mock.Mock": ("*",),
    # requests 2.32's Session: what it calls on itself (a subclass's other methods are its
    # own; special methods are Python's, and follow the rules for those)
    "requests.Session": (
        "close",
        "delete",
        "get",
        "get_adapter",
        "get_redirect_target",
        "head",
        "merge_environment_settings",
        "mount",
        "options",
        "patch",
        "post",
        "prepare_request",
        "put",
        "rebuild_auth",
        "rebuild_method",
        "rebuild_proxies",
        "request",
        "resolve_redirects",
        "send",
        "should_strip_auth",
    ),
}


def _library_callbacks(base: str, tables: _Tables) -> Callable[[str], bool]:
    """Which method names of a subclass of ``base`` the library may call itself."""
    listed = CALLBACK_BASES.get(base)
    if listed is not None:
        return lambda name: any(fnmatch.fnmatchcase(name, p) for p in listed)
    if base in tables.types or base in tables.apis:  # requests.Session, a psycopg2 cursor
        return lambda name: True
    if base.partition(".")[0] in PLAIN_BASE_MODULES or base in PLAIN_BASES:
        return lambda name: False
    own = _stdlib_class_methods(base)
    if own is not None:  # what the standard library class has (and so may call), and
        # the methods it finds by name (`cmd.Cmd` runs `do_<command>`)
        patterns = DISPATCH_BASES.get(base, ())
        return lambda name: name in own or any(fnmatch.fnmatchcase(name, p) for p in patterns)
    # Another library's class: which of a subclass's methods it calls (hooks such as
    # `on_item`, handlers found by name) cannot be known without reading the library, which
    # asyncify does not do: every method stays synchronous (AFY110).
    return lambda name: True


# Standard library classes that call methods of a subclass found by name.
DISPATCH_BASES: dict[str, tuple[str, ...]] = {
    "cmd.Cmd": ("do_*", "help_*", "complete_*"),
    "html.parser.HTMLParser": ("handle_*",),
    "xml.sax.handler.ContentHandler": ("*",),
    "ast.NodeVisitor": ("visit_*",),
    "ast.NodeTransformer": ("visit_*",),
}


@functools.cache
def _stdlib_class_methods(base: str) -> frozenset[str] | None:
    """The attribute names of a standard library class (what ``dir()`` would list), or None
    if ``base`` is not one. From the shipped table (:mod:`asyncify.stdlib_table`): asyncify
    never imports a module on behalf of the analysed code (a project's ``ftplib.py`` would
    run)."""
    module, _, _ = base.rpartition(".")
    if not module or module.partition(".")[0] not in sys.stdlib_module_names:
        return None
    key = stdlib_table.ALIASES.get(base, base)
    if key not in stdlib_table.CLASSES:
        return None
    names: set[str] = set()
    pending = [key]
    while pending:
        bases, own = stdlib_table.CLASSES.get(pending.pop(), ((), ""))
        names.update(own.split())
        pending.extend(bases)
    return frozenset(names)


# Bases that call no methods of their subclasses (or whose subclasses asyncify handles).
PLAIN_BASE_MODULES = frozenset(
    {"builtins", "typing", "typing_extensions", "abc", "enum", "dataclasses", "collections"}
)
PLAIN_BASES = frozenset(
    {"unittest.TestCase", "unittest.IsolatedAsyncioTestCase", "unittest.case.TestCase"}
)


def _protocol_targets(r: _Resolver, block: BlockSite) -> tuple[list[str], bool]:
    """The protocol methods a `with`/`for` over this value calls implicitly, and whether
    the value may be something else too (an iterable that is maybe a project object)."""
    if block.kind == "with" and block.ref.endswith("()"):
        cm = r.functions.get(r.callee(block.ref[:-2]))
        if cm is not None and CONTEXT_MANAGER in cm.decorators:
            return [cm.name], False
    typ = r.value(block.ref)
    names = ("__enter__", "__exit__") if block.kind == "with" else ("__iter__", "__next__")
    if typ.startswith(MAYBE) and block.kind != "with":
        found = [r.method(cls, n) for cls in typ[len(MAYBE) :].split("|") for n in names]
        return list(dict.fromkeys(f for f in found if f and f in r.functions)), True
    if typ not in r.classes:
        return [], False
    found = [r.method(typ, n) for n in names]
    return [f for f in found if f and f in r.functions], False


def _replace_maps(plan: ModulePlan, maps: Mapping[Pos, str]) -> ModulePlan:
    return replace(plan, maps=dict(maps))


def _reexports(r: _Resolver, mod: ModuleIndex, renames: Mapping[str, str]) -> dict[str, str]:
    """Imported names a package ``__init__`` (or an ``__all__``) re-exports whose function
    got an async implementation under a new name: that name is re-exported beside it."""
    found: dict[str, str] = {}
    for local, target in mod.aliases.items():
        name = r.canonical(target)
        if name in renames and (mod.is_package or local in (mod.exports or ())):
            found[local] = renames[name]
    return found


def _chain(hops: Mapping[str, str], name: str, labels: Mapping[str, str]) -> list[str]:
    """``name``'s call chain down to the blocking call, labelled as ``asyncify plan`` does;
    a long one keeps its first four and last three links."""
    chain = [name]
    while chain[-1] in hops and len(chain) < 50:
        chain.append(hops[chain[-1]])
    shown = [labels.get(link, link) for link in chain]
    if len(shown) > 8:
        shown = [*shown[:4], f"… {len(shown) - 7} more …", *shown[-3:]]
    return shown


def _leaf(hops: Mapping[str, str], name: str) -> str:
    cur = name
    for _ in range(50):
        if cur not in hops:
            break
        cur = hops[cur]
    return f"`{cur}`"


def _async_aware(
    fn: FunctionInfo,
    r: _Resolver,
    seeds: Mapping[str, object],
    callees: Mapping[str, set[str]],
    frozen_paths: frozenset[str],
    path_of: Mapping[str, str],
    twins_of: Callable[[str], Mapping[str, str] | None],
) -> tuple[str, ...] | None:
    """The functions defining the wrappers of ``fn``'s project decorators, when each of its
    decorators is either harmless, a framework's that awaits a coroutine handler
    (:func:`asyncify.contexts.framework_handler`), or a project decorator that can get an
    async branch (:func:`asyncify.index.wrapper_role`); None otherwise.

    The wrapper itself may block only on APIs with an awaitable twin (``time.sleep`` in a
    retry loop becomes ``await asyncio.sleep`` in its async copy, see ``twins_of``) and must
    call no project function that blocks (its async copy is written without a plan of its
    own), and no staticmethod/classmethod may sit between it and the function
    (``inspect.iscoroutinefunction`` would not see through).
    """
    makers: list[str] = []
    for dec in fn.decorators:
        if dec in TRANSPARENT_DECORATORS or dec.startswith("pytest.mark."):
            if makers and dec in ("builtins.staticmethod", "builtins.classmethod"):
                return None
            continue
        if _framework_handler(r, dec) is not None:
            continue
        info = r.functions.get(r.callee(dec))
        if info is None or not info.wraps:
            return None
        kind, _, local = info.wraps.partition(":")
        maker = info.name if kind == "decorator" else f"{info.name}.<locals>.{local}"
        inner = r.functions.get(maker)
        if inner is None or not inner.wraps.startswith("decorator:"):
            return None
        wrapper = _wrapper_of(inner)
        if (
            twins_of(wrapper) is None
            or _reaches_seed(wrapper, seeds, callees, r)
            or path_of[maker] in frozen_paths
        ):
            return None
        makers.append(maker)
    return tuple(makers)


def _framework_handler(r: _Resolver, decorator: str) -> str | None:
    """:func:`asyncify.contexts.framework_handler` of a decorator ref: a method of the
    framework object it is taken from (`app = Flask(...)`, a global holding one)."""
    found = framework_handler(r.callee(decorator).removeprefix(EXTERNAL))
    base, _, method = decorator.rpartition(".")
    if found is None and base:
        owner = r.value(base).removeprefix(EXTERNAL)
        module, _, name = r.canonical(base).rpartition(".")
        held = r.modules[module].global_values.get(name) if module in r.modules else None
        if not owner and held:  # `from myapp import app`
            owner = r.value(held).removeprefix(EXTERNAL)
        found = framework_handler(f"{owner}.{method}") if owner else None
    return found


def _wrapper_of(maker: FunctionInfo) -> str:
    """The local wrapper a decorator (``wraps`` "decorator:W") returns."""
    return f"{maker.name}.<locals>.{maker.wraps.partition(':')[2]}"


def _reaches_seed(
    name: str, seeds: Mapping[str, object], callees: Mapping[str, set[str]], r: _Resolver
) -> bool:
    """Whether a function it calls (directly or not, or an override of one) does blocking
    work: a wrapper copied into an async branch must call nothing that becomes async."""
    seen: set[str] = set()
    work = list(callees.get(name, ()))
    while work:
        callee = work.pop()
        if callee in seen:
            continue
        seen.add(callee)
        if callee in seeds:
            return True
        work.extend(callees.get(callee, ()))
        work.extend(r.family(callee))
    return False


def _reason_kind(reason: str) -> str:
    if reason.startswith("marked"):
        return "skip"
    if "is called by Python" in reason:
        return "dunder"
    if "property" in reason:
        return "property"
    if "cache" in reason:
        return "cache"
    return "decorator"


def _interest(tables: _Tables) -> tuple[frozenset[str], frozenset[str]]:
    names = set(tables.apis) | set(tables.returns) | set(tables.iterates)
    types = set(tables.returns.values()) | set(tables.iterates.values())
    return frozenset(names), frozenset(t for t in types if t)


def _is_interesting(name: str, interest: tuple[frozenset[str], frozenset[str]]) -> bool:
    names, types = interest
    return name in names or name in types or name.rpartition(".")[0] in types


def _unresolved_modules(
    r: _Resolver, resolved: Sequence[tuple[ModuleIndex, str, CallSite, str]]
) -> dict[str, tuple[str, int, int, str]]:
    """Calls of ``pkg.mod.f`` whose ``pkg`` is the project's (a package, or a folder that
    holds project files) but whose module is none of its files (a name two files could be
    imported as): function name -> the first such call (path, line, col, dotted name)."""
    found: dict[str, tuple[str, int, int, str]] = {}
    for mod, _owner, site, name in resolved:
        prefix, _, short = name.rpartition(".")
        if (
            site.skip
            or prefix.partition(".")[0] not in r.project_roots
            or name in r.functions
            or name in r.classes
            or name in r.tables.apis
            or name.startswith(("?", "super:", EXTERNAL, MODULE, MIXED))
            or _VALUE_MARKS.search(name)
            or _inside_module(r, prefix)
        ):
            continue
        found.setdefault(short, (mod.path, site.line, site.col, name))
    return found


def _inside_module(r: _Resolver, prefix: str) -> bool:
    """``prefix`` is a project module, a class, or names something inside a module (an
    attribute of it, not a submodule): then the call is not to an unknown module."""
    parts = prefix.split(".")
    for i in range(len(parts), 0, -1):
        head = r.canonical(".".join(parts[:i]))
        if head in r.classes:
            return True
        mod = r.modules.get(head)
        if mod is not None:
            return i == len(parts) or not mod.is_package
    return False
