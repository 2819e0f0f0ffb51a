"""The I/O coverage measure of ``benchmarks/testsuites.py`` on a five-function fake project.

The fake project's own test suite runs under the tracer (``benchmarks/io_trace.py``)
against a real loopback HTTP server; then a hand-written "converted" tree is scored. It
checks the three ways a function counts as performing I/O (requests on its stack, a mock
called by an I/O name, a mock called by the name of a function already found), that pure
code and a mock called by another name do not count, and the async / native counts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from benchmarks import testsuites

ROOT = Path(__file__).resolve().parent.parent

API = """\
import requests


def low(session, url):
    return session.get(url).text


def mid(session, url):
    return low(session, url).upper()


def pure(x):
    return x * 2


def via_client(client):
    return client.request("GET", "/")


def uses_layer(api):
    return api.mid(None, "/")


def other_mock(thing):
    return thing.compute()
"""

TESTS = """\
import threading
import types
from http.server import BaseHTTPRequestHandler, HTTPServer
from unittest import mock

import requests

from pkg import api


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def test_http():
    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with requests.Session() as session:
            url = f"http://127.0.0.1:{server.server_port}/"
            assert api.mid(session, url) == "OK"
    finally:
        server.shutdown()


def test_mocks():
    assert api.pure(2) == 4
    # a mock with no name of its own: only the call site says it stands for `request`
    assert api.via_client(types.SimpleNamespace(request=mock.MagicMock())) is not None
    assert api.uses_layer(mock.MagicMock()) is not None
    assert api.other_mock(types.SimpleNamespace(compute=mock.MagicMock())) is not None
"""

CONVERTED = """\
import asyncio


async def low(session, url):
    return (await session.get(url)).text


async def mid(session, url):
    return (await low(session, url)).upper()


def pure(x):
    return x * 2


def via_client(client):
    return client.request("GET", "/")


async def uses_layer(api):
    return await asyncio.to_thread(api.mid, None, "/")


async def other_mock(thing):
    return thing.compute()
"""


@pytest.fixture(scope="module")
def traced(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, object]]]:
    pytest.importorskip("requests")
    root = tmp_path_factory.mktemp("fake")
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "api.py").write_text(API)
    (root / "tests").mkdir()
    (root / "tests" / "test_api.py").write_text(textwrap.dedent(TESTS))
    plugin = root / "plugin"
    plugin.mkdir()
    (plugin / "asyncify_io_trace.py").write_text((ROOT / "benchmarks" / "io_trace.py").read_text())
    trace = root / "trace.json"
    env = {
        **os.environ,
        "PYTHONPATH": str(plugin),
        "ASYNCIFY_IO_TRACE": str(trace),
        "ASYNCIFY_IO_TRACE_ROOTS": str(root / "pkg"),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p"]
        + ["asyncify_io_trace", "tests"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    events: list[dict[str, object]] = json.loads(trace.read_text())["events"]
    return root, events


def test_io_functions_are_those_reaching_requests_or_a_mock_standing_for_it(
    traced: tuple[Path, list[dict[str, object]]],
) -> None:
    _, events = traced
    functions, inner = testsuites.io_functions(events)
    assert {qualname for _, qualname, _ in functions} == {"low", "mid", "via_client", "uses_layer"}
    assert all(path == "pkg/api.py" for path, _, _ in functions)
    by_name = {qualname: key for key in functions for _, qualname, _ in [key]}
    assert inner[by_name["mid"]] == {by_name["low"]}
    assert inner[by_name["uses_layer"]] == {by_name["uses_layer"]}


def test_coverage_counts_async_and_native_functions(
    traced: tuple[Path, list[dict[str, object]]], tmp_path: Path
) -> None:
    root, events = traced
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "api.py").write_text(CONVERTED)
    functions, inner = testsuites.io_functions(events)
    made_async, native = testsuites.coverage(functions, inner, root, tmp_path)
    assert {k[1] for k in made_async} == {"low", "mid", "uses_layer"}
    assert {k[1] for k in native} == {"low", "mid"}


def test_direct_io_reads_calls_on_sessions_and_cursors(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "api.py").write_text(API)
    (tmp_path / "pkg" / "db.py").write_text(
        "class Repo:\n"
        "    def rows(self):\n"
        "        self.cur.execute('select 1')\n"
        "        return self.cur.fetchall()\n"
        "\n"
        "    def names(self, data):\n"
        "        return data.execute()\n"
    )
    found = testsuites.direct_io(tmp_path / "pkg")
    assert found == {("pkg/api.py", "low", 4), ("pkg/db.py", "Repo.rows", 2)}
