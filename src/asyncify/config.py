"""Settings from ``[tool.asyncify]`` in ``pyproject.toml``, merged with the command line.

The file is ``--config FILE`` or else the first ``pyproject.toml`` with a
``[tool.asyncify]`` table found walking up from the common parent of the PATHs (stopping
at the repository root). Command-line values override the file's. Patterns in
``exclude`` are relative to the file's folder.

```toml
[tool.asyncify]
select = ["time_sleep"]     # codemods to run (default: all)
ignore = []                 # codemods not to run
exclude = ["migrations/"]   # gitignore-style patterns
jobs = 0                    # worker processes; 0 = one per core
todo-comments = false       # put "# TODO(asyncify AFYnnn): ..." at each finding
to-thread = true            # wrap calls that cannot be awaited in asyncio.to_thread
keep-sync-api = false       # keep public functions callable synchronously (sync wrappers)
http-client = "httpx"       # what requests becomes: "httpx", "aiohttp", "thread" or "httpx2"
db-client = "asyncpg"       # what psycopg2 becomes: "asyncpg" or "psycopg" (psycopg 3)
sqlite-client = "thread"    # sqlite3: calls in asyncio.to_thread, or "aiosqlite"
thread-blocks = true        # run a `with open(...)` block that only does file work in one thread
compat-module = "_async_compat"  # the module holding the helpers; "": one copy per module
```
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

from asyncify.options import TARGET_OPTIONS, Options


class ConfigError(Exception):
    """The configuration is unusable: a usage error (exit 2)."""


@dataclass(frozen=True)
class Config:
    """The ``[tool.asyncify]`` settings; ``None`` means "not set here"."""

    path: Path | None = None  # the file they came from
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] | None = None
    exclude: tuple[str, ...] | None = None
    jobs: int | None = None
    todo_comments: bool | None = None
    to_thread: bool | None = None
    keep_sync_api: bool | None = None
    http_client: str | None = None
    thread_blocks: bool | None = None
    db_client: str | None = None
    sqlite_client: str | None = None
    compat_module: str | None = None

    @property
    def root(self) -> Path:
        """The folder that relative settings (``exclude``) refer to."""
        return self.path.parent if self.path is not None else Path.cwd()


_STRING_LISTS = {"select", "ignore", "exclude"}
_BOOLS = {"todo-comments", "to-thread", "keep-sync-api", "thread-blocks"}
KEYS = (
    "select",
    "ignore",
    "exclude",
    "jobs",
    "todo-comments",
    "to-thread",
    "keep-sync-api",
    "http-client",
    "thread-blocks",
    "db-client",
    "sqlite-client",
    "compat-module",
)
_TARGETS = {target.key: target for target in TARGET_OPTIONS}


def find_config(paths: Sequence[Path]) -> Path | None:
    """The nearest ``pyproject.toml`` with a ``[tool.asyncify]`` table above ``paths``."""
    start = common_parent(paths)
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and _table(_parse(candidate)) is not None:
            return candidate
        if (folder / ".git").exists():  # do not read settings from outside the repository
            return None
    return None


def load_config(paths: Sequence[Path], config_file: Path | None = None) -> Config:
    """The settings for a run over ``paths``; raise :class:`ConfigError` if they are invalid."""
    if config_file is not None:
        if not config_file.is_file():
            raise ConfigError(f"{config_file}: configuration file not found")
        path: Path | None = config_file
    else:
        path = find_config(paths)
    if path is None:
        return Config()
    table = _table(_parse(path))
    return _validate(path, table or {})


def common_parent(paths: Sequence[Path]) -> Path:
    folders = [
        str(path.resolve() if path.is_dir() else path.resolve().parent)
        for path in paths or [Path.cwd()]
    ]
    try:
        return Path(os.path.commonpath(folders))
    except ValueError:  # different drives
        return Path.cwd().resolve()


def _parse(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            document: dict[str, Any] = tomllib.load(file)
            return document
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from error
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{path}: invalid TOML: not UTF-8 (byte {error.object[error.start:error.end]!r} "
            f"at offset {error.start})"
        ) from error


def _table(document: dict[str, Any]) -> dict[str, Any] | None:
    tool = document.get("tool")
    if not isinstance(tool, dict):
        return None
    table = tool.get("asyncify")
    return table if isinstance(table, dict) else None


def _validate(path: Path, table: dict[str, Any]) -> Config:
    where = f"{path}: [tool.asyncify]"
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {', '.join(map(repr, unknown))} (known: {', '.join(KEYS)})"
        )
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key in _STRING_LISTS:
            if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
                raise ConfigError(f"{where}: {key} must be a list of strings, got {value!r}")
            values[key] = tuple(value)
        elif key in _BOOLS:
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: {key} must be true or false, got {value!r}")
            values[key.replace("-", "_")] = value
        elif key == "jobs":
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigError(f"{where}: jobs must be a whole number >= 0, got {value!r}")
            values[key] = value
        elif key in _TARGETS:
            target = _TARGETS[key]
            if value not in target.values:
                raise ConfigError(
                    f"{where}: {key} must be one of {', '.join(map(repr, target.values))}, "
                    f"got {value!r}"
                )
            values[target.field] = value
        elif key == "compat-module":
            if not isinstance(value, str) or value and not value.isidentifier():
                raise ConfigError(
                    f"{where}: compat-module must be a module name (or \"\"), got {value!r}"
                )
            values["compat_module"] = value
    return Config(path=path, **values)


def split_names(values: Sequence[str] | None) -> tuple[str, ...] | None:
    """``--select a,b --select c`` as ``("a", "b", "c")``; ``None`` when not given."""
    if not values:
        return None
    return tuple(name.strip() for value in values for name in value.split(",") if name.strip())


# Codemods split out of another one: selecting or ignoring the old name still covers them,
# so `--select blocking` in a CI script keeps converting subprocess and urlopen calls.
PARTS = {"blocking": ("subprocess", "urllib")}


def _with_parts(names: Sequence[str]) -> frozenset[str]:
    return frozenset(names).union(*(PARTS.get(name, ()) for name in names))


def merge(
    config: Config,
    *,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
    jobs: int | None = None,
    todo_comments: bool | None = None,
    to_thread: bool | None = None,
    keep_sync_api: bool | None = None,
    http_client: str | None = None,
    db_client: str | None = None,
    sqlite_client: str | None = None,
) -> Options:
    """The options of a run: each command-line value (not ``None``) overrides the file's."""

    def pick(cli: Any, file: Any, default: Any) -> Any:
        if cli is not None:
            return cli
        return file if file is not None else default

    return Options(
        select=_with_parts(pick(select, config.select, ())),
        ignore=_with_parts(pick(ignore, config.ignore, ())),
        exclude=tuple(pick(exclude, config.exclude, ())),
        jobs=pick(jobs, config.jobs, 0),
        todo_comments=pick(todo_comments, config.todo_comments, False),
        to_thread=pick(to_thread, config.to_thread, True),
        keep_sync_api=pick(keep_sync_api, config.keep_sync_api, False),
        http_client=pick(http_client, config.http_client, _TARGETS["http-client"].values[0]),
        db_client=pick(db_client, config.db_client, _TARGETS["db-client"].values[0]),
        sqlite_client=pick(
            sqlite_client, config.sqlite_client, _TARGETS["sqlite-client"].values[0]
        ),
        thread_blocks=pick(None, config.thread_blocks, True),
        compat_module=pick(None, config.compat_module, "_async_compat"),
    )
