"""Converted tests get pytest-asyncio's setting once, in the file pytest reads (found as
pytest finds it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from asyncify.findings import Finding
from asyncify.pytest_config import KEY, ConfigEdit, add_key, plan_edit
from tests.test_cli import asyncify, project, snapshot

LIB = "import time\n\n\ndef fetch():\n    time.sleep(0)\n    return 1\n"
WARNING = f'"{KEY}" is unset'  # pytest-asyncio's PytestDeprecationWarning
TEST = "import lib\n\n\ndef test_fetch():\n    assert lib.fetch() == 1\n"


def test_toml_key_goes_after_the_tables_last_line() -> None:
    text = '[tool.pytest.ini_options]\ntestpaths = ["tests"]  # x\n\n# later\n[tool.other]\nx = 1\n'
    assert add_key(text, "tool.pytest.ini_options", True) == (
        '[tool.pytest.ini_options]\ntestpaths = ["tests"]  # x\n'
        f'{KEY} = "function"\n\n# later\n[tool.other]\nx = 1\n'
    )


def test_ini_sections_crlf_and_missing_sections() -> None:
    assert add_key("[pytest]\r\naddopts = -q\r\n", "pytest", False) == (
        f"[pytest]\r\naddopts = -q\r\n{KEY} = function\r\n"
    )
    assert add_key("[metadata]\nname = x", "tool:pytest", False) == (
        f"[metadata]\nname = x\n\n[tool:pytest]\n{KEY} = function\n"
    )
    assert add_key("", "pytest", False) == f"[pytest]\n{KEY} = function\n"


def test_present_or_unreadable_means_no_edit() -> None:
    assert (
        add_key(f'[tool.pytest.ini_options]\n{KEY} = "module"\n', "tool.pytest.ini_options", True)
        is None
    )
    assert add_key("[tool.pytest.ini_options\n", "tool.pytest.ini_options", True) is None


def test_pytests_order_decides_the_file(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    test = tmp_path / "tests" / "test_a.py"
    test.write_text(TEST)
    (tmp_path / "setup.cfg").write_text("[tool:pytest]\naddopts = -q\n")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')  # no pytest table
    edit = plan_edit([test])
    assert isinstance(edit, ConfigEdit) and edit.path == tmp_path / "setup.cfg"
    (tmp_path / "pytest.ini").write_text("")  # pytest.ini wins, even empty
    edit = plan_edit([test])
    assert isinstance(edit, ConfigEdit) and edit.path == tmp_path / "pytest.ini"


def test_no_config_file_is_a_note(tmp_path: Path) -> None:
    test = tmp_path / "test_a.py"
    test.write_text(TEST)
    found = plan_edit([test])
    assert isinstance(found, Finding) and found.code == "AFY906"


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "pyproject.toml",
            '[project]\nname = "lib"\n',
            f'[project]\nname = "lib"\n\n[tool.pytest.ini_options]\n{KEY} = "function"\n',
        ),
        ("tox.ini", "[pytest]\naddopts = -q\n", f"[pytest]\naddopts = -q\n{KEY} = function\n"),
    ],
)
def test_run_adds_the_setting_once_and_pytest_stops_warning(
    tmp_path: Path, name: str, content: str, expected: str
) -> None:
    root = project(tmp_path, {name: content, "lib/__init__.py": LIB, "tests/test_lib.py": TEST})
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    pytest_cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-W", "default"]
    diff = asyncify("diff", ".", cwd=root)
    assert f"+++ b/{name}".encode() in diff.stdout
    done = asyncify("run", ".", cwd=root)
    assert done.returncode == 0, done.stderr
    assert (root / name).read_text() == expected
    assert "async def test_fetch" in (root / "tests" / "test_lib.py").read_text()
    ran = subprocess.run(pytest_cmd, cwd=root, capture_output=True, text=True, env=env)
    assert ran.returncode == 0 and "1 passed" in ran.stdout, ran.stdout + ran.stderr
    assert WARNING not in ran.stdout + ran.stderr
    before = snapshot(root)
    again = asyncify("check", ".", cwd=root)
    assert again.returncode == 0, again.stderr
    assert snapshot(root) == before


def test_without_the_setting_pytest_asyncio_warns(tmp_path: Path) -> None:
    """The reason for the edit: the same converted project without it prints the warning."""
    root = project(
        tmp_path, {"tox.ini": "[pytest]\n", "lib/__init__.py": LIB, "tests/test_lib.py": TEST}
    )
    assert asyncify("run", ".", cwd=root).returncode == 0
    (root / "tox.ini").write_text("[pytest]\n")
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-W", "default"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert WARNING in ran.stdout + ran.stderr


def test_no_config_anywhere_reports_and_writes_nothing_else(tmp_path: Path) -> None:
    root = project(tmp_path, {"lib/__init__.py": LIB, "tests/test_lib.py": TEST})
    done = asyncify("run", ".", cwd=root)
    assert done.returncode == 0
    assert b"AFY906" in done.stderr
    assert sorted(snapshot(root)) == ["lib/__init__.py", "tests/test_lib.py"]
