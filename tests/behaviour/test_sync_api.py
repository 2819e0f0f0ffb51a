"""``asyncify run --keep-sync-api``: a library converted to async keeps its synchronous API.

`tests/fixtures/projects/catalog` holds a library (an HTTP client class keeping a
``requests.Session`` across calls; a function that sleeps and reads a file; a function in
another module that uses a client passed to it) and its own pytest suite. A temp copy is
converted with the installed command, then:

(a) the converted suite (async tests through pytest-asyncio) passes like the original;
(b) ``sync_caller.py``, a downstream user of the *old* synchronous API that keeps one
    client across calls and also calls from a worker thread, prints the same against
    both libraries;
(c) the old API called inside a running event loop raises a RuntimeError that names
    the async API to await instead;

and the conversion is the one ``after/`` shows (``tests/test_projects.py`` gets the option
from the project's ``[tool.asyncify] keep-sync-api = true`` instead of the flag), stable on
a second run, with nothing new from pyright or ruff.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.behaviour.harness import asyncify_command
from tests.behaviour.http_support import http_server  # noqa: F401 - fixture
from tests.behaviour.test_suites import run_suite
from tests.judges import new_findings

CATALOG = Path(__file__).parents[1] / "fixtures" / "projects" / "catalog"


def _sources(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*.py"))}


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temp copy of the library, converted by ``asyncify run --keep-sync-api``."""
    root = tmp_path_factory.mktemp("catalog") / "after"
    shutil.copytree(CATALOG / "before", root)
    (root / "pyproject.toml").unlink()  # its `keep-sync-api = true`: the flag alone here
    proc = subprocess.run(
        [*asyncify_command(), "run", "--keep-sync-api", "."],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return root


def _python(root: Path, args: list[str], url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "error::RuntimeWarning", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(root), "CATALOG_URL": url},
    )


def test_conversion_is_the_fixture_and_stable(converted: Path) -> None:
    assert _sources(converted) == _sources(CATALOG / "after")
    check = subprocess.run(
        [*asyncify_command(), "check", "--keep-sync-api", "."],
        cwd=converted,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_converted_suite_passes(
    converted: Path,
    http_server: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CATALOG_URL", http_server)
    before = run_suite(CATALOG / "before")
    after = run_suite(converted)
    assert before[0] == 0, before
    assert after == before
    assert len(after[1].splitlines()) == 6
    assert "async def test_describe" in (converted / "tests" / "test_catalog.py").read_text()


def test_old_sync_api_prints_the_same(
    converted: Path,
    http_server: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    prices = tmp_path / "prices.txt"
    prices.write_text("apple=120\nfig=310\n")
    script = str(CATALOG / "sync_caller.py")
    before = _python(CATALOG / "before", [script, http_server, str(prices)], http_server)
    after = _python(converted, [script, http_server, str(prices)], http_server)
    assert before.returncode == 0, before.stderr
    assert after.returncode == 0, after.stderr
    assert after.stdout == before.stdout
    assert "calls 3" in after.stdout and "from a thread [{'sku': 'pear'" in after.stdout
    assert "item The catalog entry of ``sku``." in after.stdout
    # The converted library really is async underneath.
    assert "async def item_async" in (converted / "catalog" / "client.py").read_text()


IN_LOOP = """
import asyncio, sys
import catalog

async def main():
    for call in (
        lambda: catalog.load_prices(sys.argv[1]),
        lambda: catalog.CatalogClient(sys.argv[2]).item("apple"),
    ):
        try:
            call()
        except RuntimeError as error:
            print(error)
    print(await catalog.load_prices_async(sys.argv[1]))

asyncio.run(main())
"""


def test_old_sync_api_in_a_running_loop_raises(
    converted: Path,
    http_server: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    prices = tmp_path / "prices.txt"
    prices.write_text("kiwi=45\n")
    proc = _python(converted, ["-c", IN_LOOP, str(prices), http_server], http_server)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "load_prices() is synchronous and cannot run inside a running event loop; "
        "await load_prices_async() instead",
        "CatalogClient.item() is synchronous and cannot run inside a running event loop; "
        "await CatalogClient.item_async() instead",
        "{'kiwi': '0.45 EUR'}",
    ]
    assert "never awaited" not in proc.stderr


LOOP_PER_CALL = """
import asyncio, sys
from catalog import CatalogClient

client = CatalogClient(sys.argv[1])
print(asyncio.run(client.item_async("a"))["sku"])
try:
    asyncio.run(client.item_async("b"))
except RuntimeError as error:
    print(error)
"""


def test_a_loop_per_call_would_break_a_kept_client(
    converted: Path,
    http_server: str,  # noqa: F811
) -> None:
    """Why the wrappers share one loop per thread instead of calling asyncio.run: the
    client's pooled connection belongs to the first call's loop."""
    proc = _python(converted, ["-c", LOOP_PER_CALL, http_server], http_server)
    assert proc.stdout.splitlines() == ["a", "Event loop is closed"], proc.stderr


def test_judges_find_nothing_new(converted: Path) -> None:
    assert new_findings(CATALOG / "before", converted) == set()


WRAPPERS = Path(__file__).parents[1] / "fixtures" / "sync_api" / "wrappers.py"
USE_WRAPPERS = """
import asyncio
import wrappers as w

print(w.fetch("u", 2, 3, timeout=1, k=1), w.fetch.__name__, w.fetch.__doc__)
print(w.Conn("db", timeout=2).dsn, w.Store.load("l"), w.Store.version())
with w.Store() as store:
    print(store.get("k"), store.get("again"))

async def in_loop():
    for call in (lambda: w.Conn("x"), lambda: w.Store().get("k"), lambda: w.Store().__enter__()):
        try:
            call()
        except RuntimeError as error:
            print(error)
    print((await w.Conn.create("y")).dsn, await w.fetch_async("z"))

asyncio.run(in_loop())
"""


def test_fixture_wrappers_work_like_the_original(tmp_path: Path) -> None:
    """The sync_api/wrappers fixture: its synchronous API (function with every kind of
    parameter, factory constructor, classmethod, staticmethod, ``with``) still works."""
    from tests.test_fixtures import split

    source, expected, _ = split(WRAPPERS.read_text())
    assert expected is not None
    outputs = []
    for side, text in (("before", source), ("after", expected)):
        folder = tmp_path / side
        folder.mkdir()
        (folder / "wrappers.py").write_text(text)
        script = USE_WRAPPERS if side == "after" else USE_WRAPPERS.split("async def")[0]
        proc = subprocess.run(
            [sys.executable, "-W", "error::RuntimeWarning", "-c", script],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 0, proc.stderr
        outputs.append(proc.stdout.splitlines())
    before, after = outputs
    assert after[: len(before)] == before
    assert after[len(before) :] == [
        "Conn() is synchronous and cannot run inside a running event loop; "
        "await Conn.create() instead",
        "Store.get() is synchronous and cannot run inside a running event loop; "
        "await Store.get_async() instead",
        "`with` on Store is synchronous and cannot run inside a running event loop; "
        "use `async with` instead",
        "y ('z', 1, (), 2.0, {})",
    ]
