"""``--todo-comments``: a TODO above each finding, idempotently, through the installed CLI."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.behaviour.harness import asyncify_command

SOURCE = """\
import time


def slow():
    time.sleep(0)


class Box:
    def __init__(self):
        if True:
            slow()

    @property
    def size(self):
        return [slow() for _ in range(2)]


def main():
    slow()
"""


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*asyncify_command(), *args, "."], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )


def test_todo_comments_are_placed_once_above_each_finding(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(SOURCE)
    assert run(tmp_path, "run", "--todo-comments").returncode == 0
    once = (tmp_path / "m.py").read_text()
    lines = once.splitlines()
    init = lines.index("    def __init__(self):")
    assert lines[init - 1].startswith(
        "    # TODO(asyncify AFY102): special method must stay synchronous"
    )
    prop = lines.index("    @property")
    assert lines[prop - 1].startswith("    # TODO(asyncify AFY103): property must stay synchronous")
    assert once.count("TODO(asyncify") == 2
    # slow() stays synchronous (pinned): the program is unchanged but for the comments.
    assert [line for line in lines if "TODO" not in line] == SOURCE.splitlines()
    # A second run adds nothing, and `check` still reports the findings.
    assert run(tmp_path, "run", "--todo-comments").returncode == 0
    assert (tmp_path / "m.py").read_text() == once
    assert run(tmp_path, "check", "--todo-comments").returncode == 1


def test_without_the_option_no_comment_is_written(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(SOURCE)
    run(tmp_path, "run")
    assert "TODO" not in (tmp_path / "m.py").read_text()
