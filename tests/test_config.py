"""``[tool.asyncify]``: finding the file, validating it, and merging the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from asyncify.config import Config, ConfigError, find_config, load_config, merge, split_names
from asyncify.options import Options


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_all_keys(tmp_path: Path) -> None:
    config = write(
        tmp_path / "pyproject.toml",
        "[tool.asyncify]\n"
        'select = ["sleep"]\nignore = ["http"]\nexclude = ["legacy/"]\n'
        "jobs = 3\ntodo-comments = true\nto-thread = false\nkeep-sync-api = true\n"
        'http-client = "aiohttp"\nthread-blocks = false\ndb-client = "psycopg"\n',
    )
    loaded = load_config([tmp_path])
    assert loaded == Config(
        config,
        ("sleep",),
        ("http",),
        ("legacy/",),
        3,
        True,
        False,
        True,
        "aiohttp",
        False,
        "psycopg",
    )
    assert loaded.root == tmp_path
    assert merge(loaded) == Options(
        select=frozenset({"sleep"}),
        ignore=frozenset({"http"}),
        exclude=("legacy/",),
        jobs=3,
        todo_comments=True,
        to_thread=False,
        keep_sync_api=True,
        http_client="aiohttp",
        thread_blocks=False,
        db_client="psycopg",
    )
    assert merge(loaded, db_client="asyncpg").db_client == "asyncpg"  # --db-client wins
    assert merge(loaded, keep_sync_api=False).keep_sync_api is False  # --no-keep-sync-api


def test_found_walking_up_from_the_common_parent(tmp_path: Path) -> None:
    config = write(tmp_path / "pyproject.toml", "[tool.asyncify]\njobs = 1\n")
    write(tmp_path / "pkg/sub/pyproject.toml", "[project]\nname = 'x'\n")  # no asyncify table
    a = write(tmp_path / "pkg/sub/a.py", "")
    b = write(tmp_path / "pkg/b.py", "")
    assert find_config([a, b]) == config
    assert find_config([a]) == config


def test_not_looked_for_above_the_repository(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.asyncify]\njobs = 1\n")
    (tmp_path / "repo/.git").mkdir(parents=True)
    assert find_config([tmp_path / "repo"]) is None
    assert load_config([tmp_path / "repo"]) == Config()


def test_command_line_overrides_the_file() -> None:
    config = Config(None, ("sleep",), ("http",), ("a/",), 3, True, False, None, "aiohttp")
    options = merge(config, select=("files",), exclude=("b/",), jobs=0, todo_comments=False)
    assert options.http_client == "aiohttp"  # not given on the command line: the file's
    assert merge(config, http_client="httpx").http_client == "httpx"
    assert options.select == {"files"}
    assert options.ignore == {"http"}  # not given on the command line: the file's
    assert options.exclude == ("b/",)
    assert options.jobs == 0
    assert options.todo_comments is False
    assert options.to_thread is False


def test_defaults() -> None:
    assert merge(Config()) == Options()


def test_split_names() -> None:
    assert split_names(None) is None
    assert split_names([]) is None
    assert split_names(["a,b", " c ", "d,"]) == ("a", "b", "c", "d")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("colour = true\n", "unknown key 'colour'"),
        ('select = "sleep"\n', "select must be a list of strings"),
        ("exclude = [1]\n", "exclude must be a list of strings"),
        ("jobs = -1\n", "jobs must be a whole number"),
        ("jobs = true\n", "jobs must be a whole number"),
        ("jobs = 1.5\n", "jobs must be a whole number"),
        ('to-thread = "yes"\n', "to-thread must be true or false"),
        ("keep-sync-api = 1\n", "keep-sync-api must be true or false"),
        (
            'http-client = "urllib3"\n',
            "http-client must be one of 'httpx', 'aiohttp', 'thread', 'httpx2', got 'urllib3'",
        ),
        (
            "http-client = true\n",
            "http-client must be one of 'httpx', 'aiohttp', 'thread', 'httpx2', got True",
        ),
        (
            'db-client = "psycopg2"\n',
            "db-client must be one of 'asyncpg', 'psycopg', got 'psycopg2'",
        ),
        ("sqlite-client = 1\n", "sqlite-client must be one of 'thread', 'aiosqlite', got 1"),
        ("thread-blocks = 0\n", "thread-blocks must be true or false"),
        ("jobs = [\n", "invalid TOML"),
    ],
)
def test_invalid_settings(tmp_path: Path, body: str, message: str) -> None:
    write(tmp_path / "pyproject.toml", "[tool.asyncify]\n" + body)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        load_config([tmp_path])


def test_explicit_file(tmp_path: Path) -> None:
    settings = write(tmp_path / "ci.toml", "[tool.asyncify]\njobs = 2\n")
    assert load_config([tmp_path], settings).jobs == 2
    with pytest.raises(ConfigError, match="not found"):
        load_config([tmp_path], tmp_path / "missing.toml")


def test_blocking_still_covers_the_codemods_split_out_of_it() -> None:
    """`--select blocking` in an existing CI script keeps converting subprocess and urlopen."""
    options = merge(Config(), select=("blocking",), ignore=("sleep",))
    assert options.select == {"blocking", "subprocess", "urllib"}
    assert options.codemod_enabled("subprocess") and options.codemod_enabled("urllib")
    assert not merge(Config(), ignore=("blocking",)).codemod_enabled("subprocess")
    assert merge(Config(), select=("subprocess",)).select == {"subprocess"}
