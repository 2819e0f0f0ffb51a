"""The pre-commit hooks, run by pre-commit itself against a fixture repository.

``pre-commit try-repo`` installs this checkout (with its uncommitted changes) as a hook
repository in a fresh virtual environment, as a user's ``.pre-commit-config.yaml`` would.
Both cases share one pre-commit cache, so the environment is built once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
HOOKS = ROOT / ".pre-commit-hooks.yaml"
BLOCKING = "import time\n\n\ndef wait():\n    time.sleep(1)\n"
CLEAN = "def add(a, b):\n    return a + b\n"


def _pre_commit() -> list[str]:
    found = shutil.which("pre-commit", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("pre-commit is not installed (pip install '.[test]')")
    return [found]


def test_hooks_manifest() -> None:
    hooks = {hook["id"]: hook for hook in yaml.safe_load(HOOKS.read_text(encoding="utf-8"))}
    assert set(hooks) == {"asyncify-check", "asyncify-run"}
    assert hooks["asyncify-check"]["entry"] == "asyncify check"
    assert hooks["asyncify-run"]["entry"] == "asyncify run"
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["types"] == ["python"]
        assert hook["pass_filenames"] is True
        assert hook["require_serial"] is True  # whole-program analysis: one process


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A pre-commit cache shared by the tests of this module."""
    yield tmp_path_factory.mktemp("pre-commit-home")


def _git_repo(path: Path, files: dict[str, str]) -> None:
    path.mkdir()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-C", str(path)]
    subprocess.run([*git, "init", "-q"], check=True)
    for name, text in files.items():
        (path / name).write_text(text, encoding="utf-8")
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "fixture"], check=True)


def _try_repo(repo: Path, hook: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(home),
        "ASYNCIFY_CACHE_DIR": "off",
        "NO_COLOR": "1",
    }
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run(
        [*_pre_commit(), "try-repo", str(ROOT), hook, "--all-files", "--color", "never"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_check_hook_fails_on_blocking_code_and_passes_on_clean_code(
    tmp_path: Path, home: Path
) -> None:
    dirty = tmp_path / "dirty"
    _git_repo(dirty, {"app.py": BLOCKING, "util.py": CLEAN})
    done = _try_repo(dirty, "asyncify-check", home)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "asyncify check" in output and "Failed" in output, output
    assert "would rewrite app.py" in output, output
    # what to run next, with pre-commit's own command (pre-commit sets PRE_COMMIT=1)
    assert "`asyncify run app.py util.py` makes it (or `pre-commit run asyncify-run" in output
    assert (dirty / "app.py").read_text(encoding="utf-8") == BLOCKING  # check writes nothing

    clean = tmp_path / "clean"
    _git_repo(clean, {"util.py": CLEAN})
    done = _try_repo(clean, "asyncify-check", home)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Passed" in done.stdout, done.stdout


def test_run_hook_rewrites_and_fails_then_passes(tmp_path: Path, home: Path) -> None:
    repo = tmp_path / "repo"
    _git_repo(repo, {"app.py": BLOCKING})
    done = _try_repo(repo, "asyncify-run", home)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "files were modified by this hook" in done.stdout, done.stdout
    assert "`git add` them and commit again" in done.stdout, done.stdout
    converted = (repo / "app.py").read_text(encoding="utf-8")
    assert "await asyncio.sleep(1)" in converted and "async def wait" in converted
    done = _try_repo(repo, "asyncify-run", home)  # already converted: nothing to do
    assert done.returncode == 0, done.stdout + done.stderr
