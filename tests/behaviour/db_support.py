"""PostgreSQL for the psycopg2 → asyncpg behaviour tests.

The DSN comes from ``ASYNCIFY_TEST_PG_DSN`` (default: the local trust-auth server). An
unreachable server skips the tests with the reason, except under ``CI=true``, where it
fails them: CI must never pass by skipping the database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

from tests.behaviour.harness import Both, run_both

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/test"


def dsn() -> str:
    return os.environ.get("ASYNCIFY_TEST_PG_DSN", DEFAULT_DSN)


def require_postgres() -> None:
    try:
        psycopg2.connect(dsn(), connect_timeout=5).close()
    except psycopg2.OperationalError as exc:
        reason = f"PostgreSQL not reachable at {dsn()} (set ASYNCIFY_TEST_PG_DSN): {exc}".strip()
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


class Schema:
    """A fresh, uniquely named schema per program run; snapshots of its tables."""

    def __init__(self) -> None:
        self.name = f"afy_{uuid.uuid4().hex[:12]}"
        self.snapshots: list[dict[str, list[tuple[object, ...]]]] = []

    def _sql(self, query: str) -> None:
        conn = psycopg2.connect(dsn())
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(query)
        conn.close()

    def reset(self) -> None:
        """Before each run: snapshot what the previous run left, then start empty."""
        if self.snapshots or self._exists():
            self.snapshots.append(self.contents())
        self._sql(f"DROP SCHEMA IF EXISTS {self.name} CASCADE; CREATE SCHEMA {self.name}")

    def _exists(self) -> bool:
        conn = psycopg2.connect(dsn())
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (self.name,))
            found = cur.fetchone() is not None
        conn.close()
        return found

    def contents(self) -> dict[str, list[tuple[object, ...]]]:
        """Every table of the schema, all rows sorted: what committed work left behind."""
        conn = psycopg2.connect(dsn())
        out: dict[str, list[tuple[object, ...]]] = {}
        with conn.cursor() as cur:
            cur.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = %s ORDER BY 1",
                (self.name,),
            )
            for (table,) in cur.fetchall():
                cur.execute(f'SELECT * FROM {self.name}."{table}"')
                out[table] = sorted(cur.fetchall(), key=repr)
        conn.close()
        return out

    def drop(self) -> None:
        self._sql(f"DROP SCHEMA IF EXISTS {self.name} CASCADE")


@pytest.fixture
def pg_schema() -> Iterator[Schema]:
    require_postgres()
    schema = Schema()
    yield schema
    schema.drop()


Tables = dict[str, list[tuple[object, ...]]]


def run_db_program(
    tmp_path: Path, schema: Schema, files: dict[str, str], convert_args: tuple[str, ...] = ()
) -> tuple[Both, Tables, Tables]:
    """Run the psycopg2 original and the conversion (asyncpg, or the target
    ``convert_args`` choose), each on a fresh schema.

    Returns both outcomes and the table contents each run left behind.
    """
    both = run_both(
        tmp_path,
        files,
        env={"ASYNCIFY_TEST_PG_DSN": dsn(), "PGSCHEMA": schema.name, "ORDERS_SCHEMA": schema.name},
        before_each=schema.reset,
        convert_args=convert_args,
    )
    after = schema.contents()
    before = schema.snapshots[-1]
    return both, before, after
