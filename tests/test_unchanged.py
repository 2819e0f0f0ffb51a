"""A run that found blocking calls but changes nothing says why, and what changes it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.test_cli import SLEEPY_MAIN, asyncify, err_lines, project

FILE_IO = """\
import os
import subprocess


def load(path):
    with open(path) as f:
        return f.read()


def listing(folder):
    return sorted(os.listdir(folder))


def tag():
    return subprocess.run(["echo", "v1"], capture_output=True, text=True).stdout


def main():
    print(load(__file__)[:6], listing("."), tag())


if __name__ == "__main__":
    main()
"""

PINNED = """\
import time


class Thing:
    def __repr__(self):
        return slow()


def slow():
    time.sleep(0.01)
    return "x"


def main():
    print(repr(Thing()))


if __name__ == "__main__":
    main()
"""

MODULE_LEVEL = 'import time\n\ntime.sleep(0.01)\nprint("done")\n'


def why(done_err: list[str]) -> list[str]:
    return [line for line in done_err if line.startswith("Nothing converted:")]


@pytest.mark.parametrize("command", ["diff", "check", "plan"])
def test_file_io_alone_names_the_kind_and_the_option_that_converts_it(
    tmp_path: Path, command: str
) -> None:
    root = project(tmp_path, {"app.py": FILE_IO})
    done = asyncify(command, "app.py", cwd=root)
    assert done.returncode == 0, done.stderr
    lines = why(err_lines(done))
    assert len(lines) == 1, err_lines(done)
    assert "file I/O and subprocess calls, which alone does not make a function async" in lines[0]
    assert "`open` @ app.py:6" in lines[0]
    option = re.search(r"`(--select [a-z,]+)`", lines[0])
    assert option is not None and option.group(1) == "--select files,subprocess"
    # The option it names converts the program.
    converted = asyncify("diff", *option.group(1).split(), "app.py", cwd=root)
    assert converted.returncode == 0, converted.stderr
    assert b"async def load" in converted.stdout
    assert b"async def tag" in converted.stdout
    assert not why(err_lines(converted))


def test_selected_weak_codemods_convert_and_unselected_ones_find_nothing(
    tmp_path: Path,
) -> None:
    root = project(tmp_path, {"app.py": FILE_IO})
    done = asyncify("check", "--select", "sleep,files", "app.py", cwd=root)
    # files is selected: the file I/O converts; subprocess alone would not have
    assert b"would rewrite app.py" in done.stderr
    done = asyncify("check", "--select", "sleep,subprocess", "app.py", cwd=root)
    assert b"would rewrite app.py" in done.stderr
    done = asyncify("check", "--select", "sleep,urllib", "app.py", cwd=root)
    assert not why(err_lines(done))  # neither files nor subprocess runs: nothing found
    project(tmp_path, {"pyproject.toml": '[tool.asyncify]\nselect = ["sleep", "files"]\n'})
    done = asyncify("check", "--ignore", "files", "app.py", cwd=root)
    assert not why(err_lines(done))


def test_pinned_functions_name_their_finding(tmp_path: Path) -> None:
    root = project(tmp_path, {"p.py": PINNED})
    for command in ("diff", "plan"):
        done = asyncify(command, "p.py", cwd=root)
        lines = why(err_lines(done))
        assert lines == [
            "Nothing converted: 1 blocking call (`time.sleep` @ p.py:10) is in a function that "
            "must stay synchronous (AFY102, listed above; `asyncify explain AFY102` says what "
            "to change)."
        ]
    assert asyncify("explain", "AFY102", cwd=root).returncode == 0


def test_module_level_code(tmp_path: Path) -> None:
    root = project(tmp_path, {"t.py": MODULE_LEVEL})
    lines = why(err_lines(asyncify("diff", "t.py", cwd=root)))
    assert len(lines) == 1
    assert "(`time.sleep` @ t.py:3) runs at module level, outside any function" in lines[0]


def test_json_summary_says_why(tmp_path: Path) -> None:
    root = project(tmp_path, {"app.py": FILE_IO})
    done = asyncify("check", "--format", "json", "app.py", cwd=root)
    summary = json.loads(done.stdout)["summary"]
    assert len(summary["why_unchanged"]) == 1
    assert "--select files,subprocess" in summary["why_unchanged"][0]
    assert not why(err_lines(done))  # JSON: stderr carries errors only


@pytest.mark.parametrize(
    "files",
    [
        {"a.py": SLEEPY_MAIN},  # converts
        {"a.py": "def f():\n    return 1\n"},  # nothing blocks
        {"a.py": SLEEPY_MAIN, "b.py": FILE_IO},  # one program of two converts
    ],
)
def test_silent_when_something_converts_or_nothing_blocks(
    tmp_path: Path, files: dict[str, str]
) -> None:
    root = project(tmp_path, files)
    done = asyncify("diff", ".", cwd=root)
    assert done.returncode == 0, done.stderr
    assert not why(err_lines(done))
    done = asyncify("check", "--format", "json", ".", cwd=root)
    assert json.loads(done.stdout)["summary"]["why_unchanged"] == []


SESSION_KEPT = """\
import requests

SESSION = requests.Session()


class Api:
    @property
    def status(self):
        return SESSION.get("http://127.0.0.1:1/status").text

    def __repr__(self):
        return SESSION.get("http://127.0.0.1:1/repr").text


def main():
    print(Api().status)


if __name__ == "__main__":
    main()
"""


def test_every_session_kept_names_the_pins_and_the_kept_session(tmp_path: Path) -> None:
    root = project(tmp_path, {"s.py": SESSION_KEPT})
    done = asyncify("check", "s.py", cwd=root)
    assert done.returncode == 1
    [line] = why(err_lines(done))
    assert line.startswith("Nothing converted: 2 blocking calls (`requests.Session.get` @ s.py:9")
    assert "(AFY102, AFY103, AFY215, listed above; `asyncify explain AFY102`" in line
