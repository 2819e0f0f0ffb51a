"""Other blocking calls in async code → ``await asyncio.to_thread(...)``.

https://docs.python.org/3/library/asyncio-task.html#asyncio.to_thread. For calls with no
async library mapping (MAPPING.md §D): ``input()``, ``os.system``,
``subprocess.getoutput``/``getstatusoutput``, sockets, ``threading``/``queue`` waits,
``Future.result`` and PyMySQL connections and cursors (a PyMySQL connection may be used from
one thread after another; ``with conn:`` still closes it in the event loop's thread, which
sends one packet and does not wait for an answer). Running the unchanged call in a worker
thread keeps its semantics exactly (arguments, return value, exceptions) while the event
loop goes on; each converted site gets a note (AFY701), since the call still occupies a
thread and cannot be cancelled. These APIs are *weak*: a function that only calls them
becomes async only when it is already on an async path (or with ``--select blocking``).
``--no-to-thread`` (``to-thread = false``) leaves them blocking, with AFY702.
:func:`in_thread` is that fallback for the other codemods too: ``subprocess.run`` and
friends (:mod:`process`) and ``urllib.request.urlopen`` (:mod:`urlopen`) have native
mappings and fall back to a thread only for arguments they cannot reproduce.

sqlite3 connections are opened with ``check_same_thread=False`` so that each call may run in
another worker thread (the program still makes them one after another); a
``sqlite3.connect`` that sets ``check_same_thread`` itself is AFY703.

Not converted, with AFY703: ``subprocess.Popen`` (an object whose methods block).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import libcst as cst

from asyncify.codemod import COMMA, Api, Codemod, dotted, keyword_arg
from asyncify.findings import Code
from asyncify.libcst_command import command_for

if TYPE_CHECKING:
    from asyncify.options import Options
    from asyncify.rewrite import RewriteState

SQLITE_CONNECT = "sqlite3.connect"
# Calls that block and are run unchanged in a worker thread.
TO_THREAD = (
    "builtins.input",
    "subprocess.getoutput",
    "subprocess.getstatusoutput",
    "os.system",
    # A response from http.client itself (annotated); urlopen's answers are read in full.
    "http.client.HTTPResponse.read",
    "http.client.HTTPResponse.readline",
    "http.client.HTTPResponse.readlines",
    "socket.create_connection",
    "socket.getaddrinfo",
    "socket.gethostbyname",
    "socket.socket.connect",
    "socket.socket.accept",
    "socket.socket.recv",
    "socket.socket.recv_into",
    "socket.socket.send",
    "socket.socket.sendall",
    "threading.Event.wait",
    "threading.Thread.join",
    "queue.Queue.get",
    "queue.Queue.put",
    "queue.Queue.join",
    "concurrent.futures.Future.result",
    # PyMySQL: a connection may be used from one thread after another (not at once), so
    # each call can run in a worker thread; the program still waits for each in turn.
    *(f"pymysql.{name}" for name in ("connect", "Connect", "connections.Connection")),
    *(
        f"pymysql.connections.Connection.{method}"
        for method in ("commit", "rollback", "begin", "ping", "select_db", "close")
    ),
    *(
        f"pymysql.cursors.Cursor.{method}"
        for method in ("execute", "executemany", "callproc", "fetchone", "fetchmany", "fetchall")
    ),
    # sqlite3: the connection is opened with check_same_thread=False (each call may run in
    # another worker thread; the program still makes them one after another).
    SQLITE_CONNECT,
    *(
        f"sqlite3.Connection.{method}"
        for method in ("execute", "executemany", "executescript", "commit", "rollback", "close")
    ),
    *(
        f"sqlite3.Cursor.{method}"
        for method in ("execute", "executemany", "executescript", "fetchone", "fetchmany")
    ),
    "sqlite3.Cursor.fetchall",
)
# What those return, so that methods on the result are recognised too.
RETURNS = {
    "http.client.HTTPResponse.__enter__": "http.client.HTTPResponse",
    "socket.create_connection": "socket.socket",
    "socket.socket": "socket.socket",
    "socket.socket.accept": "",
    "threading.Event": "threading.Event",
    "threading.Thread": "threading.Thread",
    "queue.Queue": "queue.Queue",
    "pymysql.connect": "pymysql.connections.Connection",
    "pymysql.Connect": "pymysql.connections.Connection",
    "pymysql.connections.Connection": "pymysql.connections.Connection",
    "pymysql.connections.Connection.cursor": "pymysql.cursors.Cursor",
    "pymysql.cursors.Cursor.__enter__": "pymysql.cursors.Cursor",
    SQLITE_CONNECT: "sqlite3.Connection",
    "sqlite3.Connection.__enter__": "sqlite3.Connection",
    "sqlite3.Connection.cursor": "sqlite3.Cursor",
    "sqlite3.Connection.execute": "sqlite3.Cursor",
    "sqlite3.Connection.executemany": "sqlite3.Cursor",
    "sqlite3.Cursor.execute": "sqlite3.Cursor",
    "sqlite3.Cursor.executemany": "sqlite3.Cursor",
}
_THREADED = frozenset(TO_THREAD)
NOT_CONVERTED = {
    "subprocess.Popen": "its methods (wait, communicate, stdout reads) block one by one",
}

IN_THREAD = Code(
    "AFY701",
    "blocking call runs in a worker thread (asyncio.to_thread)",
    "fine for occasional calls; a native async library (asyncio.create_subprocess_exec, "
    "httpx, asyncio streams, aiomysql) scales better and can be cancelled",
    "note",
    doc="""
    A blocking call with no async library in asyncify's mappings (`input()`, `os.system`,
    `subprocess.getoutput`, socket calls, `queue.Queue.get`, `threading.Event.wait`, PyMySQL
    `connect`/`execute`/`fetch*`/`commit`, ...) now runs in a worker thread with
    `asyncio.to_thread`. A note:
    the program behaves the same and the event loop is not blocked, but threads are a
    limited pool (the default executor) and a running thread cannot be cancelled.

    Where it matters, use a native async API.

    Before (converted):

    ```python
    status = await asyncio.to_thread(subprocess.getoutput, "git status")
    ```

    After:

    ```python
    proc = await asyncio.create_subprocess_shell(
        "git status", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await proc.communicate()
    status = out.decode().removesuffix("\\n")
    ```
    """,
)
LEFT_BLOCKING = Code(
    "AFY702",
    "blocking call left in async code (to-thread is off)",
    "run it with `await asyncio.to_thread(...)`, or use an async library",
    doc="""
    A blocking call with no async library in asyncify's mappings (`input()`, `os.system`,
    sockets, queue waits, ...), or one kept in a thread for an argument that has no native
    form (AFY704, AFY705), is left blocking in async code because
    `to-thread = false` (`--no-to-thread`). While it runs, the event loop and every other
    task wait.

    Before:

    ```python
    async def deploy():
        os.system("make deploy")
    ```

    After:

    ```python
    async def deploy():
        await asyncio.to_thread(os.system, "make deploy")
    ```
    """,
)
NOT_THREADABLE = Code(
    "AFY703",
    "blocking API without a faithful async form is left blocking in async code",
    "subprocess.Popen: use asyncio.create_subprocess_exec; sqlite3: drop check_same_thread "
    "or use aiosqlite",
    doc="""
    A blocking API that has no faithful async form through a thread is left blocking in
    async code: `subprocess.Popen` (its methods `wait`, `communicate` and its pipes block
    one by one, so no single call can be moved to a thread), and a `sqlite3.connect` that
    sets `check_same_thread` itself or passes `**kwargs` (asyncify runs sqlite3 calls in
    worker threads on a connection opened with `check_same_thread=False`, and cannot here).

    Use an async library.

    Before:

    ```python
    async def lines(cmd):
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE)
        out, _ = proc.communicate()
        return out.splitlines()
    ```

    After:

    ```python
    async def lines(cmd):
        proc = await asyncio.create_subprocess_exec(*cmd, stdout=asyncio.subprocess.PIPE)
        out, _ = await proc.communicate()
        return out.splitlines()
    ```
    """,
)


class Blocking(Codemod):
    NAME = "blocking"
    DESCRIPTION = "other blocking calls in async code → await asyncio.to_thread(...)"
    APIS = (
        *(
            Api(name, returns=RETURNS.get(name, ""), weak=True, keeps_callee=True)
            for name in TO_THREAD
        ),
        *(
            Api(name, returns=typ, blocking=False)
            for name, typ in RETURNS.items()
            if name not in TO_THREAD
        ),
        *(Api(name, weak=True, keeps_callee=True) for name in NOT_CONVERTED),
    )
    ALIASES = {"subprocess.Popen.__enter__": "subprocess.Popen"}

    @classmethod
    def variant(cls, options: Options) -> type[Codemod]:
        """``--sqlite-client aiosqlite``: sqlite3 → aiosqlite (codemods/sqlite_aiosqlite.py)."""
        if options.sqlite_client == "aiosqlite":
            from asyncify.codemods.sqlite_aiosqlite import BlockingAiosqlite

            return BlockingAiosqlite
        return cls

    def __init__(self, state: RewriteState) -> None:
        super().__init__(state)
        # Names of sqlite3 connections (and their cursors) that stay in the thread that
        # opened them: their calls are not moved to worker threads either.
        self.thread_bound: set[str] = set()

    def visit_Assign(self, node: cst.Assign) -> None:
        if _stays_in_thread(self, node.value):
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    self.thread_bound.add(target.target.value)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if _stays_in_thread(self, node.item) and node.asname is not None:
            if isinstance(node.asname.name, cst.Name):
                self.thread_bound.add(node.asname.name.value)

    def leave_Call(
        self, original_node: cst.Call, updated_node: cst.BaseExpression
    ) -> cst.BaseExpression:
        func = original_node.func
        if (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and func.value.value in self.thread_bound
        ):
            return updated_node
        api = self.api_of(original_node)
        if not api or not isinstance(updated_node, cst.Call):
            return updated_node
        if api not in _THREADED and api not in NOT_CONVERTED:
            return updated_node  # a constructor or method that only gives a type
        if not self.should_convert(original_node):
            return updated_node
        if api in NOT_CONVERTED:
            self.report(NOT_THREADABLE, original_node, f"`{api}`: {NOT_CONVERTED[api]}")
            return updated_node
        if api == SQLITE_CONNECT:
            same_thread = next(
                (
                    a
                    for a in updated_node.args
                    if a.keyword and a.keyword.value == "check_same_thread"
                ),
                None,
            )
            if same_thread is not None or any(a.star for a in updated_node.args):
                detail = "`sqlite3.connect` with check_same_thread or **kwargs given"
                self.report(NOT_THREADABLE, original_node, detail)
                return updated_node
            any_thread = keyword_arg("check_same_thread", cst.Name("False"))
            updated_node = updated_node.with_changes(
                args=[*_with_comma(updated_node.args), any_thread]
            )
        return in_thread(self, original_node, updated_node, IN_THREAD, f"`{api}`")


def _stays_in_thread(codemod: Blocking, value: cst.BaseExpression) -> bool:
    """A ``sqlite3.connect`` asyncify cannot open for any thread, or a cursor of one."""
    if not isinstance(value, cst.Call):
        return False
    func = value.func
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
        if func.value.value in codemod.thread_bound:
            return True
    if codemod.api_of(value) != SQLITE_CONNECT:
        return False
    return any(
        a.star or (a.keyword is not None and a.keyword.value == "check_same_thread")
        for a in value.args
    )


def _with_comma(args: Sequence[cst.Arg]) -> list[cst.Arg]:
    """``args`` with a comma after the last one (and the user's own commas kept)."""
    return [*args[:-1], args[-1].with_changes(comma=COMMA)] if args else []


def in_thread(
    codemod: Codemod, original: cst.Call, updated: cst.Call, code: Code, detail: str
) -> cst.BaseExpression:
    """``await asyncio.to_thread(f, *args)``: the fallback of every codemod for a blocking call
    it has no faithful async form for, reported with ``code``; with ``--no-to-thread`` the
    call is left blocking (AFY702)."""
    if not codemod.state.options.to_thread:
        codemod.report(LEFT_BLOCKING, original, detail)
        return updated
    codemod.report(code, original, detail)
    codemod.add_import("asyncio")
    args = [cst.Arg(updated.func), *updated.args]
    return cst.Await(expression=cst.Call(func=dotted("asyncio.to_thread"), args=args))


Command = command_for(Blocking)  # python -m libcst.tool codemod blocking.Command
