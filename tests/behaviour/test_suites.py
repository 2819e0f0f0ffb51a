"""A library's own test suite, converted along with the library, still passes.

`tests/fixtures/projects/weather` holds a library and its pytest and unittest suites:
fixtures that become async (`pytest_asyncio.fixture`), tests that become async
(`@pytest.mark.asyncio`), a `unittest.TestCase` that becomes `IsolatedAsyncioTestCase`
with `asyncSetUp`. Both trees' suites run with the same pytest; results must match.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

WEATHER = Path(__file__).parents[1] / "fixtures" / "projects" / "weather"


def run_suite(root: Path) -> tuple[int, str]:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-rA",
            "-W",
            "error::RuntimeWarning",
            "--rootdir",
            str(root),
            "--confcutdir",  # asyncify's own tests/conftest.py is a parent folder's
            str(root),
            "-c",
            os.devnull,
            "tests",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    passed = sorted(re.findall(r"^PASSED (\S+)", proc.stdout, re.M))
    return proc.returncode, "\n".join(passed)


def test_converted_suite_passes_like_the_original() -> None:
    before = run_suite(WEATHER / "before")
    after = run_suite(WEATHER / "after")
    assert before[0] == 0, before
    assert after == before
    assert after[1].count("\n") + 1 == 8
    converted = (WEATHER / "after" / "tests" / "test_unit.py").read_text()
    assert "IsolatedAsyncioTestCase" in converted and "async def asyncSetUp" in converted
