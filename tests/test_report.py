"""Reports: counting, exit codes, text, diff (checked with ``git apply``), JSON and SARIF."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from asyncify.engine import FileResult, codemod_table
from asyncify.findings import CODES, SYNTAX_ERROR, Code, Finding
from asyncify.report import Command, Format, Report, unified_diff
from asyncify.sourcefile import SourceFile
from asyncify.unchanged import IdleCall

REVIEW = Code("AFY999", "test finding", "a hint for the test", "note")
del CODES[REVIEW.code]  # declaring a Code registers it; only these tests may see it


@pytest.fixture(autouse=True)
def review_code(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(CODES, REVIEW.code, REVIEW)


def result(
    path: str,
    before: bytes,
    after: bytes | None = None,
    findings: list[Finding] | None = None,
    error: Finding | None = None,
    async_functions: int = 0,
) -> FileResult:
    return FileResult(
        SourceFile(Path(path), Path(path).stem),
        before,
        after,
        findings or [],
        error,
        async_functions,
    )


class FakePlan:
    def __init__(self, findings: list[Finding] | None = None) -> None:
        self._findings = findings or []

    def to_json(self) -> dict[str, Any]:
        return {"async_functions": [{"name": "app:f", "chain": ["app:f", "time.sleep"]}]}

    def describe(self) -> list[str]:
        return ["app:f → time.sleep @ app.py:4", *map(str, self._findings)]

    def findings(self) -> list[Finding]:
        return list(self._findings)

    idle: tuple[IdleCall, ...] = ()


def make_report(command: Command, *results: FileResult, **kwargs: Any) -> Report:
    report = Report(command, **kwargs)
    for item in results:
        report.add(item)
    return report


def emit(report: Report) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    report.emit(out, err)
    return out.getvalue(), err.getvalue()


CHANGED = result("app.py", b"x = 1\n", b"x = 2\n", async_functions=2)
UNCHANGED = result("lib.py", b"y = 1\n")
FINDING = REVIEW.at("lib.py", 3, 4, "detail")
WITH_FINDING = result("lib.py", b"y = 1\n", findings=[FINDING])
BROKEN = result("bad.py", b"def (:\n", error=SYNTAX_ERROR.at("bad.py", 1, 4, "invalid syntax"))


# -- exit codes and counts --------------------------------------------------------------
@pytest.mark.parametrize(
    ("command", "results", "code"),
    [
        (Command.RUN, [CHANGED, UNCHANGED], 0),
        (Command.DIFF, [CHANGED, WITH_FINDING], 0),
        (Command.PLAN, [CHANGED, WITH_FINDING], 0),
        (Command.CHECK, [UNCHANGED], 0),
        (Command.CHECK, [CHANGED], 1),
        (Command.CHECK, [WITH_FINDING], 1),
        (Command.RUN, [CHANGED, BROKEN], 2),
        (Command.CHECK, [CHANGED, BROKEN], 2),
    ],
)
def test_exit_codes(command: Command, results: list[FileResult], code: int) -> None:
    assert make_report(command, *results).exit_code == code


def test_a_missing_path_is_an_error() -> None:
    report = make_report(Command.DIFF, UNCHANGED)
    report.add_error(Finding("gone.py", 1, 0, "AFY004", "file could not be read", "check"))
    assert report.exit_code == 2


def test_a_write_failure_turns_a_change_into_an_error() -> None:
    report = Report(Command.RUN)
    report.add(CHANGED, written=False, error=Finding("app.py", 1, 0, "AFY004", "no", "check"))
    assert report.exit_code == 2
    assert report.summary()["changed"] == 0
    assert report.summary()["failed"] == 1


def test_summary_counts() -> None:
    report = make_report(Command.RUN, CHANGED, WITH_FINDING, BROKEN)
    report.files[0].written = True
    assert report.summary() == {
        "files": 3,
        "changed": 1,
        "written": 1,
        "unchanged": 1,
        "failed": 1,
        "async_functions": 2,
        "findings": 1,
        "errors": 1,
        "by_code": {"AFY999": 1},
        "exit_code": 2,
        "why_unchanged": [],
    }
    assert report.summary_text() == (
        "1 file rewritten, 1 file unchanged, 1 file failed; 2 functions made async; "
        "1 finding: AFY999 (1)."
    )


def test_plan_findings_are_counted_once() -> None:
    report = make_report(Command.CHECK, WITH_FINDING, plan=FakePlan([FINDING]))
    assert report.findings == [FINDING]


# -- text -------------------------------------------------------------------------------
def test_text_output_keeps_messages_off_stdout() -> None:
    out, err = emit(make_report(Command.CHECK, CHANGED, WITH_FINDING, BROKEN))
    assert out == ""
    lines = err.splitlines()
    assert lines[0] == "would rewrite app.py"
    assert lines[1].startswith("bad.py:1:5: AFY001 file could not be parsed: invalid syntax")
    assert lines[2].startswith("lib.py:3:5: AFY999 test finding: detail")
    assert lines[-1].startswith("1 file would be rewritten")


def test_quiet_prints_only_errors() -> None:
    out, err = emit(make_report(Command.CHECK, CHANGED, WITH_FINDING, BROKEN, quiet=True))
    assert out == ""
    assert err.splitlines() == [str(BROKEN.error)]


def test_plan_text_is_the_plan_on_stdout() -> None:
    report = make_report(Command.PLAN, CHANGED, plan=FakePlan([FINDING]))
    out, err = emit(report)
    assert out == f"app:f → time.sleep @ app.py:4\n{FINDING}\n"
    assert str(FINDING) not in err  # not printed twice


def test_no_files() -> None:
    assert Report(Command.RUN).summary_text() == "No Python files found."


def test_colored_diff_on_a_terminal() -> None:
    out, _ = emit(make_report(Command.DIFF, CHANGED, color=True))
    assert "\x1b[" in out and "x = 2" in out


def test_plain_diff_when_not_colored() -> None:
    out, _ = emit(make_report(Command.DIFF, CHANGED))
    assert "\x1b[" not in out
    assert out == "--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n"


# -- diff -------------------------------------------------------------------------------
def test_missing_final_newline_is_marked_as_git_does() -> None:
    diff = unified_diff("m.py", b"a\nb", b"a\nc\n")
    assert diff.endswith(b"-b\n\\ No newline at end of file\n+c\n")


git = shutil.which("git")


SLEEPY = b"import time\n\ndef f():\n    time.sleep(1)\n"
AWAITING = b"import asyncio\n\nasync def f():\n    await asyncio.sleep(1)\n"
LONG = [b"line%d = %d\n" % (i, i) for i in range(40)]
LATIN1 = b"# coding: latin-1\ns = '\xe9'\n"
DIFF_CASES = [
    ("lf.py", SLEEPY, AWAITING),
    ("crlf.py", SLEEPY.replace(b"\n", b"\r\n"), AWAITING.replace(b"\n", b"\r\n")),
    ("no_newline.py", b"a = 1\nb = 2", b"a = 1\nb = 3"),
    ("adds_newline.py", b"a = 1\nb = 2", b"a = 1\nb = 2\n"),
    ("drops_newline.py", b"a = 1\nb = 2\n", b"a = 1\nb = 2"),
    ("bom.py", b"\xef\xbb\xbf" + SLEEPY, b"\xef\xbb\xbf" + AWAITING),
    ("latin1.py", LATIN1 + b"x = 1\n", LATIN1 + b"x = 2\n"),
    ("formfeed.py", b"a = 1\n\x0c\nb = 2\n", b"a = 1\n\x0c\nb = 3\n"),
    ("sub dir/with space.py", b"x = 1\n", b"x = 2\n"),
    ("long.py", b"".join(LONG), b"".join(LONG[:5] + [b"changed\n"] + LONG[6:30] + LONG[31:])),
]


@pytest.mark.skipif(git is None, reason="needs git")
@pytest.mark.parametrize(
    ("name", "before", "after"), DIFF_CASES, ids=[case[0] for case in DIFF_CASES]
)
def test_diff_applies_with_git_apply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, before: bytes, after: bytes
) -> None:
    assert git is not None
    repo = tmp_path / "repo"
    (repo / name).parent.mkdir(parents=True)
    (repo / name).write_bytes(before)
    subprocess.run([git, "init", "-q"], cwd=repo, check=True)
    monkeypatch.chdir(repo)
    report = make_report(Command.DIFF, result(name, before, after))
    out = io.BytesIO()
    stream = io.TextIOWrapper(out, write_through=True)
    report.write_diff(stream)  # the bytes go to stream.buffer, as to sys.stdout.buffer
    patch = tmp_path / "change.patch"
    patch.write_bytes(out.getvalue())
    stream.detach()
    subprocess.run(
        [git, "-c", "core.autocrlf=false", "apply", "--whitespace=nowarn", str(patch)],
        cwd=repo,
        check=True,
    )
    assert (repo / name).read_bytes() == after


# -- JSON -------------------------------------------------------------------------------
def test_json_shape() -> None:
    report = make_report(Command.DIFF, CHANGED, WITH_FINDING, BROKEN, format=Format.JSON)
    out, err = emit(report)
    data = json.loads(out)
    assert set(data) == {"version", "command", "files", "findings", "errors", "summary"}
    assert data["command"] == "diff"
    assert [(f["path"], f["changed"]) for f in data["files"]] == [
        ("app.py", True),
        ("lib.py", False),
        ("bad.py", False),
    ]
    assert data["files"][0]["diff"].startswith("--- a/app.py\n+++ b/app.py\n")
    assert data["files"][1]["findings"] == [FINDING.to_json()]
    assert data["files"][2]["error"]["code"] == "AFY001"
    assert data["findings"] == [FINDING.to_json()]
    assert [e["code"] for e in data["errors"]] == ["AFY001"]
    assert data["summary"]["exit_code"] == 2
    assert err.splitlines() == [str(BROKEN.error)]  # errors still go to stderr, one line


def test_json_of_a_plan_includes_it() -> None:
    report = make_report(Command.PLAN, CHANGED, format=Format.JSON, plan=FakePlan())
    data = json.loads(emit(report)[0])
    assert data["plan"] == FakePlan().to_json()


# -- SARIF ------------------------------------------------------------------------------
def test_sarif_structure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    codemod_table()  # imports every codemod, so that CODES is complete
    monkeypatch.chdir(tmp_path)
    report = make_report(Command.CHECK, CHANGED, WITH_FINDING, BROKEN, format=Format.SARIF)
    log = json.loads(emit(report)[0])
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "asyncify"
    assert driver["version"]
    assert driver["informationUri"].startswith("https://")
    rules = {rule["id"]: rule for rule in driver["rules"]}
    assert set(rules) == set(CODES)  # AFY999 included: the fixture registered it
    assert {"AFY001", "AFY101", "AFY601"} <= set(rules)
    for code in CODES.values():
        rule = rules[code.code]
        assert rule["shortDescription"]["text"] == code.summary
        assert rule["help"]["text"] == code.hint
        assert rule["helpUri"].startswith("https://")
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].startswith("file://")

    results = run["results"]
    assert [r["ruleId"] for r in results] == ["AFY001", "AFY999", "AFY160"]
    error, finding, pending = results
    assert pending["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "app.py"
    assert pending["message"]["text"].startswith("file would be rewritten: 2 functions")
    assert error["level"] == "error"
    assert finding["level"] == "note"
    assert finding["message"]["text"].startswith("test finding: detail")
    location = finding["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "lib.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 3, "startColumn": 5}  # Finding.col is 0-based
    assert driver["rules"][error["ruleIndex"]]["id"] == "AFY001"
