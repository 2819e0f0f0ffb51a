"""Third-party judges of converted code: pyright and ruff, counted as *new* findings.

A finding is keyed by (file, rule, message), not line, so that moved code does not count
as new. pyright: every ``reportUnusedCoroutine`` and every error whose message involves a
``Coroutine`` value (a missing ``await``). ruff: undefined names, ``await`` outside async,
and blocking calls left in async functions.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

RUFF_RULES = "F821,F704,F706,PLE1142,ASYNC210,ASYNC230,ASYNC251"
Key = tuple[str, str, str]


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    assert found, f"{name} is not installed: pip install '.[test]'"
    return found


def pyright(root: Path) -> set[Key]:
    proc = subprocess.run(
        [_tool("pyright"), "--outputjson", "--pythonpath", sys.executable, str(root)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    report = json.loads(proc.stdout)
    found: set[Key] = set()
    for diag in report["generalDiagnostics"]:
        rule = diag.get("rule", "")
        if rule == "reportUnusedCoroutine" or (
            diag["severity"] == "error" and "Coroutine" in diag["message"]
        ):
            found.add(
                (Path(diag["file"]).relative_to(root.resolve()).as_posix(), rule, diag["message"])
            )
    return found


def ruff(root: Path) -> set[Key]:
    proc = subprocess.run(
        [
            _tool("ruff"),
            "check",
            "--no-cache",
            "--preview",
            "--isolated",
            "--select",
            RUFF_RULES,
            "--output-format",
            "json",
            ".",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return {
        (
            Path(d["filename"]).resolve().relative_to(root.resolve()).as_posix(),
            d["code"],
            d["message"],
        )
        for d in json.loads(proc.stdout)
    }


def new_findings(before: Path, after: Path) -> set[Key]:
    return (pyright(after) - pyright(before)) | (ruff(after) - ruff(before))
