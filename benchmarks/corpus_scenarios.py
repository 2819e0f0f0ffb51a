"""Behaviour scenarios for corpus projects: the original and the converted package run the
same driver against the same local fake server; their output and the requests the server
received must be the same.

python-gitlab: a fake GitLab API (projects: list with two pages, get, save, create,
delete, a 404; the current user; the version) on 127.0.0.1. The driver is written once for
both: a call's result is awaited when it is awaitable, an iterator is read with
``async for`` when it has ``__aiter__``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

PROJECTS = [
    {"id": 1, "name": "alpha", "description": "first"},
    {"id": 2, "name": "beta", "description": "second"},
    {"id": 3, "name": "gamma", "description": "third"},
]


class FakeGitLab(BaseHTTPRequestHandler):
    log: list[str]  # set per server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def _reply(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        token = self.headers.get("PRIVATE-TOKEN")
        self.server.log.append(  # type: ignore[attr-defined]
            f"{self.command} {url.path} {sorted(query.items())} token={token} body={body}"
        )
        if token != "secret":
            self._reply(401, {"message": "401 Unauthorized"})
            return
        parts = url.path.removeprefix("/api/v4/").split("/")
        base = f"http://{self.headers['Host']}/api/v4"
        if parts == ["version"]:
            self._reply(200, {"version": "16.11.0", "revision": "abc123"})
        elif parts == ["user"]:
            self._reply(200, {"id": 7, "username": "ann", "web_url": f"http://{self.headers['Host']}/ann"})
        elif parts == ["projects"] and self.command == "GET":
            page = int(query.get("page", "1"))
            per_page = 2
            items = PROJECTS[(page - 1) * per_page : page * per_page]
            headers = {
                "X-Page": str(page),
                "X-Per-Page": str(per_page),
                "X-Total": str(len(PROJECTS)),
                "X-Total-Pages": "2",
            }
            if page < 2:
                nxt = f"{base}/projects?page={page + 1}&per_page={per_page}"
                headers["Link"] = f'<{nxt}>; rel="next"'
                headers["X-Next-Page"] = str(page + 1)
            self._reply(200, items, headers)
        elif parts == ["projects"] and self.command == "POST":
            data = json.loads(body or "{}")
            self._reply(201, {"id": 4, "name": data.get("name"), "description": ""})
        elif len(parts) == 2 and parts[0] == "projects":
            found = [p for p in PROJECTS if str(p["id"]) == parts[1]]
            if not found:
                self._reply(404, {"message": "404 Project Not Found"})
            elif self.command == "GET":
                self._reply(200, found[0])
            elif self.command == "PUT":
                self._reply(200, {**found[0], **json.loads(body or "{}")})
            elif self.command == "DELETE":
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()
        else:
            self._reply(404, {"message": "404 Not Found"})

    do_GET = do_POST = do_PUT = do_DELETE = _handle


GITLAB_DRIVER = '''
import asyncio
import inspect
import sys

import gitlab


async def maybe(value):
    return await value if inspect.isawaitable(value) else value


async def items(iterable):
    if hasattr(iterable, "__aiter__"):
        return [item async for item in iterable]
    return list(iterable)


async def main(base):
    gl = gitlab.Gitlab(base, private_token="secret", per_page=2)
    await maybe(gl.auth())
    print("user", gl.user.username)
    print("version", await maybe(gl.version()))
    everything = await maybe(gl.projects.list(get_all=True))
    print("all", [(p.id, p.name) for p in everything])
    lazy = await maybe(gl.projects.list(iterator=True))
    print("lazy", [p.name for p in await items(lazy)])
    first = await maybe(gl.projects.list(page=1))
    print("page 1", [p.name for p in first])
    project = await maybe(gl.projects.get(1))
    print("get", project.name, project.description)
    project.description = "changed"
    await maybe(project.save())
    print("saved", project.description)
    created = await maybe(gl.projects.create({"name": "delta"}))
    print("created", created.id, created.name)
    await maybe(gl.projects.delete(2))
    print("deleted 2")
    try:
        await maybe(gl.projects.get(99))
    except gitlab.exceptions.GitlabGetError as error:
        print("error", error.response_code, error.error_message)
    bad = gitlab.Gitlab(base, private_token="wrong")
    try:
        await maybe(bad.projects.get(1))
    except gitlab.exceptions.GitlabAuthenticationError as error:
        print("auth error", error.response_code)


asyncio.run(main(sys.argv[1]))
'''


@dataclass
class Outcome:
    stdout: str
    stderr: str
    returncode: int
    requests: list[str]


@contextmanager
def fake_gitlab() -> Iterator[tuple[str, list[str]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeGitLab)
    server.log = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.log  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


def run_gitlab(tree: Path, extra_path: Sequence[Path]) -> Outcome:
    with fake_gitlab() as (base, log):
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(str(p) for p in [tree, *extra_path]),
            "NO_PROXY": "127.0.0.1",
        }
        proc = subprocess.run(
            [sys.executable, "-W", "error::RuntimeWarning", "-c", GITLAB_DRIVER, base],
            cwd=tree,
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        return Outcome(proc.stdout, proc.stderr, proc.returncode, list(log))


# project -> (run(tree, extra import paths) -> Outcome, pinned requirements it needs
# besides the project: downloaded like the projects, put on PYTHONPATH)
SCENARIOS: dict[str, tuple[Callable[[Path, Sequence[Path]], Outcome], tuple[str, ...]]] = {
    "python-gitlab": (run_gitlab, ("requests-toolbelt==1.0.0",)),
}
