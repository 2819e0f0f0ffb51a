"""Blocking file I/O → aiofiles: ``open()``, file methods, ``os``/``os.path``, ``pathlib``.

Implements MAPPING.md §B with aiofiles 25.1
(https://github.com/Tinche/aiofiles#readme, ``aiofiles/threadpool``, ``aiofiles/os.py``,
``aiofiles/ospath.py``) and :func:`asyncio.to_thread`
(https://docs.python.org/3/library/asyncio-task.html#asyncio.to_thread).

A handle is converted only when asyncify can see *every* use of it in the function that
opens it (``docs/files.md``): methods that aiofiles makes awaitable get ``await``, sync
attributes stay, ``for``/``next`` become ``async for``/``await anext``, and the consumers
that take a handle (``json.load/dump``, ``print(file=)``, ``csv.reader``) are rewritten to
read or write the same text through the handle. Any other use (the handle passed to a
function, returned, stored, handed to pickle, shutil, zipfile or ``files=``) would read or
write nothing, or block, so that ``open()`` is left synchronous and reported.

``open`` and the ``os`` calls are *weak* APIs: they make a function async only when it is
on an async path already, or when ``--select files`` names this codemod.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

from asyncify.codemod import Api, Codemod, dotted
from asyncify.findings import Code

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

JSON_LOAD = "json.load"
JSON_DUMP = "json.dump"
PRINT = "builtins.print"
NEXT = "builtins.next"
CSV_READERS = frozenset({"csv.reader", "csv.DictReader"})
CSV_WRITERS = frozenset({"csv.writer", "csv.DictWriter"})

HANDLE_ESCAPES = Code(
    "AFY301",
    "file handle used where aiofiles cannot follow it: open() left synchronous",
    "pass the data instead of the handle, or run the block in `await asyncio.to_thread(...)`",
)
UNSUPPORTED_OPEN = Code(
    "AFY302",
    "open() in a form asyncify does not convert: left synchronous",
    "bind the handle with `with open(...) as f:` or `f = open(...)` in the function that uses it",
)
CSV_READ_ALL = Code(
    "AFY303",
    "csv reader over an aiofiles handle reads the whole file into memory first",
    "fine for small files; for large ones read and parse line by line with `async for`",
    "note",
)
CSV_WRITER = Code(
    "AFY304",
    "csv writer on a file handle: open() left synchronous",
    "build the rows in an io.StringIO(newline='') and `await f.write(buf.getvalue())`",
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
    handle_arg: dict[int, int] = field(default_factory=dict)  # consumer call -> index of handle arg


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

    # -- analysis: decide per handle, on the original function ----------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self.in_async():
            self._analyse(node)

    def _is_open(self, node: cst.CSTNode) -> bool:
        return isinstance(node, cst.Call) and self.name_of(node.func) in OPENERS

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
            if isinstance(parent, cst.WithItem) and isinstance(grand, cst.With):
                target = parent.asname.name if parent.asname else None
                others = [i for i in grand.items if not self._is_open(i.item)]
                if others:
                    plan.kept[id(node)] = (
                        UNSUPPORTED_OPEN,
                        "`with` also enters other context managers",
                    )
                elif target is None:
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
                uses.append(use)
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

    def _classify(
        self, occ: cst.Name, parents: list[cst.CSTNode], open_calls: set[int], opens: list[cst.Call]
    ) -> tuple[str, cst.CSTNode] | str:
        """How one occurrence of a handle's name is rewritten, or why it cannot be."""
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
            return self._consumer(occ, parent, grand, great, opens)
        return "used as a value (passed, returned or stored)"

    def _consumer(
        self,
        occ: cst.Name,
        arg: cst.Arg,
        call: cst.Call,
        stmt: cst.CSTNode | None,
        opens: list[cst.Call],
    ) -> tuple[str, cst.CSTNode] | str:
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
        if name in CSV_WRITERS:
            return f"written by `{name}`"
        callee = name or cst.Module([]).code_for_node(call.func)
        return f"passed to `{callee}`"

    # -- rewriting ----------------------------------------------------------------
    def leave_With(self, original_node: cst.With, updated_node: cst.With) -> cst.With:
        if id(original_node) in self.plan.withs:
            return updated_node.with_changes(asynchronous=cst.Asynchronous())
        return updated_node

    def leave_For(self, original_node: cst.For, updated_node: cst.For) -> cst.For:
        if id(original_node) in self.plan.fors:
            return updated_node.with_changes(asynchronous=cst.Asynchronous())
        return updated_node

    def leave_CompFor(self, original_node: cst.CompFor, updated_node: cst.CompFor) -> cst.CompFor:
        if id(original_node) in self.plan.comps:
            return updated_node.with_changes(asynchronous=cst.Asynchronous())
        return updated_node

    def leave_Call(
        self, original_node: cst.Call, updated_node: cst.BaseExpression
    ) -> cst.BaseExpression:
        if not isinstance(updated_node, cst.Call):
            return updated_node
        key = id(original_node)
        plan = self.plan
        if key in plan.opens:
            return self._open(original_node, updated_node, plan.opens[key])
        if key in plan.awaits:
            return cst.Await(expression=updated_node)
        if key in plan.consumers:
            return self._rewrite_consumer(plan.consumers[key], original_node, updated_node)
        name = self.name_of(original_node.func)
        if not name or not self.should_convert(original_node):
            return updated_node
        if name in OPENERS:
            code, detail = plan.kept.get(key, (UNSUPPORTED_OPEN, "not in a form asyncify follows"))
            self.report(code, original_node, detail)
            return updated_node
        module, _, attr = name.rpartition(".")
        if (module == "os" and attr in AIOFILES_OS) or (
            module == "os.path" and attr in AIOFILES_OS_PATH
        ):
            self.add_import("aiofiles.os")
            self.remove_import_of(original_node.func)
            return cst.Await(expression=updated_node.with_changes(func=dotted(f"aiofiles.{name}")))
        if name in TO_THREAD:
            return self._to_thread(updated_node.func, updated_node.args)
        if module == PATH and attr in (*PATH_IO, *PATH_FS):
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
        if kind == "csv.reader":
            self.add_import("io")
            self.report(CSV_READ_ALL, original)
            handle = args[0].value
            buffer = cst.Call(
                func=dotted("io.StringIO"),
                args=[
                    cst.Arg(cst.Await(expression=_method(handle, "read"))),
                    cst.Arg(
                        cst.SimpleString('""'),
                        keyword=cst.Name("newline"),
                        equal=cst.AssignEqual(
                            whitespace_before=cst.SimpleWhitespace(""),
                            whitespace_after=cst.SimpleWhitespace(""),
                        ),
                    ),
                ],
            )
            return updated.with_changes(args=[args[0].with_changes(value=buffer), *args[1:]])
        return updated


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
