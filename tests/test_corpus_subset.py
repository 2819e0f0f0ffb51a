"""The corpus benchmark on two of its projects that asyncify converts (python-gitlab,
python-jenkins).

Runs ``benchmarks/corpus.py`` as a user would: it downloads the pinned releases with pip
(network access to PyPI, which CI has; set ``ASYNCIFY_CORPUS_OFFLINE=1`` to skip when there
is none), converts them with the installed ``asyncify`` and judges the result (no crash,
compiles, stable, nothing new from ruff or pyright; python-gitlab's original and converted
package also run the same scenario against a fake GitLab API). See docs/corpus.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "corpus.py"
# Two projects where asyncify does convert something, so the judges see converted code;
# python-gitlab is most of a library made async, and is run (corpus_scenarios.py).
SUBSET = ["python-gitlab", "python-jenkins"]

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("ASYNCIFY_CORPUS_OFFLINE")), reason="ASYNCIFY_CORPUS_OFFLINE is set"
)


def test_corpus_subset(tmp_path: Path) -> None:
    cache = os.environ.get("ASYNCIFY_CORPUS_CACHE") or str(Path.home() / ".cache/asyncify-corpus")
    rows = tmp_path / "rows.json"
    proc = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--projects",
            ",".join(SUBSET),
            "--cache",
            cache,
            "--json",
            str(rows),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:2] == ["project", "files"]
    assert [line.split()[0] for line in lines[1:4]] == [*SUBSET, "total"], proc.stdout

    data = {row["project"]: row for row in json.loads(rows.read_text())}
    for name in SUBSET:
        row = data[name]
        assert row["files"] > 0 and row["lines"] > 1000, row
        assert row["rewritten"] > 0, f"{name}: nothing was converted"
        for judge in ("crashes", "uncompilable", "unstable", "new_ruff", "new_pyright"):
            assert row[judge] == 0, (name, judge, row["problems"])
    assert data["python-gitlab"]["rewritten"] > 50, data["python-gitlab"]
    assert data["python-gitlab"]["behaviour"] == "same", data["python-gitlab"]["problems"]


def test_corpus_rejects_unknown_project() -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--projects", "no-such-project"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "unknown project" in proc.stderr
