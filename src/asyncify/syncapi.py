"""``--keep-sync-api``: public functions that become async stay callable synchronously.

A library converted by asyncify changes its API: ``fetch(url)`` becomes a coroutine
function, and every downstream caller that wrote ``lib.fetch(url)`` breaks. With
``--keep-sync-api`` the async implementation of each *public* function or method is
renamed ``<name>_async`` (every converted call site in the project awaits that name) and
the old name becomes a synchronous wrapper with the same signature and docstring::

    async def fetch_async(url, timeout=5):
        ...

    def fetch(url, timeout=5):
        return _run_sync_api(fetch_async(url, timeout), "fetch()", "await fetch_async()")

``_run_sync_api`` is a small helper written into each such module (the output never
imports asyncify). It refuses to run inside a running event loop (a ``RuntimeError``
naming the async API to await instead: blocking the loop, or nesting loops, is what the
conversion exists to avoid) and otherwise runs the coroutine on **one event loop per
thread, kept open between calls** and shared by every converted module. A loop per call
(``asyncio.run``) would break objects that keep loop-bound resources across calls: an
``httpx.AsyncClient`` or an asyncpg connection created during one ``asyncio.run()``
cannot be used from the next one's loop.

Public means: the module path has no component starting with ``_`` and is not a test
module or ``__main__``; the function (or its class) is listed in ``__all__`` when the
module has a literal one, else its name does not start with ``_``; a method's own name
does not start with ``_``. Special cases:

* an async factory (``__init__`` → ``create``): ``__init__`` is kept as a wrapper that runs
  ``_async_init``, so ``Client(...)`` still builds an object in synchronous code;
* ``__enter__``/``__exit__`` that became ``__aenter__``/``__aexit__``: kept as wrappers,
  so ``with Client() as c`` still works in synchronous code;
* iteration protocols, async generators and ``@contextmanager`` functions have no
  synchronous form here: a finding says which API is no longer synchronous.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import libcst as cst

from asyncify.findings import Code, Finding
from asyncify.index import TEST_MODULE, FunctionInfo, ModuleIndex

SUFFIX = "_async"
RUNNER = "_run_sync_api"

ENTRY_POINT = Code(
    "AFY503",
    "console-script function keeps a synchronous wrapper",
    "nothing to do; call `<name>_async` from async code",
    "note",
    doc="""
    The project declares this function as the target of an installed command
    (`[project.scripts]` / `gui-scripts` in pyproject.toml, `console_scripts` /
    `gui_scripts` in setup.cfg). The command calls it synchronously and ignores its result:
    as `async def` it would only create a coroutine and exit. So the async implementation
    is named `<name>_async`, and `<name>` stays a synchronous function with the same
    signature that runs it (as `--keep-sync-api` does for every public function).

    Before:

    ```python
    def main():
        print(fetch_all())
    ```

    After:

    ```python
    async def main_async():
        print(await fetch_all())

    def main():
        return _run_sync_api(main_async(), "main()", "await main_async()")
    ```
    """,
)
NAME_TAKEN = Code(
    "AFY801",
    "--keep-sync-api: the async name is taken, so no synchronous form is kept",
    "rename the function or the existing `<name>_async`, then run asyncify again",
    doc="""
    With `--keep-sync-api`, a public function or method that becomes async is renamed
    `<name>_async` and its old name becomes a synchronous wrapper. Here `<name>_async`
    already exists in the same module or class (or in a class of the same override
    family), so asyncify cannot add it without clobbering your code.

    The function is converted as without `--keep-sync-api`: it becomes async under its
    old name, and synchronous callers outside the project break.

    Before:

    ```python
    def fetch(url):
        return requests.get(url).text

    def fetch_async(url):        # an unrelated existing function
        ...
    ```

    After (rename one of them, e.g. the existing helper, and run asyncify again):

    ```python
    async def fetch_async(url):
        ...

    def fetch(url):
        return _run_sync_api(fetch_async(url), "fetch()", "await fetch_async()")
    ```
    """,
)
GENERATOR_API = Code(
    "AFY802",
    "--keep-sync-api: a public generator became an async generator; it has no synchronous form",
    "iterate it with `async for`, or keep a synchronous copy of the generator by hand",
    doc="""
    With `--keep-sync-api`, public functions that become async keep a synchronous wrapper
    under their old name. A generator that becomes an async generator gets none: a
    faithful synchronous generator over an async one would have to drive it step by step
    on an event loop, forwarding `send()`/`throw()`/`close()`, and asyncify does not
    generate that. Synchronous callers that wrote `for row in rows(path)` must change.

    Before:

    ```python
    def rows(path):
        for line in open(path):
            yield line.split(",")
    ```

    After (converted; this finding says `rows` is no longer a synchronous iterator):

    ```python
    async def rows(path):
        async with aiofiles.open(path) as f:
            async for line in f:
                yield line.split(",")
    ```
    """,
)
PROTOCOL_API = Code(
    "AFY803",
    "--keep-sync-api: a public class's iteration became async (`__aiter__`/`__anext__`); "
    "`for` over it no longer works in synchronous code",
    "iterate it with `async for`, or add a synchronous `__iter__` by hand",
    doc="""
    With `--keep-sync-api`, a public class whose `__enter__`/`__exit__` became async keeps
    synchronous `__enter__`/`__exit__` wrappers. Its iteration protocol does not: an
    `__iter__`/`__next__` that became `__aiter__`/`__anext__` (or an `__iter__` generator
    that became an async generator) has no synchronous form, so `for x in obj` in
    synchronous code raises `TypeError: 'X' object is not iterable`.

    Before:

    ```python
    class Pages:
        def __iter__(self):
            for n in range(3):
                yield requests.get(f"{URL}/{n}").json()
    ```

    After (converted; this finding says `for page in Pages()` needs `async for` now):

    ```python
    class Pages:
        async def __aiter__(self):
            ...
    ```
    """,
)
CONTEXT_MANAGER_API = Code(
    "AFY804",
    "--keep-sync-api: a public @contextmanager became @asynccontextmanager; "
    "`with` over it no longer works in synchronous code",
    "use it with `async with`, or keep a synchronous copy by hand",
    doc="""
    With `--keep-sync-api`, public functions that become async keep a synchronous wrapper
    under their old name. A `@contextmanager` generator that becomes an
    `@asynccontextmanager` gets none: synchronous callers that wrote `with opened(path)`
    get `TypeError: 'coroutine'...` / `'_AsyncGeneratorContextManager' object does not
    support the context manager protocol`.

    Before:

    ```python
    @contextmanager
    def session():
        s = connect()
        yield s
        s.close()
    ```

    After (converted; this finding says `with session()` needs `async with` now):

    ```python
    @asynccontextmanager
    async def session():
        s = await connect()
        yield s
        await s.close()
    ```
    """,
)

# The helper each module with wrappers gets. The loop lives on the thread object so
# that every converted module of the program shares it (a client made through one
# module's wrapper is used through another's); weakref.finalize closes it when the
# thread object goes, or at exit.
RUNNER_SOURCE = f"""
def {RUNNER}(coro, name, instead):
    # Runs an async implementation for a synchronous caller (added by asyncify, for
    # --keep-sync-api or a console-script function): one event loop per thread, kept open
    # between calls, so objects holding loop-bound resources (an httpx.AsyncClient's
    # connections) keep working.
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        coro.close()
        raise RuntimeError(
            f"{{name}} is synchronous and cannot run inside a running event loop; {{instead}}"
        )
    thread = threading.current_thread()
    loop = getattr(thread, "_asyncify_sync_loop", None)
    if loop is None or loop.is_closed():
        loop = asyncio.new_event_loop()
        setattr(thread, "_asyncify_sync_loop", loop)  # noqa: B010
        weakref.finalize(thread, loop.close)
    return loop.run_until_complete(coro)
"""
RUNNER_IMPORTS = ("asyncio", "threading", "weakref")


@dataclass(frozen=True)
class Wrapper:
    """A synchronous wrapper kept under a function's old name."""

    target: str  # the async implementation's name (in the same scope)
    label: str  # how the error message names the synchronous API: "Client.get()"
    instead: str  # what the message says to do instead: "await Client.get_async()"


@dataclass
class SyncApi:
    """What ``--keep-sync-api`` adds to the plan, by function dotted name."""

    renames: dict[str, str] = field(default_factory=dict)  # async implementation's new name
    wrappers: dict[str, Wrapper] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)


def is_public_module(mod: ModuleIndex) -> bool:
    filename = posixpath.basename(mod.path.replace("\\", "/"))
    return not (
        mod.is_main
        or TEST_MODULE.match(filename)
        or any(part.startswith("_") for part in mod.module.split("."))
    )


def is_public(fn: FunctionInfo, mod: ModuleIndex) -> bool:
    """A function or method that users of the module may call (see the module docstring)."""
    if not is_public_module(mod) or "<locals>" in fn.qualname:
        return False
    parts = fn.qualname.split(".")
    top = parts[0]
    if mod.exports is not None and top not in mod.exports:
        return False
    if mod.exports is None and top.startswith("_"):
        return False
    if any(part.startswith("_") for part in parts[1:-1]):  # a private nested class
        return False
    last = parts[-1]
    is_dunder = last.startswith("__") and last.endswith("__")
    return len(parts) == 1 or is_dunder or not last.startswith("_")


def plan_sync_api(
    indexes: Sequence[ModuleIndex],
    hop: Mapping[str, str],
    functions: Mapping[str, FunctionInfo],
    class_methods: Mapping[str, Sequence[str]],
    family: Callable[[str], list[str]],
    factories: Mapping[str, str],
    context_manager: str,
    only: set[str] | None = None,
    entry_points: set[str] | frozenset[str] = frozenset(),
) -> SyncApi:
    """Which async functions keep a synchronous wrapper, and the findings for those that
    cannot. ``hop`` holds the functions that become async; ``only``: just these (the
    project's console-script functions, without --keep-sync-api)."""
    found = SyncApi()
    module_of = {fn.name: mod for mod in indexes for fn in mod.functions}
    module_names = {
        mod.module: {fn.qualname for fn in mod.functions}
        | {c.name.rpartition(".")[2] for c in mod.classes}
        | set(mod.aliases)
        for mod in indexes
    }
    reported: set[str] = set()
    for name in sorted(hop):
        fn = functions[name]
        mod = module_of[name]
        if only is not None and name not in only:
            continue
        if name in entry_points:
            found.findings.append(ENTRY_POINT.at(mod.path, fn.line, fn.col, f"`{fn.qualname}`"))
        elif not is_public(fn, mod) or name in found.renames:
            continue
        simple = fn.qualname.rpartition(".")[2]
        owner = fn.qualname.rpartition(".")[0]
        if simple == "__init__" and fn.cls in factories:
            found.wrappers[name] = Wrapper(
                "_async_init", f"{owner}()", f"await {owner}.{factories[fn.cls]}() instead"
            )
        elif simple in ("__enter__", "__exit__"):
            target = "__aenter__" if simple == "__enter__" else "__aexit__"
            found.wrappers[name] = Wrapper(target, f"`with` on {owner}", "use `async with` instead")
        elif simple in ("__iter__", "__next__"):
            if fn.cls not in reported:
                reported.add(fn.cls)
                detail = f"`{owner}`"
                found.findings.append(PROTOCOL_API.at(mod.path, fn.line, fn.col, detail))
        elif simple.startswith("__"):
            continue
        elif context_manager in fn.decorators:
            found.findings.append(
                CONTEXT_MANAGER_API.at(mod.path, fn.line, fn.col, f"`{fn.qualname}`")
            )
        elif fn.is_generator:
            found.findings.append(GENERATOR_API.at(mod.path, fn.line, fn.col, f"`{fn.qualname}`"))
        else:
            _rename_family(
                found,
                name,
                [name, *family(name)],
                functions,
                module_of,
                module_names,
                class_methods,
            )
    return found


def _rename_family(
    found: SyncApi,
    name: str,
    members: Sequence[str],
    functions: Mapping[str, FunctionInfo],
    module_of: Mapping[str, ModuleIndex],
    module_names: Mapping[str, set[str]],
    class_methods: Mapping[str, Sequence[str]],
) -> None:
    """Rename ``name`` and every override of it (one dispatch family) to ``<name>_async``.

    Overrides must share the new name, or a call through the base class would reach the
    wrong implementation. Each public member gets a wrapper; a private subclass inherits
    its base's wrapper, which calls ``self.<name>_async`` and so reaches the override.
    """
    fn = functions[name]
    simple = fn.qualname.rpartition(".")[2]
    new = simple + SUFFIX
    for member in members:
        other = functions[member]
        if other.cls:
            taken = new in class_methods.get(other.cls, ())
        else:
            taken = new in module_names[module_of[member].module]
        if taken:
            mod = module_of[name]
            detail = f"`{fn.qualname}`: `{new}` already exists"
            found.findings.append(NAME_TAKEN.at(mod.path, fn.line, fn.col, detail))
            return
    for member in members:
        other = functions[member]
        found.renames[member] = new
        if not is_public(other, module_of[member]):
            continue
        owner = other.qualname.rpartition(".")[0]
        label = f"{owner}.{simple}" if owner else simple
        async_label = f"{owner}.{new}" if owner else new
        found.wrappers[member] = Wrapper(new, f"{label}()", f"await {async_label}() instead")


# -- rewriting ---------------------------------------------------------------------------


def forward_args(params: cst.Parameters, skip_first: bool) -> list[str]:
    """The arguments that pass a function's own parameters on, in order."""
    forward: list[str] = []
    positional = [*params.posonly_params, *params.params]
    for param in positional[1 if skip_first else 0 :]:
        forward.append(param.name.value)
    if isinstance(params.star_arg, cst.Param):
        forward.append(f"*{params.star_arg.name.value}")
    forward.extend(f"{p.name.value}={p.name.value}" for p in params.kwonly_params)
    if params.star_kwarg is not None:
        forward.append(f"**{params.star_kwarg.name.value}")
    return forward


def sync_wrapper(node: cst.FunctionDef, wrapper: Wrapper, kind: str, owner: str) -> cst.FunctionDef:
    """``def <old name>(<same parameters>)`` that runs ``wrapper.target`` synchronously.

    ``node`` is the function as written (before it became async); its decorators
    (staticmethod, classmethod, abstractmethod: the index pins any other) and docstring
    are kept, so the wrapper looks and documents like the original API.
    """
    params = node.params
    positional = [*params.posonly_params, *params.params]
    if kind in ("method", "classmethod") and positional:
        receiver = positional[0].name.value
        target = f"{receiver}.{wrapper.target}"
        forward = forward_args(params, skip_first=True)
    elif kind == "staticmethod":
        target = f"{owner}.{wrapper.target}"
        forward = forward_args(params, skip_first=False)
    else:
        target = wrapper.target
        forward = forward_args(params, skip_first=False)
    message = f'"{wrapper.label}", "{wrapper.instead}"'
    call = f"{RUNNER}({target}({', '.join(forward)}), {message})"
    statement = call if node.name.value == "__init__" else f"return {call}"
    body: list[cst.BaseStatement] = []
    docstring = node.get_docstring(clean=False)
    if docstring is not None and isinstance(node.body, cst.IndentedBlock):
        body.append(node.body.body[0])
    body.append(cst.parse_statement(statement + "\n"))
    return node.with_changes(
        asynchronous=None,
        body=cst.IndentedBlock(body=body),
        leading_lines=[cst.EmptyLine(indent=False)]
        if owner
        else [cst.EmptyLine(indent=False), cst.EmptyLine(indent=False)],
    )
