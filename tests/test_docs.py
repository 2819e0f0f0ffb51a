"""The README documents what the code does: every finding code, command and setting."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import typer
import yaml

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


# -- CI recipes (docs/ci.md, docs/github-actions/*.yml) ---------------------------------
WORKFLOWS = sorted((ROOT / "docs" / "github-actions").glob("*.yml"))


def _steps(path: Path) -> list[dict[str, Any]]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict) and document.get("jobs"), path.name
    assert document.get("on", document.get(True)), f"{path.name} has no trigger"
    return [step for job in document["jobs"].values() for step in job["steps"]]


def _asyncify_lines(path: Path) -> list[str]:
    return [
        line.strip()
        for step in _steps(path)
        for line in str(step.get("run", "")).splitlines()
        if re.match(r"\s*asyncify \w", line)
    ]


def test_workflows_parse_and_use_existing_options() -> None:
    assert {path.name for path in WORKFLOWS} == {"asyncify-sarif.yml", "asyncify-preview.yml"}
    cli: Any = typer.main.get_command(app)  # a click group
    for path in WORKFLOWS:
        lines = _asyncify_lines(path)
        assert lines, f"{path.name} does not run asyncify"
        for line in lines:
            words = shlex.split(line.split("||")[0].split("2>")[0])
            command = cli.commands.get(words[1])
            assert command is not None, f"{path.name}: unknown command in {line!r}"
            known = {opt for param in command.params for opt in param.opts}
            known |= {opt for param in command.params for opt in param.secondary_opts}
            for word in words[2:]:
                if word.startswith("-"):
                    assert word in known, f"{path.name}: {word} is not an option of {words[1]}"
        assert (ROOT / "docs" / "ci.md").read_text(encoding="utf-8").count(path.name) >= 1


def test_sarif_workflow_uploads_what_it_writes() -> None:
    steps = _steps(ROOT / "docs" / "github-actions" / "asyncify-sarif.yml")
    (line,) = _asyncify_lines(ROOT / "docs" / "github-actions" / "asyncify-sarif.yml")
    assert line == "asyncify check --format sarif --output asyncify.sarif --exit-zero ."
    upload = [s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/")]
    assert upload and upload[0]["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload[0]["with"]["sarif_file"] == "asyncify.sarif"


def _run_step(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """A workflow's ``run:`` script, as the runner runs it (bash -e), with this asyncify."""
    env = {**os.environ, "GITHUB_STEP_SUMMARY": str(cwd / "summary.md"), "NO_COLOR": "1"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["ASYNCIFY_CACHE_DIR"] = "off"
    return subprocess.run(
        ["bash", "-e", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def _fixture(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "app.py").write_text(
        "import time\n\n\ndef wait():\n    time.sleep(-1)\n", encoding="utf-8"
    )


def test_sarif_workflow_step_runs(tmp_path: Path) -> None:
    _fixture(tmp_path)
    (step,) = [
        s
        for s in _steps(ROOT / "docs" / "github-actions" / "asyncify-sarif.yml")
        if "asyncify check" in str(s.get("run", ""))
    ]
    done = _run_step(step["run"], tmp_path)
    assert done.returncode == 0, done.stderr  # --exit-zero: findings do not fail the job
    log = json.loads((tmp_path / "asyncify.sarif").read_text(encoding="utf-8"))
    assert log["version"] == "2.1.0" and log["$schema"]
    (result,) = [r for r in log["runs"][0]["results"] if r["ruleId"] == "AFY601"]
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "app.py"
    assert location["region"]["startLine"] == 5


def test_preview_workflow_step_runs(tmp_path: Path) -> None:
    _fixture(tmp_path)
    (step,) = [
        s
        for s in _steps(ROOT / "docs" / "github-actions" / "asyncify-preview.yml")
        if "asyncify diff" in str(s.get("run", ""))
    ]
    done = _run_step(step["run"], tmp_path)
    assert done.returncode == 0, done.stderr
    preview = (tmp_path / "preview.md").read_text(encoding="utf-8")
    assert preview == (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "1 file would be rewritten" in preview
    assert "+    await asyncio.sleep(-1)" in preview
    assert "app.py:5:5: AFY601 negative delay" in preview
    assert preview.count("AFY601") == 2  # the summary line and the finding
    patch = (tmp_path / "asyncify.diff").read_text(encoding="utf-8")
    subprocess.run(
        ["git", "apply", "--check", "-"], input=patch, text=True, cwd=tmp_path, check=True
    )
    assert (tmp_path / "app.py").read_text(encoding="utf-8").count("time.sleep") == 1  # unwritten
