"""The whole-program case of the propagation issue: a package whose blocking calls sit in
a DB repository (connection opened in ``__init__``) and an HTTP client class (a Session in
an attribute), used by a service through attributes, driven by a CLI ``main`` and a
``__main__.py``. Before and after conversion, ``python -m shop`` prints the same and
leaves the same rows in PostgreSQL, against the loopback HTTP server.
"""

from __future__ import annotations

from pathlib import Path

from tests.behaviour.db_support import Schema, dsn, pg_schema  # noqa: F401 - fixture
from tests.behaviour.harness import run_both
from tests.behaviour.http_support import http_server  # noqa: F401 - fixture

SHOP = Path(__file__).parents[1] / "fixtures" / "projects" / "shop"


def test_shop_package_behaves_the_same(tmp_path: Path, http_server: str, pg_schema: Schema) -> None:  # noqa: F811
    files = {
        p.relative_to(SHOP / "before").as_posix(): p.read_text()
        for p in sorted((SHOP / "before").rglob("*.py"))
    }
    both = run_both(
        tmp_path,
        files,
        entry="shop",
        args=["apple", "kiwi", "fig"],
        env={"ASYNCIFY_TEST_PG_DSN": dsn(), "PGSCHEMA": pg_schema.name, "SHOP_URL": http_server},
        before_each=pg_schema.reset,
    )
    both.assert_same()
    assert "placed fig" in both.before.stdout
    assert pg_schema.contents() == pg_schema.snapshots[-1]  # same rows left behind
    assert pg_schema.contents()["orders"]
    # The conversion that ran is the one the project fixture shows.
    after = {
        p.relative_to(SHOP / "after").as_posix(): p.read_text()
        for p in (SHOP / "after").rglob("*.py")
    }
    assert both.converted == after


def test_shop_package_with_psycopg_and_httpx2(
    tmp_path: Path,
    http_server: str,  # noqa: F811
    pg_schema: Schema,  # noqa: F811
) -> None:
    """The same package converted with the other targets (--db-client psycopg,
    --http-client httpx2) prints the same and leaves the same rows."""
    files = {
        p.relative_to(SHOP / "before").as_posix(): p.read_text()
        for p in sorted((SHOP / "before").rglob("*.py"))
    }
    both = run_both(
        tmp_path,
        files,
        entry="shop",
        args=["apple", "kiwi", "fig"],
        env={"ASYNCIFY_TEST_PG_DSN": dsn(), "PGSCHEMA": pg_schema.name, "SHOP_URL": http_server},
        before_each=pg_schema.reset,
        convert_args=("--db-client", "psycopg", "--http-client", "httpx2"),
    )
    assert "psycopg.AsyncConnection.connect(" in both.converted["shop/db.py"]
    assert "httpx2.AsyncClient(" in both.converted["shop/client.py"]
    both.assert_same()
    assert "placed fig" in both.before.stdout
    assert pg_schema.contents() == pg_schema.snapshots[-1]
    assert pg_schema.contents()["orders"]
