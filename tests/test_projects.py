"""Multi-module fixtures: ``tests/fixtures/projects/<case>/{before,after}/`` (unasync-style).

The ``before`` tree is converted as a whole (discovery, index, plan, rewrite) and must
equal the ``after`` tree file by file; converting ``after`` again must change nothing.
A project's own ``pyproject.toml`` (``[tool.asyncify]``) gives its options.
Each converted project is also run (``python -m <package>``) before and after, and must
print the same.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from asyncify.config import load_config, merge
from asyncify.discover import discover
from asyncify.engine import convert_texts
from asyncify.findings import Finding
from asyncify.options import Options
from tests.judges import new_findings

PROJECTS = Path(__file__).parent / "fixtures" / "projects"
CASES = (
    sorted(p for p in PROJECTS.iterdir() if (p / "before").is_dir()) if PROJECTS.exists() else []
)


def convert_tree(root: Path) -> dict[str, str]:
    """The converted sources of a copy of ``root`` (a project on its own: no settings of
    this repository apply, as when tests/behaviour converts it in a temporary folder)."""
    with tempfile.TemporaryDirectory() as temp:
        copy = Path(temp) / "project"
        shutil.copytree(root, copy)
        return _convert_in_place(copy)


def _convert_in_place(root: Path) -> dict[str, str]:
    files, problems = discover([root], base=root)
    assert not problems
    sources = [(f, f.path.relative_to(root).as_posix(), f.path.read_text()) for f in files]
    config = root / "pyproject.toml"
    options = merge(load_config([root], config)) if config.exists() else Options()
    _, outcomes = convert_texts(sources, options)
    result = {}
    for _, rel, text in sources:
        outcome = outcomes.get(rel)
        assert not isinstance(outcome, Finding), str(outcome)
        result[rel] = outcome[0] if outcome else text
    for path, outcome in outcomes.items():  # a file the conversion creates
        if path not in result:
            assert not isinstance(outcome, Finding), str(outcome)
            result[Path(path).resolve().relative_to(root.resolve()).as_posix()] = outcome[0]
    return result


def tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*.py"))}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_project(case: Path) -> None:
    converted = convert_tree(case / "before")
    assert converted == tree(case / "after")
    assert convert_tree(case / "after") == tree(case / "after"), "a second run changed it"


STANDALONE = [c for c in CASES if not (c / "SERVICES").exists()]  # others: tests/behaviour


@pytest.mark.parametrize("case", STANDALONE, ids=[c.name for c in STANDALONE])
def test_project_behaves_the_same(case: Path) -> None:
    packages = [p.name for p in (case / "before").iterdir() if (p / "__main__.py").exists()]
    assert packages, "a project fixture needs a package with __main__.py"
    outputs = []
    for side in ("before", "after"):
        proc = subprocess.run(
            [sys.executable, "-m", packages[0]],
            cwd=case / side,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert "never awaited" not in proc.stderr
        outputs.append((proc.returncode, proc.stdout, proc.stderr if proc.returncode else ""))
    assert outputs[0] == outputs[1]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_judges_find_nothing_new(case: Path) -> None:
    assert new_findings(case / "before", case / "after") == set()


def test_judges_catch_a_missing_await(tmp_path: Path) -> None:
    """The judges are not blind: a converted program that forgot an await is caught."""
    for side, body in (("before", "def f():\n    pass\n"), ("after", "async def f():\n    pass\n")):
        (tmp_path / side).mkdir()
        (tmp_path / side / "m.py").write_text(body + "\n\ndef g():\n    f()\n")
    found = new_findings(tmp_path / "before", tmp_path / "after")
    assert {rule for _, rule, _ in found} == {"reportUnusedCoroutine"}
