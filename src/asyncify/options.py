"""Options of one asyncify run, from the command line and ``[tool.asyncify]``."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TargetOption:
    """A choice of the async library one codemod targets: ``--<key>`` on the command line,
    ``<key> = "..."`` in ``[tool.asyncify]``, ``Options.<field>`` in a run."""

    key: str  # "http-client"
    codemod: str  # the codemod whose output it changes: "http"
    # (value, what the library code becomes, trade-off); the first is the default.
    choices: tuple[tuple[str, str, str], ...]

    @property
    def field(self) -> str:
        return self.key.replace("-", "_")

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(value for value, _, _ in self.choices)


HTTP_TARGET = TargetOption(
    "http-client",
    "http",
    (
        ("httpx", "requests → httpx.AsyncClient", "no httpx release since 0.28.1, Dec 2024"),
        ("aiohttp", "requests → aiohttp.ClientSession", "fast; more differences, docs/http.md"),
        # requests stays, its calls in async code run in worker threads (also chosen by
        # itself when a session must stay).
        ("thread", "requests stays; calls run in asyncio.to_thread", "no new dependency"),
        (
            "httpx2",
            "requests → httpx2.AsyncClient",
            "maintained httpx fork, same API; OS TLS store",
        ),
    ),
)
DB_TARGET = TargetOption(
    "db-client",
    "db",
    (
        ("asyncpg", "psycopg2 → asyncpg", "fastest; placeholders, cursors, transactions rewritten"),
        (
            "psycopg",
            "psycopg2 → psycopg 3 AsyncConnection",
            "same cursors, placeholders, transactions",
        ),
    ),
)
SQLITE_TARGET = TargetOption(
    "sqlite-client",
    "blocking",
    (
        ("thread", "sqlite3 stays; calls run in asyncio.to_thread", "any connection"),
        ("aiosqlite", "sqlite3 → aiosqlite", "connections local to a function; others: thread"),
    ),
)
TARGET_OPTIONS = (HTTP_TARGET, DB_TARGET, SQLITE_TARGET)
# --http-client / http-client values; the first is the default.
HTTP_CLIENTS = HTTP_TARGET.values
DB_CLIENTS = DB_TARGET.values


@dataclass(frozen=True)
class Options:
    select: frozenset[str] = frozenset()  # codemod names; empty = all
    ignore: frozenset[str] = frozenset()
    exclude: tuple[str, ...] = ()  # gitignore-style patterns
    jobs: int = 0  # 0 = one per core
    todo_comments: bool = False
    to_thread: bool = True
    # --keep-sync-api: public functions that become async keep a synchronous wrapper under
    # their old name; the async implementation is renamed `<name>_async`.
    keep_sync_api: bool = False
    # `with open(...)` blocks that only do file work run whole in one asyncio.to_thread
    # (docs/files.md); False: aiofiles, one thread hop per file operation.
    thread_blocks: bool = True
    blocking_audit: bool = (
        False  # check --blocking: report blocking calls reachable from async code
    )
    # run --interactive: functions (dotted names) and files (display paths) the reviewer
    # rejected; they stay synchronous, and so the rest of the program stays consistent.
    declined: frozenset[str] = frozenset()
    keep_files: frozenset[str] = frozenset()
    http_client: str = "httpx"  # target of the http codemod: one of HTTP_CLIENTS
    db_client: str = "asyncpg"  # target of the db codemod: one of DB_CLIENTS
    sqlite_client: str = "thread"  # sqlite3 in the blocking codemod: "thread" or "aiosqlite"
    # Functions installed commands call (pyproject [project.scripts], setup.cfg
    # console_scripts; asyncify.scripts): they keep a synchronous wrapper.
    entry_points: frozenset[str] = frozenset()
    # The module name of each program's compatibility module (asyncify/compat.py), which
    # holds the helpers the converted modules import; "": each module defines its own.
    compat_module: str = "_async_compat"
    extra: dict[str, str] = field(default_factory=dict)

    def codemod_enabled(self, name: str) -> bool:
        return (not self.select or name in self.select) and name not in self.ignore

    def explicitly_selected(self, name: str) -> bool:
        return name in self.select
