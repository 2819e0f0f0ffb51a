"""``asyncify explain AFYnnn`` (the installed command) and the documentation it prints.

Each code's documentation is ``Code(..., doc=...)`` next to the code that emits it; the
same text is in docs/findings.md and in the SARIF rules (``help.markdown``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from asyncify.engine import codemod_table
from asyncify.findings import CODES
from tests.test_cli import asyncify


def all_codes() -> list[str]:
    codemod_table()  # importing every codemod declares its codes
    return sorted(CODES)


def test_explain_prints_the_documentation(tmp_path: Path) -> None:
    done = asyncify("explain", "AFY101", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode()
    assert out.startswith("AFY101 (warning): call inside a lambda cannot be awaited\n\n")
    assert CODES["AFY101"].doc in out
    assert "lambda" in out and "async def" in out
    assert out.count("```python") >= 2  # a before and an after
    assert out.rstrip().endswith(f"Hint: {CODES['AFY101'].hint}")
    assert done.stderr == b""


def test_explain_is_case_insensitive(tmp_path: Path) -> None:
    done = asyncify("explain", "afy601", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().startswith("AFY601 (warning): negative delay")


@pytest.mark.parametrize("code", ["AFY999", "nonsense", "AFY10"])
def test_explain_unknown_code_is_a_usage_error(tmp_path: Path, code: str) -> None:
    done = asyncify("explain", code, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == b""
    lines = done.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert lines[0] == f"Error: unknown finding code {code!r} (see `asyncify list`)"


def test_explain_without_a_code_is_a_usage_error(tmp_path: Path) -> None:
    done = asyncify("explain", cwd=tmp_path)
    assert done.returncode == 2


@pytest.mark.parametrize("code", all_codes())
def test_every_code_has_a_before_and_after(code: str) -> None:
    doc = CODES[code].doc
    assert doc, f"{code} has no doc="
    fences = re.findall(r"^```", doc, re.M)
    assert len(fences) >= 4 and len(fences) % 2 == 0, f"{code}: needs a before and an after"
    assert "Before" in doc and "After" in doc, code
    assert all(len(line) <= 96 for line in doc.splitlines()), code


def test_sarif_rules_carry_the_documentation(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        "import time\n\n\ndef f():\n    time.sleep(-1)\n", encoding="utf-8"
    )
    sarif = tmp_path / "out.sarif"
    done = asyncify("check", "--format", "sarif", "--output", sarif, "app.py", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    log = json.loads(sarif.read_text(encoding="utf-8"))
    rules = {rule["id"]: rule for rule in log["runs"][0]["tool"]["driver"]["rules"]}
    assert set(rules) == set(all_codes())
    for code, rule in rules.items():
        assert rule["shortDescription"]["text"] == CODES[code].summary
        assert rule["fullDescription"]["text"]
        assert CODES[code].doc in rule["help"]["markdown"]
        assert rule["help"]["text"] == CODES[code].hint
        assert rule["helpUri"].endswith(f"/docs/findings.md#{code.lower()}")
    results = log["runs"][0]["results"]
    assert results and {result["ruleId"] for result in results} <= set(rules)
