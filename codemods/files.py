"""Blocking file I/O → aiofiles: ``open()``, file methods, ``os``/``os.path``, ``pathlib``.

Implements MAPPING.md §B with aiofiles 25.1
(https://github.com/Tinche/aiofiles#readme, ``aiofiles/threadpool``, ``aiofiles/os.py``,
``aiofiles/ospath.py``) and :func:`asyncio.to_thread`
(https://docs.python.org/3/library/asyncio-task.html#asyncio.to_thread).

A handle is converted only when asyncify can see *every* use of it in the function that
opens it (``docs/files.md``): methods that aiofiles makes awaitable get ``await``, sync
attributes stay, ``for``/``next`` become ``async for``/``await anext``, and the consumers
that take a handle (``json.load/dump``, ``print(file=)``, ``csv.reader``, csv writers) are
rewritten to read or write the same text through the handle. ``tempfile`` context managers
become ``aiofiles.tempfile`` ones (``aiofiles/tempfile/__init__.py``); lazy directory
iterators (``os.walk``, ``Path.iterdir/glob``) are listed in ``asyncio.to_thread`` when
consumed whole where created (unless ``to-thread = false``). Any other use (the handle passed to a
function, returned, stored, handed to pickle, shutil, zipfile or ``files=``) would read or
write nothing, or block, so that ``open()`` is left synchronous and reported.

``open`` and the ``os`` calls are *weak* APIs: they make a function async only when it is
on an async path already, or when ``--select files`` names this codemod.
"""

from __future__ import annotations

import symtable
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

from asyncify.codemod import Api, Codemod, dotted, keyword_arg
from asyncify.findings import Code
from asyncify.libcst_command import command_for

if TYPE_CHECKING:
    from asyncify.rewrite import RewriteState

FILE = "io.TextIOWrapper"  # the one type asyncify gives every handle open() returns
PATH = "pathlib.Path"

OPENERS = frozenset({"builtins.open", f"{PATH}.open"})
# Awaitable on aiofiles' text and binary wrappers (aiofiles/threadpool/{text,binary}.py).
ASYNC_METHODS = frozenset(
    {
        "close",
        "flush",
        "isatty",
        "read",
        "read1",
        "readall",
        "readinto",
        "readline",
        "readlines",
        "seek",
        "seekable",
        "tell",
        "truncate",
        "writable",
        "write",
        "writelines",
    }
)
# Plain attributes (or sync methods) of the aiofiles wrappers.
SYNC_ATTRIBUTES = frozenset(
    {
        "name",
        "mode",
        "closed",
        "encoding",
        "errors",
        "newlines",
        "buffer",
        "raw",
        "fileno",
        "line_buffering",
    }
)
# os.X -> aiofiles.os.X (aiofiles/os.py).
AIOFILES_OS = (
    "stat",
    "rename",
    "renames",
    "replace",
    "remove",
    "unlink",
    "mkdir",
    "makedirs",
    "rmdir",
    "removedirs",
    "link",
    "symlink",
    "readlink",
    "listdir",
    "scandir",
    "access",
    "statvfs",
)
# os.path.X -> aiofiles.os.path.X (aiofiles/ospath.py).
AIOFILES_OS_PATH = (
    "exists",
    "isfile",
    "isdir",
    "islink",
    "ismount",
    "getsize",
    "getatime",
    "getctime",
    "getmtime",
    "samefile",
)
# No aiofiles counterpart: run in a thread, only inside functions that are async anyway.
TO_THREAD = (
    "shutil.copy",
    "shutil.copy2",
    "shutil.copyfile",
    "shutil.copytree",
    "shutil.rmtree",
    "shutil.move",
    "os.chmod",
    "os.utime",
    "glob.glob",
)
# pathlib.Path methods that touch the file system: `await asyncio.to_thread(p.m, ...)`
# runs the very same method (encoding, newline, errors and closing included).
PATH_IO = ("read_text", "write_text", "read_bytes", "write_bytes")
PATH_FS = (
    "exists",
    "is_file",
    "is_dir",
    "stat",
    "mkdir",
    "unlink",
    "rmdir",
    "rename",
    "replace",
    "touch",
)
# pathlib.Path methods/attributes that give another Path (for type tracking only).
PATH_DERIVED = (
    "with_suffix",
    "with_name",
    "with_stem",
    "joinpath",
    "parent",
    "absolute",
    "expanduser",
    "resolve",
    "cwd",
    "home",
)

# Lazy directory iterators: in async code, `await asyncio.to_thread(list, it)` where the
# iterator is consumed whole where it is created (for loop, list/set/dict comprehension,
# list()/sorted()/...); `next(it)` becomes `await asyncio.to_thread(next, it)`.
WALK = "os.walk"
LAZY_LISTINGS = frozenset({WALK, "glob.iglob", f"{PATH}.iterdir", f"{PATH}.glob", f"{PATH}.rglob"})
# Builtins that consume their first argument whole (the listing is a snapshot anyway).
FULL_CONSUMERS = frozenset({"list", "sorted", "set", "frozenset", "tuple"})
# Uses of the `dirs` list of os.walk that cannot change it (anything else may prune it).
PURE_CALLS = frozenset(
    "len sorted list tuple set frozenset print str repr any all min max sum enumerate zip"
    " bool".split()
)
# tempfile context managers -> aiofiles.tempfile (aiofiles/tempfile/__init__.py); only
# the parameters both accept (aiofiles has no `errors`, nor `ignore_cleanup_errors`).
TEMP_FILES = {
    "tempfile.NamedTemporaryFile": tuple(
        "mode buffering encoding newline suffix prefix dir delete".split()
    ),
    "tempfile.TemporaryFile": tuple("mode buffering encoding newline suffix prefix dir".split()),
}
TEMP_DIR = "tempfile.TemporaryDirectory"
TEMP_DIR_PARAMS = ("suffix", "prefix", "dir")
ALL_OPENERS = OPENERS | frozenset(TEMP_FILES) | {TEMP_DIR}
# csv writer methods: writerow/writeheader return what the file's write() returns.
CSV_ROW_METHODS = frozenset({"writerow", "writeheader"})
CSV_WRITER_ATTRIBUTES = frozenset({"dialect", "fieldnames", "restval", "extrasaction"})

JSON_LOAD = "json.load"
JSON_DUMP = "json.dump"
PRINT = "builtins.print"
NEXT = "builtins.next"
CSV_READERS = frozenset({"csv.reader", "csv.DictReader"})
CSV_WRITERS = frozenset({"csv.writer", "csv.DictWriter"})

# A `with open(...)` block that calls only the file API and the plain functions and methods
# below runs whole in one `await asyncio.to_thread(...)` (docs/files.md, "Blocks run in one
# thread"): code that cannot tell which thread runs it. Anything else (a project function,
# another library, `await`) keeps the aiofiles form, one thread hop per file operation.
THREAD_BUILTINS = frozenset(
    "abs all any ascii bin bool bytearray bytes chr dict divmod enumerate filter float"
    " format frozenset hash hex int isinstance issubclass iter len list map max min next"
    " oct ord pow print range repr reversed round set slice sorted str sum tuple zip".split()
)
THREAD_METHODS = frozenset(
    # str / bytes
    "capitalize casefold center count decode encode endswith expandtabs find format hex"
    " index isalnum isalpha isdecimal isdigit isidentifier islower isnumeric isspace"
    " istitle isupper join ljust lower lstrip partition removeprefix removesuffix replace"
    " rfind rindex rjust rpartition rsplit rstrip split splitlines startswith strip"
    " swapcase title upper zfill"
    # list / dict / set
    " add append clear copy difference discard extend get insert intersection"
    " isdisjoint issubset issuperset items keys pop popitem remove reverse setdefault sort"
    " symmetric_difference union update values"
    # csv writers, re patterns and matches
    " writerow writerows writeheader match fullmatch search findall finditer sub subn"
    " group groups groupdict span start end".split()
)
# Functions of these modules compute on their arguments (or do file I/O, fine in a thread).
THREAD_MODULES = ("json.", "csv.", "os.path.", "math.", "re.", "string.", "operator.")
THREAD_STREAMS = ("sys.stdout.", "sys.stderr.")
# Arguments a callee calls back: they must be a lambda or a plain builtin.
CALLBACK_KEYWORDS = frozenset(
    "key default cls object_hook object_pairs_hook parse_float parse_int parse_constant".split()
)
# A module that imports these keeps aiofiles: their objects work only in the thread that
# made them (sqlite3's check_same_thread, tkinter's main loop).
THREAD_BOUND_MODULES = frozenset({"sqlite3", "tkinter"})
# Names whose meaning depends on the function they are used in.
SCOPE_NAMES = frozenset("super __class__ locals vars dir eval exec breakpoint".split())
_THREAD_REJECT = (cst.Await, cst.Yield, cst.FunctionDef, cst.ClassDef, cst.Global, cst.Nonlocal)

HANDLE_ESCAPES = Code(
    "AFY301",
    "file handle used where aiofiles cannot follow it: open() left synchronous",
    "pass the data instead of the handle, or run the block in `await asyncio.to_thread(...)`",
    doc="""
    A file handle is used in a way asyncify cannot follow once it is an `aiofiles` handle:
    passed to another function or library (`json.load(f)`, `yaml.safe_load(f)`,
    `pickle.dump(x, f)`), stored, returned, or used after its `with` block. Those consumers
    call `f.read()`/`f.write()` without `await`, which an aiofiles handle does not support.

    The `open()` is left synchronous (it still works; it blocks). Pass data instead of the
    handle, or run the whole block in a thread.

    Before:

    ```python
    with open(path) as f:
        config = yaml.safe_load(f)
    ```

    After:

    ```python
    async with aiofiles.open(path) as f:
        config = yaml.safe_load(await f.read())
    ```
    """,
)
UNSUPPORTED_OPEN = Code(
    "AFY302",
    "open() in a form asyncify does not convert: left synchronous",
    "bind the handle with `with open(...) as f:` or `f = open(...)` in the function that uses it",
    doc="""
    `open()` (or a `tempfile` opener) appears in a form asyncify does not convert: its
    handle is not bound to a plain name (`handles = [open(p) for p in paths]`,
    `return open(p)`), the same `with` also enters other context managers, another file of
    the same `with` stays synchronous, or a `tempfile` object is created outside a `with`.

    The call is left synchronous. Bind the handle with `with open(...) as f:` (or
    `f = open(...)`) in the function that uses it.

    Before:

    ```python
    def first_line(path):
        return open(path).readline().rstrip()
    ```

    After (asyncify converts this form):

    ```python
    def first_line(path):
        with open(path) as f:
            return f.readline().rstrip()
    ```
    """,
)
CSV_READ_ALL = Code(
    "AFY303",
    "csv reader over an aiofiles handle reads the whole file into memory first",
    "fine for small files; for large ones read and parse line by line with `async for`",
    "note",
    doc="""
    A `csv.reader`/`csv.DictReader` reads an `aiofiles` handle. The csv module reads its file
    synchronously, so the converted code reads the whole file into memory first and parses
    the text. That is the same result, and fine for small and medium files; for a large file
    it costs memory proportional to the file.

    Before (converted; reads everything first):

    ```python
    async with aiofiles.open(path, newline="") as f:
        for row in csv.reader(io.StringIO(await f.read(), newline="")):
            handle(row)
    ```

    After (streaming, with the `aiocsv` package):

    ```python
    from aiocsv import AsyncReader

    async with aiofiles.open(path, newline="") as f:
        async for row in AsyncReader(f):
            handle(row)
    ```
    """,
)
CSV_WRITER = Code(
    "AFY304",
    "csv writer used where asyncify cannot follow it: open() left synchronous",
    "bind the writer to a name and call only writerow/writerows/writeheader on it",
    doc="""
    A `csv.writer`/`csv.DictWriter` over a file is used in a way asyncify cannot follow:
    passed to another function, stored, or used with methods other than `writerow`,
    `writerows` and `writeheader`. asyncify converts such writers by awaiting each write
    itself, which it can do only where it sees the calls.

    The `open()` is left synchronous. Keep the writer local and write through it directly.

    Before:

    ```python
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        write_report(writer, rows)
    ```

    After (asyncify converts this form):

    ```python
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerows(report_rows(rows))
    ```
    """,
)
LAZY_LISTING = Code(
    "AFY305",
    "directory iterator left blocking in async code",
    "consume it where it is created (`for` loop without pruning `dirs`, list(), sorted()),"
    " or run the walk in `await asyncio.to_thread(...)` yourself",
    doc="""
    A directory iterator (`os.walk`, `Path.iterdir`, `Path.glob`/`rglob`, `glob.iglob`) is
    consumed lazily in async code: iterated with `break`, passed on, or, for `os.walk`, with
    `dirs` pruned during the walk. asyncify runs a listing in a worker thread only when it
    can consume it completely where it is created; a lazy walk that depends on the loop body
    cannot be moved to a thread without changing what it visits.

    The iterator is left blocking. Run the whole walk in a thread yourself.

    Before:

    ```python
    async def sources(root):
        found = []
        for folder, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            found += [os.path.join(folder, f) for f in files if f.endswith(".py")]
        return found
    ```

    After:

    ```python
    def _sources(root):
        found = []
        for folder, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            found += [os.path.join(folder, f) for f in files if f.endswith(".py")]
        return found

    async def sources(root):
        return await asyncio.to_thread(_sources, root)
    ```
    """,
)
NO_THREAD = Code(
    "AFY306",
    "blocking call left in async code: to-thread = false",
    "set `to-thread = true` in [tool.asyncify], or move the call out of the async function",
    doc="""
    A blocking file-system call (`shutil`, `pathlib`, `os`, a directory listing, ...) that
    has no `aiofiles` form is left blocking in async code because `to-thread = false`
    (`--no-to-thread`). With `to-thread` on (the default), asyncify would run it with
    `await asyncio.to_thread(...)`.

    Before:

    ```python
    async def backup(src, dst):
        shutil.copytree(src, dst)
    ```

    After:

    ```python
    async def backup(src, dst):
        await asyncio.to_thread(shutil.copytree, src, dst)
    ```
    """,
)


def _apis() -> tuple[Api, ...]:
    apis = [
        Api("builtins.open", returns=FILE, weak=True),
        Api(f"{PATH}.open", returns=FILE, weak=True),
        Api(f"{FILE}.__enter__", returns=FILE, blocking=False),
        *(Api(f"{FILE}.{m}", weak=True) for m in sorted(ASYNC_METHODS)),
        *(Api(f"os.{n}", weak=True) for n in AIOFILES_OS),
        *(Api(f"os.path.{n}", weak=True) for n in AIOFILES_OS_PATH),
        *(Api(f"{PATH}.{m}", weak=True) for m in PATH_IO),
        *(Api(f"{PATH}.{m}", blocking=False) for m in PATH_FS),
        *(Api(n, blocking=False) for n in TO_THREAD),
        *(Api(n, blocking=False) for n in sorted(LAZY_LISTINGS)),
        *(Api(n, returns=FILE, weak=True) for n in TEMP_FILES),
        Api(TEMP_DIR, weak=True),
        Api(PATH, returns=PATH, blocking=False),
        *(Api(f"{PATH}.{m}", returns=PATH, blocking=False) for m in PATH_DERIVED),
        # Consumers of a handle: tracked so that name_of() resolves them, never seeds.
        *(
            Api(n, blocking=False)
            for n in (JSON_LOAD, JSON_DUMP, PRINT, NEXT, *CSV_READERS, *CSV_WRITERS)
        ),
    ]
    return tuple(apis)


@dataclass
class _Plan:
    """What to do with the nodes of one function (by id of the original node)."""

    opens: dict[int, str] = field(default_factory=dict)  # open call -> "with" | "await"
    kept: dict[int, tuple[Code, str]] = field(default_factory=dict)  # open call -> why not
    awaits: set[int] = field(default_factory=set)  # f.read(...) calls
    withs: set[int] = field(default_factory=set)
    fors: set[int] = field(default_factory=set)
    comps: set[int] = field(default_factory=set)
    consumers: dict[int, str] = field(default_factory=dict)  # call -> consumer name
    row_loops: dict[int, tuple[str, str]] = field(default_factory=dict)  # writerows line
    excepts: set[int] = field(default_factory=set)  # `except StopIteration` around next(f)
    listings: dict[int, str] = field(default_factory=dict)  # lazy iterator -> "list" | "outer"
    outer: dict[int, str] = field(default_factory=dict)  # list(it)/next(it) -> "list" | "next"
    kept_listings: dict[int, str] = field(default_factory=dict)  # lazy iterator -> why not
    threads: dict[int, _Thread] = field(default_factory=dict)  # `with` run in one thread


@dataclass
class _Thread:
    """How a `with` block becomes a nested def run by ``await asyncio.to_thread``."""

    helper: str  # the nested def's name
    nonlocals: list[str]  # names the block binds that the function binds elsewhere too
    globals: list[str]  # names the block binds that the function declares global
    exports: list[str]  # names only the block binds, used after it: returned by the helper
    returns: bool  # the block returns (it is in tail position): `return await ...`
    first: bool  # the first statement of its block (else a blank line sets the def apart)


def _walk(
    node: cst.CSTNode, parents: list[cst.CSTNode]
) -> Iterator[tuple[cst.CSTNode, list[cst.CSTNode]]]:
    yield node, parents
    parents.append(node)
    for child in node.children:
        yield from _walk(child, parents)
    parents.pop()


_SCOPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)
_Site = tuple[cst.Call, str, "cst.With | None"]  # open call, "with" | "await", its `with`
_Occurrence = tuple[cst.Name, list[cst.CSTNode]]  # a Name and its parents


def _binding_with(name: str, parents: list[cst.CSTNode]) -> cst.With | None:
    """The innermost `with ... as name` around an occurrence of ``name``."""
    for node in reversed(parents):
        if isinstance(node, _SCOPES):
            return None
        if isinstance(node, cst.With) and any(
            i.asname and isinstance(i.asname.name, cst.Name) and i.asname.name.value == name
            for i in node.items
        ):
            return node
    return None


class Files(Codemod):
    NAME = "files"
    DESCRIPTION = "open()/os/os.path/pathlib file I/O → aiofiles (or asyncio.to_thread)"
    APIS = _apis()
    ALIASES = {"io.open": "builtins.open", "pathlib.PosixPath": PATH, "pathlib.WindowsPath": PATH}
    ITERATES = {FILE: "builtins.str"}

    def __init__(self, state: RewriteState) -> None:
        super().__init__(state)
        self.plan = _Plan()
        self._module_names: frozenset[str] | None = None
        self._fn_locals: frozenset[str] = frozenset()
        self._quiet = 0  # inside a block run in a thread: its code stays as it is
        self._helpers: dict[int, cst.FunctionDef] = {}  # await statement -> its helper def

    # -- analysis: decide per handle, on the original function ----------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self.in_async():
            self._analyse(node)

    def _is_open(self, node: cst.CSTNode) -> bool:
        return isinstance(node, cst.Call) and self.name_of(node.func) in ALL_OPENERS

    def _analyse(self, fn: cst.FunctionDef) -> None:
        plan = self.plan
        # name -> [(open call, form, With or None)] for handles bound by with/assignment.
        handles: dict[str, list[_Site]] = {}
        occurrences: dict[str, list[_Occurrence]] = {}
        for node, parents in _walk(fn.body, []):
            if isinstance(node, cst.Name):
                occurrences.setdefault(node.value, []).append((node, list(parents)))
            if not self._is_open(node) or any(isinstance(p, _SCOPES) for p in parents):
                continue
            assert isinstance(node, cst.Call)
            if self.state.is_skipped(node):
                continue
            parent = parents[-1]
            grand = parents[-2] if len(parents) > 1 else None
            opener = self.name_of(node.func)
            temp = opener in TEMP_FILES or opener == TEMP_DIR
            if temp and not (isinstance(parent, cst.WithItem) and isinstance(grand, cst.With)):
                plan.kept[id(node)] = (UNSUPPORTED_OPEN, "only `with tempfile...` converts")
                continue
            if temp and (bad := _temp_args(node, opener)):
                plan.kept[id(node)] = (UNSUPPORTED_OPEN, bad)
                continue
            if isinstance(parent, cst.WithItem) and isinstance(grand, cst.With):
                target = parent.asname.name if parent.asname else None
                others = [i for i in grand.items if not self._is_open(i.item)]
                if others:
                    plan.kept[id(node)] = (
                        UNSUPPORTED_OPEN,
                        "`with` also enters other context managers",
                    )
                elif target is None or opener == TEMP_DIR:
                    plan.opens[id(node)] = "with"
                    plan.withs.add(id(grand))
                elif isinstance(target, cst.Name):
                    handles.setdefault(target.value, []).append((node, "with", grand))
                else:
                    plan.kept[id(node)] = (
                        UNSUPPORTED_OPEN,
                        "the handle is not bound to a plain name",
                    )
            elif (
                isinstance(parent, cst.Assign)
                and len(parent.targets) == 1
                and isinstance(parent.targets[0].target, cst.Name)
            ):
                handles.setdefault(parent.targets[0].target.value, []).append((node, "await", None))
            elif (
                isinstance(parent, cst.Attribute)
                and parent.attr.value in ASYNC_METHODS
                and isinstance(grand, cst.Call)
                and grand.func is parent
            ):
                plan.opens[id(node)] = "await"  # open(p).read()
                plan.awaits.add(id(grand))
            elif isinstance(parent, cst.For) and parent.iter is node:
                plan.opens[id(node)] = "await"  # for line in open(p)
                plan.fors.add(id(parent))
            else:
                plan.kept[id(node)] = (UNSUPPORTED_OPEN, "its handle is not bound to a name")
        self._occurrences = occurrences
        self._analyse_listings(fn)
        # One group per handle: the uses of a name inside a `with` that binds it belong
        # to that `with`; if the name is also used elsewhere, all its bindings are one.
        groups: dict[str, tuple[str, list[_Site], list[_Occurrence]]] = {}
        group_of: dict[int, str] = {}  # open call -> group
        for name, sites in handles.items():
            occs = occurrences.get(name, [])
            inside: dict[int, list[_Occurrence]] = {}
            loose = False
            for occ, parents in occs:
                owner = _binding_with(name, parents)
                if owner is None:
                    loose = True
                else:
                    inside.setdefault(id(owner), []).append((occ, parents))
            if loose or any(w is None for _, _, w in sites):
                groups[name] = (name, sites, occs)
            else:
                for site in sites:
                    key = f"{name}@{id(site[2])}"
                    entry = groups.setdefault(key, (name, [], inside.get(id(site[2]), [])))
                    entry[1].append(site)
        for key, (_, sites, _) in groups.items():
            for call, _, _ in sites:
                group_of[id(call)] = key
        verdicts: dict[str, list[tuple[str, cst.CSTNode]] | tuple[Code, str]] = {}
        for key, (name, sites, occs) in groups.items():
            uses: list[tuple[str, cst.CSTNode]] = []
            open_calls = {id(call) for call, _, _ in sites}
            verdicts[key] = uses
            for occ, parents in occs:
                use = self._classify(occ, parents, open_calls, [c for c, _, _ in sites])
                if isinstance(use, str):
                    code = CSV_WRITER if use.startswith("written by `csv.") else HANDLE_ESCAPES
                    verdicts[key] = (code, f"`{name}` {use}")
                    break
                uses.extend(use)
        # A `with` becomes `async with` only if every file it opens converts.
        partners: dict[str, set[str]] = {}
        for node, _ in _walk(fn.body, []):
            if isinstance(node, cst.With):
                bound = {group_of[id(i.item)] for i in node.items if id(i.item) in group_of}
                kept_here = any(id(i.item) in plan.kept for i in node.items)
                for n in bound:
                    partners.setdefault(n, set()).update(bound - {n})
                    if kept_here and not isinstance(verdicts[n], tuple):
                        verdicts[n] = (
                            UNSUPPORTED_OPEN,
                            "another file of the same `with` stays synchronous",
                        )
        changed = True
        while changed:
            changed = False
            for n, mates in partners.items():
                if not isinstance(verdicts[n], tuple) and any(
                    isinstance(verdicts[o], tuple) for o in mates
                ):
                    verdicts[n] = (
                        UNSUPPORTED_OPEN,
                        "another file of the same `with` stays synchronous",
                    )
                    changed = True
        for key, (_, sites, _) in groups.items():
            outcome = verdicts[key]
            if isinstance(outcome, tuple):
                for call, _, _ in sites:
                    plan.kept[id(call)] = outcome
                continue
            for call, form, with_node in sites:
                plan.opens[id(call)] = form
                if with_node is not None:
                    plan.withs.add(id(with_node))
            for kind, where in outcome:
                if kind == "await":
                    plan.awaits.add(id(where))
                elif kind == "for":
                    plan.fors.add(id(where))
                elif kind == "comp":
                    plan.comps.add(id(where))
                elif kind == "except":
                    plan.excepts.add(id(where))
                elif kind.startswith("csv.rows "):
                    _, handle, var = kind.split(" ")
                    plan.row_loops[id(where)] = (handle, var)
                elif kind not in ("bind", "sync"):
                    plan.consumers[id(where)] = kind
        # Opens without a handle (`with open(p, "w"):`) share their `with`'s fate.
        for node, _ in _walk(fn.body, []):
            if isinstance(node, cst.With) and any(id(i.item) in plan.kept for i in node.items):
                plan.withs.discard(id(node))
                for i in node.items:
                    if id(i.item) in plan.opens:
                        del plan.opens[id(i.item)]
                        plan.kept[id(i.item)] = (
                            UNSUPPORTED_OPEN,
                            "another file of the same `with` stays synchronous",
                        )
        if self.state.options.to_thread and self.state.options.thread_blocks:
            self._analyse_threads(fn, handles)

    # -- blocks run in one thread ---------------------------------------------------
    def _analyse_threads(self, fn: cst.FunctionDef, handles: dict[str, list[_Site]]) -> None:
        """The `with open(...)` blocks of ``fn`` that run whole in one thread.

        aiofiles runs every file operation in the default executor: `open`, each `read`,
        `write`, each line of `async for`, `close`. A block that cannot tell which thread
        runs it (no `await`, only the file API and plain builtins and methods, see
        THREAD_*) does the same in one `await asyncio.to_thread(...)` of a nested def that
        holds the original code, unchanged.
        """
        if any(
            module.split(".")[0] in THREAD_BOUND_MODULES
            for found in self.state.all_bindings.values()
            for module, _, _ in found
        ):
            return  # its objects may reach the block, and refuse use from another thread
        opens = [
            (node, list(parents))
            for node, parents in _walk(fn.body, [])
            if isinstance(node, cst.With)
            and node.asynchronous is None
            and all(self._is_open(i.item) for i in node.items)
            and not any(isinstance(p, _SCOPES) for p in parents)
            and not self.state.is_skipped(node)
        ]
        if not opens:
            return
        whole = _function_table(cst.Module([]).code_for_node(fn), fn.name.value)
        if whole is None:  # syntax this Python cannot compile, or a `nonlocal` in fn
            return
        declared_global = {s.get_name() for s in whole.get_symbols() if s.is_declared_global()}
        self._fn_locals = frozenset(s.get_name() for s in whole.get_symbols() if s.is_local())
        generator = any(
            isinstance(n, cst.Yield) and not any(isinstance(p, _SCOPES) for p in ps)
            for n, ps in _walk(fn.body, [])
        )
        blocks: list[tuple[cst.With, list[cst.CSTNode], bool]] = []
        for node, parents in opens:
            if any(b in parents for b, _, _ in blocks):
                continue  # part of a block already run in a thread
            tail = not generator and _in_tail(node, parents)
            if self._thread_safe(node, tail, handles):
                blocks.append((node, parents, tail))
        # Which names each block shares with the rest of the function; a block that would
        # have to share a name it cannot keeps aiofiles, which changes what the others
        # share: repeat until no block drops out.
        while blocks:
            decided = self._share(fn, blocks, declared_global)
            if isinstance(decided, list):
                break
            blocks = [b for b in blocks if b[0] is not decided]
        else:
            return
        for (block, parents, _), (nonlocals, globals_, exports) in zip(
            blocks, decided, strict=True
        ):
            first = isinstance(parents[-1], cst.IndentedBlock) and parents[-1].body[0] is block
            returns = any(isinstance(n, cst.Return) for n, _ in _walk(block, []))
            self.plan.threads[id(block)] = _Thread(
                self._fresh("_file_block"), nonlocals, globals_, exports, returns, first
            )

    def _share(
        self,
        fn: cst.FunctionDef,
        blocks: list[tuple[cst.With, list[cst.CSTNode], bool]],
        declared_global: set[str],
    ) -> list[tuple[list[str], list[str], list[str]]] | cst.With:
        """(nonlocal, global, returned) names of each block, or a block that cannot run alone.

        A name a block binds stays the function's variable when the function reads or binds
        it elsewhere: ``nonlocal`` if the function still binds it outside the helpers, else
        returned by the helper (only when every normal end of the block has bound it and an
        exception cannot be caught in this function, where it would be missing).
        """
        rest = fn.visit(_Without({id(block) for block, _, _ in blocks}))
        assert isinstance(rest, cst.FunctionDef)
        table = _function_table(cst.Module([]).code_for_node(rest), fn.name.value)
        if table is None:
            return blocks[0][0]
        level = {s.get_name() for s in table.get_symbols() if s.is_local()}
        wanted: list[tuple[list[str], list[str], list[str], list[str]]] = []
        for block, parents, _ in blocks:
            bound = _bound_names(block)
            if bound is None:
                return block
            shared = self._used_outside(block) | declared_global
            own = {n for i in block.items if i.asname for n in _target_names(i.asname.name)}
            if own & shared:
                return block  # the handle itself is used after the block
            names = sorted(bound & shared)
            globals_ = [n for n in names if n in declared_global]
            nonlocals = [n for n in names if n in level and n not in declared_global]
            others = [n for n in names if n not in level and n not in declared_global]
            returns = any(isinstance(n, cst.Return) for n, _ in _walk(block, []))
            protected = any(isinstance(p, (cst.Try, cst.TryStar, cst.With)) for p in parents)
            exportable = set() if returns or protected else _binds_first(block)
            exports = [n for n in others if n in exportable]
            wanted.append((nonlocals, globals_, exports, [n for n in others if n not in exports]))
        exported = {n for _, _, exports, _ in wanted for n in exports}
        decided = []
        for (block, _, _), (nonlocals, globals_, exports, pending) in zip(
            blocks, wanted, strict=True
        ):
            if not set(pending) <= exported:
                return block
            decided.append((sorted({*nonlocals, *pending}), globals_, exports))
        return decided

    def _used_outside(self, block: cst.With) -> set[str]:
        """Names the function reads or binds outside ``block`` (attributes excluded).

        Not counted, for a name ``block`` binds on entry (before reading it, see
        _binds_first): its uses in another `with` that also binds it on entry. Neither
        block sees the other's value.
        """
        used = set()
        entry = _binds_first(block)
        for name, occs in self._occurrences.items():
            for occ, parents in occs:
                if block in parents or not parents:
                    continue
                parent = parents[-1]
                if isinstance(parent, cst.Attribute) and parent.attr is occ:
                    continue
                if isinstance(parent, cst.Arg) and parent.keyword is occ:
                    continue
                if name in entry and _bound_on_entry(name, parents):
                    continue
                used.add(name)
                break
        return used

    def _thread_safe(self, block: cst.With, tail: bool, handles: dict[str, list[_Site]]) -> bool:
        """Whether ``block`` runs the same in a worker thread as in the event loop's."""
        for node, parents in _walk(block, []):
            if isinstance(node, _THREAD_REJECT) or type(node).__name__ == "Match":
                return False
            if isinstance(node, (cst.For, cst.CompFor, cst.With)) and node.asynchronous:
                return False
            if isinstance(node, cst.With) and node is not block:
                if not all(self._is_open(i.item) for i in node.items):
                    return False
            if isinstance(node, cst.Return) and not tail:
                return False
            if isinstance(node, (cst.Break, cst.Continue)) and not _loop_inside(parents):
                return False
            if isinstance(node, cst.Name):
                if node.value in SCOPE_NAMES:
                    return False
                if node.value in handles and not self._own_handle(node, parents):
                    return False
            if isinstance(node, cst.Call) and not self._thread_call(node):
                return False
            if isinstance(node, (cst.Name, cst.Attribute)):
                known = self.name_of(node) or self.type_of(node)
                if known and not self._ours(known):
                    return False  # another codemod's value (`r.text` of a requests response)
            if _may_stop(node) and not _stop_caught(parents):
                # asyncio cannot carry a StopIteration out of a thread: the await would hang.
                return False
        return True

    @staticmethod
    def _own_handle(name: cst.Name, parents: list[cst.CSTNode]) -> bool:
        """A handle's name in a block (``parents`` start there) names a file it opens."""
        parent = parents[-1] if parents else None
        if isinstance(parent, cst.Attribute) and parent.attr is name:
            return True
        if isinstance(parent, cst.Arg) and parent.keyword is name:
            return True
        return _binding_with(name.value, parents) is not None

    def _thread_call(self, call: cst.Call) -> bool:
        """A call whose code cannot tell which thread runs it (or file I/O, fine anywhere)."""
        for arg in call.args:
            keyword = arg.keyword.value if arg.keyword else ""
            if keyword in CALLBACK_KEYWORDS and not self._plain_callable(arg.value):
                return False
        func = call.func
        name = self.name_of(func)
        if name:
            return self._ours(name)
        if isinstance(func, cst.Name):
            if func.value in ("map", "filter") and call.args:
                if not self._plain_callable(call.args[0].value):
                    return False
            return func.value in THREAD_BUILTINS and self._is_builtin(func.value)
        if not isinstance(func, cst.Attribute):
            return False
        spelled = cst.helpers.get_full_name_for_node(func) or ""
        root = spelled.split(".")[0]
        if root and root in self.state.all_bindings and self._is_global(root):
            module, obj, _ = self.state.all_bindings[root][-1]
            base = f"{module}.{obj}" if obj else module
            qualified = base + spelled[len(root) :]
            return qualified.startswith((*THREAD_MODULES, *THREAD_STREAMS))
        return func.attr.value in THREAD_METHODS

    def _ours(self, name: str) -> bool:
        """A qualified name (an API, a type or a member) this codemod's tables know: file
        I/O, fine in a thread. Any other name the plan knows belongs to another codemod,
        which would rewrite it (`await`, a renamed attribute)."""
        return (
            name in self.api_names()
            or name in (FILE, PATH, "builtins.str")
            or name.startswith((f"{FILE}.", f"{PATH}.", "builtins.str.", *THREAD_MODULES))
        )

    def _plain_callable(self, expr: cst.BaseExpression) -> bool:
        """A callback that is a lambda (its calls are checked too) or a builtin."""
        if isinstance(expr, cst.Lambda):
            return True
        root = expr
        while isinstance(root, cst.Attribute):
            root = root.value
        return isinstance(root, cst.Name) and (
            root.value in THREAD_BUILTINS and self._is_builtin(root.value)
        )

    def _is_global(self, name: str) -> bool:
        """``name`` is not bound in the function being analysed (it is the module's)."""
        return name not in self._fn_locals

    def _is_builtin(self, name: str) -> bool:
        """``name`` is not bound in the module nor in the function: Python's builtin."""
        if self._module_names is None:
            table = _table(self.state.source)
            self._module_names = frozenset(
                s.get_name()
                for s in (table.get_symbols() if table is not None else ())
                if s.is_assigned() or s.is_imported() or s.is_namespace()
            )
            if table is None:  # cannot tell: nothing is known to be the builtin
                self._module_names = THREAD_BUILTINS
        return name not in self._module_names and self._is_global(name)

    def _classify(
        self, occ: cst.Name, parents: list[cst.CSTNode], open_calls: set[int], opens: list[cst.Call]
    ) -> list[tuple[str, cst.CSTNode]] | str:
        """How one occurrence of a handle's name is rewritten, or why it cannot be."""
        use = self._classify_one(occ, parents, open_calls, opens)
        if isinstance(use, str):
            return use
        uses = [use] if isinstance(use, tuple) else use
        kind, where = uses[0]
        if kind == "next" and isinstance(where, cst.Call) and len(where.args) == 1:
            # anext raises StopAsyncIteration where next raised StopIteration.
            uses.extend(("except", h) for h in _stop_handlers(parents))
        return uses

    def _classify_one(
        self, occ: cst.Name, parents: list[cst.CSTNode], open_calls: set[int], opens: list[cst.Call]
    ) -> list[tuple[str, cst.CSTNode]] | tuple[str, cst.CSTNode] | str:
        if any(isinstance(p, _SCOPES) for p in parents[1:]):
            return "used in a nested function or class"
        parent = parents[-1] if parents else None
        grand = parents[-2] if len(parents) > 1 else None
        great = parents[-3] if len(parents) > 2 else None
        if (
            isinstance(parent, cst.AsName)
            and isinstance(grand, cst.WithItem)
            and id(grand.item) in open_calls
        ):
            return ("bind", occ)
        if (
            isinstance(parent, cst.AssignTarget)
            and isinstance(grand, cst.Assign)
            and id(grand.value) in open_calls
        ):
            return ("bind", occ)
        if isinstance(parent, cst.Attribute) and parent.value is occ:
            attr = parent.attr.value
            if attr in SYNC_ATTRIBUTES:
                return ("sync", occ)
            if attr in ASYNC_METHODS and isinstance(grand, cst.Call) and grand.func is parent:
                return ("await", grand)
            return f"`.{attr}` has no aiofiles equivalent here"
        if isinstance(parent, cst.For) and parent.iter is occ:
            return ("for", parent)
        if isinstance(parent, cst.CompFor) and parent.iter is occ:
            comp = next(
                (p for p in reversed(parents) if isinstance(p, (cst.BaseComp, cst.DictComp))), None
            )
            if isinstance(comp, (cst.ListComp, cst.SetComp, cst.DictComp)):
                return ("comp", parent)
            return "iterated by a generator expression"
        if isinstance(parent, cst.Arg) and isinstance(grand, cst.Call):
            return self._consumer(occ, parent, grand, great, opens, parents)
        return "used as a value (passed, returned or stored)"

    def _consumer(
        self,
        occ: cst.Name,
        arg: cst.Arg,
        call: cst.Call,
        stmt: cst.CSTNode | None,
        opens: list[cst.Call],
        parents: list[cst.CSTNode],
    ) -> list[tuple[str, cst.CSTNode]] | tuple[str, cst.CSTNode] | str:
        name = self.name_of(call.func)
        positional = [a for a in call.args if a.keyword is None]
        if any(a.star for a in call.args if a is not arg) and name != PRINT:
            return "passed to a call with unpacked arguments"
        index = positional.index(arg) if arg in positional else -1
        is_statement = isinstance(stmt, cst.Expr)
        if name == NEXT and index == 0:
            return ("next", call)
        if name == JSON_LOAD and index == 0 and len(positional) == 1:
            return ("json.load", call)
        if name == JSON_DUMP and index == 1 and len(positional) == 2 and is_statement:
            return ("json.dump", call)
        if (
            name == PRINT
            and arg.keyword is not None
            and arg.keyword.value == "file"
            and is_statement
        ):
            return ("print", call)
        if name in CSV_READERS and index == 0:
            if all(_newline_ok(o) for o in opens):
                return ("csv.reader", call)
            return "read by csv with a newline= other than None or ''"
        if name in CSV_WRITERS and index == 0:
            return self._csv_writer(occ.value, call, parents[:-2])
        if name in CSV_WRITERS:
            return f"written by `{name}`"
        callee = name or cst.Module([]).code_for_node(call.func)
        return f"passed to `{callee}`"

    def _csv_writer(
        self, handle: str, call: cst.Call, parents: list[cst.CSTNode]
    ) -> list[tuple[str, cst.CSTNode]] | str:
        """A csv writer over handle ``handle``: each row it writes becomes an awaited write.

        ``csv.writer(types.SimpleNamespace(write=str))`` makes ``writerow`` return the line
        it would have written (it returns what ``write`` returns), so ``w.writerow(r)``
        becomes ``await f.write(w.writerow(r))``: the same text through the same handle,
        one write per row as before.
        """
        name = self.name_of(call.func)
        uses: list[tuple[str, cst.CSTNode]] = [("csv.writer", call)]
        parent = parents[-1] if parents else None
        grand = parents[-2] if len(parents) > 1 else None
        if isinstance(parent, cst.Attribute) and parent.value is call:
            if (
                parent.attr.value in CSV_ROW_METHODS
                and isinstance(grand, cst.Call)
                and grand.func is parent
            ):
                return [*uses, (f"csv.row {handle}", grand)]
            return f"written by `{name}` used as `.{parent.attr.value}`"
        if not (
            isinstance(parent, cst.Assign)
            and len(parent.targets) == 1
            and isinstance(parent.targets[0].target, cst.Name)
        ):
            return f"written by `{name}` whose writer is not bound to a plain name"
        writer = parent.targets[0].target.value
        # A handle bound by `with` may be reused by other `with` blocks, each with its own
        # writer of the same name: each block's writer is decided with its block.
        region = _binding_with(handle, parents)
        occurrences = self._occurrences.get(writer, [])
        rebound = {
            id(_binding_with(handle, op))
            for _, op in occurrences
            if op and isinstance(op[-1], cst.AssignTarget)
        }
        for occ, occ_parents in occurrences:
            why = f"written by `{name}` whose writer `{writer}` is used where it cannot be followed"
            if any(isinstance(p, _SCOPES) for p in occ_parents):
                return why
            other = _binding_with(handle, occ_parents)
            if other is not region:
                if region is None or other is None or id(other) not in rebound:
                    return why
                continue
            p = occ_parents[-1]
            g = occ_parents[-2] if len(occ_parents) > 1 else None
            great = occ_parents[-3] if len(occ_parents) > 2 else None
            line = occ_parents[-4] if len(occ_parents) > 3 else None
            if isinstance(p, cst.AssignTarget) and g is parent:
                continue
            if not (isinstance(p, cst.Attribute) and p.value is occ):
                return why
            attr = p.attr.value
            is_call = isinstance(g, cst.Call) and g.func is p
            if attr in CSV_WRITER_ATTRIBUTES and not is_call:
                continue
            if attr in CSV_ROW_METHODS and is_call:
                assert isinstance(g, cst.Call)
                uses.append((f"csv.row {handle}", g))
                continue
            if (
                attr == "writerows"
                and isinstance(g, cst.Call)
                and is_call
                and len(g.args) == 1
                and g.args[0].keyword is None
                and not g.args[0].star
                and isinstance(great, cst.Expr)
                and isinstance(line, cst.SimpleStatementLine)
                and len(line.body) == 1
            ):
                uses.append((f"csv.rows {handle} {self._fresh('row')}", line))
                continue
            return why
        return uses

    def _fresh(self, base: str) -> str:
        name = base
        n = 0
        while name in self._occurrences:
            n += 1
            name = f"{base}_{n}"
        self._occurrences.setdefault(name, [])
        return name

    def _analyse_listings(self, fn: cst.FunctionDef) -> None:
        """Lazy directory iterators (os.walk, Path.iterdir/glob, glob.iglob) in ``fn``."""
        plan = self.plan
        for node, parents in _walk(fn.body, []):
            if not isinstance(node, cst.Call) or any(isinstance(p, _SCOPES) for p in parents):
                continue
            name = self.name_of(node.func)
            if name not in LAZY_LISTINGS or self.state.is_skipped(node):
                continue
            if not self.state.options.to_thread:
                plan.kept_listings[id(node)] = f"`{name}`"
                continue
            why = self._listing(node, name, parents)
            if why:
                plan.kept_listings[id(node)] = why

    def _listing(self, node: cst.Call, name: str, parents: list[cst.CSTNode]) -> str:
        plan = self.plan
        parent = parents[-1]
        grand = parents[-2] if len(parents) > 1 else None
        if any(a.star for a in node.args):
            return f"`{name}` with unpacked arguments"
        if name == WALK and any(a.keyword and a.keyword.value == "onerror" for a in node.args):
            return "os.walk's onerror= callback would run in a thread, before the loop"
        if isinstance(parent, cst.For) and parent.iter is node:
            why = _walk_prunes(parent.target, parent.body) if name == WALK else ""
            if not why:
                plan.listings[id(node)] = "list"
            return why
        if isinstance(parent, cst.CompFor) and parent.iter is node:
            comp = next(
                (p for p in reversed(parents) if isinstance(p, (cst.BaseComp, cst.DictComp))), None
            )
            if not isinstance(comp, (cst.ListComp, cst.SetComp, cst.DictComp)) and not (
                isinstance(comp, cst.GeneratorExp)
                and comp.for_in is parent  # await in an inner `for` makes it async
                and self._consumed_whole(comp, parents)
            ):
                return f"`{name}` iterated by a generator expression"
            why = _walk_prunes(parent.target, comp) if name == WALK else ""
            if not why:
                plan.listings[id(node)] = "list"
            return why
        if (
            isinstance(parent, cst.Arg)
            and isinstance(grand, cst.Call)
            and grand.args[0] is parent
            and parent.keyword is None
            and isinstance(grand.func, cst.Name)
        ):
            consumer = grand.func.value
            if consumer == "list" and len(grand.args) == 1:
                plan.listings[id(node)] = "outer"
                plan.outer[id(grand)] = "list"
                return ""
            if consumer == "next" and len(grand.args) <= 2:
                plan.listings[id(node)] = "outer"
                plan.outer[id(grand)] = "next"
                return ""
            if consumer in FULL_CONSUMERS:
                plan.listings[id(node)] = "list"
                return ""
        return f"`{name}` is not consumed where it is created"

    @staticmethod
    def _consumed_whole(comp: cst.GeneratorExp, parents: list[cst.CSTNode]) -> bool:
        """``sorted(x for x in it)``: a generator expression that list()/sorted()/... drain."""
        at = next(i for i, p in enumerate(parents) if p is comp)
        arg = parents[at - 1] if at > 0 else None
        call = parents[at - 2] if at > 1 else None
        return (
            isinstance(arg, cst.Arg)
            and isinstance(call, cst.Call)
            and call.args[0] is arg
            and arg.keyword is None
            and isinstance(call.func, cst.Name)
            and call.func.value in FULL_CONSUMERS
        )

    # -- rewriting ----------------------------------------------------------------
    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.BaseStatement:
        """``w.writerows(rows)`` → ``for row in rows: await f.write(w.writerow(row))``.

        csv's writerows calls writerow (and write) once per row: the same writes, in order.
        """
        loop = self.plan.row_loops.get(id(original_node))
        if loop is None or self._quiet or not isinstance(updated_node, cst.SimpleStatementLine):
            return updated_node
        handle, var = loop
        stmt = updated_node.body[0]
        if not (
            isinstance(stmt, cst.Expr)
            and isinstance(stmt.value, cst.Call)
            and isinstance(stmt.value.func, cst.Attribute)
        ):
            return updated_node
        call = stmt.value
        assert isinstance(call.func, cst.Attribute)
        row = cst.Call(
            func=call.func.with_changes(attr=cst.Name("writerow")), args=[cst.Arg(cst.Name(var))]
        )
        write = cst.Expr(cst.Await(expression=_method(cst.Name(handle), "write", row)))
        rows = call.args[0].value
        if isinstance(rows, cst.GeneratorExp) and not rows.lpar:
            rows = rows.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        return cst.For(
            target=cst.Name(var),
            iter=rows,
            body=cst.IndentedBlock(
                body=[cst.SimpleStatementLine(body=[write])],
                header=updated_node.trailing_whitespace,
            ),
            leading_lines=updated_node.leading_lines,
        )

    def leave_ExceptHandler(
        self, original_node: cst.ExceptHandler, updated_node: cst.ExceptHandler
    ) -> cst.ExceptHandler:
        """``except StopIteration`` around ``await anext(f)`` also catches StopAsyncIteration."""
        if id(original_node) not in self.plan.excepts or self._quiet or updated_node.type is None:
            return updated_node
        extra = cst.Element(cst.Name("StopAsyncIteration"))
        kind = updated_node.type
        if isinstance(kind, cst.Tuple):
            elements = list(kind.elements)
            elements[-1] = elements[-1].with_changes(
                comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            )
            return updated_node.with_changes(type=kind.with_changes(elements=[*elements, extra]))
        both = cst.Tuple(
            elements=[
                cst.Element(kind, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
                extra,
            ]
        )
        return updated_node.with_changes(type=both)

    def visit_With(self, node: cst.With) -> None:
        if id(node) in self.plan.threads:
            self._quiet += 1

    def leave_With(self, original_node: cst.With, updated_node: cst.With) -> cst.BaseStatement:
        thread = self.plan.threads.get(id(original_node))
        if thread is not None:
            self._quiet -= 1
            if _has_async(updated_node):  # another transformer made the block async
                raise RuntimeError("files: a block planned to run in a thread became async")
            return self._run_in_thread(thread, updated_node)
        if id(original_node) in self.plan.withs and not self._quiet:
            return updated_node.with_changes(asynchronous=cst.Asynchronous())
        return updated_node

    def _run_in_thread(self, thread: _Thread, block: cst.With) -> cst.BaseStatement:
        """``def helper(): <the block>`` then ``await asyncio.to_thread(helper)``.

        The helper declares ``nonlocal``/``global`` the names the block binds that the
        function binds elsewhere, so each assignment lands where it did (also when the
        block fails halfway); names that only the block binds and later code reads are
        returned and assigned from the result. The `with` becomes the ``await`` statement;
        the def goes in front of it when its enclosing block is left (leave_IndentedBlock):
        the codemods after this one see one statement in place of the `with`, as usual.
        """
        self.add_import("asyncio")
        body: list[cst.BaseStatement] = []
        for keyword, names in (("global", thread.globals), ("nonlocal", thread.nonlocals)):
            if names:
                body.append(cst.parse_statement(f"{keyword} {', '.join(names)}\n"))
        body.append(block.with_changes(leading_lines=[]))
        if thread.exports:
            body.append(cst.parse_statement(f"return {', '.join(thread.exports)}\n"))
        helper = cst.FunctionDef(
            name=cst.Name(thread.helper),
            params=cst.Parameters(),
            body=cst.IndentedBlock(body=body),
            leading_lines=block.leading_lines
            or ([] if thread.first else [cst.EmptyLine(indent=False)]),
        )
        run = f"await asyncio.to_thread({thread.helper})"
        if thread.returns:
            code = f"return {run}\n"
        elif thread.exports:
            code = f"{', '.join(thread.exports)} = {run}\n"
        else:
            code = f"{run}\n"
        call = cst.parse_statement(code)
        self._helpers[id(call)] = helper
        return call

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        if self._helpers:  # a later codemod replaced an await statement: never emit a NameError
            raise RuntimeError("files: a block run in a thread lost its helper def")
        return updated_node

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        """Each helper def of a block run in a thread goes right before its ``await``."""
        if not self._helpers:
            return updated_node
        body: list[cst.BaseStatement] = []
        for stmt in updated_node.body:
            helper = self._helpers.pop(id(stmt), None)
            if helper is not None:
                body.append(helper)
                stmt = stmt.with_changes(leading_lines=[cst.EmptyLine(indent=False)])
            body.append(stmt)
        return updated_node.with_changes(body=body)

    def leave_For(self, original_node: cst.For, updated_node: cst.For) -> cst.For:
        if id(original_node) in self.plan.fors and not self._quiet:
            return updated_node.with_changes(asynchronous=cst.Asynchronous())
        return updated_node

    def leave_CompFor(self, original_node: cst.CompFor, updated_node: cst.CompFor) -> cst.CompFor:
        if id(original_node) in self.plan.comps and not self._quiet:
            return updated_node.with_changes(asynchronous=cst.Asynchronous())
        return updated_node

    def leave_Call(
        self, original_node: cst.Call, updated_node: cst.BaseExpression
    ) -> cst.BaseExpression:
        if not isinstance(updated_node, cst.Call) or self._quiet:
            return updated_node  # (a block run in a thread keeps its blocking calls)
        key = id(original_node)
        plan = self.plan
        if key in plan.opens:
            return self._open(original_node, updated_node, plan.opens[key])
        if key in plan.awaits:
            return cst.Await(expression=updated_node)
        if key in plan.consumers:
            return self._rewrite_consumer(plan.consumers[key], original_node, updated_node)
        if key in plan.listings:
            if plan.listings[key] == "list":
                return self._to_thread(cst.Name("list"), [cst.Arg(updated_node)])
            return updated_node  # the enclosing list()/next() runs it in the thread
        if key in plan.outer:
            return self._to_thread(cst.Name(plan.outer[key]), updated_node.args)
        name = self.name_of(original_node.func)
        if not name or not self.should_convert(original_node):
            return updated_node
        if name in ALL_OPENERS:
            code, detail = plan.kept.get(key, (UNSUPPORTED_OPEN, "not in a form asyncify follows"))
            self.report(code, original_node, detail)
            return updated_node
        if key in plan.kept_listings:
            code = LAZY_LISTING if self.state.options.to_thread else NO_THREAD
            self.report(code, original_node, plan.kept_listings[key])
            return updated_node
        module, _, attr = name.rpartition(".")
        if (module == "os" and attr in AIOFILES_OS) or (
            module == "os.path" and attr in AIOFILES_OS_PATH
        ):
            self.add_import("aiofiles.os")
            self.remove_import_of(original_node.func)
            return cst.Await(expression=updated_node.with_changes(func=dotted(f"aiofiles.{name}")))
        if name in TO_THREAD or (module == PATH and attr in (*PATH_IO, *PATH_FS)):
            if not self.state.options.to_thread:
                self.report(NO_THREAD, original_node, f"`{name}`")
                return updated_node
            return self._to_thread(updated_node.func, updated_node.args)
        return updated_node

    def _to_thread(self, func: cst.BaseExpression, args: Sequence[cst.Arg]) -> cst.Await:
        self.add_import("asyncio")
        rest = list(args)
        if rest:
            rest[-1] = rest[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return cst.Await(
            expression=cst.Call(func=dotted("asyncio.to_thread"), args=[cst.Arg(func), *rest])
        )

    def _open(self, original: cst.Call, updated: cst.Call, form: str) -> cst.BaseExpression:
        name = self.name_of(original.func)
        if name in TEMP_FILES or name == TEMP_DIR:
            self.add_import("aiofiles.tempfile")
            self.remove_import_of(original.func)
            return updated.with_changes(func=dotted(f"aiofiles.{name}"))
        self.add_import("aiofiles")
        args = list(updated.args)
        if self.name_of(original.func) == f"{PATH}.open":
            assert isinstance(updated.func, cst.Attribute)
            args.insert(0, cst.Arg(updated.func.value))
        else:
            self.remove_import_of(original.func)
        new = updated.with_changes(func=dotted("aiofiles.open"), args=args)
        return cst.Await(expression=new) if form == "await" else new

    def _rewrite_consumer(
        self, kind: str, original: cst.Call, updated: cst.Call
    ) -> cst.BaseExpression:
        args = list(updated.args)
        if kind == "next":
            self.remove_import_of(original.func)
            return cst.Await(expression=updated.with_changes(func=cst.Name("anext")))
        if kind == "json.load":
            handle = args[0].value
            read = cst.Await(expression=_method(handle, "read"))
            self.add_import("json")
            self.remove_import_of(original.func)
            return updated.with_changes(
                func=dotted("json.loads"), args=[args[0].with_changes(value=read), *args[1:]]
            )
        if kind == "json.dump":
            handle = args[1].value
            rest = [a for i, a in enumerate(args) if i != 1]
            rest[-1] = rest[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            self.add_import("json")
            self.remove_import_of(original.func)
            text = cst.Call(func=dotted("json.dumps"), args=rest)
            return cst.Await(expression=_method(handle, "write", text))
        if kind == "print":
            return cst.Await(expression=_print_write(args))
        if kind == "csv.writer":
            self.add_import("types")
            lines = cst.parse_expression("types.SimpleNamespace(write=str)")
            return updated.with_changes(args=[args[0].with_changes(value=lines), *args[1:]])
        if kind.startswith("csv.row "):
            target = cst.Name(kind.split(" ")[1])
            return cst.Await(expression=_method(target, "write", updated))
        if kind == "csv.reader":
            self.add_import("io")
            self.report(CSV_READ_ALL, original)
            handle = args[0].value
            buffer = cst.Call(
                func=dotted("io.StringIO"),
                args=[
                    cst.Arg(cst.Await(expression=_method(handle, "read"))),
                    keyword_arg("newline", cst.SimpleString('""')),
                ],
            )
            return updated.with_changes(args=[args[0].with_changes(value=buffer), *args[1:]])
        return updated


def _table(source: str) -> symtable.SymbolTable | None:
    """Python's own symbol table of ``source`` (compiled, never run), or None."""
    try:
        return symtable.symtable(source, "<asyncify>", "exec")
    except (SyntaxError, ValueError):
        return None


def _function_table(source: str, name: str) -> symtable.SymbolTable | None:
    """The symbol table of the function ``name`` defined at the top of ``source``."""
    table = _table(source)
    if table is None:
        return None
    return next(
        (c for c in table.get_children() if c.get_name() == name and c.get_type() == "function"),
        None,
    )


def _bound_names(block: cst.With) -> set[str] | None:
    """The names ``block`` binds (Python's rules: not those of comprehensions, lambdas)."""
    helper = cst.FunctionDef(
        name=cst.Name("_block"), params=cst.Parameters(), body=cst.IndentedBlock(body=[block])
    )
    table = _function_table(cst.Module(body=[helper]).code, "_block")
    if table is None:
        return None
    return {s.get_name() for s in table.get_symbols() if s.is_local()}


class _Without(cst.CSTTransformer):
    """The function without some of its `with` statements (each becomes ``pass``)."""

    def __init__(self, blocks: set[int]) -> None:
        super().__init__()
        self.blocks = blocks

    def leave_With(self, original_node: cst.With, updated_node: cst.With) -> cst.BaseStatement:
        if id(original_node) in self.blocks:
            return cst.SimpleStatementLine([cst.Pass()])
        return updated_node


def _names_in(node: cst.CSTNode) -> set[str]:
    """Variable names mentioned in ``node`` (not attribute names nor keywords)."""
    found = set()
    for name, parents in _walk(node, []):
        if not isinstance(name, cst.Name):
            continue
        parent = parents[-1] if parents else None
        if isinstance(parent, cst.Attribute) and parent.attr is name:
            continue
        if isinstance(parent, cst.Arg) and parent.keyword is name:
            continue
        found.add(name.value)
    return found


def _binds_first(block: cst.With) -> set[str]:
    """Names whose first mention in ``block`` binds them: its ``as`` targets, and
    top-level assignments (``w = csv.writer(f)``, ``text = f.read()``) that come before
    any other mention. The block never reads the value such a name had before, and every
    normal end of the block has bound it (unless it deletes it)."""
    bound: set[str] = set()
    seen: set[str] = set()

    def bind(target: cst.BaseExpression) -> None:
        names = set(_target_names(target))
        seen.update(_names_in(target) - names)  # d[k] = ...: reads d and k
        bound.update(names - seen)
        seen.update(names)

    for item in block.items:
        seen.update(_names_in(item.item))
        if item.asname is not None:
            bind(item.asname.name)
    assert isinstance(block.body, cst.IndentedBlock)
    for stmt in block.body.body:
        smalls = stmt.body if isinstance(stmt, cst.SimpleStatementLine) else [stmt]
        for small in smalls:
            if isinstance(small, cst.Assign):
                seen.update(_names_in(small.value))
                for target in small.targets:
                    bind(target.target)
            elif isinstance(small, cst.AnnAssign) and small.value is not None:
                seen.update(_names_in(small.value))
                bind(small.target)
            else:
                seen.update(_names_in(small))
    deleted = {
        n
        for node, _ in _walk(block, [])
        if isinstance(node, cst.Del)
        for n in _target_names(node.target)
    }
    return bound - deleted


def _bound_on_entry(name: str, parents: list[cst.CSTNode]) -> bool:
    """An occurrence (with its ``parents``) in the body of a `with` that binds ``name`` on
    entry, or that binding itself."""
    for i, node in enumerate(parents):
        if isinstance(node, _SCOPES):
            return False
        if isinstance(node, cst.With) and i + 1 < len(parents):
            inner = parents[i + 1]
            in_body = inner is node.body
            in_target = isinstance(inner, cst.WithItem) and any(
                p is inner.asname for p in parents[i + 2 : i + 3]
            )
            if (in_body or in_target) and name in _binds_first(node):
                return True
    return False


def _target_names(target: cst.BaseExpression) -> list[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [n for e in target.elements for n in _target_names(e.value)]
    if isinstance(target, cst.StarredElement):
        return _target_names(target.value)
    return []


def _has_async(node: cst.CSTNode) -> bool:
    return any(
        isinstance(n, cst.Await)
        or (isinstance(n, (cst.For, cst.With, cst.CompFor)) and n.asynchronous is not None)
        for n, _ in _walk(node, [])
    )


def _may_stop(node: cst.CSTNode) -> bool:
    """``next(it)`` without a default, ``it.__next__()``, ``raise StopIteration``."""
    if isinstance(node, cst.Call):
        func = node.func
        if isinstance(func, cst.Attribute):
            return func.attr.value == "__next__"
        return isinstance(func, cst.Name) and func.value == "next" and len(node.args) < 2
    if isinstance(node, cst.Raise) and node.exc is not None:
        exc = node.exc.func if isinstance(node.exc, cst.Call) else node.exc
        return not (isinstance(exc, cst.Name) and exc.value != "StopIteration")
    return False


def _stop_caught(parents: list[cst.CSTNode]) -> bool:
    """A ``try`` inside the block (``parents`` start there) catches StopIteration."""
    for i, node in enumerate(parents):
        if isinstance(node, cst.Try) and i + 1 < len(parents) and parents[i + 1] is node.body:
            for handler in node.handlers:
                names = set(_handler_names(handler))
                if handler.type is None or names & {"StopIteration", "Exception", "BaseException"}:
                    return True
    return False


def _loop_inside(parents: list[cst.CSTNode]) -> bool:
    """A break/continue whose loop is inside the block (``parents`` start at the block)."""
    for i in range(len(parents) - 1, 0, -1):
        node = parents[i]
        if isinstance(node, (cst.For, cst.While)):
            child = parents[i + 1] if i + 1 < len(parents) else None
            if child is node.body:
                return True
    return False


def _in_tail(block: cst.With, parents: list[cst.CSTNode]) -> bool:
    """Nothing runs after ``block`` in its function (``parents`` start at the function body).

    Then ``return await asyncio.to_thread(helper)`` returns what the block returns, and
    None when it ends without a return, as the function did.
    """
    node: cst.CSTNode = block
    i = len(parents) - 1
    while i >= 0:
        body = parents[i]
        if not isinstance(body, cst.IndentedBlock) or body.body[-1] is not node:
            return False
        if i == 0:
            return True
        i -= 1
        if not isinstance(parents[i], (cst.If, cst.Else)):
            return False
        while i > 0 and isinstance(parents[i - 1], (cst.If, cst.Else)):
            i -= 1
        node = parents[i]
        i -= 1
    return False


def _temp_args(call: cst.Call, opener: str) -> str:
    """Why a tempfile call's arguments do not fit aiofiles.tempfile, or ""."""
    params = TEMP_DIR_PARAMS if opener == TEMP_DIR else TEMP_FILES[opener]
    for i, arg in enumerate(call.args):
        if arg.star:
            return "arguments unpacked with * or **"
        if arg.keyword is None and i >= len(params):
            return "more positional arguments than aiofiles.tempfile takes"
        if arg.keyword is not None and arg.keyword.value not in params:
            return f"`{arg.keyword.value}=` has no aiofiles.tempfile equivalent"
    return ""


def _handler_names(handler: cst.ExceptHandler) -> list[str]:
    kind = handler.type
    if kind is None:
        return []
    items = [e.value for e in kind.elements] if isinstance(kind, cst.Tuple) else [kind]
    return [e.value for e in items if isinstance(e, cst.Name)]


def _stop_handlers(parents: list[cst.CSTNode]) -> list[cst.ExceptHandler]:
    """The ``except`` clause that catches the StopIteration of a ``next(f)``, if it names it."""
    for i in range(len(parents) - 1, -1, -1):
        node = parents[i]
        if isinstance(node, _SCOPES):
            break
        if not (isinstance(node, cst.Try) and i + 1 < len(parents) and parents[i + 1] is node.body):
            continue
        for handler in node.handlers:
            if handler.type is None:
                return []
            names = _handler_names(handler)
            if {"StopAsyncIteration", "Exception", "BaseException"} & set(names):
                return []
            if "StopIteration" in names:
                return [handler]
    return []


_MUTATING_TARGETS = (cst.AssignTarget, cst.Del, cst.AugAssign, cst.AnnAssign)


def _pure_use(name: cst.Name, parents: list[cst.CSTNode]) -> bool:
    """An occurrence of os.walk's ``dirs`` that cannot change the list."""
    parent = parents[-1]
    grand = parents[-2] if len(parents) > 1 else None
    if isinstance(parent, cst.Attribute) and parent.value is name:
        return parent.attr.value in ("count", "index", "copy")
    if isinstance(parent, cst.Arg) and isinstance(grand, cst.Call):
        return isinstance(grand.func, cst.Name) and grand.func.value in PURE_CALLS
    if isinstance(parent, (cst.For, cst.CompFor)):
        return parent.iter is name
    if isinstance(parent, cst.Subscript) and parent.value is name:
        return not isinstance(grand, _MUTATING_TARGETS)
    return isinstance(
        parent,
        (
            cst.Comparison,
            cst.ComparisonTarget,
            cst.BinaryOperation,
            cst.UnaryOperation,
            cst.BooleanOperation,
            cst.FormattedStringExpression,
            cst.If,
            cst.While,
            cst.IfExp,
        ),
    )


def _walk_prunes(target: cst.BaseAssignTargetExpression, scope: cst.CSTNode) -> str:
    """Why running os.walk to the end first could change it: the loop may prune ``dirs``."""
    if not (
        isinstance(target, (cst.Tuple, cst.List))
        and len(target.elements) == 3
        and all(isinstance(e.value, cst.Name) for e in target.elements)
    ):
        return "the os.walk loop target is not `root, dirs, files`"
    bound = target.elements[1].value
    assert isinstance(bound, cst.Name)
    own = {id(e.value) for e in target.elements}
    for node, parents in _walk(scope, []):
        if isinstance(node, cst.Name) and node.value == bound.value and id(node) not in own:
            if not parents or not _pure_use(node, parents):
                return f"the loop may change `{bound.value}`, which prunes the os.walk"
    return ""


def _newline_ok(call: cst.Call) -> bool:
    """csv.reader over StringIO(text, newline='') sees the lines the file would give."""
    for i, arg in enumerate(call.args):
        is_newline = (arg.keyword is not None and arg.keyword.value == "newline") or (
            arg.keyword is None and i == 5
        )
        if is_newline:
            value = arg.value
            return (isinstance(value, cst.Name) and value.value == "None") or (
                isinstance(value, cst.SimpleString) and value.evaluated_value == ""
            )
        if arg.star:
            return False
    return True


def _method(obj: cst.BaseExpression, name: str, *args: cst.BaseExpression) -> cst.Call:
    return cst.Call(
        func=cst.Attribute(value=obj, attr=cst.Name(name)), args=[cst.Arg(a) for a in args]
    )


def _atom(expr: cst.BaseExpression) -> cst.BaseExpression:
    if (
        isinstance(expr, (cst.Name, cst.SimpleString, cst.Attribute, cst.Call, cst.Subscript))
        or expr.lpar
    ):
        return expr
    return expr.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def _is_none(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "None"


def _print_write(args: list[cst.Arg]) -> cst.Call:
    """``print(*values, sep=, end=, file=f)`` → ``f.write(<the same text>)``."""
    values = [a for a in args if a.keyword is None]
    keywords = {a.keyword.value: a.value for a in args if a.keyword is not None}
    handle = keywords["file"]
    sep = keywords.get("sep")
    end = keywords.get("end")
    if sep is None or _is_none(sep):
        sep = cst.SimpleString('" "')
    if end is None or _is_none(end):
        end = cst.SimpleString('"\\n"')
    text: cst.BaseExpression | None
    if not values:
        text = None
    elif len(values) == 1 and not values[0].star:
        text = cst.Call(func=cst.Name("str"), args=[cst.Arg(values[0].value)])
    else:
        elements = [cst.StarredElement(v.value) if v.star else cst.Element(v.value) for v in values]
        items = (
            cst.Tuple(elements=elements)
            if len(elements) > 1 or values[0].star
            else cst.Tuple(elements=[cst.Element(values[0].value, comma=cst.Comma())])
        )
        mapped = cst.Call(func=cst.Name("map"), args=[cst.Arg(cst.Name("str")), cst.Arg(items)])
        text = cst.Call(
            func=cst.Attribute(value=_atom(sep), attr=cst.Name("join")), args=[cst.Arg(mapped)]
        )
    if text is None:
        whole: cst.BaseExpression = end
    elif isinstance(end, cst.SimpleString) and end.evaluated_value == "":
        whole = text
    else:
        whole = cst.BinaryOperation(left=text, operator=cst.Add(), right=_atom(end))
    return _method(handle, "write", whole)


Command = command_for(Files)  # python -m libcst.tool codemod files.Command
