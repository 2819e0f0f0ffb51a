"""Console-script functions keep a synchronous wrapper (asyncify.scripts)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from asyncify.scripts import entry_points
from tests.test_cli import asyncify, project

CLI = """\
import sys
import time


def fetch(n):
    time.sleep(0)
    return n * 2


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    print("doubled", fetch(int(args[0]) if args else 1))
    return 3


if __name__ == "__main__":
    sys.exit(main())
"""


def test_declarations_are_read_from_pyproject_and_setup_cfg(tmp_path: Path) -> None:
    project(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "t"\n[project.scripts]\n'
            't = "tool.cli:main"\nu = "tool.gui:App.run [gui]"\n'
            '[project.gui-scripts]\ng = "tool.gui:start"\n',
            "setup.cfg": "[options.entry_points]\nconsole_scripts =\n    old = tool.legacy:main\n",
            "src/tool/cli.py": CLI,
        },
    )
    assert entry_points([tmp_path / "src"]) == {
        "tool.cli.main",
        "tool.gui.App.run",
        "tool.gui.start",
        "tool.legacy.main",
    }
    (tmp_path / "pyproject.toml").write_text("not toml [")  # broken: packaging tools say so
    assert entry_points([tmp_path / "src"]) == {"tool.legacy.main"}


def test_nothing_above_the_repository(tmp_path: Path) -> None:
    project(tmp_path, {"pyproject.toml": '[project.scripts]\nt = "a:b"\n', "repo/x.py": ""})
    (tmp_path / "repo" / ".git").mkdir()
    assert entry_points([tmp_path / "repo"]) == frozenset()


@pytest.mark.parametrize("declared", ["pyproject", "setup.cfg"])
def test_the_installed_command_still_works(tmp_path: Path, declared: str) -> None:
    files: dict[str, str | bytes] = {"src/tool/__init__.py": "", "src/tool/cli.py": CLI}
    if declared == "pyproject":
        files["pyproject.toml"] = (
            '[project]\nname = "tool"\n[project.scripts]\ntool = "tool.cli:main"\n'
        )
    else:
        files["setup.cfg"] = "[options.entry_points]\nconsole_scripts =\n  tool = tool.cli:main\n"
    outputs = []
    for side in ("before", "after"):
        root = project(tmp_path / side, files)
        if side == "after":
            done = asyncify("run", "src", cwd=root)
            assert done.returncode == 0, done.stderr.decode()
            assert "AFY503" in done.stdout.decode() + done.stderr.decode()
            text = (root / "src/tool/cli.py").read_text()
            assert "async def main_async(argv=None):" in text, text
        # What the installed `tool` script does: import the function, call it, exit with it.
        run = subprocess.run(
            [
                sys.executable,
                "-W",
                "error::RuntimeWarning",
                "-c",
                "import sys; from tool.cli import main; sys.exit(main(['21']))",
            ],
            cwd=root,
            env={**os.environ, "PYTHONPATH": str(root / "src")},
            capture_output=True,
            text=True,
            timeout=60,
        )
        outputs.append((run.stdout, run.returncode, run.stderr))
    assert outputs[0] == outputs[1] == ("doubled 42\n", 3, "")
