"""requests → httpx2 (``--http-client httpx2``): the programs of test_http.py, converted for
httpx2, talk to the loopback server of ``http_support.py`` and print the same as the
requests originals (stdout, exit code, written files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.behaviour.harness import run_both
from tests.behaviour.http_support import closed_port, http_server
from tests.behaviour.test_http import EXAMPLES, ONE_SHOT, SESSION, STREAMING

__all__ = ["http_server"]  # the pytest fixture, used by name

pytest.importorskip("httpx2")  # Python >= 3.11 (httpx2's own requirement)

HTTPX2 = ("--http-client", "httpx2")


def test_one_shot_calls(tmp_path: Path, http_server: str) -> None:
    env = {"BASE": http_server, "CLOSED": f"http://127.0.0.1:{closed_port()}"}
    both = run_both(tmp_path, {"main.py": ONE_SHOT}, env=env, convert_args=HTTPX2)
    converted = both.converted["main.py"]
    assert "import requests" not in converted and "import httpx2" in converted, converted
    assert "async with httpx2.AsyncClient" in converted and "httpx." not in converted
    assert "AFY250" in both.convert_output
    assert "Basic YW5uOnB3" in both.before.stdout  # the auth header reached the server
    both.assert_same()


def test_sessions(tmp_path: Path, http_server: str) -> None:
    both = run_both(tmp_path, {"main.py": SESSION}, env={"BASE": http_server}, convert_args=HTTPX2)
    assert "httpx2.AsyncClient(" in both.converted["main.py"], both.converted["main.py"]
    assert "http error 500" in both.before.stdout, both.before.stderr
    both.assert_same()


def test_streaming(tmp_path: Path, http_server: str) -> None:
    both = run_both(
        tmp_path,
        {"main.py": STREAMING},
        env={"BASE": http_server, "OUT": "."},
        convert_args=HTTPX2,
    )
    assert "httpx2" in both.converted["main.py"], both.converted["main.py"]
    both.assert_same()


def test_example_client(tmp_path: Path, http_server: str) -> None:
    files = {
        p.relative_to(EXAMPLES / "http_client").as_posix(): p.read_text()
        for p in (EXAMPLES / "http_client").rglob("*.py")
    }
    both = run_both(
        tmp_path, files, entry="main.py", env={"BASE": http_server}, convert_args=HTTPX2
    )
    assert "import httpx2" in both.converted["client.py"], both.converted["client.py"]
    assert both.before.stdout.count("\n") >= 5, both.before.stderr
    both.assert_same()
