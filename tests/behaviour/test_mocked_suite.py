"""A suite that mocks what it tests keeps testing it once converted (codemods/mocks.py).

`tests/fixtures/projects/pricing` is a requests library with a pytest and unittest suite
that uses `mock.patch` (a string target re-exported into another module, `patch.object`
on a method, a started patcher, `time.sleep`, `side_effect` values and exceptions),
`responses` and `requests_mock` (fixture, context manager, decorator). A copy is converted
by the installed `asyncify run`; the converted suite must pass exactly as the original
does, and must still fail when a mocked value is wrong: an un-awaited coroutine or a mock
that no longer intercepts anything would let a test pass whatever the value.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.behaviour.harness import run_project_tests
from tests.test_cli import asyncify_command

PRICING = Path(__file__).parents[1] / "fixtures" / "projects" / "pricing"

# (file, text of the converted suite, a wrong value for it, the test that must then fail).
# At least one per test: every converted test depends on what its mocks return.
MUTATIONS = [
    (
        "tests/test_patch.py",
        '"pricing.cart.fetch_price", return_value=5, new_callable=AsyncMock',
        '"pricing.cart.fetch_price", return_value=6, new_callable=AsyncMock',
        "tests/test_patch.py::test_total_with_patched_price",
    ),
    (
        "tests/test_patch.py",
        'side_effect=[3, LookupError("x"), 4], new_callable=AsyncMock',
        'side_effect=[3, LookupError("x"), 5], new_callable=AsyncMock',
        "tests/test_patch.py::test_unknown_skus_are_skipped",
    ),
    (
        "tests/test_patch.py",
        "[mock.call(0.01), mock.call(0.02)]",
        "[mock.call(0.01), mock.call(0.03)]",
        "tests/test_patch.py::test_retry_backs_off",
    ),
    (
        "tests/test_patch.py",
        "side_effect=ConnectionError(), new_callable=AsyncMock",
        "side_effect=[ConnectionError(), 1], new_callable=AsyncMock",
        "tests/test_patch.py::test_retry_gives_up",
    ),
    (
        "tests/test_patch.py",
        'return_value="Pear", new_callable=mock.AsyncMock',
        'return_value="Plum", new_callable=mock.AsyncMock',
        "tests/test_patch.py::test_label_with_patched_method",
    ),
    (
        "tests/test_responses.py",
        '/price/b").mock(return_value=httpx.Response(200, json={"price": 4}))',
        '/price/b").mock(return_value=httpx.Response(200, json={"price": 5}))',
        "tests/test_responses.py::test_total_over_http",
    ),
    (
        "tests/test_responses.py",
        """content='{"price": 2}'.encode()""",
        """content='{"price": 3}'.encode()""",
        "tests/test_responses.py::test_label_over_http",
    ),
    (
        "tests/test_responses.py",
        '"Prix: 3 €".encode(), headers={"Content-Type": "text/plain; charset=utf-8"}',
        '"Prix: 4 €".encode(), headers={"Content-Type": "text/plain; charset=utf-8"}',
        "tests/test_responses.py::test_notice_text",
    ),
    (
        "tests/test_responses.py",
        'content=b"Prix: 3 \\xe2\\x82\\xac", headers={"Content-Type": "text/plain"}',
        'content=b"Prix: 3 \\xe2\\x82\\xac", headers={"Content-Type": "application/octet-stream"}',
        "tests/test_responses.py::test_notice_text",
    ),
    (
        "tests/test_requests_mock.py",
        '/price/a").mock(return_value=httpx.Response(200, json={"price": 6}))',
        '/price/a").mock(return_value=httpx.Response(200, json={"price": 2}))',
        "tests/test_requests_mock.py::test_total_with_fixture",
    ),
    (
        "tests/test_requests_mock.py",
        '/item/k").mock(return_value=httpx.Response(200, json={"name": "Kiwi"}))',
        '/item/k").mock(return_value=httpx.Response(200, json={"name": "Lime"}))',
        "tests/test_requests_mock.py::test_label_with_context_manager",
    ),
    (
        "tests/test_unit.py",
        '"pricing.cart.fetch_price", return_value=4, new_callable=AsyncMock',
        '"pricing.cart.fetch_price", return_value=5, new_callable=AsyncMock',
        "tests/test_unit.py::CartTest::test_total",
    ),
    (
        "tests/test_unit.py",
        '/price/z").mock(return_value=httpx.Response(200, json={"price": 11}))',
        '/price/z").mock(return_value=httpx.Response(200, json={"price": 12}))',
        "tests/test_unit.py::CartTest::test_http",
    ),
]


def outcomes(root: Path) -> dict[str, str]:
    """test id -> PASSED / FAILED / ERROR, from one pytest run of the project's suite."""
    proc = run_project_tests(root)
    found = dict(
        (test, status)
        for status, test in re.findall(r"^(PASSED|FAILED|ERROR) (\S+)", proc.stdout, re.M)
    )
    assert found, proc.stdout + proc.stderr
    return found


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pricing") / "pricing"
    shutil.copytree(PRICING, root)
    proc = subprocess.run(
        [*asyncify_command(), "run", "."],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "AFY" not in proc.stdout + proc.stderr  # everything converted, nothing to review
    assert "[tool.pytest.ini_options]" in (root / "pyproject.toml").read_text()
    return root


def test_converted_suite_passes_like_the_original(converted: Path) -> None:
    before = outcomes(PRICING)
    assert set(before.values()) == {"PASSED"}
    assert set(before) == {test for *_, test in MUTATIONS}
    assert outcomes(converted) == before
    suite = "".join(p.read_text() for p in (converted / "tests").glob("test_*.py"))
    assert "responses" not in suite and "requests_mock" not in suite


@pytest.mark.parametrize("half", [0, 1])
def test_converted_suite_fails_on_wrong_mocked_values(
    converted: Path, tmp_path: Path, half: int
) -> None:
    """Half of the mutations per run: exactly the mutated tests fail, the others pass."""
    root = tmp_path / "pricing"
    shutil.copytree(converted, root)
    mutated = MUTATIONS[half::2]
    for file, good, bad, _test in mutated:
        path = root / file
        text = path.read_text()
        assert text.count(good) == 1, f"{file} does not hold {good!r}"
        path.write_text(text.replace(good, bad))
    results = outcomes(root)
    failing = {test for test, status in results.items() if status != "PASSED"}
    assert failing == {test for *_, test in mutated}
    assert set(results) == {test for *_, test in MUTATIONS}
