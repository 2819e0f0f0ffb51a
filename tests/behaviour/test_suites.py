"""A library's own test suite, converted along with the library, still passes.

`tests/fixtures/projects/weather` holds a library and its pytest and unittest suites:
fixtures that become async (`pytest_asyncio.fixture`), tests that become async
(`@pytest.mark.asyncio`), a `unittest.TestCase` that becomes `IsolatedAsyncioTestCase`
with `asyncSetUp`. Both trees' suites run with the same pytest; results must match.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.behaviour.harness import run_project_tests

WEATHER = Path(__file__).parents[1] / "fixtures" / "projects" / "weather"


def run_suite(root: Path) -> tuple[int, str]:
    proc = run_project_tests(root)
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
