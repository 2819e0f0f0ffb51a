"""One parametrised test over ``tests/fixtures/<codemod>/<case>.py`` (black-style).

A fixture file holds the input, then optionally a line ``# output`` and the expected
output (no output section: the input must stay unchanged), then optionally a line
``# findings`` and one expected finding per line as ``AFYnnn line:col`` (col 1-based,
as printed). Every case also checks that the expected output parses and that
converting it again changes nothing. Each file is converted alone, as module
``<case>``, with every codemod enabled; a fixture may name others with a first line
``# select: a,b``, and a first line ``# keep-sync-api`` turns that option on. Fixtures
in ``http_aiohttp/`` run with ``--http-client aiohttp``, in ``http_httpx2/`` with
``--http-client httpx2``, in ``db_psycopg/`` with ``--db-client psycopg``, in
``sqlite_aiosqlite/`` with ``--sqlite-client aiosqlite``. Helpers stay in the file
(``compat-module = ""``). A line
``# thread-blocks: false`` (first or second) turns that setting off: it keeps testing the
aiofiles forms.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from asyncify.engine import convert_texts
from asyncify.findings import Finding
from asyncify.options import Options
from asyncify.sourcefile import SourceFile

FIXTURES = Path(__file__).parent / "fixtures"
CASES = sorted(p for p in FIXTURES.glob("*/*.py"))


def split(text: str) -> tuple[str, str | None, list[str] | None]:
    """(input, expected output or None, expected findings or None); sections end in one newline."""
    findings = None
    if "\n# findings\n" in text:
        text, _, tail = text.partition("\n# findings\n")
        findings = [line.strip() for line in tail.splitlines() if line.strip()]
    if "\n# output\n" in text:
        before, _, after = text.partition("\n# output\n")
        return before.rstrip("\n") + "\n", after.rstrip("\n") + "\n", findings
    return text.rstrip("\n") + "\n", None, findings


def run(source: str, name: str, options: Options) -> tuple[str, list[Finding]]:
    plan, outcomes = convert_texts(
        [(SourceFile(Path(f"{name}.py"), name), f"{name}.py", source)], options
    )
    outcome = outcomes.get(f"{name}.py")
    if outcome is None:
        return source, list(plan.findings())
    assert not isinstance(outcome, Finding), str(outcome)
    return outcome[0], outcome[1]


# Fixture folders of a target other than the default: the option that picks it.
TARGET_FOLDERS = {
    "http_aiohttp": {"http_client": "aiohttp"},
    "http_httpx2": {"http_client": "httpx2"},
    "db_psycopg": {"db_client": "psycopg"},
    "sqlite_aiosqlite": {"sqlite_client": "aiosqlite"},
}


def options_for(source: str, folder: str = "") -> Options:
    target = TARGET_FOLDERS.get(folder, {})
    client = target.get("http_client", "httpx")
    db_client = target.get("db_client", "asyncpg")
    sqlite_client = target.get("sqlite_client", "thread")
    head = source.splitlines()[:2]
    first = head[0] if head else ""
    thread_blocks = "# thread-blocks: false" not in head
    if first == "# keep-sync-api":
        return Options(
            keep_sync_api=True,
            http_client=client,
            db_client=db_client,
            sqlite_client=sqlite_client,
            thread_blocks=thread_blocks,
            compat_module="",
        )
    select: frozenset[str] = frozenset()
    if first.startswith("# select:"):
        select = frozenset(s.strip() for s in first.split(":", 1)[1].split(","))
    return Options(
        select=select,
        http_client=client,
        db_client=db_client,
        sqlite_client=sqlite_client,
        thread_blocks=thread_blocks,
        compat_module="",
    )


@pytest.mark.parametrize("case", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_fixture(case: Path) -> None:
    source, expected, expected_findings = split(case.read_text())
    options = options_for(source, case.parent.name)
    name = case.stem
    output, findings = run(source, name, options)
    want = source if expected is None else expected
    assert output == want
    ast.parse(want)
    again, _ = run(want, name, options)
    assert again == want, "converting the expected output again changed it"
    if expected_findings is not None:
        got = [
            f"{f.code} {f.line}:{f.col + 1}"
            for f in sorted(findings, key=lambda f: (f.line, f.col))
        ]
        assert got == expected_findings


def _runnable(case: Path) -> bool:
    """Engine fixtures whose ``main()`` became ``async def main()``: run both versions."""
    source, expected, _ = split(case.read_text())
    return (
        case.parent.name in ("sleep", "propagation")
        and expected is not None
        and "\ndef main():" in source
        and "\nasync def main():" in expected
    )


RUNNABLE = [c for c in CASES if _runnable(c)]


@pytest.mark.parametrize("case", RUNNABLE, ids=[f"{p.parent.name}/{p.stem}" for p in RUNNABLE])
def test_fixture_behaviour(case: Path, tmp_path: Path) -> None:
    """A fixture with a ``main()`` prints the same before and after conversion."""
    source, expected, _ = split(case.read_text())
    assert expected is not None
    outputs = []
    for side, text, call in (
        ("before", source, "m.main()"),
        ("after", expected, "asyncio.run(m.main())"),
    ):
        folder = tmp_path / side
        folder.mkdir()
        (folder / "m.py").write_text(text)
        proc = subprocess.run(
            [
                sys.executable,
                "-W",
                "error::RuntimeWarning",
                "-c",
                f"import asyncio, m; print({call})",
            ],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 0, proc.stderr
        outputs.append(proc.stdout)
    assert outputs[0] == outputs[1]
