"""psycopg2 → psycopg 3 (``--db-client psycopg``): the psycopg2 behaviour programs of
test_db.py and the orders example, converted for psycopg 3, run against the real
PostgreSQL and must print the same and leave the same tables as the psycopg2 originals.
"""

from __future__ import annotations

from pathlib import Path

from tests.behaviour.db_support import Schema, pg_schema, run_db_program
from tests.behaviour.test_db import (
    CLASSES_MAIN,
    EXAMPLE,
    HANDED_MAIN,
    HANDED_STORE,
    INVENTORY,
    LEDGER,
    POOLS_ROWS_JSON,
    PROGRAM,
    REPO,
    SYNC_MADE_MAIN,
    keyword_dsn,
)

__all__ = ["pg_schema"]  # the pytest fixture, used by name

PSYCOPG = ("--db-client", "psycopg")


def test_transactions_queries_rows_and_errors(tmp_path: Path, pg_schema: Schema) -> None:
    program = PROGRAM.replace("__KEYWORD_DSN__", keyword_dsn())
    both, before, after = run_db_program(tmp_path, pg_schema, {"main.py": program}, PSYCOPG)
    converted = both.converted["main.py"]
    assert "psycopg2" not in converted, converted
    assert "await psycopg.AsyncConnection.connect(" in converted, converted
    assert "await cur.fetchall()" in converted and "asyncpg" not in converted
    assert "= ANY(%s)" in converted  # IN %s with a tuple
    both.assert_same()
    assert after == before
    assert [v for v, _ in before["t"]] == [1, 4, 6, 7]
    assert before["never"] == []
    assert "uncommitted, other sees []" in both.before.stdout


def test_orders_example(tmp_path: Path, pg_schema: Schema) -> None:
    files = {p.name: p.read_text() for p in EXAMPLE.glob("*.py")}
    both, before, after = run_db_program(tmp_path, pg_schema, files, PSYCOPG)
    assert "import psycopg2" not in both.converted["orders.py"], both.converted["orders.py"]
    assert "psycopg.AsyncConnection" in both.converted["orders.py"]
    both.assert_same()
    assert after == before
    assert len(before["orders"]) == 5


def test_connections_in_attributes(tmp_path: Path, pg_schema: Schema) -> None:
    files = {
        "main.py": CLASSES_MAIN,
        "repo.py": REPO,
        "ledger.py": LEDGER,
        "inventory.py": INVENTORY,
    }
    both, before, after = run_db_program(tmp_path, pg_schema, files, PSYCOPG)
    for name in ("repo.py", "ledger.py"):
        converted = both.converted[name]
        assert "psycopg2" not in converted, converted
        assert "self.conn = await psycopg.AsyncConnection.connect(" in converted, converted
    # COPY has no converted form: that class keeps psycopg2 everywhere (AFY425, AFY421).
    inventory = both.converted["inventory.py"]
    assert "self.conn = psycopg2.connect(" in inventory and "await self.conn" not in inventory
    assert "AFY421" in both.convert_output and "AFY425" in both.convert_output
    both.assert_same()
    assert after == before
    assert sorted(before["orders"]) == [("a", 1, 2), ("b", 2, 20), ("c", 3, 30)]
    assert sorted(before["accounts"]) == [(1, 70), (2, 30)]
    assert "refused 23514" in both.before.stdout


def test_pools_rows_json(tmp_path: Path, pg_schema: Schema) -> None:
    both, before, after = run_db_program(tmp_path, pg_schema, {"main.py": POOLS_ROWS_JSON}, PSYCOPG)
    converted = both.converted["main.py"]
    assert "import psycopg2" not in converted and "from psycopg2" not in converted, converted
    assert "SHARED = None" in converted and "psycopg_pool.AsyncConnectionPool(" in converted
    assert "await _execute_values_fetch(" in converted and "await pool.putconn(conn)" in converted
    assert "row_factory=_dict_cursor_row" in converted
    assert "row_factory=_named_tuple_row" in converted
    both.assert_same()
    assert after == before
    out = both.before.stdout
    assert "after putconn [(1,), (2,)]" in out and "shared pool 4 4" in out
    assert "named rows [Record(id=1, name='a')" in out
    assert "json (1, {'k': [1, 2], 's': 'x'}, 'text') dict str" in out
    assert "returned [(4,), (5,)]" in out
    rows = "[[1, 'a'], [2, 'b'], [4, 'c'], [5, 'd']]"
    assert f"dict rows {rows} a a {{'id': 2, 'name': 'b'}} True" in out
    assert [r[0] for r in before["items"]] == [1, 2, 4, 5]


def test_connection_handed_to_another_module(tmp_path: Path, pg_schema: Schema) -> None:
    both, before, after = run_db_program(
        tmp_path, pg_schema, {"main.py": HANDED_MAIN, "store.py": HANDED_STORE}, PSYCOPG
    )
    assert "await psycopg.AsyncConnection.connect(" in both.converted["main.py"]
    store = both.converted["store.py"]
    assert "async def total(self)" in store and "await cur.execute(" in store, store
    both.assert_same()
    assert both.before.stdout == "8\n"
    assert after == before


def test_connection_made_by_sync_code_keeps_psycopg2(tmp_path: Path, pg_schema: Schema) -> None:
    both, before, after = run_db_program(
        tmp_path, pg_schema, {"main.py": SYNC_MADE_MAIN, "store.py": HANDED_STORE}, PSYCOPG
    )
    store = both.converted.get("store.py", HANDED_STORE)
    assert "psycopg.AsyncConnection" not in store and "await cur" not in store, store
    both.assert_same()
    assert both.before.stdout == "8\n"
    assert after == before
