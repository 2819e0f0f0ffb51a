"""Each codemod runs through LibCST's own runner (``python -m libcst.tool codemod``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from asyncify.engine import all_codemods

CONFIG = """\
generated_code_marker: '@generated'
formatter: []
blacklist_patterns: []
modules:
- 'asyncify.codemods'
repo_root: '.'
"""
SAMPLES = {
    "sleep": ("import time\n\n\ndef f():\n    time.sleep(1)\n", "await asyncio.sleep(1)"),
    "http": (
        "import requests\n\n\ndef f(u):\n    return requests.get(u).json()\n",
        "await client.get(u)",
    ),
    "files": (
        "# select: files\n\n\ndef f(p):\n    with open(p) as fh:\n        return fh.read()\n",
        "return await asyncio.to_thread(_file_block)",  # the block runs whole in a thread
    ),
    "db": (
        "import psycopg2\n\n\ndef f(dsn):\n    conn = psycopg2.connect(dsn)\n    conn.close()\n",
        "await asyncpg.connect(dsn)",
    ),
}


def test_every_codemod_exports_a_libcst_command() -> None:
    for codemod in all_codemods():
        module = sys.modules[codemod.__module__]
        assert module.Command.CODEMOD is codemod, codemod.__module__


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_codemod_through_libcst_tool(tmp_path: Path, name: str) -> None:
    source, expected = SAMPLES[name]
    (tmp_path / ".libcst.codemod.yaml").write_text(CONFIG)
    (tmp_path / "m.py").write_text(source)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "libcst.tool",
            "codemod",
            "--no-format",
            "--hide-progress",
            f"{name}.Command",
            "m.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert expected in (tmp_path / "m.py").read_text()
