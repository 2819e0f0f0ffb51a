"""The CI gate explains itself: SARIF results for files that would change, stable
fingerprints, URIs from the repository root, 1-based JSON columns, a progress bar that
never goes back, what to run next, and the GitHub workflows' comment cap and pins."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

from asyncify.cli import _Bar
from asyncify.discover import discover
from asyncify.engine import convert
from asyncify.findings import SYNTAX_ERROR
from asyncify.options import Options
from asyncify.sarif import sarif_log
from tests.test_cli import IMPORT_TIME_CALL, SLEEPY_MAIN, asyncify, err_lines, project
from tests.test_docs import _run_step, _steps

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / "docs" / "github-actions"


def sarif_results(done: subprocess.CompletedProcess[bytes] | Path) -> list[dict[str, Any]]:
    text = done.read_text() if isinstance(done, Path) else done.stdout.decode()
    results: list[dict[str, Any]] = json.loads(text)["runs"][0]["results"]
    return results


def where(result: dict[str, Any]) -> tuple[str, int, int]:
    location = result["locations"][0]["physicalLocation"]
    region = location["region"]
    return location["artifactLocation"]["uri"], region["startLine"], region["startColumn"]


# -- a job that fails says why ---------------------------------------------------------
def test_sarif_check_of_files_that_only_need_rewriting_has_results_and_says_so(
    tmp_path: Path,
) -> None:
    body = "import time\n\n\ndef f():\n    time.sleep(0.01)\n"
    project(tmp_path, {"app.py": "# a comment\n" + body, "clean.py": "x = 1\n"})
    done = asyncify("check", "--format", "sarif", "-o", "f.sarif", ".", cwd=tmp_path)
    assert done.returncode == 1
    assert err_lines(done) == ["1 file would be rewritten, 1 file unchanged; "
                               "1 function to make async."]
    [result] = sarif_results(tmp_path / "f.sarif")
    assert result["ruleId"] == "AFY160"
    assert where(result) == ("app.py", 2, 1)  # `import asyncio` joins the imports
    assert "1 function to make async" in result["message"]["text"]
    # --exit-zero: the job passes; --quiet: nothing on stderr
    done = asyncify("check", "--format", "sarif", "--exit-zero", "-q", ".", cwd=tmp_path)
    assert done.returncode == 0 and done.stderr == b""
    assert [r["ruleId"] for r in sarif_results(done)] == ["AFY160"]
    # run has nothing pending: no AFY160
    done = asyncify("run", "--format", "sarif", ".", cwd=tmp_path)
    assert sarif_results(done) == []


def test_sarif_of_a_finding_and_a_pending_file(tmp_path: Path) -> None:
    project(tmp_path, {"late.py": IMPORT_TIME_CALL, "app.py": SLEEPY_MAIN})
    done = asyncify("check", "--format", "sarif", ".", cwd=tmp_path)
    assert done.returncode == 1
    assert sorted((r["ruleId"], where(r)[0]) for r in sarif_results(done)) == [
        ("AFY160", "app.py"),
        ("AFY501", "late.py"),
    ]
    assert err_lines(done)[-1].endswith("1 finding: AFY501 (1).")


# -- fingerprints ----------------------------------------------------------------------
def fingerprints(done: subprocess.CompletedProcess[bytes]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for result in sarif_results(done):
        assert set(result["partialFingerprints"]) == {"asyncifyFinding/v1"}
        found.setdefault(result["ruleId"], []).append(
            result["partialFingerprints"]["asyncifyFinding/v1"]
        )
    return found


def test_fingerprints_survive_moved_lines(tmp_path: Path) -> None:
    source = "import time\n\n\ndef f():\n    time.sleep(0.01)\n\n\nf()\n"
    project(tmp_path, {"late.py": source, "app.py": SLEEPY_MAIN})
    before = fingerprints(asyncify("check", "--format", "sarif", ".", cwd=tmp_path))
    assert set(before) == {"AFY501", "AFY160"}
    project(tmp_path, {"late.py": "# new\n# lines\n" + source})
    after = fingerprints(asyncify("check", "--format", "sarif", ".", cwd=tmp_path))
    assert after == before
    project(tmp_path, {"late.py": source.replace("f()\n", "f()  # changed\n")})
    changed = fingerprints(asyncify("check", "--format", "sarif", ".", cwd=tmp_path))
    assert changed["AFY501"] != before["AFY501"]  # the line's text is part of it
    assert changed["AFY160"] == before["AFY160"]


def test_two_alike_findings_on_one_line_get_two_fingerprints() -> None:
    first = SYNTAX_ERROR.at("a.py", 3, 0, "x")
    second = SYNTAX_ERROR.at("a.py", 3, 7, "x")
    other_file = SYNTAX_ERROR.at("b.py", 3, 0, "x")
    log = sarif_log([first, second, other_file], lambda path: ["", "", "f(); f()"])
    prints = [r["partialFingerprints"]["asyncifyFinding/v1"] for r in log["runs"][0]["results"]]
    assert len(set(prints)) == 3
    again = sarif_log([first, second, other_file], lambda path: ["", "", "f(); f()"])
    assert prints == [r["partialFingerprints"]["asyncifyFinding/v1"]
                      for r in again["runs"][0]["results"]]


# -- URIs from the repository root -------------------------------------------------------
def test_sarif_uris_are_relative_to_the_git_repository_root(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    project(tmp_path, {"svc/late.py": IMPORT_TIME_CALL})
    done = asyncify("check", "--format", "sarif", ".", cwd=tmp_path / "svc")
    log = json.loads(done.stdout)
    base = log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]
    assert base["uri"] == tmp_path.resolve().as_uri() + "/"
    assert base["description"]["text"] == "the root of the git repository"
    assert [where(r)[0] for r in sarif_results(done)] == ["svc/late.py"]


def test_outside_a_git_repository_uris_are_relative_to_the_working_folder(
    tmp_path: Path,
) -> None:
    project(tmp_path, {"svc/late.py": IMPORT_TIME_CALL})
    done = asyncify("check", "--format", "sarif", ".", cwd=tmp_path / "svc")
    base = json.loads(done.stdout)["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]
    assert base["uri"] == (tmp_path / "svc").resolve().as_uri() + "/"
    assert "working folder" in base["description"]["text"]
    assert [where(r)[0] for r in sarif_results(done)] == ["late.py"]


# -- columns -----------------------------------------------------------------------------
def test_json_text_and_sarif_columns_agree(tmp_path: Path) -> None:
    source = "import time\n\n\ndef f():\n    time.sleep(0.01)\n\n\nx = [f()]\n"
    project(tmp_path, {"late.py": source})
    text = asyncify("check", ".", cwd=tmp_path)
    match = re.search(r"late\.py:(\d+):(\d+): AFY501", text.stderr.decode())
    assert match is not None
    line, col = int(match.group(1)), int(match.group(2))
    assert col == 6  # `f()` inside `[...]`: the 6th character
    data = json.loads(asyncify("check", "--format", "json", ".", cwd=tmp_path).stdout)
    [finding] = data["findings"]
    assert (finding["line"], finding["col"]) == (line, col)
    [result] = [r for r in sarif_results(asyncify("check", "--format", "sarif", ".", cwd=tmp_path))
                if r["ruleId"] == "AFY501"]
    assert where(result)[1:] == (line, col)


# -- progress ----------------------------------------------------------------------------
def test_the_progress_bar_never_goes_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A file that uses requests is rewritten first, in a stage of its own: the rewriting
    # stage starts twice (it used to start again from 0%).
    files = {f"a/m{i}.py": SLEEPY_MAIN for i in range(12)}
    files |= {f"b/n{i}.py": SLEEPY_MAIN for i in range(12)}
    files["a/web.py"] = "import requests\n\n\ndef get():\n    return requests.get('http://x').text\n"
    project(tmp_path, files)
    monkeypatch.setenv("ASYNCIFY_PROGRESS_AFTER", "0")
    monkeypatch.setenv("ASYNCIFY_CACHE_DIR", "off")
    found, _ = discover([tmp_path / "a", tmp_path / "b"], ())
    bar = _Bar(len(found))
    stages: list[str] = []
    start = bar.start
    monkeypatch.setattr(
        bar, "start", lambda stage, total: (stages.append(stage), start(stage, total))
    )
    try:
        convert(found, Options(jobs=1), progress=bar)
    finally:
        bar.close()
    assert stages.count("rewriting") >= 2
    assert len(bar.shown) >= len(found)
    assert bar.shown == sorted(bar.shown)  # never back
    assert bar.shown[-1] < bar.total


# -- what to run next --------------------------------------------------------------------
def test_check_says_what_to_run_next(tmp_path: Path) -> None:
    project(tmp_path, {"app.py": SLEEPY_MAIN})
    lines = err_lines(asyncify("check", "app.py", cwd=tmp_path))
    assert lines[-1] == (
        "Next: `asyncify diff app.py` shows the change; `asyncify run app.py` makes it."
    )
    many = [f"m{i}.py" for i in range(5)]
    project(tmp_path, dict.fromkeys(many, SLEEPY_MAIN))
    lines = err_lines(asyncify("check", *many, cwd=tmp_path))
    assert lines[-1] == (
        "Next: `asyncify diff the same paths` shows the change; `asyncify run the same paths` "
        "makes it."
    )


def test_check_with_a_finding_names_explain(tmp_path: Path) -> None:
    project(tmp_path, {"late.py": IMPORT_TIME_CALL, "app.py": SLEEPY_MAIN})
    lines = err_lines(asyncify("check", ".", cwd=tmp_path))
    assert lines[-1].startswith("Findings: `asyncify explain AFY501` says what it means")


def test_under_pre_commit_the_hooks_say_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project(tmp_path, {"app.py": SLEEPY_MAIN})
    monkeypatch.setenv("PRE_COMMIT", "1")
    lines = err_lines(asyncify("check", "app.py", cwd=tmp_path))
    assert "`git add` them and commit again" in lines[-1]
    assert "`pre-commit run asyncify-run --all-files`" in lines[-1]
    lines = err_lines(asyncify("run", "app.py", cwd=tmp_path))
    assert lines[-1] == (
        "Next: review the rewritten files (`git diff`), `git add` them and commit again."
    )
    monkeypatch.delenv("PRE_COMMIT")
    project(tmp_path, {"app.py": SLEEPY_MAIN})
    assert not err_lines(asyncify("run", "app.py", cwd=tmp_path))[-1].startswith("Next:")


# -- the GitHub workflows ----------------------------------------------------------------
# The Node 24 majors (GitHub removes Node 20 from its runners): checked against each
# action's releases when this was written (checkout v7.0.1, setup-python v7.0.0,
# upload-artifact v7, codeql-action v4; upload-artifact v5 still ran on Node 20).
CURRENT = {
    "actions/checkout": "v7",
    "actions/setup-python": "v7",
    "actions/upload-artifact": "v7",
    "github/codeql-action/upload-sarif": "v4",
}


def test_workflow_actions_are_pinned_to_current_majors() -> None:
    used = [
        str(step["uses"])
        for path in sorted(WORKFLOWS.glob("*.yml"))
        for step in _steps(path)
        if "uses" in step
    ]
    assert used
    for uses in used:
        action, _, version = uses.partition("@")
        assert CURRENT.get(action) == version, uses


def test_sarif_upload_runs_even_when_the_check_fails() -> None:
    [upload] = [s for s in _steps(WORKFLOWS / "asyncify-sarif.yml") if "uses" in s
                and "upload-sarif" in s["uses"]]
    assert str(upload["if"]).startswith("always()")
    [keep] = [s for s in _steps(WORKFLOWS / "asyncify-preview.yml") if "upload-artifact" in
              str(s.get("uses", ""))]
    assert str(keep["if"]) == "always()"


def test_preview_comment_fits_github_with_findings_and_the_artifact_link(tmp_path: Path) -> None:
    """A fake asyncify writes a diff of 200 kB and 3,000 findings (a 377-file package gave
    85k characters): the comment stays within 65,536 characters, keeps findings, says where
    it was cut, and links the run's artifacts."""
    fake = tmp_path / "bin" / "asyncify"
    fake.parent.mkdir()
    fake.write_text(
        "#!/bin/sh\n"
        "python3 - <<'PY'\n"
        "with open('asyncify.diff', 'w') as out:\n"
        "    for i in range(2000):\n"
        "        out.write(f'--- a/m{i}.py\\n+++ b/m{i}.py\\n@@ -1 +1 @@\\n-def f():\\n"
        "+async def f():  # ```\\n' + 'x' * 30 + '\\n')\n"
        "PY\n"
        "i=0; while [ $i -lt 3000 ]; do "
        "echo \"m$i.py:5:5: AFY601 negative delay: time.sleep(-1) (hint: x)\" >&2; "
        "i=$((i+1)); done\n"
        "echo '2000 files would be rewritten; 2000 functions to make async; 3000 findings: "
        "AFY601 (3000).' >&2\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    [step] = [s for s in _steps(WORKFLOWS / "asyncify-preview.yml")
              if "asyncify diff" in str(s.get("run", ""))]
    script = f"export PATH={fake.parent}:$PATH\nexport ARTIFACT_URL=https://example.invalid/run/1\n"
    done = _run_step(script + step["run"], tmp_path)
    assert done.returncode == 0, done.stderr
    body = (tmp_path / "preview.md").read_text(encoding="utf-8")
    assert len(body) <= 65536
    assert len(body) > 60000  # the room is used
    assert "(https://example.invalid/run/1)" in body
    assert "2000 files would be rewritten" in body
    assert body.count("AFY601 negative delay") > 100
    assert re.search(r"\*Diff cut here: \d+ more lines\.\*", body)
    assert re.search(r"\*Findings cut here: \d+ more lines\.\*", body)
    assert "````diff" in body  # the diff holds ``` itself: a longer fence
    assert os.path.getsize(tmp_path / "summary.md") == len(body.encode())
