"""The README documents what the code does: every finding code, command and setting."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from asyncify.cli import app
from asyncify.config import KEYS
from asyncify.engine import codemod_table
from asyncify.findings import CODES

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    """The text of the ``## title`` section."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert match, f"README.md has no '## {title}' section"
    return match.group(1)


def findings_table() -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for line in section("Findings").splitlines():
        cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if cells and re.fullmatch(r"AFY\d{3}", cells[0]):
            rows[cells[0]] = cells[1:]
    return rows


def test_every_finding_code_is_documented() -> None:
    codemod_table()  # importing every codemod declares its codes
    rows = findings_table()
    missing = sorted(set(CODES) - set(rows))
    assert not missing, f"undocumented codes {missing}: run python scripts/gen_findings.py"
    stale = sorted(set(rows) - set(CODES))
    assert not stale, f"README documents unknown codes {stale}: run scripts/gen_findings.py"
    for code in CODES.values():
        assert rows[code.code] == [code.level, code.summary, code.hint], (
            f"{code.code} is documented differently: run python scripts/gen_findings.py"
        )


def test_every_finding_code_has_a_doc() -> None:
    codemod_table()
    undocumented = sorted(code.code for code in CODES.values() if not code.doc.strip())
    assert not undocumented, f"codes without Code(..., doc=...): {undocumented}"


def test_generated_finding_docs_are_current() -> None:
    """README's table and docs/findings.md are what scripts/gen_findings.py generates."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_findings.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    page = (ROOT / "docs" / "findings.md").read_text(encoding="utf-8")
    for code in CODES.values():
        assert f"\n### {code.code}\n" in page and code.doc in page, code.code


def test_every_command_is_documented() -> None:
    usage = section("Usage")
    for command in app.registered_commands:
        assert command.callback is not None
        name = command.name or command.callback.__name__
        assert f"`asyncify {name}" in usage, f"command {name!r} is not in the README"
    for option in ("--select", "--ignore", "--exclude", "--format", "--jobs", "--config"):
        assert f"`{option}" in usage


def test_every_setting_is_documented() -> None:
    configuration = section("Configuration")
    for key in KEYS:
        assert f"| `{key}` |" in configuration, f"setting {key!r} is not in the README"


def test_ci_runs_the_readme_test_command() -> None:
    setup = section("Set up")
    commands = re.findall(r"```sh\n(.*?)\n```", setup, re.S)
    assert len(commands) == 2, "the README gives two set-up commands"
    install, test = commands
    assert "asyncify diff examples/" in install
    assert test.endswith("python -m pytest")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python -m pytest" in ci
