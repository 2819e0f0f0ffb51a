"""Options of one asyncify run, from the command line and ``[tool.asyncify]``."""

from __future__ import annotations

from dataclasses import dataclass, field

# --http-client / http-client values; the first is the default. "thread": requests stays,
# its calls in async code run in worker threads (also chosen when a session must stay).
HTTP_CLIENTS = ("httpx", "aiohttp", "thread")


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
