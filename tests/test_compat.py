"""One compatibility module per converted program (issue 17, item 1; asyncify/compat.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from asyncify import compat
from asyncify.options import Options

CLIENT = """\
import requests


class Api:
    def __init__(self, base):
        self.base = base
        self.session = requests.Session()

    def get(self, path):
        return self.session.get(self.base + path).json()


def ping(url):
    return requests.get(url).status_code
"""
MAIN = """\
import subprocess

import requests

from client import Api, ping


def main():
    api = Api("http://127.0.0.1:1")
    print(ping("http://127.0.0.1:1/x"), requests.head("http://127.0.0.1:1").ok)
    print(subprocess.run(["true"]).returncode, api.get("/y"))


if __name__ == "__main__":
    main()
"""


def asyncify(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "asyncify", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def program(tmp_path: Path, settings: str = "") -> Path:
    root = tmp_path / "prog"
    root.mkdir(parents=True)
    (root / "client.py").write_text(CLIENT)
    (root / "main.py").write_text(MAIN)
    if settings:
        (root / "pyproject.toml").write_text(settings)
    return root


def test_one_module_holds_the_helpers_of_the_whole_program(tmp_path: Path) -> None:
    root = program(tmp_path)
    done = asyncify("run", ".", cwd=root)
    assert done.returncode == 0, done.stderr
    helpers = (root / "_async_compat.py").read_text()
    client, main = (root / "client.py").read_text(), (root / "main.py").read_text()
    assert "from _async_compat import _http_client\n" in client
    assert "from _async_compat import _http_client, _subprocess_run\n" in main
    for name in ("_requests_text_encoding", "_http_client", "_subprocess_run"):
        assert helpers.count(f"def {name}(") == 1
        assert f"def {name}(" not in client + main  # no copy in the converted modules
    assert "self.session = _http_client()\n" in client
    assert "async with _http_client() as client:\n" in client  # one short line per call
    compile(helpers, "_async_compat.py", "exec")
    again = asyncify("run", ".", cwd=root)
    assert again.returncode == 0 and "0 files" in again.stderr, again.stderr


def test_the_module_is_a_new_file_in_the_diff_and_git_applies_it(tmp_path: Path) -> None:
    root = program(tmp_path)
    if shutil.which("git") is None:
        pytest.fail("git is needed to check that the diff applies")
    subprocess.run(["git", "init", "-q", "."], cwd=root, check=True)
    diff = asyncify("diff", ".", cwd=root)
    assert diff.returncode == 0, diff.stderr
    assert "--- /dev/null\n+++ b/_async_compat.py\n@@ -0,0 +1," in diff.stdout
    assert not (root / "_async_compat.py").exists()  # diff writes nothing
    applied = subprocess.run(
        ["git", "apply", "-"], cwd=root, input=diff.stdout, text=True, capture_output=True
    )
    assert applied.returncode == 0, applied.stderr
    expected = program(tmp_path / "other")
    assert asyncify("run", ".", cwd=expected).returncode == 0
    for name in ("_async_compat.py", "client.py", "main.py"):
        assert (root / name).read_text() == (expected / name).read_text(), name


def test_an_empty_name_keeps_a_copy_in_each_module(tmp_path: Path) -> None:
    root = program(tmp_path, '[tool.asyncify]\ncompat-module = ""\n')
    assert asyncify("run", ".", cwd=root).returncode == 0
    assert not (root / "_async_compat.py").exists()
    assert "async def _requests_text_encoding(" in (root / "client.py").read_text()
    assert "async def _requests_text_encoding(" in (root / "main.py").read_text()


def test_the_name_is_configurable_and_checked(tmp_path: Path) -> None:
    root = program(tmp_path, '[tool.asyncify]\ncompat-module = "_compat"\n')
    assert asyncify("run", ".", cwd=root).returncode == 0
    assert (root / "_compat.py").exists()
    assert "from _compat import _http_client" in (root / "client.py").read_text()
    bad = program(tmp_path / "bad", '[tool.asyncify]\ncompat-module = "my-compat"\n')
    done = asyncify("diff", ".", cwd=bad)
    assert done.returncode == 2 and "compat-module must be a module name" in done.stderr


def test_a_module_of_the_project_with_that_name_is_never_taken(tmp_path: Path) -> None:
    root = program(tmp_path)
    (root / "_async_compat.py").write_text("VALUE = 1\n")
    assert asyncify("run", ".", cwd=root).returncode == 0
    assert (root / "_async_compat.py").read_text() == "VALUE = 1\n"
    assert "async def _requests_text_encoding(" in (root / "client.py").read_text()


def test_a_package_gets_it_inside_the_package(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "pkg").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pkg" / "__init__.py").write_text("")
    (root / "tests" / "__init__.py").write_text("")
    (root / "pkg" / "client.py").write_text(CLIENT)
    (root / "tests" / "test_client.py").write_text(
        "from pkg.client import ping\n\n\ndef test_ping():\n    assert ping('http://x')\n"
    )
    assert asyncify("run", ".", cwd=root).returncode in (0, 1)
    assert (root / "pkg" / "_async_compat.py").exists()
    assert "from pkg._async_compat import _http_client" in (root / "pkg" / "client.py").read_text()


def test_helpers_are_added_to_an_existing_module_and_kept_in_order() -> None:
    table = compat.helper_table(Options())
    first = compat.module_text(None, {"_requests_text_encoding"}, table)
    assert first is not None and "def _http_client" not in first
    second = compat.module_text(first, {"_http_client"}, table)
    assert second is not None and second.startswith(first.split("\n\n\n")[0])
    assert second.index("_HTTPX_SSL_CONTEXT =") < second.index("def _http_client")
    assert compat.module_text(second, {"_http_client", "_requests_text_encoding"}, table) is None
    code = textwrap.dedent(second)
    compile(code, "_async_compat.py", "exec")


def test_location() -> None:
    files = [("app", Path("r/app.py"), False), ("util", Path("r/util.py"), False)]
    assert compat.location(files, Path("r"), "_c") == compat.Location("_c", Path("r/_c.py"))
    files = [
        ("pkg", Path("r/pkg/__init__.py"), True),
        ("pkg.a", Path("r/pkg/a.py"), False),
        ("tests", Path("r/tests/__init__.py"), True),
    ]
    got = compat.location(files, Path("r"), "_c")
    assert got == compat.Location("pkg._c", Path("r/pkg/_c.py"))
